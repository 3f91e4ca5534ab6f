// The flat word index of sim/word_index.hpp against std::unordered_map: insert, find, erase and
// reuse of slots in random order, across growth and with keys that collide in the table.

#include "sim/word_index.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "sim/global_buffer.hpp"

namespace metronome::sim {
namespace {

TEST(WordIndex, InsertFindErase) {
  WordIndex index;
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.find(pack_key({Tensor::Input, 3})), WordIndex::kNone);
  const WordIndex::Inserted a = index.insert(pack_key({Tensor::Input, 3}), 7);
  EXPECT_TRUE(a.inserted);
  EXPECT_EQ(a.slot, 7u);
  // Present: the old slot is kept and reported.
  const WordIndex::Inserted again = index.insert(pack_key({Tensor::Input, 3}), 9);
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(again.slot, 7u);
  EXPECT_EQ(index.insert(pack_key({Tensor::Weight, 3}), 1).slot, 1u);  // other tensor, same index
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.find(pack_key({Tensor::Input, 3})), 7u);
  EXPECT_EQ(index.find(pack_key({Tensor::Weight, 3})), 1u);
  EXPECT_EQ(index.find(pack_key({Tensor::Output, 3})), WordIndex::kNone);
  EXPECT_EQ(index.erase(pack_key({Tensor::Input, 3})), 7u);
  EXPECT_EQ(index.erase(pack_key({Tensor::Input, 3})), WordIndex::kNone);
  EXPECT_EQ(index.find(pack_key({Tensor::Input, 3})), WordIndex::kNone);
  EXPECT_EQ(index.find(pack_key({Tensor::Weight, 3})), 1u);
  EXPECT_EQ(index.size(), 1u);
  index.clear();
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.find(pack_key({Tensor::Weight, 3})), WordIndex::kNone);
}

// Keys past 30 index bits switch the table to wide cells; every key stays found.
TEST(WordIndex, WidensForLargeIndices) {
  WordIndex index;
  for (std::int64_t i = 0; i < 100; ++i)
    index.insert(pack_key({Tensor::Weight, i}), static_cast<std::uint32_t>(i));
  const std::int64_t big = std::int64_t{1} << 40;
  EXPECT_EQ(index.find(pack_key({Tensor::Input, big})), WordIndex::kNone);
  EXPECT_EQ(index.erase(pack_key({Tensor::Input, big})), WordIndex::kNone);
  EXPECT_TRUE(index.insert(pack_key({Tensor::Input, big}), 1000).inserted);
  // Same low 30 bits as weight[5] and input[5]: distinct keys all the same.
  const std::int64_t alias = (std::int64_t{1} << 30) + 5;
  EXPECT_TRUE(index.insert(pack_key({Tensor::Weight, alias}), 1001).inserted);
  EXPECT_EQ(index.size(), 102u);
  for (std::int64_t i = 0; i < 100; ++i)
    EXPECT_EQ(index.find(pack_key({Tensor::Weight, i})), static_cast<std::uint32_t>(i));
  EXPECT_EQ(index.find(pack_key({Tensor::Input, big})), 1000u);
  EXPECT_EQ(index.find(pack_key({Tensor::Weight, alias})), 1001u);
  EXPECT_EQ(index.find(pack_key({Tensor::Input, 5})), WordIndex::kNone);
  EXPECT_EQ(index.erase(pack_key({Tensor::Weight, 5})), 5u);
  EXPECT_EQ(index.find(pack_key({Tensor::Weight, alias})), 1001u);
  EXPECT_EQ(index.size(), 101u);
}

// Random operations with a free list of slots (as the PE's L1 pool uses it), checked against a
// reference map after every operation batch; keys from a small range so that probe runs are
// long and erasures shift cells back across the table's end.
TEST(WordIndex, MatchesUnorderedMapUnderChurn) {
  // The last range starts narrow and widens part way (index offset past 30 bits).
  for (const std::int64_t range : {20, 300, 5000, 400}) {
    const std::int64_t offset = range == 400 ? (std::int64_t{1} << 30) - 200 : 0;
    WordIndex index;
    std::unordered_map<std::uint64_t, std::uint32_t> ref;
    std::vector<std::uint32_t> free_slots;
    std::uint32_t next_slot = 0;
    std::mt19937_64 rng(static_cast<std::uint64_t>(range));
    for (int op = 0; op < 20000; ++op) {
      const auto t = static_cast<Tensor>(rng() % 3);
      const std::uint64_t key = pack_key(
          {t, offset + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(range))});
      if (rng() % 3 != 0) {
        std::uint32_t slot = next_slot;
        if (!free_slots.empty()) slot = free_slots.back();
        const WordIndex::Inserted r = index.insert(key, slot);
        const auto [it, inserted] = ref.try_emplace(key, slot);
        ASSERT_EQ(r.inserted, inserted);
        ASSERT_EQ(r.slot, it->second);
        if (inserted) {
          if (!free_slots.empty())
            free_slots.pop_back();
          else
            ++next_slot;
        }
      } else {
        const std::uint32_t slot = index.erase(key);
        const auto it = ref.find(key);
        if (it == ref.end()) {
          ASSERT_EQ(slot, WordIndex::kNone);
        } else {
          ASSERT_EQ(slot, it->second);
          free_slots.push_back(slot);
          ref.erase(it);
        }
      }
      ASSERT_EQ(index.size(), ref.size());
      if (op % 97 == 0)
        for (std::int64_t i = 0; i < range; ++i)
          for (Tensor u : kAllTensors) {
            const std::uint64_t k = pack_key({u, offset + i});
            const auto it = ref.find(k);
            ASSERT_EQ(index.find(k), it == ref.end() ? WordIndex::kNone : it->second);
          }
    }
    // Slots were reused: never more live slots handed out than the most keys held at once.
    EXPECT_LE(next_slot, static_cast<std::uint32_t>(3 * range));
  }
}

}  // namespace
}  // namespace metronome::sim
