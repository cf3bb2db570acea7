// postgres: TLS files (sslrootcert, sslcert, sslkey, sslpassword), as keys or in the url,
// each file checked readable when the file is loaded, errors at the key's line:column.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/courier_config.h"
#include "config_test_support.h"

namespace courier::config {
namespace {

using testing::load;
using testing::printed_errors;

// Three readable (empty) files in a fresh directory, removed afterwards.
class PostgresTlsConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("courier-pgtls-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    for (const char* name : {"ca.pem", "client.crt", "client.key"}) std::ofstream(path(name));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(PostgresTlsConfig, KeysSetTheFilesAndDescribeMasksOnlyThePassphrase) {
  LoadResult result =
      load("postgres:\n  host: db\n  sslmode: verify-full\n  sslrootcert: " + path("ca.pem") +
               "\n  sslcert: " + path("client.crt") + "\n  sslkey: " + path("client.key") +
               "\n  sslpassword: ${KEY_PASSPHRASE}\n",
           {{"KEY_PASSPHRASE", "key-secret"}});
  ASSERT_TRUE(result.ok()) << result.error_report();
  const PostgresConfig& pg = result.config.postgres;
  EXPECT_EQ(pg.sslrootcert, path("ca.pem"));
  EXPECT_EQ(pg.sslcert, path("client.crt"));
  EXPECT_EQ(pg.sslkey, path("client.key"));
  EXPECT_EQ(pg.sslpassword, "key-secret");
  const std::string described = pg.describe();
  EXPECT_NE(described.find("sslrootcert=" + path("ca.pem")), std::string::npos) << described;
  EXPECT_NE(described.find("sslpassword=***"), std::string::npos) << described;
  EXPECT_EQ(described.find("key-secret"), std::string::npos) << described;
}

TEST_F(PostgresTlsConfig, TheUrlMayNameTheFilesAndAKeyBesideItWins) {
  LoadResult result =
      load("postgres:\n  url: postgresql://db/shop?sslmode=verify-full&sslrootcert=" +
           path("client.crt") + "&sslcert=" + path("client.crt") + "&sslkey=" + path("client.key") +
           "\n  sslrootcert: " + path("ca.pem") + "\n");
  ASSERT_TRUE(result.ok()) << result.error_report();
  EXPECT_EQ(result.config.postgres.sslmode, PostgresSslMode::kVerifyFull);
  EXPECT_EQ(result.config.postgres.sslrootcert, path("ca.pem"));
  EXPECT_EQ(result.config.postgres.sslcert, path("client.crt"));
  EXPECT_EQ(result.config.postgres.sslkey, path("client.key"));
}

TEST_F(PostgresTlsConfig, AFileThatCannotBeReadIsAnErrorAtItsKey) {
  const std::string missing = path("missing.pem");
  EXPECT_EQ(
      printed_errors(load("postgres:\n  sslmode: verify-full\n  sslrootcert: " + missing + "\n")),
      std::vector<std::string>{"courier.yaml:3:16: postgres.sslrootcert: sslrootcert '" + missing +
                               "' cannot be read (No such file or directory); give the "
                               "path of a PEM file the user running courier can read"});
  std::vector<std::string> directory =
      printed_errors(load("postgres:\n  sslrootcert: " + dir_.string() + "\n"));
  ASSERT_EQ(directory.size(), 1u);
  EXPECT_NE(directory[0].find("(it is a directory)"), std::string::npos) << directory[0];
}

TEST_F(PostgresTlsConfig, AFileTheUrlNamesThatCannotBeReadIsAnErrorAtTheUrl) {
  std::vector<std::string> errors = printed_errors(
      load("postgres:\n  url: postgresql://db/shop?sslmode=verify-full&sslrootcert=" +
           path("missing.pem") + "\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("courier.yaml:2:8: postgres.url: sslrootcert '", 0), 0u) << errors[0];
}

TEST_F(PostgresTlsConfig, ACertificateAndItsKeyGoTogether) {
  EXPECT_EQ(printed_errors(load("postgres:\n  sslcert: " + path("client.crt") + "\n")),
            std::vector<std::string>{"courier.yaml:2:12: postgres.sslcert: a client certificate "
                                     "needs its key; add 'sslkey'"});
  EXPECT_EQ(printed_errors(load("postgres:\n  sslkey: " + path("client.key") + "\n")),
            std::vector<std::string>{"courier.yaml:2:11: postgres.sslkey: a client key needs its "
                                     "certificate; add 'sslcert'"});
}

}  // namespace
}  // namespace courier::config
