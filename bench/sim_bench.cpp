// Speed of the simulator's building blocks. BM_StepPlanWalk: one iteration = a whole StepPlan walk
// (sim/step_plan.hpp) of one layer x dataflow on edge-256 (256 PEs): VGG16 conv1_2 (the
// simulator's reference layer; with kcp_ws ~0.8 M array steps of 256 PEs) with every library
// dataflow; BM_StepPlanWalkMid: a mid-size layer (conv1_2's channels on 28x28). Counters: array
// steps and PE-steps (steps x PEs) per second, and wall-clock ns per PE-step.
// BM_StepPlanWalkReadAll also reads every PE slot per step, as a consumer that ignores `changed`
// does; BM_StepPlanWalkChanged reads only the slots flagged `changed`.

#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sim/engine.hpp"
#include "sim/simulate.hpp"
#include "sim/step_plan.hpp"
#include "spec/hardware.hpp"
#include "spec/workload_parser.hpp"

namespace {

using namespace metronome;

struct Corpus {
  Hardware hardware;
  std::map<std::string, Mapping> dataflows;  // by file stem
  Layer vgg16_conv1_2;
  Layer mid;    // 64x64 3x3 on 28x28 (padded to 30x30), as tests/sim/step_plan_test.cpp
  Layer small;  // 64x64 3x3 on 7x7 (padded to 9x9): a whole simulation in seconds

  Corpus() {
    const std::string root = METRONOME_SOURCE_DIR;
    hardware = load_hardware(root + "/configs/hardware/edge-256.yaml");
    for (const auto& entry : std::filesystem::directory_iterator(root + "/configs/dataflows"))
      if (entry.path().extension() == ".m")
        dataflows.emplace(entry.path().stem().string(), load_dataflow(entry.path().string()));
    const Workload vgg = load_workload(root + "/configs/networks/vgg16.m");
    vgg16_conv1_2 = vgg.layers.at(1);
    mid = vgg16_conv1_2;
    mid.name = "mid";
    mid.size[Dim::Y] = mid.size[Dim::X] = 30;
    mid.validate();
    small = vgg16_conv1_2;
    small.name = "small";
    small.size[Dim::Y] = small.size[Dim::X] = 9;
    small.validate();
  }
};

const Corpus& corpus() {
  static const Corpus c;
  return c;
}

enum class Read { None, All, Changed };

void walk(benchmark::State& state, const Layer& layer, const std::string& dataflow, Read read) {
  const Corpus& c = corpus();
  const ResolvedMapping mapping =
      resolve_mapping(c.dataflows.at(dataflow), layer, c.hardware.pe.count);
  sim::StepPlan plan(layer, mapping);
  sim::StepView view;
  std::int64_t steps = 0, macs = 0, read_slots = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto begin = std::chrono::steady_clock::now();
    plan.reset();
    while (plan.next(view)) {
      ++steps;
      macs += view.max_box_volume;
      if (read == Read::None) continue;
      for (const sim::PeSlot& pe : view.pes) {
        if (!pe.active) continue;
        if (read == Read::Changed && !pe.changed) continue;
        ++read_slots;
        macs += pe.macs + pe.chunks.chunk[Dim::X].lo;
      }
    }
    benchmark::DoNotOptimize(macs);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }
  const double pe_steps = static_cast<double>(steps) * static_cast<double>(plan.pe_count());
  state.counters["steps"] = static_cast<double>(steps) / static_cast<double>(state.iterations());
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["PE-steps/s"] = benchmark::Counter(pe_steps, benchmark::Counter::kIsRate);
  state.counters["ns/PE-step"] = seconds * 1e9 / pe_steps;  // wall clock
  if (read != Read::None)
    state.counters["slots read/step"] =
        static_cast<double>(read_slots) / static_cast<double>(steps);
}

