// Group table bookkeeping: a released group added again soon keeps its id (retained), released
// groups give their ids back once kRetained younger ones were released, single-PE groups stay,
// and a group registered again after release gets a working tree.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "sim/noc.hpp"
#include "tests/sim/noc_testbench.hpp"

namespace metronome::sim {
namespace {

TEST(NocGroups, ReleasedGroupsAreRetainedThenForgottenAndTheirIdsReused) {
  constexpr auto kRetained = static_cast<std::int64_t>(GroupTable::kRetained);
  Network net(NocTopology::build(Topology::Tree, 2 * kRetained + 100),
              testbench::net_spec(Topology::Tree, 4, 1), Direction::Distribution);
  const GroupId a = net.group({0, 1, 2});
  const GroupId b = net.group({3, 4});
  EXPECT_NE(a, b);
  EXPECT_EQ(net.group({2, 1, 0}), a);  // the same set, the same id
  net.release_group(a);
  EXPECT_EQ(net.group({0, 1, 2}), a);  // retained: the same id, not rebuilt
  net.release_group(a);
  // kRetained groups released after `a` push it out of the retained ones; its id is then free.
  std::vector<GroupId> others;
  for (std::int64_t i = 0; i < kRetained; ++i) others.push_back(net.group({10 + i, 100 + i}));
  for (const GroupId g : others) EXPECT_NE(g, a);
  for (const GroupId g : others) net.release_group(g);
  const GroupId c = net.group({5, 6, 7});
  EXPECT_EQ(c, a);  // the freed id is handed out again
  EXPECT_EQ(net.group_pes(c).size(), 3u);
  EXPECT_EQ(net.group_pes(c).front(), 5);
  const GroupId again = net.group({0, 1, 2});
  EXPECT_NE(again, c);
  EXPECT_NE(again, b);
  EXPECT_EQ(net.group_pes(again).front(), 0);
  // The groups released after `a` are still retained: the same ids.
  EXPECT_EQ(net.group({10, 100}), others.front());
  EXPECT_EQ(net.group({10 + kRetained - 1, 100 + kRetained - 1}), others.back());

  const GroupId single = net.group({4});
  net.release_group(single);  // single-PE groups stay
  EXPECT_EQ(net.group({4}), single);
  EXPECT_EQ(net.group_pes(single).size(), 1u);
}

TEST(NocGroups, AGroupRegisteredAgainAfterReleaseStillDelivers) {
  Network net(NocTopology::build(Topology::Mesh, 16), testbench::net_spec(Topology::Mesh, 2, 1),
              Direction::Distribution);
  net.release_group(net.group({1, 9, 14}));
  const GroupId g = net.group({2, 9, 15});
  std::vector<int> got(16, 0);
  bool sent = false;
  testbench::run(
      net,
      [&](std::int64_t) {
        if (!sent && net.injection_space(kL2Endpoint) > 0) {
          net.inject(kL2Endpoint, g, 42, 7);
          sent = true;
        }
        return !sent;
      },
      [&](std::int64_t) {
        for (std::int64_t p = 0; p < 16; ++p)
          while (const Delivery* d = net.peek(p)) {
            EXPECT_EQ(d->value, 42);
            ++got[static_cast<std::size_t>(p)];
            net.pop(p);
          }
      },
      1000);
  for (std::int64_t p = 0; p < 16; ++p)
    EXPECT_EQ(got[static_cast<std::size_t>(p)], p == 2 || p == 9 || p == 15 ? 1 : 0) << p;
}

// L2 along a mesh's west edge has a link per row and a queue per link: words for different rows
// leave side by side (4 rows x 1 word/cycle), not one per cycle behind each other.
TEST(NocL2Queues, RowsAreFedInParallel) {
  Network net(NocTopology::build(Topology::Mesh, 16), testbench::net_spec(Topology::Mesh, 1, 1),
              Direction::Distribution);
  std::vector<GroupId> first_of_row;
  for (std::int64_t row = 0; row < 4; ++row) first_of_row.push_back(net.group({row * 4}));
  std::vector<int> sent(4, 0);
  int received = 0;
  const std::int64_t cycles = testbench::run(
      net,
      [&](std::int64_t) {
        // 16 words per row; each row's words enter as soon as its link's queue has room (with
        // one shared FIFO, row 0's words would fill it and the rows would go one at a time).
        bool more = false;
        for (std::size_t row = 0; row < 4; ++row) {
          while (sent[row] < 16 && net.injection_space(kL2Endpoint, first_of_row[row]) > 0) {
            net.inject(kL2Endpoint, first_of_row[row], sent[row], 0);
            ++sent[row];
          }
          more = more || sent[row] < 16;
        }
        return more;
      },
      [&](std::int64_t) {
        for (std::int64_t row = 0; row < 4; ++row)
          while (net.peek(row * 4) != nullptr) {
            ++received;
            net.pop(row * 4);
          }
      },
      1000);
  EXPECT_EQ(received, 64);
  EXPECT_LE(cycles, 16 + 8) << "16 words per row at 1 word/cycle, plus the pipeline";
  EXPECT_EQ(net.stats().words_injected, 64);
}

}  // namespace
}  // namespace metronome::sim
