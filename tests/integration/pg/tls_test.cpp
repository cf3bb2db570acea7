// TLS to a real PostgreSQL 15 (ssl=on, certificates the harness made with openssl):
// sslmode=verify-full with the right CA connects over TLS, for queries and for the
// replication connection alike; a wrong CA, an expired server certificate and a server name
// the certificate does not hold are refused, naming the connection and the cause; a server
// that demands client certificates takes ours and refuses a connection without one.
#include <gtest/gtest.h>

#include "pg/replication_stream.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

using courier::testing::PostgresServer;
using courier::testing::test_certificates;

// verify-full against `server`, trusting `ca_file`.
ConnectionOptions verify_full(const PostgresServer& server, const std::string& ca_file) {
  ConnectionOptions options;
  options.host = server.host();
  options.port = server.port();
  options.user = "postgres";
  options.dbname = "postgres";
  options.sslmode = "verify-full";
  options.sslrootcert = ca_file;
  options.connect_timeout = std::chrono::seconds(5);
  return options;
}

// Why connecting with `options` failed; fails the test when it did not.
std::string refusal(const ConnectionOptions& options) {
  auto conn = Connection::open(options);
  EXPECT_FALSE(conn.ok()) << "connected, but should have been refused";
  return conn.ok() ? "" : conn.status().message();
}

bool uses_tls(Connection& conn) {
  return scalar(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t";
}

// The servers start once for the suite: TLS, TLS with an expired certificate, and TLS that
// demands client certificates.
class PgTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tls_ = PostgresServer::start({.tls = true}).release();
    expired_ = PostgresServer::start({.tls = true, .tls_expired_certificate = true}).release();
    client_certificates_ =
        PostgresServer::start({.tls = true, .tls_client_certificates = true}).release();
  }
  static void TearDownTestSuite() {
    delete tls_;
    delete expired_;
    delete client_certificates_;
  }

  static inline PostgresServer* tls_ = nullptr;
  static inline PostgresServer* expired_ = nullptr;
  static inline PostgresServer* client_certificates_ = nullptr;
};

TEST_F(PgTlsTest, VerifyFullWithTheRightCaConnectsOverTls) {
  auto conn = Connection::open(verify_full(*tls_, test_certificates().ca_file));
  ASSERT_TRUE(conn.ok()) << conn.status().to_string();
  EXPECT_TRUE(uses_tls(**conn));
  ConnectionOptions by_name = verify_full(*tls_, test_certificates().ca_file);
  by_name.host = "localhost";  // the certificate names both
  auto named = Connection::open(by_name);
  ASSERT_TRUE(named.ok()) << named.status().to_string();
  EXPECT_TRUE(uses_tls(**named));
}

TEST_F(PgTlsTest, TheReplicationConnectionUsesTheSameTlsSettings) {
  ConnectionOptions options = verify_full(*tls_, test_certificates().ca_file);
  options.application_name = courier::testing::unique_name("tls_replication");
  auto stream = ReplicationStream::open(options);
  ASSERT_TRUE(stream.ok()) << stream.status().to_string();
  auto admin = Connection::open(verify_full(*tls_, test_certificates().ca_file));
  ASSERT_TRUE(admin.ok()) << admin.status().to_string();
  EXPECT_EQ(scalar(**admin,
                   "SELECT string_agg(a.backend_type || ':' || s.ssl, ',') FROM pg_stat_activity a "
                   "JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = $1",
                   {options.application_name}),
            "walsender:true");

  options.sslrootcert = test_certificates().other_ca_file;
  auto refused = ReplicationStream::open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("replication=database"), std::string::npos)
      << "names the replication connection: " << refused.status().message();
  EXPECT_NE(refused.status().message().find("certificate verify failed"), std::string::npos)
      << refused.status().message();
}

TEST_F(PgTlsTest, AWrongCaIsRefusedNamingTheConnectionAndTheCause) {
  const std::string message = refusal(verify_full(*tls_, test_certificates().other_ca_file));
  EXPECT_EQ(
      message.rfind(
          "cannot connect to postgresql://postgres@127.0.0.1:" + std::to_string(tls_->port()) +
              "/postgres?sslmode=verify-full&sslrootcert=" + test_certificates().other_ca_file,
          0),
      0u)
      << message;
  // OpenSSL's reason depends on the chain the server sends; the setting to check does not.
  EXPECT_NE(message.find("certificate verify failed ("), std::string::npos) << message;
  EXPECT_NE(message.find(": check sslrootcert)"), std::string::npos) << message;
}

// libpq 15 says "certificate verify failed" for both; the message adds which it was.
TEST_F(PgTlsTest, AnExpiredServerCertificateIsRefused) {
  const std::string message = refusal(verify_full(*expired_, test_certificates().ca_file));
  EXPECT_NE(message.find("certificate verify failed (certificate has expired: renew the "
                         "server's certificate, or check this machine's clock)"),
            std::string::npos)
      << message;
}

TEST_F(PgTlsTest, AServerNameTheCertificateDoesNotHoldIsRefused) {
  // Connects to 127.0.0.1 but checks the certificate against another name, as a client
  // that reached the server by a name its certificate lacks.
  ConnectionOptions options = verify_full(*tls_, test_certificates().ca_file);
  options.host = "db.courier-test.invalid";
  options.extra_parameters = {{"hostaddr", tls_->host()}};
  const std::string message = refusal(options);
  EXPECT_NE(message.find("does not match host name \"db.courier-test.invalid\""), std::string::npos)
      << message;
}

TEST_F(PgTlsTest, AClientCertificateIsAcceptedWhereOneIsRequired) {
  ConnectionOptions options = verify_full(*client_certificates_, test_certificates().ca_file);
  options.sslcert = test_certificates().client_cert_file;
  options.sslkey = test_certificates().private_client_key_file;
  auto conn = Connection::open(options);
  ASSERT_TRUE(conn.ok()) << conn.status().to_string();
  EXPECT_TRUE(uses_tls(**conn));
  EXPECT_EQ(scalar(**conn, "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
            "/CN=courier-test-client");
  auto stream = ReplicationStream::open(options);
  EXPECT_TRUE(stream.ok()) << stream.status().to_string();
}

TEST_F(PgTlsTest, WithoutAClientCertificateAServerThatRequiresOneRefuses) {
  const std::string message =
      refusal(verify_full(*client_certificates_, test_certificates().ca_file));
  EXPECT_NE(message.find("connection requires a valid client certificate"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace courier::pg
