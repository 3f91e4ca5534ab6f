// Speed of the analytical model: one evaluation = one layer x dataflow on edge-256, including
// resolving the mapping and the exact validity analysis. The benchmark cycles through every
// layer of VGG16 and ResNet-50 with every library dataflow; the reported time is per evaluation
// and nothing is cached between evaluations (BM_ModelSessionPass measures the session's reuse).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "spec/hardware.hpp"
#include "spec/semantics.hpp"
#include "spec/workload_parser.hpp"

namespace {

using namespace metronome;

struct Case {
  Layer layer;
  const Mapping* mapping;
};

struct Corpus {
  Hardware hardware;
  std::vector<Mapping> dataflows;
  std::vector<Case> cases;

  Corpus() {
    const std::string root = METRONOME_SOURCE_DIR;
    hardware = load_hardware(root + "/configs/hardware/edge-256.yaml");
    for (const auto& entry : std::filesystem::directory_iterator(root + "/configs/dataflows"))
      if (entry.path().extension() == ".m") dataflows.push_back(load_dataflow(entry.path()));
    for (const char* net : {"vgg16.m", "resnet50.m"}) {
      const Workload w = load_workload(root + "/configs/networks/" + net);
      for (const Layer& l : w.layers)
        for (const Mapping& m : dataflows) cases.push_back({l, &m});
    }
  }
};

const Corpus& corpus() {
  static const Corpus c;
  return c;
}

void BM_ModelEvaluation(benchmark::State& state) {
  const Corpus& c = corpus();
  std::size_t i = 0;
  for (auto _ : state) {
    const Case& k = c.cases[i];
    benchmark::DoNotOptimize(evaluate_layer(k.layer, *k.mapping, c.hardware));
    i = (i + 1) % c.cases.size();
  }
  state.counters["cases"] = static_cast<double>(c.cases.size());
}
BENCHMARK(BM_ModelEvaluation)->Unit(benchmark::kMicrosecond);

// Not a per-evaluation figure: one iteration is a pass over every case through a fresh
// ModelSession (as `metronome model` does), so layers of one shape share their analysis within
// the pass (VGG16 + ResNet-50: 66 layers, 32 distinct shapes). `per_evaluation` is the
// pass's time divided by its evaluations. BM_ModelEvaluation above caches nothing.
void BM_ModelSessionPass(benchmark::State& state) {
  const Corpus& c = corpus();
  for (auto _ : state) {
    ModelSession session;
    for (const Case& k : c.cases)
      benchmark::DoNotOptimize(session.evaluate(k.layer, *k.mapping, c.hardware));
  }
  state.counters["per_evaluation"] = benchmark::Counter(
      static_cast<double>(c.cases.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ModelSessionPass)->Unit(benchmark::kMillisecond);

void BM_ValidityAnalysisVgg16Conv2(benchmark::State& state) {
  const Corpus& c = corpus();
  const Workload w = load_workload(std::string(METRONOME_SOURCE_DIR) + "/configs/networks/vgg16.m");
  const Layer& layer = w.layers.at(1);
  const Mapping* kcp = nullptr;
  for (const Mapping& m : c.dataflows)
    if (m.name == "kcp_ws") kcp = &m;
  const ResolvedMapping resolved = resolve_mapping(*kcp, layer, c.hardware.pe.count);
  for (auto _ : state) benchmark::DoNotOptimize(analyze_mapping(layer, resolved));
}
BENCHMARK(BM_ValidityAnalysisVgg16Conv2)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
