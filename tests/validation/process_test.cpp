// The child-process pool: exit statuses, output files, the wall-clock limit, programs that
// cannot be run, and the limit on children running at once.

#include "validation/process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/validation/validation_test_util.hpp"

namespace metronome::validation {
namespace {

using testing::TempDir;
using Clock = std::chrono::steady_clock;

ChildSpec shell(const std::string& script, double timeout_seconds = 30) {
  ChildSpec s;
  s.argv = {"/bin/sh", "-c", script};
  s.timeout = std::chrono::duration<double>(timeout_seconds);
  return s;
}

TEST(ValidationProcess, ExitStatusAndOutputFiles) {
  TempDir dir;
  ChildSpec spec = shell("echo out; echo err >&2; exit 3");
  spec.stdout_path = (dir.path() / "o").string();
  spec.stderr_path = (dir.path() / "e").string();
  const ChildResult r = run_process(spec);
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.exited_ok());
  EXPECT_EQ(r.describe(), "exit status 3");
  EXPECT_EQ(testing::read_file(spec.stdout_path), "out\n");
  EXPECT_EQ(testing::read_file(spec.stderr_path), "err\n");
  EXPECT_TRUE(run_process(shell("exit 0")).exited_ok());
}

TEST(ValidationProcess, TimeoutKillsTheChildAndItsChildren) {
  TempDir dir;
  const std::string marker = (dir.path() / "late").string();
  const auto start = Clock::now();
  // The grandchild would write the marker after 0.8 s unless the whole group is killed.
  const ChildResult r =
      run_process(shell("(sleep 0.8; touch " + marker + ") & sleep 30", /*timeout=*/0.2));
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(took, 5.0);
  EXPECT_NE(r.describe().find("timed out"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the grandchild survived the timeout";
}

TEST(ValidationProcess, SignalIsReported) {
  const ChildResult r = run_process(shell("kill -9 $$"));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.signal, 9);
  EXPECT_NE(r.describe().find("signal 9"), std::string::npos);
}

TEST(ValidationProcess, ProgramsThatCannotRun) {
  ChildSpec missing;
  missing.argv = {"/nonexistent/program", "x"};
  ChildResult r = run_process(missing);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("/nonexistent/program"), std::string::npos) << r.error;

  TempDir dir;
  const std::string not_executable = dir.write("plain.txt", "not a program");
  ChildSpec plain;
  plain.argv = {not_executable};
  r = run_process(plain);
  EXPECT_FALSE(r.started);

  ChildSpec empty;
  EXPECT_FALSE(run_process(empty).started);
  EXPECT_FALSE(find_program("no-such-program-metronome").has_value());
  EXPECT_TRUE(find_program("sh").has_value());
}

TEST(ValidationProcess, PoolRunsChildrenConcurrentlyAndReturnsEach) {
  ProcessPool pool(3);
  EXPECT_TRUE(pool.has_room());
  const auto start = Clock::now();
  for (std::size_t i = 0; i < 3; ++i) pool.start(i, shell("sleep 0.5; exit " + std::to_string(i)));
  EXPECT_FALSE(pool.has_room());
  EXPECT_EQ(pool.running(), 3u);
  std::vector<int> status(3, -1);
  while (pool.running() > 0)
    for (const ChildResult& r : pool.wait()) status[r.tag] = r.exit_status;
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(status, (std::vector<int>{0, 1, 2}));
  EXPECT_LT(took, 1.45) << "the three children did not run at the same time";
  EXPECT_TRUE(pool.wait().empty());

  ChildSpec missing;
  missing.argv = {"/nonexistent/program"};
  pool.start(7, missing);
  EXPECT_EQ(pool.running(), 1u);  // counted until wait() returns it
  const std::vector<ChildResult> r = pool.wait();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tag, 7u);
  EXPECT_FALSE(r[0].started);
}

// A wait with a limit returns nothing once the limit has passed and the child runs on; the
// next wait returns it.
TEST(ValidationProcess, WaitWithALimitReturnsEmptyWhileTheChildRuns) {
  ProcessPool pool(1);
  pool.start(4, shell("sleep 0.6; exit 3"));
  const auto start = Clock::now();
  EXPECT_TRUE(pool.wait(std::chrono::milliseconds(100)).empty());
  const double waited = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GE(waited, 0.1);
  EXPECT_LT(waited, 0.5);
  EXPECT_EQ(pool.running(), 1u);
  std::vector<ChildResult> r;
  while (r.empty()) r = pool.wait(std::chrono::milliseconds(100));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tag, 4u);
  EXPECT_EQ(r[0].exit_status, 3);
  EXPECT_EQ(pool.running(), 0u);
}

TEST(ValidationProcess, DestroyingThePoolKillsItsChildren) {
  const auto start = Clock::now();
  {
    ProcessPool pool(1);
    pool.start(0, shell("sleep 30"));
  }
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5.0);
}

}  // namespace
}  // namespace metronome::validation
