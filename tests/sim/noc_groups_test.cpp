// Group table bookkeeping: released groups give their ids back, single-PE groups stay, and a
// group registered again after release gets a working tree.

#include <gtest/gtest.h>

#include <vector>

#include "sim/noc.hpp"
#include "tests/sim/noc_testbench.hpp"

namespace metronome::sim {
namespace {

TEST(NocGroups, ReleasedGroupsAreForgottenAndTheirIdsReused) {
  Network net(NocTopology::build(Topology::Tree, 8),
              testbench::net_spec(Topology::Tree, 4, 1), Direction::Distribution);
  const GroupId a = net.group({0, 1, 2});
  const GroupId b = net.group({3, 4});
  EXPECT_NE(a, b);
  EXPECT_EQ(net.group({2, 1, 0}), a);  // the same set, the same id
  net.release_group(a);
  const GroupId c = net.group({5, 6, 7});
  EXPECT_EQ(c, a);  // the freed id is handed out again
  EXPECT_EQ(net.group_pes(c).size(), 3u);
  EXPECT_EQ(net.group_pes(c).front(), 5);
  const GroupId again = net.group({0, 1, 2});
  EXPECT_NE(again, c);
  EXPECT_NE(again, b);

  const GroupId single = net.group({4});
  net.release_group(single);  // single-PE groups stay
  EXPECT_EQ(net.group({4}), single);
  EXPECT_EQ(net.group_pes(single).size(), 1u);
}

TEST(NocGroups, AGroupRegisteredAgainAfterReleaseStillDelivers) {
  Network net(NocTopology::build(Topology::Mesh, 16),
              testbench::net_spec(Topology::Mesh, 2, 1), Direction::Distribution);
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

}  // namespace
}  // namespace metronome::sim
