// The progress lines of long simulations (cli/sim_progress.hpp), driven by a real engine.

#include "cli/sim_progress.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "sim/simulate.hpp"
#include "spec/hardware.hpp"
#include "spec/workload_parser.hpp"

namespace metronome::cli {
namespace {

TEST(SimProgress, LineGivesShareSpeedAndTimeLeft) {
  std::ostringstream err;
  SimProgress progress(err, false);
  progress.set_run("conv1_2 x kcp_ws x edge-256", 1000);
  EXPECT_EQ(progress.line(250, 20000, std::chrono::seconds(2)),
            "metronome: progress: conv1_2 x kcp_ws x edge-256: 25.0 % of 1000 MACs, cycle 20000, "
            "10.0 k cycles/s, 2 s elapsed, about 6 s left");
  EXPECT_EQ(progress.line(0, 0, std::chrono::seconds(0)),
            "metronome: progress: conv1_2 x kcp_ws x edge-256: 0.0 % of 1000 MACs, cycle 0, "
            "0.0 k cycles/s, 0 s elapsed, about ? left");
  EXPECT_NE(progress.line(1, 10, std::chrono::hours(2))
                .find("2 h 00 min elapsed, about 1998 h 00 min left"),
            std::string::npos);
}

// A real run with no quiet period prints plain lines; within the quiet period nothing is printed.
TEST(SimProgress, ReportsARealRunAndStaysQuietOnShortOnes) {
  const std::string root = METRONOME_SOURCE_DIR;
  const Hardware hw = load_hardware(root + "/configs/hardware/edge-256.yaml");
  const Workload small = load_workload(root + "/configs/networks/small.m");
  const Mapping kcp = load_dataflow(root + "/configs/dataflows/kcp_ws.m");
  const Layer& layer = small.layers.front();

  std::ostringstream loud;
  SimProgress progress(loud, false, std::chrono::seconds(0));
  progress.set_run("conv3x3", layer.macs());
  sim::SimOptions options;
  options.observer = &progress;
  const Metrics record = sim::simulate_layer(layer, kcp, hw, options);
  ASSERT_EQ(record.status, RecordStatus::Ok) << record.note;
  const std::string text = loud.str();
  EXPECT_NE(text.find("metronome: progress: conv3x3: "), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);  // plain lines off a terminal

  // On a terminal one line is redrawn and cleared when the run ends.
  std::ostringstream redrawn;
  {
    SimProgress on_terminal(redrawn, true, std::chrono::seconds(0));
    on_terminal.set_run("conv3x3", layer.macs());
    options.observer = &on_terminal;
    sim::simulate_layer(layer, kcp, hw, options);
  }
  const std::string shown = redrawn.str();
  EXPECT_EQ(shown.find('\n'), std::string::npos) << shown;
  EXPECT_EQ(shown.rfind("\r\x1b[K"), shown.size() - 4) << shown;

  std::ostringstream quiet;
  SimProgress patient(quiet, true, std::chrono::hours(1));
  patient.set_run("conv3x3", layer.macs());
  options.observer = &patient;
  sim::simulate_layer(layer, kcp, hw, options);
  EXPECT_EQ(quiet.str(), "");
}

}  // namespace
}  // namespace metronome::cli
