// Speed of the analytical model: one evaluation = one layer x dataflow on edge-256, including
// resolving the mapping and the exact validity analysis. The benchmark cycles through every
// layer of VGG16 and ResNet-50 with every library dataflow; the reported time is per evaluation
// and nothing is cached between evaluations (BM_ModelSessionPass measures the session's reuse).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
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

// Times `run(i)` for every case i once per iteration; a case's time is its fastest over the
// iterations (the least disturbed by the machine). Counters: the median, 90th percentile and
// largest of those per-case times, in microseconds.
template <typename Run>
void time_each_case(benchmark::State& state, std::size_t cases, const Run& run) {
  std::vector<double> best(cases, 1e30);
  for (auto _ : state) {
    for (std::size_t i = 0; i < cases; ++i) {
      const auto begin = std::chrono::steady_clock::now();
      run(i);
      const std::chrono::duration<double, std::micro> took =
          std::chrono::steady_clock::now() - begin;
      best[i] = std::min(best[i], took.count());
    }
  }
  std::sort(best.begin(), best.end());
  const auto at = [&](double q) {
    return best[static_cast<std::size_t>(q * static_cast<double>(best.size() - 1))];
  };
  state.counters["median_us"] = at(0.5);
  state.counters["p90_us"] = at(0.9);
  state.counters["max_us"] = best.back();
  state.counters["cases"] = static_cast<double>(cases);
}

// The figure: the median over cases of the time of one evaluation (nothing is cached
// between evaluations).
void BM_ModelEvaluationMedian(benchmark::State& state) {
  const Corpus& c = corpus();
  time_each_case(state, c.cases.size(), [&](std::size_t i) {
    const Case& k = c.cases[i];
    benchmark::DoNotOptimize(evaluate_layer(k.layer, *k.mapping, c.hardware));
  });
}
BENCHMARK(BM_ModelEvaluationMedian)->Unit(benchmark::kMillisecond);

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

// The exact validity/step analysis alone (analyze_mapping), over the same cases as
// BM_ModelEvaluationMedian: mappings are resolved beforehand, and cases the model screens out
// (unsupported layer, dataflow not serving the layer type) are skipped as the model skips them.
// Counters as in BM_ModelEvaluationMedian (time_each_case).
void BM_ValidityAnalysisMedian(benchmark::State& state) {
  const Corpus& c = corpus();
  struct Resolved {
    const Layer* layer;
    ResolvedMapping mapping;
  };
  std::vector<Resolved> cases;
  for (const Case& k : c.cases) {
    Metrics screened;
    if (!screen_record(k.layer, *k.mapping, screened)) continue;
    cases.push_back({&k.layer, resolve_mapping(*k.mapping, k.layer, c.hardware.pe.count)});
  }
  time_each_case(state, cases.size(), [&](std::size_t i) {
    benchmark::DoNotOptimize(
        analyze_mapping(*cases[i].layer, cases[i].mapping, c.hardware.pe.macs_per_cycle));
  });
}
BENCHMARK(BM_ValidityAnalysisMedian)->Unit(benchmark::kMillisecond);

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
