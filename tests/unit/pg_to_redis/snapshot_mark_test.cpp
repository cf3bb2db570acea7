// SnapshotMark: how a wal task's snapshot state is stored between runs — done at an LSN, a
// list or stream copy under way, or a resumable copy with its first point and cursor.
#include <gtest/gtest.h>

#include "pg_to_redis/table_snapshot.h"

namespace courier::pg_to_redis {
namespace {

TEST(SnapshotMark, EachStateReadsBackAsWritten) {
  const SnapshotMark done{.state = SnapshotMark::State::kDone, .lsn = 0x16B3F28};
  const SnapshotMark copying{.state = SnapshotMark::State::kCopying, .append_mark = "1700-3"};
  const SnapshotMark resumable{.state = SnapshotMark::State::kResumable,
                               .lsn = (uint64_t{2} << 32) | 0x40,
                               .after = TrackingCursor{{"tenant:7", "42"}}};
  EXPECT_EQ(done.to_string(), "0/16B3F28");
  EXPECT_EQ(copying.to_string(), "copying:1700-3");
  EXPECT_EQ(resumable.to_string(), R"(resume:2/40:["tenant:7","42"])");
  for (const SnapshotMark& mark : {done, copying, resumable}) {
    std::optional<SnapshotMark> read = SnapshotMark::parse(mark.to_string());
    ASSERT_TRUE(read) << mark.to_string();
    EXPECT_EQ(read->state, mark.state);
    EXPECT_EQ(read->lsn, mark.lsn);
    EXPECT_EQ(read->append_mark, mark.append_mark);
    EXPECT_EQ(read->after, mark.after);
  }
}

TEST(SnapshotMark, TextOfNoKnownFormIsNotAMark) {
  for (const char* text : {"", "soon", "resume:0/10", "resume:nope:[\"1\"]", "resume:0/10:[1]"})
    EXPECT_FALSE(SnapshotMark::parse(text)) << text;
}

TEST(SnapshotMark, OnlyAppendingStructuresStartAgain) {
  EXPECT_FALSE(resumable_snapshot(Structure::kList));
  EXPECT_FALSE(resumable_snapshot(Structure::kStream));
  for (Structure s : {Structure::kMap, Structure::kSet, Structure::kSortedSet, Structure::kHash,
                      Structure::kString})
    EXPECT_TRUE(resumable_snapshot(s));
}

}  // namespace
}  // namespace courier::pg_to_redis
