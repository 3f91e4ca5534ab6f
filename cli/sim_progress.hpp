#pragma once
// Progress of long simulations on stderr: the share of the layer's MACs done, the simulated
// cycle, the speed and the time left. A layer of VGG16 takes minutes to hours; a user should see
// it move. Runs shorter than a few seconds print nothing (tests and validation children stay
// quiet); on a terminal one line is redrawn in place, elsewhere a plain line every 30 s.

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "sim/engine.hpp"

namespace metronome::cli {

class SimProgress : public sim::CycleObserver {
 public:
  using Clock = std::chrono::steady_clock;

  // `terminal`: redraw one line (stderr is a terminal); else print plain lines. Nothing is
  // printed before `quiet_for` has passed in a run.
  SimProgress(std::ostream& err, bool terminal,
              Clock::duration quiet_for = std::chrono::seconds(3));
  // Clears a redrawn line still showing (a run that threw: its error message follows).
  ~SimProgress() override;
  SimProgress(const SimProgress&) = delete;
  SimProgress& operator=(const SimProgress&) = delete;

  // Names the next run and the MACs it performs (the layer's).
  void set_run(std::string label, std::int64_t total_macs);

  void start(const sim::Engine& engine) override;
  void on_cycle(const sim::Engine& engine, std::int64_t cycle) override;
  bool samples_pe_cycles() const override { return false; }  // reads MAC counts only
  bool samples_network() const override { return false; }
  void finish(const sim::Engine& engine, bool completed) override;

  // The line for `macs` of the run's MACs done at `cycle`, `elapsed` after it started.
  std::string line(std::int64_t macs, std::int64_t cycle, Clock::duration elapsed) const;

 private:
  std::ostream& err_;
  bool terminal_;
  Clock::duration quiet_for_;
  std::string label_;
  std::int64_t total_macs_ = 0;
  Clock::time_point started_{}, last_print_{};
  bool printed_ = false;
  bool showing_ = false;  // a redrawn line is on the terminal
  std::int64_t calls_ = 0;
};

}  // namespace metronome::cli
