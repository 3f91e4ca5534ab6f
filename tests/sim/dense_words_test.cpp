// The dense word stores of sim/dense_words.hpp against std::map: random inserts, finds and
// erases over three tensors, across growth; iteration in key order.

#include "sim/dense_words.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace metronome::sim {
namespace {

std::uint64_t key(Tensor t, std::int64_t i) {
  return pack_key({t, i});
}

TEST(DenseWords, InsertFindEraseLikeAMap) {
  DenseWords<std::int64_t> words;
  std::map<std::uint64_t, std::int64_t> ref;
  std::mt19937_64 rng(7);
  for (int n = 0; n < 20000; ++n) {
    const Tensor t = kAllTensors[rng() % 3];
    const std::uint64_t k = key(t, static_cast<std::int64_t>(rng() % 5000));
    switch (rng() % 3) {
      case 0: {
        const auto [value, inserted] = words.try_emplace(k);
        EXPECT_EQ(inserted, !ref.contains(k));
        if (inserted) {
          EXPECT_EQ(*value, 0);  // a reused word starts value-initialized
        }
        *value = static_cast<std::int64_t>(n);
        ref[k] = n;
        break;
      }
      case 1:
        EXPECT_EQ(words.erase(k), ref.erase(k) == 1);
        break;
      default: {
        const std::int64_t* value = words.find(k);
        ASSERT_EQ(value != nullptr, ref.contains(k));
        if (value != nullptr) {
          EXPECT_EQ(*value, ref[k]);
        }
      }
    }
    ASSERT_EQ(words.size(), ref.size());
  }
  std::vector<std::pair<std::uint64_t, std::int64_t>> seen;
  words.for_each([&](std::uint64_t k, std::int64_t v) { seen.emplace_back(k, v); });
  EXPECT_EQ(seen, (std::vector<std::pair<std::uint64_t, std::int64_t>>(ref.begin(), ref.end())));
}

TEST(DenseWordSet, InsertContainsEraseLikeASet) {
  DenseWordSet set;
  std::set<std::uint64_t> ref;
  std::mt19937_64 rng(11);
  for (int n = 0; n < 20000; ++n) {
    const std::uint64_t k = key(kAllTensors[rng() % 3], static_cast<std::int64_t>(rng() % 3000));
    if (rng() % 2) {
      EXPECT_EQ(set.insert(k), ref.insert(k).second);
    } else {
      EXPECT_EQ(set.erase(k), ref.erase(k) == 1);
    }
    EXPECT_EQ(set.contains(k), ref.contains(k));
    ASSERT_EQ(set.size(), ref.size());
  }
  std::vector<std::uint64_t> seen;
  set.for_each([&](std::uint64_t k) { seen.push_back(k); });
  EXPECT_EQ(seen, std::vector<std::uint64_t>(ref.begin(), ref.end()));
}

TEST(DenseWords, FarIndexGrowsOnlyItsTensor) {
  DenseWords<std::int64_t> words;
  *words.try_emplace(key(Tensor::Output, 1'000'000)).first = 5;
  EXPECT_EQ(words.find(key(Tensor::Input, 1'000'000)), nullptr);
  EXPECT_EQ(*words.find(key(Tensor::Output, 1'000'000)), 5);
  EXPECT_EQ(words.find(key(Tensor::Output, 999'999)), nullptr);
  EXPECT_EQ(words.size(), 1u);
}

}  // namespace
}  // namespace metronome::sim
