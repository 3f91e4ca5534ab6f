// The progress line's ETA (validation/eta.hpp): jobs weighted by their MACs at the speed measured
// on finished jobs of their kind.

#include "validation/eta.hpp"

#include <gtest/gtest.h>

namespace metronome::validation {
namespace {

TEST(EtaEstimate, UnknownUntilAJobWithMacsHasFinished) {
  EtaEstimate eta({{0, "a"}, {100, "a"}}, 1);
  EXPECT_FALSE(eta.remaining_seconds().has_value());
  eta.finished(0, 5.0);  // no MACs: no speed to learn
  EXPECT_FALSE(eta.remaining_seconds().has_value());
  eta.finished(1, 2.0);
  ASSERT_TRUE(eta.remaining_seconds().has_value());
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 0.0);
}

// Ten small jobs done in a second each say nothing about a job a million times larger: it is
// weighted by its MACs (the old "time per job x jobs left" said 1 s).
TEST(EtaEstimate, ALargeJobWeighsByItsMacs) {
  std::vector<EtaEstimate::Job> jobs(10, {1, "kcp_ws x edge-256"});
  jobs.push_back({1'000'000, "kcp_ws x edge-256"});
  EtaEstimate eta(jobs, 1);
  for (std::size_t i = 0; i < 10; ++i) eta.finished(i, 1.0);
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 1'000'000.0);
}

// Each kind at its own speed; a kind with no finished job at the speed of all finished jobs;
// the sum shared among the jobs that run at a time.
TEST(EtaEstimate, EachKindAtItsOwnSpeed) {
  EtaEstimate eta({{1000, "A"}, {5000, "A"}, {2000, "B"}, {1000, "B"}}, 2);
  eta.finished(0, 10.0);  // A: 0.01 s per MAC; so far all: 0.01
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), (5000 * 0.01 + 3000 * 0.01) / 2);
  eta.finished(2, 2.0);  // B: 0.001 s per MAC
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), (5000 * 0.01 + 1000 * 0.001) / 2);
  eta.finished(2, 100.0);  // the same job again: ignored
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), (5000 * 0.01 + 1000 * 0.001) / 2);
  eta.finished(1, 40.0);
  eta.finished(3, 1.0);
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 0.0);
}

// A job refused at once (a GEMM that xp_ws does not serve) would teach a speed near zero.
TEST(EtaEstimate, AJobThatDidNotRunTeachesNoSpeed) {
  EtaEstimate eta({{1000, "A"}, {1000, "A"}, {1000, "A"}}, 1);
  eta.finished(0, -1.0);
  EXPECT_FALSE(eta.remaining_seconds().has_value());
  eta.finished(1, 4.0);
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 4.0);
}

TEST(EtaEstimate, NoSuchJobIsAnError) {
  EtaEstimate eta({{1, "a"}}, 0);  // parallel 0 counts as 1
  EXPECT_THROW(eta.finished(1, 1.0), std::out_of_range);
  eta.finished(0, 3.0);
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 0.0);
}

// A running job's progress line says how much of it is done: only the rest is left.
TEST(EtaEstimate, ARunningJobCountsWhatIsLeftOfIt) {
  EtaEstimate eta({{100, "A"}, {1000, "A"}, {400, "A"}}, 1);
  eta.finished(0, 1.0);  // 0.01 s per MAC
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 14.0);
  eta.progress(1, 0.25);
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 7.5 + 4.0);
  eta.progress(1, 2.0);  // clamped: all done
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 4.0);
  eta.finished(1, 10.0);
  EXPECT_DOUBLE_EQ(*eta.remaining_seconds(), 4.0);
  EXPECT_THROW(eta.progress(3, 0.5), std::out_of_range);
}

}  // namespace
}  // namespace metronome::validation
