#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "courier/dead_letter.h"

namespace courier {
namespace {

DeadLetter letter_with_payload(std::string payload) {
  DeadLetter letter;
  letter.payload = std::move(payload);
  letter.error = "bad payload";
  letter.error_code = "invalid_argument";
  return letter;
}

std::vector<DeadLetter> letters_with_payloads(std::initializer_list<const char*> payloads) {
  std::vector<DeadLetter> letters;
  for (const char* payload : payloads) letters.push_back(letter_with_payload(payload));
  return letters;
}

std::vector<std::string> payloads_of(const std::vector<DeadLetter>& letters) {
  std::vector<std::string> payloads;
  for (const DeadLetter& letter : letters) payloads.push_back(letter.payload);
  return payloads;
}

std::vector<std::string> stored_payloads(DeadLetterStore& store) {
  Result<std::vector<DeadLetter>> letters = store.receive(1'000'000);
  EXPECT_TRUE(letters.ok()) << letters.status().to_string();
  return letters.ok() ? payloads_of(*letters) : std::vector<std::string>{};
}

TEST(InMemoryDeadLetterStore, SendAssignsIncreasingIdsInTheLettersOrder) {
  InMemoryDeadLetterStore store;
  Result<std::vector<std::string>> first = store.send(letters_with_payloads({"a", "b"}));
  Result<std::vector<std::string>> second = store.send(letters_with_payloads({"c"}));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(*second, (std::vector<std::string>{"3"}));
}

TEST(InMemoryDeadLetterStore, ReceiveReturnsTheOldestFirstWithTheirIdsAndKeepsThem) {
  InMemoryDeadLetterStore store;
  ASSERT_TRUE(store.send(letters_with_payloads({"a", "b", "c"})).ok());
  Result<std::vector<DeadLetter>> oldest = store.receive(2);
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(payloads_of(*oldest), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*oldest)[0].id, "1");
  EXPECT_EQ((*oldest)[0].error, "bad payload");
  EXPECT_EQ(store.count().value_or(0), 3u);
  EXPECT_EQ(stored_payloads(store), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(InMemoryDeadLetterStore, ReceiveOfZeroOrFromAnEmptyStoreIsEmpty) {
  InMemoryDeadLetterStore store;
  EXPECT_TRUE(stored_payloads(store).empty());
  ASSERT_TRUE(store.send(letters_with_payloads({"a"})).ok());
  Result<std::vector<DeadLetter>> none = store.receive(0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(InMemoryDeadLetterStore, RemoveDeletesOnlyTheGivenIdsAndIgnoresUnknownOnes) {
  InMemoryDeadLetterStore store;
  ASSERT_TRUE(store.send(letters_with_payloads({"a", "b", "c", "d"})).ok());
  const std::vector<std::string> ids = {"2", "4", "99", "not-an-id"};
  ASSERT_TRUE(store.remove(ids).ok());
  EXPECT_EQ(stored_payloads(store), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(store.count().value_or(0), 2u);
  ASSERT_TRUE(store.remove(ids).ok()) << "removing again is harmless";
}

TEST(InMemoryDeadLetterStore, WhenFullEachNewLetterDropsTheOldestAndCountsIt) {
  InMemoryDeadLetterStore store(3);
  ASSERT_TRUE(store.send(letters_with_payloads({"a", "b", "c"})).ok());
  EXPECT_EQ(store.dropped_count(), 0u);
  ASSERT_TRUE(store.send(letters_with_payloads({"d", "e"})).ok());
  EXPECT_EQ(stored_payloads(store), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(store.count().value_or(0), 3u);
  EXPECT_EQ(store.dropped_count(), 2u);
}

TEST(InMemoryDeadLetterStore, EveryDropIsReportedToTheDropHook) {
  std::vector<uint64_t> reported;
  InMemoryDeadLetterStore store(2, [&](uint64_t dropped_so_far, size_t capacity) {
    EXPECT_EQ(capacity, 2u);
    reported.push_back(dropped_so_far);
  });
  ASSERT_TRUE(store.send(letters_with_payloads({"a", "b", "c", "d"})).ok());
  EXPECT_EQ(reported, (std::vector<uint64_t>{1, 2}));
}

TEST(InMemoryDeadLetterStore, ABatchLargerThanTheCapacityKeepsItsNewestLetters) {
  InMemoryDeadLetterStore store(2);
  Result<std::vector<std::string>> ids = store.send(letters_with_payloads({"a", "b", "c", "d"}));
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 4u) << "every letter was given an id, even those dropped at once";
  EXPECT_EQ(stored_payloads(store), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(store.dropped_count(), 2u);
}

TEST(InMemoryDeadLetterStore, RemovingLettersMakesRoomWithoutDropping) {
  InMemoryDeadLetterStore store(2);
  Result<std::vector<std::string>> ids = store.send(letters_with_payloads({"a", "b"}));
  ASSERT_TRUE(ids.ok());
  ASSERT_TRUE(store.remove(*ids).ok());
  ASSERT_TRUE(store.send(letters_with_payloads({"c", "d"})).ok());
  EXPECT_EQ(store.dropped_count(), 0u);
  EXPECT_EQ(stored_payloads(store), (std::vector<std::string>{"c", "d"}));
}

TEST(InMemoryDeadLetterStore, DefaultCapacityIsTenThousand) {
  InMemoryDeadLetterStore store;
  EXPECT_EQ(store.capacity(), 10'000u);
  std::vector<DeadLetter> letters(10'001, letter_with_payload("x"));
  ASSERT_TRUE(store.send(letters).ok());
  EXPECT_EQ(store.count().value_or(0), 10'000u);
  EXPECT_EQ(store.dropped_count(), 1u);
}

TEST(InMemoryDeadLetterStore, ZeroCapacityIsRefused) {
  EXPECT_THROW(InMemoryDeadLetterStore(0), std::invalid_argument);
}

TEST(InMemoryDeadLetterStore, ConcurrentSendersLoseNoLetterAndGetDistinctIds) {
  InMemoryDeadLetterStore store;
  constexpr int kThreads = 4, kLettersEach = 500;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kLettersEach; ++i) {
        DeadLetter letter = letter_with_payload(std::to_string(t));
        Result<std::vector<std::string>> sent = store.send(std::span(&letter, 1));
        if (sent.ok()) ids[t].push_back(sent->front());
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
  std::set<std::string> distinct;
  for (const auto& thread_ids : ids) distinct.insert(thread_ids.begin(), thread_ids.end());
  EXPECT_EQ(distinct.size(), size_t{kThreads * kLettersEach});
  EXPECT_EQ(store.count().value_or(0), size_t{kThreads * kLettersEach});
  EXPECT_EQ(store.dropped_count(), 0u);
}

}  // namespace
}  // namespace courier
