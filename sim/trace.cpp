#include "sim/trace.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <iterator>
#include <limits>
#include <ostream>
#include <stdexcept>

namespace metronome::sim {
namespace {

// A JSON string literal.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          out += ch;
    }
  }
  return out + "\"";
}

const char* network_name(Direction d) {
  return d == Direction::Distribution ? "distribution" : "reduction";
}

}  // namespace

std::string_view pe_state_name(PeState state) {
  switch (state) {
    case PeState::Idle:
      return "idle";
    case PeState::Busy:
      return "busy";
    case PeState::WaitingForInput:
      return "waiting_for_input";
    case PeState::OutputBackpressure:
      return "output_backpressure";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// CycleSampler

void CycleSampler::start(const Engine& engine, bool links) {
  const std::vector<Pe>& pes = engine.pes();
  pe_prev_.assign(pes.size(), PeCounters{});
  for (std::size_t p = 0; p < pes.size(); ++p) {
    const PeStats& s = pes[p].stats();
    pe_prev_[p] = {s.busy_cycles, s.waiting_for_input_cycles, s.output_backpressure_cycles,
                   s.idle_cycles, s.macs};
  }
  pe_state_.assign(pes.size(), PeState::Idle);
  pe_macs_.assign(pes.size(), 0);
  macs_ = 0;

  links_.clear();
  link_prev_.clear();
  for (const Network* net : {&engine.distribution(), &engine.reduction()}) {
    const std::span<const Link> all = links ? net->links() : std::span<const Link>{};
    for (std::size_t l = 0; l < all.size(); ++l) {
      if (!all[l].reported()) continue;
      links_.push_back(TracedLink{net->direction(), l, all[l].stats().name});
      link_prev_.push_back({all[l].stats().words, all[l].stats().busy_cycles});
    }
  }
  link_words_.assign(links_.size(), 0);
  link_busy_.assign(links_.size(), 0);
  for (const Network* net : {&engine.distribution(), &engine.reduction()}) {
    const std::size_t n = slot(net->direction());
    delivered_prev_[n] = net->words_delivered();
    delivered_[n] = 0;
    held_[n] = net->words_held();
  }
  l2_queued_ = engine.l2().queued_requests();
  dram_busy_prev_ = engine.dram().stats().busy_cycles;
  dram_busy_ = false;
}

void CycleSampler::sample(const Engine& engine) {
  const std::vector<Pe>& pes = engine.pes();
  macs_ = 0;
  for (std::size_t p = 0; p < pes.size(); ++p) {
    const PeStats& s = pes[p].stats();
    PeCounters& prev = pe_prev_[p];
    // Exactly one of the four counters grows per evaluated cycle (PeStats); a PE that was not
    // evaluated keeps its state.
    if (s.busy_cycles != prev.busy)
      pe_state_[p] = PeState::Busy;
    else if (s.waiting_for_input_cycles != prev.waiting)
      pe_state_[p] = PeState::WaitingForInput;
    else if (s.output_backpressure_cycles != prev.backpressure)
      pe_state_[p] = PeState::OutputBackpressure;
    else if (s.idle_cycles != prev.idle)
      pe_state_[p] = PeState::Idle;
    pe_macs_[p] = s.macs - prev.macs;
    macs_ += pe_macs_[p];
    prev = {s.busy_cycles, s.waiting_for_input_cycles, s.output_backpressure_cycles, s.idle_cycles,
            s.macs};
  }

  const std::span<const Link> nets[2] = {engine.distribution().links(), engine.reduction().links()};
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const LinkStats& s = nets[slot(links_[i].network)][links_[i].index].stats();
    link_words_[i] = s.words - link_prev_[i].words;
    link_busy_[i] = s.busy_cycles != link_prev_[i].busy_cycles ? 1 : 0;
    link_prev_[i] = {s.words, s.busy_cycles};
  }

  for (const Network* net : {&engine.distribution(), &engine.reduction()}) {
    const std::size_t n = slot(net->direction());
    delivered_[n] = net->words_delivered() - delivered_prev_[n];
    delivered_prev_[n] = net->words_delivered();
    held_[n] = net->words_held();
  }
  l2_queued_ = engine.l2().queued_requests();
  const std::int64_t dram_busy = engine.dram().stats().busy_cycles;
  dram_busy_ = dram_busy != dram_busy_prev_;
  dram_busy_prev_ = dram_busy;
}

// ---------------------------------------------------------------------------------------------
// ChromeTraceWriter

ChromeTraceWriter::ChromeTraceWriter(std::ostream& out, std::int64_t max_events)
    : out_(out), max_events_(std::max<std::int64_t>(max_events, 0)) {
  buf_ = "{\"traceEvents\":[";
}

ChromeTraceWriter::~ChromeTraceWriter() {
  close();
}

void ChromeTraceWriter::flush(std::size_t above) {
  if (buf_.size() <= above) return;
  out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  buf_.clear();
}

void ChromeTraceWriter::begin_event() {
  buf_ += first_event_ ? "\n" : ",\n";
  first_event_ = false;
}

bool ChromeTraceWriter::reserve() {
  return events_ + open_ + 1 <= max_events_;
}

void ChromeTraceWriter::start(const Engine& engine) {
  if (in_run_) {  // the previous run never finished (an exception): end its spans, no metadata
    if (recording_) close_spans(last_cycle_ + 1);
    run_notes_.push_back(label_ + " did not finish");
  }
  ++run_;
  in_run_ = true;
  recording_ = !exhausted_ && !closed_;
  run_started_recording_ = recording_;
  last_cycle_ = -1;
  sampler_.start(engine);
  const std::size_t pes = engine.pes().size();
  const std::size_t links = sampler_.links().size();
  pe_span_state_.assign(pes, kNoSpan);
  pe_span_start_.assign(pes, 0);
  pe_span_macs_.assign(pes, 0);
  link_span_open_.assign(links, 0);
  link_span_start_.assign(links, 0);
  link_span_words_.assign(links, 0);
  open_ = 0;
  last_macs_ = last_l2_ = last_dram_ = kUnset;
  last_held_[0] = last_held_[1] = last_delivered_[0] = last_delivered_[1] = kUnset;
}

void ChromeTraceWriter::write_pe_span(std::size_t pe, std::int64_t end) {
  const auto state = static_cast<PeState>(pe_span_state_[pe]);
  const std::int64_t start = pe_span_start_[pe];
  pe_span_state_[pe] = kNoSpan;
  --open_;
  if (end <= start) return;  // begun in the cycle the trace stopped at
  begin_event();
  fmt::format_to(
      std::back_inserter(buf_),
      FMT_COMPILE(R"({{"name":"{}","cat":"pe","ph":"X","ts":{},"dur":{},"pid":{},"tid":{})"),
      pe_state_name(state), start, end - start, pid(0), pe);
  if (state == PeState::Busy)
    fmt::format_to(std::back_inserter(buf_), FMT_COMPILE(R"(,"args":{{"macs":{}}})"),
                   pe_span_macs_[pe]);
  buf_ += '}';
  ++events_;
}

void ChromeTraceWriter::write_link_span(std::size_t link, std::int64_t end) {
  const std::int64_t start = link_span_start_[link];
  link_span_open_[link] = 0;
  --open_;
  if (end <= start) return;
  begin_event();
  fmt::format_to(
      std::back_inserter(buf_),
      FMT_COMPILE(R"({{"name":"busy","cat":"{}","ph":"X","ts":{},"dur":{},"pid":{},"tid":{},)"
                  R"("args":{{"words":{}}}}})"),
      network_name(sampler_.links()[link].network), start, end - start, pid(1), link,
      link_span_words_[link]);
  ++events_;
}

void ChromeTraceWriter::counter(int which, std::string_view name, std::string_view key_a,
                                std::int64_t a, std::string_view key_b, std::int64_t b,
                                std::int64_t cycle) {
  begin_event();
  fmt::format_to(std::back_inserter(buf_),
                 FMT_COMPILE(R"({{"name":"{}","ph":"C","ts":{},"pid":{},"args":{{"{}":{})"), name,
                 cycle, pid(which), key_a, a);
  if (!key_b.empty())
    fmt::format_to(std::back_inserter(buf_), FMT_COMPILE(R"(,"{}":{})"), key_b, b);
  buf_ += "}}";
  ++events_;
}

void ChromeTraceWriter::close_spans(std::int64_t end) {
  for (std::size_t p = 0; p < pe_span_state_.size(); ++p)
    if (pe_span_state_[p] != kNoSpan) write_pe_span(p, end);
  for (std::size_t l = 0; l < link_span_open_.size(); ++l)
    if (link_span_open_[l]) write_link_span(l, end);
}

void ChromeTraceWriter::truncate(std::int64_t cycle) {
  close_spans(cycle);
  recording_ = false;
  exhausted_ = true;
  if (truncated_at_ >= 0) return;  // one note per file: the first stop
  truncated_at_ = cycle;
  truncated_run_ = run_;
  begin_event();
  fmt::format_to(std::back_inserter(buf_),
                 R"j({{"name":"trace truncated (--trace-max-events {})","ph":"i","s":"g",)j"
                 R"("ts":{},"pid":{},"tid":0}})",
                 max_events_, cycle, pid(0));
  truncated_note_ = fmt::format(
      "trace truncated at cycle {} of run {}{}: {} events written, the next would exceed "
      "--trace-max-events {}; later cycles (and runs) are not recorded",
      cycle, run_, label_.empty() ? "" : " (" + label_ + ")", events_, max_events_);
}

void ChromeTraceWriter::on_cycle(const Engine& engine, std::int64_t cycle) {
  last_cycle_ = cycle;
  if (!recording_) return;
  flush(std::size_t{1} << 20);
  sampler_.sample(engine);

  const std::span<const PeState> states = sampler_.pe_states();
  const std::span<const std::int64_t> macs = sampler_.pe_macs();
  for (std::size_t p = 0; p < states.size(); ++p) {
    const auto s = static_cast<std::uint8_t>(states[p]);
    if (pe_span_state_[p] == s) {
      pe_span_macs_[p] += macs[p];
      continue;
    }
    if (!reserve()) return truncate(cycle);
    if (pe_span_state_[p] != kNoSpan) write_pe_span(p, cycle);
    pe_span_state_[p] = s;
    pe_span_start_[p] = cycle;
    pe_span_macs_[p] = macs[p];
    ++open_;
  }

  const std::span<const std::uint8_t> busy = sampler_.link_busy();
  const std::span<const std::int64_t> words = sampler_.link_words();
  for (std::size_t l = 0; l < busy.size(); ++l) {
    if (busy[l]) {
      if (!link_span_open_[l]) {
        if (!reserve()) return truncate(cycle);
        link_span_open_[l] = 1;
        link_span_start_[l] = cycle;
        link_span_words_[l] = 0;
        ++open_;
      }
      link_span_words_[l] += words[l];
    } else if (link_span_open_[l]) {
      write_link_span(l, cycle);
    }
  }

  // Counters, when they change.
  if (sampler_.macs() != last_macs_) {
    if (!reserve()) return truncate(cycle);
    last_macs_ = sampler_.macs();
    counter(0, "MACs per cycle", "macs", last_macs_, {}, 0, cycle);
  }
  const std::int64_t held[2] = {sampler_.words_held(Direction::Distribution),
                                sampler_.words_held(Direction::Reduction)};
  if (held[0] != last_held_[0] || held[1] != last_held_[1]) {
    if (!reserve()) return truncate(cycle);
    last_held_[0] = held[0], last_held_[1] = held[1];
    counter(1, "words in network", "distribution", held[0], "reduction", held[1], cycle);
  }
  const std::int64_t delivered[2] = {sampler_.delivered(Direction::Distribution),
                                     sampler_.delivered(Direction::Reduction)};
  if (delivered[0] != last_delivered_[0] || delivered[1] != last_delivered_[1]) {
    if (!reserve()) return truncate(cycle);
    last_delivered_[0] = delivered[0], last_delivered_[1] = delivered[1];
    counter(1, "words delivered per cycle", "distribution", delivered[0], "reduction", delivered[1],
            cycle);
  }
  if (sampler_.l2_queued_requests() != last_l2_) {
    if (!reserve()) return truncate(cycle);
    last_l2_ = sampler_.l2_queued_requests();
    counter(2, "L2 queued requests", "requests", last_l2_, {}, 0, cycle);
  }
  const std::int64_t dram = sampler_.dram_busy() ? 1 : 0;
  if (dram != last_dram_) {
    if (!reserve()) return truncate(cycle);
    last_dram_ = dram;
    counter(2, "DRAM busy", "busy", dram, {}, 0, cycle);
  }
}

void ChromeTraceWriter::write_metadata(const Engine& engine) {
  auto meta = [&](std::string_view name, int p, std::int64_t tid, std::string_view key,
                  const std::string& value) {
    begin_event();
    fmt::format_to(std::back_inserter(buf_),
                   R"({{"name":"{}","ph":"M","pid":{},"tid":{},"args":{{"{}":{}}}}})", name, p, tid,
                   key, value);
  };
  const char* processes[3] = {"PEs", "links", "memory"};
  for (int which = 0; which < 3; ++which) {
    meta("process_name", pid(which), 0, "name", json_string(processes[which]));
    meta("process_sort_index", pid(which), 0, "sort_index", std::to_string(pid(which)));
    if (!label_.empty()) meta("process_labels", pid(which), 0, "labels", json_string(label_));
  }
  for (std::size_t p = 0; p < engine.pes().size(); ++p) {
    meta("thread_name", pid(0), static_cast<std::int64_t>(p), "name",
         json_string(fmt::format("PE {}", p)));
    meta("thread_sort_index", pid(0), static_cast<std::int64_t>(p), "sort_index",
         std::to_string(p));
  }
  // A thread per link that carried words in the run.
  const std::span<const Link> nets[2] = {engine.distribution().links(), engine.reduction().links()};
  const std::vector<TracedLink>& links = sampler_.links();
  for (std::size_t l = 0; l < links.size(); ++l) {
    const std::size_t n = links[l].network == Direction::Distribution ? 0 : 1;
    if (nets[n][links[l].index].stats().words == 0) continue;
    meta("thread_name", pid(1), static_cast<std::int64_t>(l), "name", json_string(links[l].name));
    meta("thread_sort_index", pid(1), static_cast<std::int64_t>(l), "sort_index",
         std::to_string(l));
  }
}

void ChromeTraceWriter::finish(const Engine& engine, bool completed) {
  if (!in_run_) return;
  in_run_ = false;
  const std::int64_t end = last_cycle_ + 1;
  if (recording_) close_spans(end);
  recording_ = false;
  if (closed_) return;
  std::string note = fmt::format("{}{} cycles, {}; ", label_.empty() ? "" : label_ + ": ", end,
                                 completed ? "completed" : "stopped by the watchdog");
  if (run_started_recording_) {
    write_metadata(engine);
    note += fmt::format("processes {} (PEs), {} (links), {} (memory)", pid(0), pid(1), pid(2));
    if (truncated_at_ >= 0 && truncated_run_ == run_)
      note += fmt::format("; recorded up to cycle {}", truncated_at_);
  } else {
    note += "not recorded (the --trace-max-events limit was reached before)";
  }
  run_notes_.push_back(std::move(note));
}

void ChromeTraceWriter::close() {
  if (closed_) return;
  closed_ = true;
  buf_ += "\n],\n\"otherData\":{";
  buf_ +=
      R"j("time_unit":"1 us in this trace = 1 simulated clock cycle (ts and dur count cycles)")j";
  buf_ += R"(,"generator":"metronome simulate --trace")";
  fmt::format_to(std::back_inserter(buf_), R"(,"max_events":{},"events":{})", max_events_, events_);
  for (std::size_t r = 0; r < run_notes_.size(); ++r)
    fmt::format_to(std::back_inserter(buf_), ",\"run {}\":{}", r, json_string(run_notes_[r]));
  if (truncated_at_ >= 0)
    fmt::format_to(std::back_inserter(buf_), R"(,"truncated_at_cycle":{},"truncated":{})",
                   truncated_at_, json_string(truncated_note_));
  buf_ += "}}\n";
  flush(0);
  out_.flush();
}

// ---------------------------------------------------------------------------------------------
// VcdWriter

namespace {

// Short VCD identifier of signal i: base 92 over the printable characters '!' .. '~' except
// '#' and '$' (which start time stamps and keywords, to spare naive readers).
std::string vcd_id(std::size_t i) {
  static constexpr std::string_view kAlphabet =
      "!\"%&'()*+,-./"
      "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  static_assert(kAlphabet.size() == 92);
  std::string id;
  do {
    id += kAlphabet[i % kAlphabet.size()];
    i /= kAlphabet.size();
  } while (i > 0);
  return id;
}

enum Scalar : std::size_t {
  kMacs,
  kDistDelivered,
  kRedDelivered,
  kDistHeld,
  kRedHeld,
  kL2Queued,
  kDramBusy,
  kRun,
  kScalars
};

struct ScalarSignal {
  const char* name;
  int width;
};
constexpr ScalarSignal kScalarSignals[kScalars] = {
    {"macs", 32},
    {"distribution_words_delivered", 32},
    {"reduction_words_delivered", 32},
    {"distribution_words_in_network", 32},
    {"reduction_words_in_network", 32},
    {"l2_queued_requests", 32},
    {"dram_busy", 1},
    {"run", 32},
};

}  // namespace

VcdWriter::VcdWriter(std::ostream& out, std::int64_t max_pes)
    : out_(out), max_pes_(std::max<std::int64_t>(max_pes, 0)) {}

VcdWriter::~VcdWriter() {
  close();
}

void VcdWriter::write_header(std::size_t pes) {
  header_written_ = true;
  pes_ = pes;
  traced_pes_ = std::min(pes, static_cast<std::size_t>(max_pes_));
  char date[64] = "unknown";
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  if (localtime_r(&now, &tm) != nullptr)
    std::strftime(date, sizeof date, "%a %b %d %H:%M:%S %Y", &tm);
  out_ << "$date\n  " << date << "\n$end\n";
  out_ << "$version\n  metronome simulate --vcd\n$end\n";
  out_ << "$comment\n  1 ns = 1 simulated clock cycle. pe<i>_state: 0 idle, 1 busy, "
          "2 waiting_for_input, 3 output_backpressure";
  out_ << fmt::format(" (the first {} of {} PEs).", traced_pes_, pes);
  out_ << " Counters per cycle: macs, words delivered; now: words in network, L2 queued "
          "requests, dram_busy. run: index of the simulation (runs follow one another).\n$end\n";
  out_ << "$timescale 1ns $end\n";
  out_ << "$scope module accelerator $end\n";
  signals_.clear();
  out_ << "$scope module pes $end\n";
  for (std::size_t p = 0; p < traced_pes_; ++p) {
    signals_.push_back(Signal{vcd_id(signals_.size()), 2, -1});
    out_ << fmt::format("$var wire 2 {} pe{}_state [1:0] $end\n", signals_.back().id, p);
  }
  out_ << "$upscope $end\n";
  first_scalar_ = signals_.size();
  for (const ScalarSignal& s : kScalarSignals) {
    signals_.push_back(Signal{vcd_id(signals_.size()), s.width, -1});
    if (s.width == 1)
      out_ << fmt::format("$var wire 1 {} {} $end\n", signals_.back().id, s.name);
    else
      out_ << fmt::format("$var integer {} {} {} $end\n", s.width, signals_.back().id, s.name);
  }
  out_ << "$upscope $end\n$enddefinitions $end\n";
  changed_.assign(signals_.size(), 0);
}

void VcdWriter::start(const Engine& engine) {
  if (closed_) return;
  if (!header_written_) {
    write_header(engine.pes().size());
  } else if (engine.pes().size() != pes_) {
    throw std::logic_error(
        fmt::format("VcdWriter: a run with {} PEs after runs with {}", engine.pes().size(), pes_));
  }
  ++run_;
  offset_ = end_time_;
  last_cycle_ = -1;
  sampler_.start(engine, /*links=*/false);
  out_ << fmt::format("$comment run {}{} starts at time {} $end\n", run_,
                      label_.empty() ? "" : ": " + label_, offset_);
}

void VcdWriter::set(std::size_t signal, std::int64_t value) {
  Signal& s = signals_[signal];
  if (s.width < 63) value = std::min<std::int64_t>(value, (std::int64_t{1} << s.width) - 1);
  if (s.value == value) return;
  s.value = value;
  changed_[signal] = 1;
}

void VcdWriter::on_cycle(const Engine& engine, std::int64_t cycle) {
  if (closed_) return;
  sampler_.sample(engine);
  last_cycle_ = cycle;
  const std::span<const PeState> states = sampler_.pe_states();
  for (std::size_t p = 0; p < traced_pes_; ++p) set(p, static_cast<std::int64_t>(states[p]));
  const std::size_t f = first_scalar_;
  set(f + kMacs, sampler_.macs());
  set(f + kDistDelivered, sampler_.delivered(Direction::Distribution));
  set(f + kRedDelivered, sampler_.delivered(Direction::Reduction));
  set(f + kDistHeld, sampler_.words_held(Direction::Distribution));
  set(f + kRedHeld, sampler_.words_held(Direction::Reduction));
  set(f + kL2Queued, sampler_.l2_queued_requests());
  set(f + kDramBusy, sampler_.dram_busy() ? 1 : 0);
  set(f + kRun, run_);

  pending_.clear();
  for (std::size_t i = 0; i < signals_.size(); ++i) {
    if (!changed_[i]) continue;
    changed_[i] = 0;
    const Signal& s = signals_[i];
    if (s.width == 1)
      fmt::format_to(std::back_inserter(pending_), FMT_COMPILE("{}{}\n"), s.value, s.id);
    else
      fmt::format_to(std::back_inserter(pending_), FMT_COMPILE("b{:b} {}\n"), s.value, s.id);
  }
  if (pending_.empty()) return;
  const std::int64_t time = offset_ + cycle;
  if (time_written_ < 0) {  // the first values: every signal's initial value
    out_ << "#" << time << "\n$dumpvars\n" << pending_ << "$end\n";
    time_written_ = time;
    return;
  }
  if (time > time_written_) {
    out_ << '#' << time << '\n';
    time_written_ = time;
  }
  out_ << pending_;
}

void VcdWriter::finish(const Engine& /*engine*/, bool /*completed*/) {
  if (closed_) return;
  end_time_ = std::max(end_time_, offset_ + last_cycle_ + 1);
}

void VcdWriter::close() {
  if (closed_) return;
  closed_ = true;
  if (!header_written_) write_header(0);
  if (end_time_ > time_written_) out_ << '#' << end_time_ << '\n';
  out_.flush();
}

}  // namespace metronome::sim
