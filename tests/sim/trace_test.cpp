// Tracing (sim/trace.hpp): the engine's observer hook and the Chrome-trace and VCD writers, in
// process on small layers. What the files say must add up to what the cores counted: per-PE
// state spans sum to the PE's cycle classification, never overlap and cover the run; link busy
// spans sum to the link's busy cycles and words; the MACs counter integrates to the MACs; the
// VCD's PE states and MACs replay to the same numbers. Also: the event limit truncates with a
// note, several runs share one file, and the hook sees every cycle once.

#include "sim/trace.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "sim/engine.hpp"
#include "sim/simulate.hpp"
#include "spec/workload_parser.hpp"
#include "tests/sim/engine_testbench.hpp"

namespace metronome::sim {
namespace {

using testbench::conv_layer;
using testbench::machine;
using testbench::mapping_text;

// Weight stationary over K (8 PEs), sliding windows; and C across PEs (reduction traffic).
Mapping k_spatial() {
  return mapping_text(
      "SpatialMap(1,1) K;\nTemporalMap(4,4) C;\nTemporalMap(Sz(R),Sz(R)) R;\n"
      "TemporalMap(Sz(S),Sz(S)) S;\nTemporalMap(1,1) Y';\nTemporalMap(1,1) X';\n");
}
Mapping c_spatial() {
  return mapping_text(
      "TemporalMap(2,2) K;\nSpatialMap(1,1) C;\nTemporalMap(Sz(R),Sz(R)) R;\n"
      "TemporalMap(Sz(S),Sz(S)) S;\nTemporalMap(1,1) Y';\nTemporalMap(1,1) X';\n");
}

// A run of `layer` with `observer` attached; the engine (and what it refers to) stays for its
// counters.
struct TracedRun {
  TracedRun(const Layer& l, const Mapping& mapping, const Hardware& h, CycleObserver* observer)
      : layer(l),
        hw(h),
        resolved(resolve_mapping(mapping, layer, hw.pe.count)),
        engine(layer, resolved, hw, options(observer)) {
    run_plain(engine);
  }
  static SimOptions options(CycleObserver* observer) {
    SimOptions o;
    o.observer = observer;
    return o;
  }
  Layer layer;
  Hardware hw;
  ResolvedMapping resolved;
  Engine engine;
};

const Layer kLayer = conv_layer(8, 4, 3, 10, 7);

struct Span {
  std::int64_t ts, dur;
  std::string name;
  std::int64_t arg;  // macs (PE busy) or words (link)
};

// X events of process `pid`, per thread, in time order.
std::map<std::int64_t, std::vector<Span>> spans(const nlohmann::json& trace, int pid) {
  std::map<std::int64_t, std::vector<Span>> out;
  for (const nlohmann::json& e : trace["traceEvents"]) {
    if (e["ph"] != "X" || e["pid"] != pid) continue;
    std::int64_t arg = 0;
    if (e.contains("args")) {
      const nlohmann::json& a = e["args"];
      arg = a.contains("macs") ? a["macs"].get<std::int64_t>() : a["words"].get<std::int64_t>();
    }
    out[e["tid"].get<std::int64_t>()].push_back(
        Span{e["ts"].get<std::int64_t>(), e["dur"].get<std::int64_t>(), e["name"], arg});
  }
  for (auto& [tid, list] : out)
    std::sort(list.begin(), list.end(), [](const Span& a, const Span& b) { return a.ts < b.ts; });
  return out;
}

// thread_name metadata of process `pid`: tid -> name.
std::map<std::int64_t, std::string> thread_names(const nlohmann::json& trace, int pid) {
  std::map<std::int64_t, std::string> out;
  for (const nlohmann::json& e : trace["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == pid)
      out[e["tid"].get<std::int64_t>()] = e["args"]["name"];
  return out;
}

const LinkStats* find_link(const EngineCounts& c, const std::string& name) {
  if (const LinkStats* l = c.distribution.link(name)) return l;
  return c.reduction.link(name);
}

TEST(Trace, PeSpansSumToTheCountedCyclesAndLinkSpansToBusyCycles) {
  std::map<std::string, std::int64_t> states_seen;
  // K across PEs; C across PEs (reduction traffic); the same with a slow reduction network
  // (output back-pressure).
  for (const int variant : {0, 1, 2})
    for (Topology topology : {Topology::Tree, Topology::Mesh, Topology::Bus}) {
      SCOPED_TRACE(std::string(topology_name(topology)) + ", variant " + std::to_string(variant));
      Hardware hw = machine(8, topology, 2);
      if (variant == 2) hw.noc.reduction.link_words_per_cycle = 0.125;
      std::ostringstream text;
      ChromeTraceWriter writer(text);
      TracedRun run(kLayer, variant == 0 ? k_spatial() : c_spatial(), hw, &writer);
      writer.close();
      ASSERT_TRUE(run.engine.done());
      const nlohmann::json trace = nlohmann::json::parse(text.str());
      const std::int64_t cycles = run.engine.cycles();
      EXPECT_FALSE(writer.truncated());

      // PEs: one thread each, spans back to back from 0 to the end, per state as counted.
      const auto pe_spans = spans(trace, 1);
      const std::vector<Pe>& pes = run.engine.pes();
      ASSERT_EQ(pe_spans.size(), pes.size());
      for (std::size_t p = 0; p < pes.size(); ++p) {
        const std::vector<Span>& list = pe_spans.at(static_cast<std::int64_t>(p));
        std::map<std::string, std::int64_t> per_state;
        std::int64_t at = 0, macs = 0;
        for (const Span& s : list) {
          EXPECT_EQ(s.ts, at) << "PE " << p << ": spans overlap or leave a gap";
          EXPECT_GT(s.dur, 0);
          at = s.ts + s.dur;
          per_state[s.name] += s.dur;
          states_seen[s.name] += s.dur;
          macs += s.arg;
        }
        EXPECT_EQ(at, cycles) << "PE " << p;
        const PeStats& st = pes[p].stats();
        EXPECT_EQ(per_state["busy"], st.busy_cycles) << "PE " << p;
        EXPECT_EQ(per_state["waiting_for_input"], st.waiting_for_input_cycles) << "PE " << p;
        EXPECT_EQ(per_state["output_backpressure"], st.output_backpressure_cycles) << "PE " << p;
        EXPECT_EQ(per_state["idle"], st.idle_cycles) << "PE " << p;
        EXPECT_EQ(macs, st.macs) << "PE " << p;
        for (std::size_t i = 1; i < list.size(); ++i)
          EXPECT_NE(list[i].name, list[i - 1].name) << "PE " << p << ": states not merged";
      }

      // Links: a named thread per link that carried words; busy spans sum to its counters.
      const EngineCounts counts = run.engine.counts();
      const auto link_spans = spans(trace, 2);
      const auto names = thread_names(trace, 2);
      std::size_t carried = 0;
      for (const NocStats* net : {&counts.distribution, &counts.reduction})
        for (const LinkStats& l : net->links) carried += l.words > 0 ? 1 : 0;
      EXPECT_GT(carried, 0u);
      EXPECT_EQ(names.size(), carried);
      for (const auto& [tid, name] : names) {
        const LinkStats* link = find_link(counts, name);
        ASSERT_NE(link, nullptr) << name;
        std::int64_t busy = 0, words = 0, end = -1;
        const auto it = link_spans.find(tid);
        ASSERT_NE(it, link_spans.end()) << name;
        for (const Span& s : it->second) {
          EXPECT_GT(s.ts, end) << name << ": busy spans overlap or touch (not merged)";
          end = s.ts + s.dur;
          busy += s.dur;
          words += s.arg;
        }
        EXPECT_LE(end, cycles);
        EXPECT_EQ(busy, link->busy_cycles) << name;
        EXPECT_EQ(words, link->words) << name;
      }

      // The MACs counter, held from one change to the next, integrates to the MACs.
      std::vector<std::pair<std::int64_t, std::int64_t>> macs;
      for (const nlohmann::json& e : trace["traceEvents"])
        if (e["ph"] == "C" && e["name"] == "MACs per cycle")
          macs.emplace_back(e["ts"].get<std::int64_t>(), e["args"]["macs"].get<std::int64_t>());
      ASSERT_FALSE(macs.empty());
      std::int64_t total = 0;
      for (std::size_t i = 0; i < macs.size(); ++i)
        total +=
            macs[i].second * ((i + 1 < macs.size() ? macs[i + 1].first : cycles) - macs[i].first);
      EXPECT_EQ(total, counts.macs);
      EXPECT_EQ(total, kLayer.macs());

      // Metadata: the processes are named, the time unit is stated.
      std::map<std::int64_t, std::string> processes;
      for (const nlohmann::json& e : trace["traceEvents"])
        if (e["ph"] == "M" && e["name"] == "process_name")
          processes[e["pid"].get<std::int64_t>()] = e["args"]["name"];
      EXPECT_EQ(processes,
                (std::map<std::int64_t, std::string>{{1, "PEs"}, {2, "links"}, {3, "memory"}}));
      EXPECT_NE(trace["otherData"]["time_unit"].get<std::string>().find("1 simulated clock cycle"),
                std::string::npos);
    }
  // The cases cover every state.
  for (const char* state : {"busy", "waiting_for_input", "output_backpressure", "idle"})
    EXPECT_GT(states_seen[state], 0) << state;
}

TEST(Trace, EventLimitTruncatesWithANote) {
  std::ostringstream text;
  ChromeTraceWriter writer(text, 40);
  TracedRun run(kLayer, k_spatial(), machine(8, Topology::Tree, 2), &writer);
  writer.close();
  ASSERT_TRUE(writer.truncated());
  const nlohmann::json trace = nlohmann::json::parse(text.str());
  std::int64_t counted = 0;
  bool marker = false;
  const std::int64_t at = writer.truncated_at_cycle();
  EXPECT_GT(at, 0);
  EXPECT_LT(at, run.engine.cycles());
  for (const nlohmann::json& e : trace["traceEvents"]) {
    if (e["ph"] == "X" || e["ph"] == "C") ++counted;
    if (e["ph"] == "X") {
      EXPECT_LE(e["ts"].get<std::int64_t>() + e["dur"].get<std::int64_t>(), at);
    }
    if (e["ph"] == "C") {
      EXPECT_LE(e["ts"].get<std::int64_t>(), at);
    }
    if (e["ph"] == "i") marker = e["ts"] == at;
  }
  EXPECT_LE(counted, 40);
  EXPECT_EQ(counted, writer.events());
  EXPECT_TRUE(marker);
  EXPECT_EQ(trace["otherData"]["truncated_at_cycle"], at);
  EXPECT_NE(trace["otherData"]["truncated"].get<std::string>().find("--trace-max-events 40"),
            std::string::npos);
  // Every PE's spans still end where the trace stops (closed, not dropped).
  for (const auto& [tid, list] : spans(trace, 1)) {
    std::int64_t end = 0;
    for (const Span& s : list) end = std::max(end, s.ts + s.dur);
    EXPECT_EQ(end, at) << "PE " << tid;
  }
}

TEST(Trace, SeveralRunsShareOneFile) {
  std::ostringstream chrome_text, vcd_text;
  ChromeTraceWriter chrome(chrome_text);
  VcdWriter vcd(vcd_text);
  ObserverFanout both({&chrome, &vcd});
  chrome.set_run_label("first");
  vcd.set_run_label("first");
  TracedRun a(kLayer, k_spatial(), machine(8, Topology::Tree, 2), &both);
  chrome.set_run_label("second");
  vcd.set_run_label("second");
  TracedRun b(kLayer, c_spatial(), machine(8, Topology::Tree, 2), &both);
  chrome.close();
  vcd.close();
  const nlohmann::json trace = nlohmann::json::parse(chrome_text.str());
  EXPECT_EQ(spans(trace, 1).size(), 8u);
  EXPECT_EQ(spans(trace, 4).size(), 8u);  // the second run's PEs
  std::int64_t end_second = 0;
  for (const auto& [tid, list] : spans(trace, 4))
    end_second = std::max(end_second, list.back().ts + list.back().dur);
  EXPECT_EQ(end_second, b.engine.cycles());  // each run starts at 0
  EXPECT_NE(trace["otherData"]["run 1"].get<std::string>().find("second"), std::string::npos);
  const std::string v = vcd_text.str();
  EXPECT_NE(v.find("$comment run 1: second starts at time " + std::to_string(a.engine.cycles())),
            std::string::npos);
  EXPECT_NE(v.find("\n#" + std::to_string(a.engine.cycles() + b.engine.cycles()) + "\n"),
            std::string::npos);
}

// A minimal VCD reader: $var names by id, then (time, id, value) changes.
struct Vcd {
  std::map<std::string, std::string> name_of;  // id -> name
  std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> changes;
  std::int64_t end = 0;
};

Vcd read_vcd(const std::string& text) {
  Vcd vcd;
  std::istringstream in(text);
  std::string line;
  std::int64_t time = 0;
  bool definitions = true;
  while (std::getline(in, line)) {
    if (definitions) {
      if (line.rfind("$var", 0) == 0) {
        std::istringstream w(line);
        std::string var, type, width, id, name;
        w >> var >> type >> width >> id >> name;
        vcd.name_of[id] = name;
      }
      if (line.rfind("$enddefinitions", 0) == 0) definitions = false;
      continue;
    }
    if (line.empty() || line[0] == '$') continue;
    if (line[0] == '#') {
      time = std::stoll(line.substr(1));
      vcd.end = time;
    } else if (line[0] == 'b') {
      const std::size_t space = line.find(' ');
      vcd.changes.emplace_back(time, line.substr(space + 1),
                               std::stoll(line.substr(1, space - 1), nullptr, 2));
    } else {
      vcd.changes.emplace_back(time, line.substr(1), line[0] - '0');
    }
  }
  return vcd;
}

// Σ over time of value x duration, and time spent at each value, for one signal.
std::map<std::int64_t, std::int64_t> time_at_value(const Vcd& vcd, const std::string& name,
                                                   std::int64_t* integral = nullptr) {
  std::vector<std::pair<std::int64_t, std::int64_t>> points;
  for (const auto& [t, id, v] : vcd.changes)
    if (vcd.name_of.at(id) == name) points.emplace_back(t, v);
  std::map<std::int64_t, std::int64_t> out;
  if (integral) *integral = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::int64_t d =
        (i + 1 < points.size() ? points[i + 1].first : vcd.end) - points[i].first;
    out[points[i].second] += d;
    if (integral) *integral += d * points[i].second;
  }
  return out;
}

TEST(Trace, VcdReplaysToTheCountedCycles) {
  std::ostringstream text;
  VcdWriter writer(text, 4);  // the first 4 of 8 PEs
  TracedRun run(kLayer, k_spatial(), machine(8, Topology::Tree, 2), &writer);
  writer.close();
  const std::string v = text.str();
  EXPECT_EQ(v.rfind("$date", 0), 0u);
  EXPECT_NE(v.find("$timescale 1ns $end"), std::string::npos);
  const Vcd vcd = read_vcd(v);
  EXPECT_EQ(vcd.name_of.size(), 4u + 8u);
  EXPECT_EQ(vcd.end, run.engine.cycles());
  for (std::size_t p = 0; p < 4; ++p) {
    const auto states = time_at_value(vcd, "pe" + std::to_string(p) + "_state");
    const PeStats& st = run.engine.pes()[p].stats();
    const auto at = [&](PeState s) {
      const auto it = states.find(static_cast<std::int64_t>(s));
      return it == states.end() ? 0 : it->second;
    };
    EXPECT_EQ(at(PeState::Busy), st.busy_cycles) << "PE " << p;
    EXPECT_EQ(at(PeState::WaitingForInput), st.waiting_for_input_cycles) << "PE " << p;
    EXPECT_EQ(at(PeState::OutputBackpressure), st.output_backpressure_cycles) << "PE " << p;
    EXPECT_EQ(at(PeState::Idle), st.idle_cycles) << "PE " << p;
  }
  std::int64_t macs = 0, delivered = 0, dram = 0;
  time_at_value(vcd, "macs", &macs);
  time_at_value(vcd, "distribution_words_delivered", &delivered);
  time_at_value(vcd, "dram_busy", &dram);
  const EngineCounts counts = run.engine.counts();
  EXPECT_EQ(macs, counts.macs);
  EXPECT_EQ(delivered, counts.distribution.words_delivered);
  EXPECT_EQ(dram, counts.dram.busy_cycles);
}

// Counts what the engine calls.
struct CountingObserver : CycleObserver {
  int starts = 0, finishes = 0;
  bool completed = false;
  std::vector<std::int64_t> cycles;
  void start(const Engine&) override { ++starts; }
  void on_cycle(const Engine&, std::int64_t cycle) override { cycles.push_back(cycle); }
  void finish(const Engine&, bool done) override {
    ++finishes;
    completed = done;
  }
};

TEST(Trace, TheHookSeesEveryCycleOnceAndTheEnd) {
  CountingObserver seen;
  TracedRun run(kLayer, k_spatial(), machine(8, Topology::Tree, 2), &seen);
  EXPECT_EQ(seen.starts, 1);
  EXPECT_EQ(seen.finishes, 1);
  EXPECT_TRUE(seen.completed);
  ASSERT_EQ(static_cast<std::int64_t>(seen.cycles.size()), run.engine.cycles());
  for (std::size_t i = 0; i < seen.cycles.size(); ++i)
    EXPECT_EQ(seen.cycles[i], static_cast<std::int64_t>(i));
  run.engine.cycle();  // after done: nothing more
  EXPECT_EQ(seen.finishes, 1);
  EXPECT_EQ(static_cast<std::int64_t>(seen.cycles.size()), run.engine.cycles());

  // Same counts without an observer: the hook does not change the run.
  TracedRun plain(kLayer, k_spatial(), machine(8, Topology::Tree, 2), nullptr);
  EXPECT_EQ(plain.engine.cycles(), run.engine.cycles());
  EXPECT_EQ(plain.engine.counts().pe_totals.busy_cycles, run.engine.counts().pe_totals.busy_cycles);
}

TEST(Trace, AStalledRunFinishesTheObserver) {
  CountingObserver seen;
  SimOptions options;
  options.observer = &seen;
  options.watchdog_cycles = 1;  // the DRAM latency alone outlasts it
  const Hardware hw = machine(8, Topology::Tree, 2);
  const ResolvedMapping resolved = resolve_mapping(k_spatial(), kLayer, hw.pe.count);
  Engine engine(kLayer, resolved, hw, options);
  EXPECT_THROW(run_plain(engine), SimulationStalled);
  EXPECT_EQ(seen.finishes, 1);
  EXPECT_FALSE(seen.completed);
  EXPECT_FALSE(seen.cycles.empty());
}

}  // namespace
}  // namespace metronome::sim
