#include "core/dead_letter/letter_fields.h"

#include <gtest/gtest.h>

#include <chrono>

#include "core/dead_letter/redis_stream_store.h"

namespace courier {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

WallTime at(int y, int m, int d, hours h, minutes min, seconds s, milliseconds ms) {
  return WallTime(sys_days(year(y) / m / d) + h + min + s + ms);
}

TEST(LetterTimestamp, IsRfc3339InUtcWithMilliseconds) {
  EXPECT_EQ(format_timestamp(at(2024, 5, 6, 7h, 8min, 9s, 123ms)), "2024-05-06T07:08:09.123Z");
  EXPECT_EQ(format_timestamp(WallTime{}), "1970-01-01T00:00:00.000Z");
}

TEST(LetterTimestamp, IsRoundedDownToTheMillisecond) {
  const WallTime time = at(2024, 12, 31, 23h, 59min, 59s, 999ms) + 999us;
  EXPECT_EQ(format_timestamp(time), "2024-12-31T23:59:59.999Z");
}

TEST(LetterTimestamp, ParsesWhatItFormats) {
  const WallTime time = at(2031, 2, 28, 13h, 0min, 1s, 7ms);
  EXPECT_EQ(parse_timestamp(format_timestamp(time)), time);
}

TEST(LetterTimestamp, AcceptsAnyFractionLengthAndNoFraction) {
  const WallTime second = at(2024, 1, 2, 3h, 4min, 5s, 0ms);
  EXPECT_EQ(parse_timestamp("2024-01-02T03:04:05Z"), second);
  EXPECT_EQ(parse_timestamp("2024-01-02T03:04:05.5Z"), second + 500ms);
  EXPECT_EQ(parse_timestamp("2024-01-02T03:04:05.123456789Z"), second + 123ms);
}

TEST(LetterTimestamp, RejectsAnythingElse) {
  for (const char* text :
       {"", "2024-01-02", "2024-01-02 03:04:05Z", "2024-01-02T03:04:05",
        "2024-01-02T03:04:05+01:00", "2024-02-30T00:00:00Z", "2024-01-02T24:00:00Z",
        "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05.1234567890Z", "2024-1-02T03:04:05Z"}) {
    EXPECT_EQ(parse_timestamp(text), std::nullopt) << text;
  }
}

DeadLetter full_letter() {
  DeadLetter letter;
  letter.payload = std::string("\x00\xff{\"a\":1}", 9);
  letter.error = "duplicate key value violates unique constraint";
  letter.error_code = "failed_precondition";
  letter.error_detail = "23505";
  letter.attempts = 4;
  letter.first_failure = at(2024, 5, 6, 7h, 8min, 9s, 123ms);
  letter.last_failure = at(2024, 5, 7, 0h, 0min, 0s, 1ms);
  return letter;
}

TEST(LetterFields, RoundTripThroughAssign) {
  const DeadLetter letter = full_letter();
  DeadLetter copy;
  for (const auto& [name, text] : letter_fields(letter))
    EXPECT_TRUE(assign_letter_field(copy, name, text)) << name;
  EXPECT_EQ(copy, letter);
}

TEST(LetterFields, UnknownNamesAreNotAssigned) {
  DeadLetter letter;
  EXPECT_FALSE(assign_letter_field(letter, "colour", "red"));
  EXPECT_EQ(letter, DeadLetter{});
}

TEST(LetterFields, MalformedNumbersAndTimesKeepTheirDefaults) {
  DeadLetter letter;
  EXPECT_TRUE(assign_letter_field(letter, letter_field::kAttempts, "three"));
  EXPECT_TRUE(assign_letter_field(letter, letter_field::kFirstFailure, "yesterday"));
  EXPECT_EQ(letter.attempts, 1);
  EXPECT_EQ(letter.first_failure, WallTime{});
}

TEST(LetterIds, DecimalNumbersAreDigitsOnly) {
  EXPECT_TRUE(is_decimal_number("0"));
  EXPECT_TRUE(is_decimal_number("1700000000000"));
  for (const char* text : {"", "-1", "1,2", "1 ", "1e3", "１"})
    EXPECT_FALSE(is_decimal_number(text)) << text;
}

redis::Reply entry(std::string id, std::vector<std::string> fields) {
  std::vector<redis::Reply> values;
  for (std::string& field : fields) values.push_back(redis::Reply::from_string(std::move(field)));
  return redis::Reply::from_array(
      {redis::Reply::from_string(std::move(id)), redis::Reply::from_array(std::move(values))});
}

TEST(StreamEntry, MetaFieldsBecomeMetadataAndUnknownFieldsAreSkipped) {
  Result<DeadLetter> letter = dead_letter_from_stream_entry(
      entry("1700000000000-0", {"payload", "p", "attempts", "2", "meta.stream", "orders",
                                "meta.entry_id", "1-1", "added_by", "someone"}));
  ASSERT_TRUE(letter.ok()) << letter.status().to_string();
  EXPECT_EQ(letter->id, "1700000000000-0");
  EXPECT_EQ(letter->payload, "p");
  EXPECT_EQ(letter->attempts, 2);
  EXPECT_EQ(letter->metadata,
            (std::map<std::string, std::string>{{"stream", "orders"}, {"entry_id", "1-1"}}));
}

TEST(StreamEntry, AnEntryWrittenByHandStillYieldsALetter) {
  Result<DeadLetter> letter = dead_letter_from_stream_entry(entry("5-0", {"note", "hi"}));
  ASSERT_TRUE(letter.ok());
  EXPECT_EQ(letter->id, "5-0");
  EXPECT_TRUE(letter->payload.empty());
}

TEST(StreamEntry, AReplyOfAnotherShapeIsAnInternalError) {
  EXPECT_EQ(dead_letter_from_stream_entry(redis::Reply::from_string("x")).status().code(),
            StatusCode::kInternal);
  EXPECT_EQ(dead_letter_from_stream_entry(entry("1-0", {"odd"})).status().code(),
            StatusCode::kInternal);
}

}  // namespace
}  // namespace courier
