// Which tasks KeyRefresh serves, where their scratch keys live, and what the staging copy
// is written with — pure functions, no servers. The refresh itself against real servers
// (and the cluster) is in tests/integration/pg_to_redis/key_refresh_test.cpp.
#include "pg_to_redis/key_refresh.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "redis/slot.h"

namespace courier::pg_to_redis {
namespace {

using redis::Command;
using ::testing::ElementsAre;

TaskConfig polled(Structure structure, Refresh refresh = Refresh::kMerge) {
  TaskConfig t;
  t.name = "out_of_stock";
  t.table.name = "products";
  t.table_as_written = "products";
  t.alias = "oos";
  t.key_prefix = "shop:";
  t.structure = structure;
  t.key = "sku";
  t.value = "sku";
  t.refresh = refresh;
  return t;
}

TEST(RefreshesKey, MergeMakesMapSetAndSortedSetExact) {
  for (Structure s : {Structure::kMap, Structure::kSet, Structure::kSortedSet})
    EXPECT_TRUE(refreshes_key(polled(s))) << to_string(s);
  // A list in merge mode appends as it always did; the per-row and stream structures
  // have no single set of members to compare.
  for (Structure s : {Structure::kList, Structure::kStream, Structure::kHash, Structure::kString})
    EXPECT_FALSE(refreshes_key(polled(s))) << to_string(s);
}

TEST(RefreshesKey, ReplaceServesEverySingleKeyCollection) {
  for (Structure s : {Structure::kMap, Structure::kList, Structure::kSet, Structure::kSortedSet})
    EXPECT_TRUE(refreshes_key(polled(s, Refresh::kReplace))) << to_string(s);
}

TEST(RefreshesKey, NotWithTrackingOrChangeCapture) {
  TaskConfig tracked = polled(Structure::kSet);
  tracked.tracking = TrackingConfig{.column = "updated_at"};
  EXPECT_FALSE(refreshes_key(tracked));  // a tracking read sees only the rows that changed
  TaskConfig captured = polled(Structure::kSet);
  captured.capture = Capture::kWal;
  EXPECT_FALSE(refreshes_key(captured));  // deletes arrive as changes
}

TEST(RefreshScratchKey, SharesTheKeysSlotAndSaysWhatItIs) {
  for (const char* alias : {"oos", "{eu}oos", "odd}name", "{}oos"}) {
    for (Refresh refresh : {Refresh::kMerge, Refresh::kReplace}) {
      TaskConfig t = polled(Structure::kSet, refresh);
      t.alias = alias;
      const std::string scratch = refresh_scratch_key(t);
      EXPECT_EQ(redis::key_slot(scratch), redis::key_slot(t.redis_key())) << scratch;
      EXPECT_NE(scratch, t.redis_key());
    }
  }
  EXPECT_EQ(refresh_scratch_key(polled(Structure::kSet, Refresh::kReplace)),
            "{shop:oos}courier:staging:out_of_stock");
  EXPECT_EQ(refresh_scratch_key(polled(Structure::kSet)), "{shop:oos}courier:seen:out_of_stock");
}

TEST(StagingTask, WritesTheTasksCommandsToTheStagingKeyWithTheScratchExpiry) {
  TaskConfig t = polled(Structure::kList, Refresh::kReplace);
  t.max_length = 2;
  t.ttl = std::chrono::minutes(5);
  WriteBatch page{{SyncRow{{{"sku", {"a", false}}}}, SyncRow{{{"sku", {"b", false}}}}}, ""};
  const std::string staging = refresh_scratch_key(t);
  EXPECT_THAT(build_commands(staging_task(t), page).commands,
              ElementsAre(Command{"LPUSH", staging, "a"}, Command{"LPUSH", staging, "b"},
                          Command{"LTRIM", staging, "0", "1"},
                          Command{"PEXPIRE", staging, "86400000"}));
}

}  // namespace
}  // namespace courier::pg_to_redis
