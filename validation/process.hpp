#pragma once
// Child processes for the validation harness: at most N at a time, each with its stdout and
// stderr in files and a wall-clock limit, killed (its whole process group) when it runs over.
// Children also die with SIGKILL when the harness itself dies (PR_SET_PDEATHSIG), so a killed
// `metronome validate` leaves no simulations behind.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace metronome::validation {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is the program: a path, or a name looked up in PATH
  std::string stdout_path;        // empty: /dev/null
  std::string stderr_path;        // empty: /dev/null
  std::chrono::duration<double> timeout{600};
};

struct ChildResult {
  std::size_t tag = 0;     // as given to start()
  bool started = false;    // false: could not run the program (see error)
  std::string error;       // why it could not be started
  bool timed_out = false;  // killed after ChildSpec::timeout
  int exit_status = -1;    // when it exited
  int signal = 0;          // when a signal ended it
  double wall_seconds = 0;
  bool exited_ok() const { return started && !timed_out && signal == 0 && exit_status == 0; }
  std::string describe() const;  // "exit status 2", "killed by signal 9", "timed out after 3 s"
};

class ProcessPool {
 public:
  explicit ProcessPool(std::size_t max_running);
  ~ProcessPool();  // kills and reaps every child still running
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  // Children started and not yet returned by wait() (including ones that failed to start).
  std::size_t running() const { return children_.size() + ready_.size(); }
  bool has_room() const { return running() < max_running_; }

  // Starts a child (even when full; has_room() is advice). A program that cannot be run is
  // reported by the next wait() as a result with started = false.
  void start(std::size_t tag, const ChildSpec& spec);
  // Blocks until at least one child has ended (or timed out and been killed) and returns the
  // ended ones; returns nothing when no child is running, or when `limit` has passed first.
  std::vector<ChildResult> wait(
      std::optional<std::chrono::steady_clock::duration> limit = std::nullopt);

 private:
  struct Child {
    std::size_t tag = 0;
    pid_t pid = -1;
    std::chrono::steady_clock::time_point started;
    std::chrono::duration<double> timeout{0};
  };
  std::size_t max_running_;
  std::vector<Child> children_;
  std::vector<ChildResult> ready_;  // results known without waiting (spawn failures)
};

// Runs one program to completion (e.g. a plot script); stdout/stderr as in `spec`.
ChildResult run_process(const ChildSpec& spec);

// The absolute path of `name` in PATH (or `name` itself when it contains '/'); nullopt when
// there is no such executable file.
std::optional<std::string> find_program(const std::string& name);

}  // namespace metronome::validation
