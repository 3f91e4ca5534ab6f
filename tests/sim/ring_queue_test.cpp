// RingQueue (sim/ring_queue.hpp) against std::deque: the same FIFO through growth and
// wrap-around, with single and bulk pops, copyable and move-only-ish (vector) elements.

#include "sim/ring_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace metronome::sim {
namespace {

TEST(RingQueue, BehavesAsADequeUsedAsAFifo) {
  std::mt19937_64 rng(7);
  RingQueue<std::int64_t> ring;
  std::deque<std::int64_t> ref;
  std::int64_t next = 0;
  for (int op = 0; op < 20000; ++op) {
    const std::uint64_t r = rng() % 10;
    if (r < 5 || ref.empty()) {
      ring.push_back(next);
      ref.push_back(next++);
    } else if (r < 8) {
      ring.pop_front();
      ref.pop_front();
    } else {
      const std::size_t n = rng() % (ref.size() + 1);
      ring.pop_front(n);
      ref.erase(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(n));
    }
    ASSERT_EQ(ring.size(), ref.size());
    ASSERT_EQ(ring.empty(), ref.empty());
    if (!ref.empty()) {
      ASSERT_EQ(ring.front(), ref.front());
      const std::size_t i = rng() % ref.size();
      ASSERT_EQ(ring[i], ref[i]);
    }
  }
  ring.clear();
  EXPECT_TRUE(ring.empty());
  ring.push_back(5);
  EXPECT_EQ(ring.front(), 5);
}

TEST(RingQueue, MovesElementsInAndKeepsThemThroughGrowth) {
  RingQueue<std::vector<int>> ring;
  for (int i = 0; i < 3; ++i) {
    ring.push_back(std::vector<int>{i});
    ring.pop_front();  // the head wraps around the first buffer
  }
  for (int i = 0; i < 100; ++i) {
    std::vector<int> v(static_cast<std::size_t>(i) + 1, i);
    ring.push_back(std::move(v));
  }
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(ring.front().size(), static_cast<std::size_t>(i) + 1);
    ASSERT_EQ(ring.front().back(), i);
    std::vector<int> taken = std::move(ring.front());
    ring.pop_front();
    EXPECT_EQ(taken.front(), i);
  }
  EXPECT_TRUE(ring.empty());
}

}  // namespace
}  // namespace metronome::sim
