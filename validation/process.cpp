#include "validation/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace metronome::validation {

namespace {

int open_output(const std::string& path) {
  if (path.empty()) return ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

// fork + exec. In the child only async-signal-safe calls happen: the argument vectors and
// file descriptors are prepared before the fork. An exec failure is reported through a
// close-on-exec pipe, so the parent can tell "could not run" from "ran and failed".
pid_t spawn(const ChildSpec& spec, std::string& error) {
  if (spec.argv.empty()) {
    error = "empty command line";
    return -1;
  }
  const std::optional<std::string> program = find_program(spec.argv[0]);
  if (!program) {
    error = fmt::format("{}: no such program", spec.argv[0]);
    return -1;
  }
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = open_output(spec.stdout_path);
  const int err_fd = open_output(spec.stderr_path);
  int pipe_fds[2] = {-1, -1};
  const auto close_all = [&] {
    for (int fd : {in_fd, out_fd, err_fd, pipe_fds[0], pipe_fds[1]})
      if (fd >= 0) ::close(fd);
  };
  if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    error =
        fmt::format("cannot open the output files of {}: {}", spec.argv[0], std::strerror(errno));
    close_all();
    return -1;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = fmt::format("fork failed: {}", std::strerror(errno));
    close_all();
    return -1;
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // its own process group: a timeout kills it and its children
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::dup2(in_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execve(program->c_str(), argv.data(), environ);
    const int e = errno;
    ssize_t ignored = ::write(pipe_fds[1], &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so that killpg works at once
  ::close(pipe_fds[1]);
  pipe_fds[1] = -1;
  int child_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(pipe_fds[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close_all();
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    error = fmt::format("cannot run {}: {}", *program, std::strerror(child_errno));
    return -1;
  }
  return pid;
}

void fill_status(ChildResult& r, int status) {
  if (WIFEXITED(status)) r.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
}

void kill_and_reap(pid_t pid, int& status) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::string ChildResult::describe() const {
  if (!started) return error;
  if (timed_out) return fmt::format("timed out after {:.3g} s and was killed", wall_seconds);
  if (signal) return fmt::format("killed by signal {} ({})", signal, ::strsignal(signal));
  return fmt::format("exit status {}", exit_status);
}

std::optional<std::string> find_program(const std::string& name) {
  const auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos)
    return executable(name) ? std::optional<std::string>(name) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + name;
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

ProcessPool::ProcessPool(std::size_t max_running) : max_running_(max_running ? max_running : 1) {}

ProcessPool::~ProcessPool() {
  for (const Child& c : children_) {
    int status = 0;
    kill_and_reap(c.pid, status);
  }
}

void ProcessPool::start(std::size_t tag, const ChildSpec& spec) {
  std::string error;
  const auto now = std::chrono::steady_clock::now();
  const pid_t pid = spawn(spec, error);
  if (pid < 0) {
    ChildResult r;
    r.tag = tag;
    r.started = false;
    r.error = error;
    ready_.push_back(std::move(r));
    return;
  }
  children_.push_back(Child{tag, pid, now, spec.timeout});
}

std::vector<ChildResult> ProcessPool::wait(
    std::optional<std::chrono::steady_clock::duration> limit) {
  std::vector<ChildResult> done;
  done.swap(ready_);
  if (!done.empty() || children_.empty()) return done;
  auto pause = std::chrono::milliseconds(1);
  const auto begun = std::chrono::steady_clock::now();
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < children_.size();) {
      const Child& c = children_[i];
      int status = 0;
      const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
      const double elapsed = std::chrono::duration<double>(now - c.started).count();
      ChildResult result;
      result.tag = c.tag;
      result.started = true;
      result.wall_seconds = elapsed;
      bool ended = false;
      if (r == c.pid) {
        fill_status(result, status);
        ended = true;
      } else if (r < 0 && errno != EINTR) {
        result.signal = 0;
        result.exit_status = -1;
        ended = true;  // not our child any more (should not happen)
      } else if (now - c.started > c.timeout) {
        kill_and_reap(c.pid, status);
        result.timed_out = true;
        ended = true;
      }
      if (ended) {
        done.push_back(std::move(result));
        children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    if (!done.empty() || (limit && now - begun >= *limit)) return done;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

ChildResult run_process(const ChildSpec& spec) {
  ProcessPool pool(1);
  pool.start(0, spec);
  std::vector<ChildResult> r = pool.wait();
  return r.empty() ? ChildResult{} : r.front();
}

}  // namespace metronome::validation
