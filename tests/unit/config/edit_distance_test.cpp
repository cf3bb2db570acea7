#include "config/edit_distance.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace courier::config {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("password", "password"), 0u);
  EXPECT_EQ(edit_distance("pasword", "password"), 1u);
  EXPECT_EQ(edit_distance("passwordd", "password"), 1u);
  EXPECT_EQ(edit_distance("passwerd", "password"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(EditDistance, SwappedNeighboursCostOne) {
  EXPECT_EQ(edit_distance("hsot", "host"), 1u);
  EXPECT_EQ(edit_distance("dbanme", "dbname"), 1u);
}

TEST(EditDistance, IgnoresCase) {
  EXPECT_EQ(edit_distance("Password", "password"), 0u);
  EXPECT_TRUE(equals_ignoring_case("INFO", "info"));
  EXPECT_FALSE(equals_ignoring_case("info", "infos"));
}

TEST(NearestName, SuggestsTheClosestValidName) {
  std::vector<std::string> keys = {"host", "port", "user", "password", "dbname", "sslmode"};
  EXPECT_EQ(nearest_name("pasword", keys), "password");
  EXPECT_EQ(nearest_name("prot", keys), "port");
  EXPECT_EQ(nearest_name("ssl_mode", keys), "sslmode");
  EXPECT_EQ(nearest_name("db_name", keys), "dbname");
}

TEST(NearestName, SuggestsNothingWhenNoNameIsClose) {
  std::vector<std::string> keys = {"host", "port", "password"};
  EXPECT_EQ(nearest_name("timeout", keys), std::nullopt);
  EXPECT_EQ(nearest_name("xy", keys), std::nullopt);
  EXPECT_EQ(nearest_name("anything", std::vector<std::string>{}), std::nullopt);
}

TEST(NearestName, TiesGoToTheEarlierCandidate) {
  std::vector<std::string> keys = {"db", "dc"};
  EXPECT_EQ(nearest_name("dd", keys), "db");
}

}  // namespace
}  // namespace courier::config
