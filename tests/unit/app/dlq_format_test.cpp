// How `courier dlq list` shows dead letters: escaped and cut for a terminal, or as JSON
// with binary payloads in base64.
#include "app/dlq_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace courier::app {
namespace {

DeadLetter sample_letter() {
  DeadLetter letter;
  letter.id = "1714000060123-0";
  letter.payload = R"({"id":7})";
  letter.error = "total\nis negative";
  letter.error_code = "invalid_argument";
  letter.error_detail = "23514";
  letter.attempts = 3;
  letter.first_failure = WallTime(std::chrono::milliseconds(1'714'000'000'000));
  letter.last_failure = WallTime(std::chrono::milliseconds(1'714'000'060'123));
  letter.metadata = {{"table", "orders"}, {"id", "7"}};
  return letter;
}

TEST(PrintableBytes, KeepsPrintableAsciiAndEscapesEverythingElse) {
  EXPECT_EQ(printable_bytes("plain text {}", 100), "plain text {}");
  EXPECT_EQ(printable_bytes(std::string("a\\b\n\r\t\0\x1b[31m\x7f", 13), 100),
            R"(a\\b\n\r\t\x00\x1b[31m\x7f)");
  EXPECT_EQ(printable_bytes("\xc3\xa9", 100), R"(\xc3\xa9)");
}

TEST(PrintableBytes, CutsAtTheLimitAndSaysHowMuchIsLeft) {
  EXPECT_EQ(printable_bytes("abcdef", 4), "abcd… (2 more bytes)");
  EXPECT_EQ(printable_bytes("abcd", 4), "abcd");
  EXPECT_EQ(printable_bytes("", 4), "");
}

TEST(DeadLetterAsText, ShowsIdTimeAttemptsErrorMetadataAndPayload) {
  EXPECT_EQ(dead_letter_as_text(sample_letter()),
            "1714000060123-0  last failure 2024-04-24T23:07:40.123Z  attempts 3  "
            "invalid_argument (23514)\n"
            "  error: total\\nis negative\n"
            "  metadata: id=7, table=orders\n"
            "  payload (8 bytes): {\"id\":7}\n");
}

TEST(DeadLetterAsText, LeavesOutEmptyMetadataAndCutsLongPayloads) {
  DeadLetter letter = sample_letter();
  letter.metadata.clear();
  letter.error_detail.clear();
  letter.payload = std::string(kPayloadPreviewBytes + 5, 'x');
  const std::string text = dead_letter_as_text(letter);
  EXPECT_EQ(text.find("metadata"), std::string::npos) << text;
  EXPECT_NE(text.find("attempts 3  invalid_argument\n"), std::string::npos) << text;
  EXPECT_NE(text.find("payload (205 bytes): " + std::string(kPayloadPreviewBytes, 'x') +
                      "… (5 more bytes)\n"),
            std::string::npos)
      << text;
}

TEST(DeadLetterAsJson, IsOneLineWithEveryField) {
  const std::string line = dead_letter_as_json(sample_letter());
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  const auto object = nlohmann::json::parse(line);
  EXPECT_EQ(object["id"], "1714000060123-0");
  EXPECT_EQ(object["payload"], R"({"id":7})");
  EXPECT_EQ(object["error"], "total\nis negative");
  EXPECT_EQ(object["error_code"], "invalid_argument");
  EXPECT_EQ(object["error_detail"], "23514");
  EXPECT_EQ(object["attempts"], 3);
  EXPECT_EQ(object["first_failure"], "2024-04-24T23:06:40.000Z");
  EXPECT_EQ(object["last_failure"], "2024-04-24T23:07:40.123Z");
  EXPECT_EQ(object["metadata"], (nlohmann::json{{"id", "7"}, {"table", "orders"}}));
  EXPECT_FALSE(object.contains("payload_base64"));
}

TEST(DeadLetterAsJson, GivesABinaryPayloadInBase64) {
  DeadLetter letter = sample_letter();
  letter.payload = std::string("\x00\xff", 2);
  const auto object = nlohmann::json::parse(dead_letter_as_json(letter));
  EXPECT_EQ(object["payload_base64"], "AP8=");
  EXPECT_FALSE(object.contains("payload"));
}

TEST(DeadLetterAsJson, ReplacesInvalidUtf8InTextsInsteadOfFailing) {
  DeadLetter letter = sample_letter();
  letter.error = "bad \xff byte";
  const auto object = nlohmann::json::parse(dead_letter_as_json(letter));
  EXPECT_EQ(object["error"], "bad \xef\xbf\xbd byte");
}

}  // namespace
}  // namespace courier::app
