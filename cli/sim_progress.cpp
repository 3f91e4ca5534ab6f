#include "cli/sim_progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>

namespace metronome::cli {
namespace {

// Checking the clock every cycle would cost more than a small layer's cycles.
constexpr std::int64_t kCheckEvery = 1024;
constexpr auto kTerminalEvery = std::chrono::milliseconds(500);
constexpr auto kPlainEvery = std::chrono::seconds(30);

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<std::int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} h {:02} min", s / 3600, (s % 3600) / 60);
}

// Columns of the terminal on stderr (80 when unknown): a redrawn line must not wrap, or every
// redraw would leave a row behind.
std::size_t terminal_columns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1) return size.ws_col;
  return 80;
}

}  // namespace

SimProgress::SimProgress(std::ostream& err, bool terminal, Clock::duration quiet_for)
    : err_(err), terminal_(terminal), quiet_for_(quiet_for) {}

SimProgress::~SimProgress() {
  if (showing_) err_ << "\r\x1b[K" << std::flush;
}

void SimProgress::set_run(std::string label, std::int64_t total_macs) {
  label_ = std::move(label);
  total_macs_ = total_macs;
}

void SimProgress::start(const sim::Engine& /*engine*/) {
  started_ = last_print_ = Clock::now();
  printed_ = false;
  calls_ = 0;
}

std::string SimProgress::line(std::int64_t macs, std::int64_t cycle,
                              Clock::duration elapsed) const {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double done =
      total_macs_ > 0 ? static_cast<double>(macs) / static_cast<double>(total_macs_) : 0.0;
  const double rate = seconds > 0 ? static_cast<double>(cycle) / seconds : 0.0;
  const double left = done > 0 ? seconds * (1.0 - done) / done : -1.0;
  return fmt::format(
      "metronome: progress: {}: {:.1f} % of {} MACs, cycle {}, {:.1f} k cycles/s, "
      "{} elapsed, about {} left",
      label_, 100.0 * done, total_macs_, cycle, rate / 1000.0, duration_text(seconds),
      duration_text(left));
}

void SimProgress::on_cycle(const sim::Engine& engine, std::int64_t cycle) {
  if (++calls_ % kCheckEvery != 0) return;
  const Clock::time_point now = Clock::now();
  if (now - started_ < quiet_for_) return;
  if (now - last_print_ < (terminal_ ? kTerminalEvery : kPlainEvery) && printed_) return;
  std::int64_t macs = 0;
  for (const sim::Pe& pe : engine.pes()) macs += pe.stats().macs;
  last_print_ = now;
  printed_ = true;
  std::string text = line(macs, cycle, now - started_);
  if (terminal_) {
    const std::size_t columns = terminal_columns() - 1;
    if (text.size() > columns) text.resize(columns);
    err_ << '\r' << text << "\x1b[K" << std::flush;  // clear what a longer line left
    showing_ = true;
  } else {
    err_ << text << '\n' << std::flush;
  }
}

void SimProgress::finish(const sim::Engine& /*engine*/, bool /*completed*/) {
  if (showing_) err_ << "\r\x1b[K" << std::flush;  // the record follows
  showing_ = false;
}

}  // namespace metronome::cli
