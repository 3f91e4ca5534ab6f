// The class tables behind the grouped walks (spec/semantics_walk.hpp): KeyedClasses must group
// equal keys whether it scans or uses its map, and index_classes_into must give the same
// partition as keying every index, for keys that only change near the ends.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "spec/semantics_walk.hpp"
#include "tests/unit/test_layers.hpp"

namespace metronome {
namespace {

// (key -> total count) of a list of classes, each class's key taken from key_at(its index).
template <typename KeyAt>
std::map<StateKey, std::int64_t> totals(const std::vector<IndexClass>& classes,
                                        const KeyAt& key_at) {
  std::map<StateKey, std::int64_t> out;
  StateKey key;
  for (const IndexClass& c : classes) {
    key_at(c.index, key);
    EXPECT_EQ(out.count(key), 0u) << "two classes share a key";
    out[key] += c.count;
  }
  return out;
}

template <typename KeyAt>
std::map<StateKey, std::int64_t> brute_force(std::int64_t n, const KeyAt& key_at) {
  std::map<StateKey, std::int64_t> out;
  StateKey key;
  for (std::int64_t i = 0; i < n; ++i) {
    key_at(i, key);
    ++out[key];
  }
  return out;
}

TEST(KeyedClasses, GroupsEqualKeysBelowAndAboveTheScanLimit) {
  KeyedClasses classes;
  for (int round = 0; round < 2; ++round) {  // reused after clear()
    classes.clear();
    std::map<StateKey, std::int64_t> expected;
    for (std::int64_t i = 0; i < 500; ++i) {
      const StateKey key{i % 97, (i % 97) * 3 - 5};
      const std::size_t at = classes.add(key, i, i % 4 + 1);
      expected[key] += i % 4 + 1;
      ASSERT_LT(at, classes.classes().size());
      EXPECT_EQ(classes.classes()[at].index, i % 97) << "first index of the class";
    }
    ASSERT_EQ(classes.classes().size(), 97u);
    for (const IndexClass& c : classes.classes())
      EXPECT_EQ(c.count, (expected[StateKey{c.index, c.index * 3 - 5}]));
  }
}

TEST(IndexClasses, MatchKeyingEveryIndex) {
  KeyedClasses scratch;
  for (std::int64_t n : {0, 1, 5, 17, 18, 19, 40, 41, 1000, 100001}) {
    for (std::int64_t period : {0, 1, 2, 3, 4}) {
      // Edge effects reach up to 5 indices from either end; otherwise the key repeats with the
      // period (a shape that index_classes is meant for).
      auto key_at = [&](std::int64_t i, StateKey& key) {
        key.clear();
        if (i < 5)
          key.push_back(1000 + i);
        else if (i >= n - 5)
          key.push_back(2000 + (n - i));
        else
          key.push_back(period == 0 ? i : i % period);
      };
      const std::vector<IndexClass> one = index_classes(n, period, key_at);
      const std::vector<IndexClass>& into = index_classes_into(scratch, n, period, key_at);
      const auto expected = brute_force(n, key_at);
      EXPECT_EQ(totals(one, key_at), expected) << "n " << n << " period " << period;
      EXPECT_EQ(totals(into, key_at), expected) << "n " << n << " period " << period;
    }
  }
}

TEST(IndexClasses, MiddleThatChangesIsKeyedOneByOne) {
  // The first and last index of a residue class disagree: every index of it is keyed.
  const std::int64_t n = 200;
  auto key_at = [](std::int64_t i, StateKey& key) {
    key.clear();
    key.push_back(i < 100 ? 0 : 1);
  };
  KeyedClasses scratch;
  EXPECT_EQ(totals(index_classes_into(scratch, n, 1, key_at), key_at), brute_force(n, key_at));
}

TEST(IndexClasses, BreaksInTheMiddleGiveTheSamePartition) {
  // Keys change near both ends and around each break (idle units past a map's chunk count);
  // breaks out of range, repeated or unsorted are allowed. The partition must be the brute
  // force's whatever the breaks, and with the right breaks each stretch needs few keys.
  KeyedClasses scratch;
  for (std::int64_t n : {2, 7, 40, 255, 1000}) {
    for (std::int64_t period : {0, 1, 3}) {
      for (std::int64_t at : {n / 3, n / 2, n - 2}) {
        int keyed = 0;
        auto key_at = [&](std::int64_t i, StateKey& key) {
          ++keyed;
          key.clear();
          if (i < 3 || (i >= at && i < at + 2))
            key.push_back(1000 + i);
          else if (i >= n - 3 || (i < at && i >= at - 2))
            key.push_back(2000 + i);
          else
            key.push_back((i < at ? 0 : 10) + (period == 0 ? i : i % period));
        };
        const std::vector<std::int64_t> breaks{n + 5, at, -1, at, 0};
        const auto expected = brute_force(n, key_at);
        keyed = 0;
        const std::vector<IndexClass> classes =
            index_classes_into(scratch, n, period, key_at, breaks);
        const int keys_used = keyed;
        EXPECT_EQ(totals(classes, key_at), expected)
            << "n " << n << " period " << period << " break " << at;
        if (period > 0 && n >= 255) {
          EXPECT_LT(keys_used, 60) << "n " << n << " period " << period << " break " << at;
        }
      }
    }
  }
}

}  // namespace
}  // namespace metronome

namespace metronome {
namespace {

bool same_chunks(const UnitChunks& a, const UnitChunks& b) {
  for (Dim d : kAllDims)
    if (!(a.chunk[d] == b.chunk[d])) return false;
  return a.out_rows == b.out_rows && a.out_cols == b.out_cols && a.row_bound == b.row_bound &&
         a.col_bound == b.col_bound && a.rows_from_outputs == b.rows_from_outputs &&
         a.cols_from_outputs == b.cols_from_outputs;
}

// first_level_iteration must write exactly the units walk_level visits first, level by level
// (each level entered with unit 0 of the level above), for any mapping, valid or not.
TEST(FirstLevelIteration, EqualsTheWalksFirstVisit) {
  std::mt19937_64 rng(20261127);
  int compared = 0;
  for (int i = 0; i < 400; ++i) {
    const auto [layer, m] = testing_layers::random_small_case(rng, i, 9);
    const LayerGeometry g(layer);
    const std::vector<LevelPlan> plans = plan_levels(m);
    UnitChunks entry = g.whole_layer();
    for (std::size_t l = 0; l < plans.size(); ++l) {
      std::vector<UnitChunks> walked, direct;
      walk_level(g, plans[l], entry, kAllDimsMask, [&](const std::vector<UnitChunks>& units) {
        walked = units;
        return false;
      });
      first_level_iteration(g, plans[l], entry, direct);
      ASSERT_EQ(walked.size(), direct.size()) << "case " << i << " level " << l;
      for (std::size_t u = 0; u < walked.size(); ++u)
        ASSERT_TRUE(same_chunks(walked[u], direct[u]))
            << "case " << i << " level " << l << " unit " << u;
      ++compared;
      entry = walked.front();
    }
  }
  EXPECT_GT(compared, 600);
}

}  // namespace
}  // namespace metronome