void BM_StepPlanWalk(benchmark::State& state, const std::string& dataflow) {
  walk(state, corpus().vgg16_conv1_2, dataflow, Read::None);
}
BENCHMARK_CAPTURE(BM_StepPlanWalk, vgg16_conv1_2_kcp_ws, std::string("kcp_ws"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_StepPlanWalk, vgg16_conv1_2_ckp_ws, std::string("ckp_ws"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_StepPlanWalk, vgg16_conv1_2_rs, std::string("rs"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_StepPlanWalk, vgg16_conv1_2_tpu_ws, std::string("tpu_ws"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_StepPlanWalk, vgg16_conv1_2_xp_ws, std::string("xp_ws"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_StepPlanWalk, vgg16_conv1_2_yxp_os, std::string("yxp_os"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_StepPlanWalkReadAll(benchmark::State& state, const std::string& dataflow) {
  walk(state, corpus().vgg16_conv1_2, dataflow, Read::All);
}
BENCHMARK_CAPTURE(BM_StepPlanWalkReadAll, vgg16_conv1_2_kcp_ws, std::string("kcp_ws"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_StepPlanWalkChanged(benchmark::State& state, const std::string& dataflow) {
  walk(state, corpus().vgg16_conv1_2, dataflow, Read::Changed);
}
BENCHMARK_CAPTURE(BM_StepPlanWalkChanged, vgg16_conv1_2_kcp_ws, std::string("kcp_ws"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_StepPlanWalkMid(benchmark::State& state, const std::string& dataflow) {
  walk(state, corpus().mid, dataflow, Read::None);
}
BENCHMARK_CAPTURE(BM_StepPlanWalkMid, ckp_ws, std::string("ckp_ws"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StepPlanWalkMid, kcp_ws, std::string("kcp_ws"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StepPlanWalkMid, rs, std::string("rs"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StepPlanWalkMid, tpu_ws, std::string("tpu_ws"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StepPlanWalkMid, xp_ws, std::string("xp_ws"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StepPlanWalkMid, yxp_os, std::string("yxp_os"))->Unit(benchmark::kMillisecond);

// A whole simulation (sim::simulate_layer: the engine's plain loop, functional check against the
// reference convolution included) of a 64x64 3x3 layer on 7x7 outputs on edge-256. Counters:
// simulated cycles and MACs per second of wall-clock time (issue 4's speed measures).
void BM_SimulateLayer(benchmark::State& state, const std::string& dataflow) {
  const Corpus& c = corpus();
  std::int64_t cycles = 0, macs = 0;
  for (auto _ : state) {
    const Metrics m = sim::simulate_layer(c.small, c.dataflows.at(dataflow), c.hardware);
    if (!m.sim || m.sim->functional_check != "pass") state.SkipWithError("functional check failed");
    cycles += m.runtime_cycles;
    macs += m.macs;
  }
  state.counters["sim_cycles"] =
      static_cast<double>(cycles) / static_cast<double>(state.iterations());
  state.counters["cycles/s"] =
      benchmark::Counter(static_cast<double>(cycles), benchmark::Counter::kIsRate);
  state.counters["MACs/s"] =
      benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsRate);
}
// BM_SimulateLayer/small_<dataflow> for every library dataflow.
const bool kSimulateLayerRegistered = [] {
  for (const char* dataflow : {"kcp_ws", "yxp_os", "rs", "ckp_ws", "tpu_ws", "xp_ws"})
    benchmark::RegisterBenchmark((std::string("BM_SimulateLayer/small_") + dataflow).c_str(),
                                 BM_SimulateLayer, std::string(dataflow))
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  return true;
}();

// Issue 4's speed layer itself: VGG16 conv1_2 with kcp_ws on edge-256. The whole layer takes
// about half an hour at today's speed (7.2 M cycles), so one iteration runs its first `cycles`
// cycles through the engine's plain loop; building the engine (tensors, reference data) is not
// timed, and no functional check runs (the layer does not finish). Counters as BM_SimulateLayer.
void BM_SimulateVgg16Conv2Prefix(benchmark::State& state) {
  const Corpus& c = corpus();
  const std::int64_t cycles = state.range(0);
  const ResolvedMapping resolved =
      resolve_mapping(c.dataflows.at("kcp_ws"), c.vgg16_conv1_2, c.hardware.pe.count);
  std::int64_t macs = 0;
  for (auto _ : state) {
    state.PauseTiming();
    sim::Engine engine(c.vgg16_conv1_2, resolved, c.hardware, sim::SimOptions{});
    state.ResumeTiming();
    for (std::int64_t i = 0; i < cycles && !engine.done(); ++i) engine.cycle();
    state.PauseTiming();
    if (engine.done()) state.SkipWithError("the layer finished inside the prefix");
    macs += engine.counts().macs;
    state.ResumeTiming();
  }
  state.counters["sim_cycles"] = static_cast<double>(cycles);
  state.counters["cycles/s"] =
      benchmark::Counter(static_cast<double>(cycles) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["MACs/s"] =
      benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulateVgg16Conv2Prefix)
    ->Arg(200000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
