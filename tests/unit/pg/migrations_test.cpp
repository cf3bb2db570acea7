// The pure parts of migrations: file names, ordering and duplicate checks, checksums, and
// reading a directory of scripts.
#include "pg/migrations.h"

#include <gtest/gtest.h>

#include <fstream>

namespace courier::pg {
namespace {

TEST(PgMigrationFileName, ParsesVersionAndName) {
  auto migration = parse_migration_file_name("0012_create_deposited_events.sql");
  ASSERT_TRUE(migration.ok()) << migration.status().to_string();
  EXPECT_EQ(migration->version, 12);
  EXPECT_EQ(migration->name, "create_deposited_events");
  EXPECT_EQ(migration_label(*migration), "0012_create_deposited_events");
}

TEST(PgMigrationFileName, RejectsNamesNotFollowingThePattern) {
  for (std::string_view bad : {"create.sql", "_x.sql", "0001_.sql", "0001.sql", "0001_x.txt",
                               "0001_x.sql.bak", "00a1_x.sql", "0001_x y.sql", ".sql"}) {
    auto migration = parse_migration_file_name(bad);
    EXPECT_EQ(migration.status().code(), StatusCode::kInvalidArgument) << bad;
    if (!migration.ok()) {
      EXPECT_NE(migration.status().message().find(bad), std::string::npos);
    }
  }
}

TEST(PgSortedMigrations, OrdersByVersion) {
  auto sorted =
      sorted_migrations({{3, "c", "SELECT 3"}, {1, "a", "SELECT 1"}, {2, "b", "SELECT 2"}});
  ASSERT_TRUE(sorted.ok()) << sorted.status().to_string();
  ASSERT_EQ(sorted->size(), 3u);
  EXPECT_EQ((*sorted)[0].name, "a");
  EXPECT_EQ((*sorted)[2].name, "c");
}

TEST(PgSortedMigrations, DuplicateVersionNamesBothMigrations) {
  auto sorted = sorted_migrations({{1, "first", "SELECT 1"}, {1, "second", "SELECT 2"}});
  ASSERT_EQ(sorted.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sorted.status().message().find("0001_first"), std::string::npos);
  EXPECT_NE(sorted.status().message().find("0001_second"), std::string::npos);
}

TEST(PgSortedMigrations, RejectsNonPositiveVersionsAndEmptySql) {
  EXPECT_EQ(sorted_migrations({{0, "zero", "SELECT 1"}}).status().code(),
            StatusCode::kInvalidArgument);
  auto empty = sorted_migrations({{4, "blank", " \n\t"}});
  ASSERT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("0004_blank"), std::string::npos);
}

TEST(PgMigrationChecksum, ChangesWithTheSqlButNotWithLineEndings) {
  std::string sql = "CREATE TABLE t (id int);\nCREATE INDEX ON t (id);\n";
  EXPECT_EQ(migration_checksum(sql).size(), 16u);
  EXPECT_EQ(migration_checksum(sql), migration_checksum(sql));
  EXPECT_NE(migration_checksum(sql), migration_checksum("CREATE TABLE t (id bigint);\n"));
  EXPECT_EQ(migration_checksum(sql),
            migration_checksum("CREATE TABLE t (id int);\r\nCREATE INDEX ON t (id);\r\n"));
}

class MigrationDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::temp_directory_path() /
        ("courier_migrations_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  void write(const std::string& name, const std::string& content) {
    std::ofstream(directory_ / name) << content;
  }
  std::filesystem::path directory_;
};

TEST_F(MigrationDirectoryTest, ReadsSqlFilesInVersionOrderAndIgnoresOtherFiles) {
  write("0002_second.sql", "SELECT 2;");
  write("0001_first.sql", "SELECT 1;");
  write("README.md", "not a migration");
  auto migrations = load_migrations_from_directory(directory_);
  ASSERT_TRUE(migrations.ok()) << migrations.status().to_string();
  ASSERT_EQ(migrations->size(), 2u);
  EXPECT_EQ((*migrations)[0].name, "first");
  EXPECT_EQ((*migrations)[0].sql, "SELECT 1;");
  EXPECT_EQ((*migrations)[1].version, 2);
}

TEST_F(MigrationDirectoryTest, BadlyNamedSqlFileIsAnErrorNamingIt) {
  write("0001_first.sql", "SELECT 1;");
  write("second.sql", "SELECT 2;");
  auto migrations = load_migrations_from_directory(directory_);
  ASSERT_EQ(migrations.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(migrations.status().message().find("second.sql"), std::string::npos);
}

TEST_F(MigrationDirectoryTest, MissingDirectoryIsNotFound) {
  EXPECT_EQ(load_migrations_from_directory(directory_ / "absent").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace courier::pg
