// Component testbench of the PE core: a source answers its requests after a fixed latency with
// deterministic values, a sink takes its partial sums as credits allow. Cycles and counts are
// hand-computed from the rules in sim/DESIGN.md ("Memories and PE cores").

#include "sim/pe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace metronome::sim {
namespace {

std::int64_t source_value(const WordKey& k) {
  return k.tensor == Tensor::Input ? (k.index * 7) % 11 - 5 : (k.index * 5) % 13 - 6;
}

Hardware pe_hw(std::int64_t macs_per_cycle, std::int64_t l1_words) {
  Hardware hw;
  hw.pe.macs_per_cycle = macs_per_cycle;
  hw.pe.l1_bytes = l1_words;
  hw.word_bytes = 1;
  return hw;
}

struct PeBench {
  Pe pe;
  std::int64_t latency = 1;  // a request published at cycle c is delivered before c + latency
  std::function<std::int64_t(std::int64_t)> credits = [](std::int64_t) { return 1 << 20; };
  std::function<std::int64_t(const WordKey&)> value = source_value;
  std::int64_t cycle = 0;
  std::deque<std::pair<std::int64_t, Word>> in_flight;
  std::vector<Word> drained;
  std::vector<std::int64_t> requests_at;  // per cycle: words requested
  // Every request: cycle, tensor, index, the step it is for.
  std::vector<std::tuple<std::int64_t, Tensor, std::int64_t, std::int64_t>> request_log;
  // (cycle, scanned_through()) whenever the steps the PE declared gone through grew.
  std::vector<std::pair<std::int64_t, std::int64_t>> scanned_log;
  std::int64_t evaluations = 0;
  std::int64_t busy_cycles_asleep = 0;  // cycles a busy PE slept through (its MACs done later)

  explicit PeBench(const Hardware& hw, BufferCapacity cap = BufferCapacity::Enforced)
      : pe(hw, 0, cap) {}

  void run(std::int64_t cycles) {
    for (std::int64_t i = 0; i < cycles; ++i, ++cycle) {
      while (!in_flight.empty() && in_flight.front().first <= cycle) {
        pe.deliver(in_flight.front().second);
        in_flight.pop_front();
      }
      if (const std::int64_t c = credits(cycle); c > 0) pe.add_drain_credits(c);
      if (!pe.asleep_at(cycle)) {  // as the engine: a sleeping PE is neither evaluated nor
        pe.evaluate(cycle);        // committed (a busy one until it is due)
        pe.commit();
        ++evaluations;
      } else if (pe.due_at() != Pe::kNever) {
        ++busy_cycles_asleep;
      }
      for (std::size_t r = 0; r < pe.requests().size(); ++r) {
        const WordKey& k = pe.requests()[r];
        in_flight.push_back({cycle + latency, {k, value(k)}});
        request_log.emplace_back(cycle, k.tensor, k.index, pe.request_steps()[r]);
      }
      requests_at.push_back(static_cast<std::int64_t>(pe.requests().size()));
      if (scanned_log.empty() || scanned_log.back().second != pe.scanned_through())
        scanned_log.emplace_back(cycle, pe.scanned_through());
      drained.insert(drained.end(), pe.drained().begin(), pe.drained().end());
    }
  }
  std::int64_t run_until_done(std::int64_t limit = 10000) {
    const std::int64_t start = cycle;
    while (!(pe.done() && in_flight.empty())) {
      if (cycle - start >= limit) ADD_FAILURE() << "PE did not finish";
      if (cycle - start >= limit) break;
      run(1);
    }
    return cycle - start;
  }
};

PeStep dot_step(std::int64_t first_input, std::int64_t n, std::int64_t output) {
  PeStep s;
  for (std::int64_t i = 0; i < n; ++i) {
    s.tile.words[Tensor::Input].push_back(first_input + i);
    s.tile.words[Tensor::Weight].push_back(i);
    const auto pos = static_cast<std::uint32_t>(i);
    s.macs.push_back({pos, pos, 0});  // tile positions
  }
  s.tile.words[Tensor::Output] = {output};
  return s;
}

TEST(Pe, ComputesADotProductExactly) {
  PeBench b(pe_hw(1, 64));
  const std::vector<std::int64_t> a = {3, -1, 4, 1}, w = {2, 7, -1, 8};
  b.value = [&](const WordKey& k) { return (k.tensor == Tensor::Input ? a : w)[k.index]; };
  b.pe.push_step(dot_step(0, 4, 0));
  b.pe.push_flush();
  // cycle 0: requests; 1..4: MACs; 5: the flush drains output[0].
  EXPECT_EQ(b.run_until_done(), 6);
  ASSERT_EQ(b.drained.size(), 1u);
  EXPECT_EQ(b.drained[0], (Word{{Tensor::Output, 0}, 3 * 2 - 1 * 7 - 4 * 1 + 1 * 8}));
  const PeStats& s = b.pe.stats();
  EXPECT_EQ(s.macs, 4);
  EXPECT_EQ(s.busy_cycles, 4);
  EXPECT_EQ(s.waiting_for_input_cycles, 1);
  EXPECT_EQ(s.idle_cycles, 1);
  EXPECT_EQ(s.output_backpressure_cycles, 0);
  EXPECT_EQ(s.l1.tensor[Tensor::Input], (ReadWrite{4, 4}));
  EXPECT_EQ(s.l1.tensor[Tensor::Weight], (ReadWrite{4, 4}));
  EXPECT_EQ(s.l1.tensor[Tensor::Output], (ReadWrite{4 + 1, 4}));  // read-accumulate + read out
  EXPECT_EQ(s.requested_words[Tensor::Input], 4);
  EXPECT_EQ(s.requested_words[Tensor::Weight], 4);
  EXPECT_EQ(s.drained_words, 1);
  EXPECT_EQ(s.peak_words, 9);
  EXPECT_EQ(s.steps, 2);
}

TEST(Pe, ComputesAConvolutionWindowExactly) {
  // 4x4 input, 3x3 weights, stride 1 -> 2x2 outputs; 36 MACs at 3 per cycle.
  PeBench b(pe_hw(3, 64));
  PeStep s;
  for (std::int64_t i = 0; i < 16; ++i) s.tile.words[Tensor::Input].push_back(i);
  for (std::int64_t i = 0; i < 9; ++i) s.tile.words[Tensor::Weight].push_back(i);
  for (std::int64_t i = 0; i < 4; ++i) s.tile.words[Tensor::Output].push_back(i);
  std::vector<std::int64_t> reference(4, 0);
  for (std::int64_t oy = 0; oy < 2; ++oy)
    for (std::int64_t ox = 0; ox < 2; ++ox)
      for (std::int64_t r = 0; r < 3; ++r)
        for (std::int64_t c = 0; c < 3; ++c) {
          const std::int64_t in = (oy + r) * 4 + (ox + c), wt = r * 3 + c, out = oy * 2 + ox;
          s.macs.push_back({static_cast<std::uint32_t>(in), static_cast<std::uint32_t>(wt),
                            static_cast<std::uint32_t>(out)});  // positions = flat indices here
          reference[static_cast<std::size_t>(out)] +=
              source_value({Tensor::Input, in}) * source_value({Tensor::Weight, wt});
        }
  b.pe.push_step(std::move(s));
  b.pe.push_flush();
  EXPECT_EQ(b.run_until_done(), 1 + 12 + 1);
  ASSERT_EQ(b.drained.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(b.drained[i].key, (WordKey{Tensor::Output, static_cast<std::int64_t>(i)}));
    EXPECT_EQ(b.drained[i].value, reference[i]) << "output " << i;
  }
  EXPECT_EQ(b.pe.stats().macs, 36);
  EXPECT_EQ(b.pe.stats().busy_cycles, 12);
  EXPECT_EQ(b.pe.stats().requested_words[Tensor::Input], 16);
}

// Steps the PE has finished with come back for refilling (Pe::take_spent_steps); a run whose
// steps are built in recycled storage behaves exactly as one with fresh steps.
TEST(Pe, HandsBackSpentStepsForReuse) {
  const auto run = [](bool recycle) {
    PeBench b(pe_hw(1, 64));
    std::vector<PeStep> spare;
    std::vector<Word> out;
    for (std::int64_t k = 0; k < 6; ++k) {
      PeStep s = dot_step(k, 4, k % 3);
      if (recycle && !spare.empty()) {
        // Stale contents and capacity from an old step, overwritten by assignment.
        PeStep r = std::move(spare.back());
        spare.pop_back();
        r.tile = s.tile;
        r.macs = s.macs;
        s = std::move(r);
      }
      b.pe.push_step(std::move(s));
      b.run(3);
      b.pe.take_spent_steps(spare);
    }
    b.pe.push_flush();
    b.run_until_done();
    b.pe.take_spent_steps(spare);
    EXPECT_FALSE(spare.empty());
    return std::pair(b.drained, b.pe.stats().macs);
  };
  const auto fresh = run(false);
  const auto recycled = run(true);
  EXPECT_EQ(fresh.first, recycled.first);
  EXPECT_EQ(fresh.second, recycled.second);
  EXPECT_EQ(fresh.second, 24);
}

TEST(Pe, ReusesWordsAlreadyInL1) {
  PeBench b(pe_hw(1, 64));
  b.pe.push_step(dot_step(0, 4, 0));  // weights 0..3 arrive once ...
  b.pe.push_step(dot_step(4, 4, 1));  // ... and stay: only inputs 4..7 are requested
  b.run_until_done();
  EXPECT_EQ(b.pe.stats().requested_words[Tensor::Input], 8);
  EXPECT_EQ(b.pe.stats().requested_words[Tensor::Weight], 4);
  const std::int64_t dot = b.pe.value({Tensor::Output, 1});
  ASSERT_EQ(b.drained.size(), 1u);  // output[0] left when the second step began
  const std::int64_t waits = b.pe.stats().waiting_for_input_cycles;

  // A step whose words are all present requests nothing and computes at once; its partial sum
  // stays in L1 and keeps accumulating.
  b.pe.push_step(dot_step(4, 4, 1));
  EXPECT_EQ(b.run_until_done(), 4);
  EXPECT_EQ(b.pe.stats().requested_words[Tensor::Input], 8);
  EXPECT_EQ(b.pe.stats().requested_words[Tensor::Weight], 4);
  EXPECT_EQ(b.pe.stats().waiting_for_input_cycles, waits);
  EXPECT_EQ(b.pe.value({Tensor::Output, 1}), 2 * dot);
  EXPECT_EQ(std::count(b.requests_at.end() - 4, b.requests_at.end(), 0), 4);
}

TEST(Pe, RefusesTileListsThatAreNotAscendingAndDistinct) {
  Pe pe(pe_hw(1, 64), 2);
  PeStep unsorted = dot_step(0, 3, 0);
  std::swap(unsorted.tile.words[Tensor::Input][0], unsorted.tile.words[Tensor::Input][1]);
  EXPECT_THROW(pe.push_step(unsorted), std::logic_error);
  PeStep repeated = dot_step(0, 3, 0);
  repeated.tile.words[Tensor::Weight][1] = repeated.tile.words[Tensor::Weight][0];
  EXPECT_THROW(pe.push_step(repeated), std::logic_error);
  EXPECT_NO_THROW(pe.push_step(dot_step(0, 3, 0)));
}

TEST(Pe, CapacityIsEnforcedAndNamesTheNumbers) {
  Hardware hw = pe_hw(1, 16);
  hw.word_bytes = 2;  // 8 words
  Pe pe(hw, 3);
  EXPECT_EQ(pe.capacity_words(), 8);
  EXPECT_NO_THROW(pe.push_step(dot_step(0, 3, 0)));  // 7 words
  try {
    pe.push_step(dot_step(0, 4, 0));  // 9 words
    FAIL() << "no capacity error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("PE 3: L1 working set of 9 words (input 4, weight 4, "
                                         "output 1) exceeds its capacity of 8 words "
                                         "(pe.l1_bytes 16 / word_bytes 2)"),
              std::string::npos)
        << e.what();
  }
  PeBench unbounded(hw, BufferCapacity::Unbounded);
  unbounded.pe.push_step(dot_step(0, 4, 0));
  unbounded.run_until_done();
  EXPECT_EQ(unbounded.pe.stats().peak_words, 9);
}

TEST(Pe, PrefetchesTheNextStepIntoFreeWordsOnly) {
  for (const std::int64_t l1 : {64, 9}) {
    PeBench b(pe_hw(1, l1));
    b.latency = 3;
    b.pe.push_step(dot_step(0, 4, 0));
    b.pe.push_step(dot_step(4, 4, 1));
    b.run_until_done();
    if (l1 == 64) {
      // Both steps' words requested in cycle 0, arrive in 3; MACs in 3..10 back to back.
      EXPECT_EQ(b.requests_at[0], 12);
      EXPECT_EQ(b.pe.stats().waiting_for_input_cycles, 3);
    } else {
      // No free word while the first step runs: inputs 4..7 are requested when the second step
      // begins (cycle 7) and arrive in 10.
      EXPECT_EQ(b.requests_at[0], 8);
      EXPECT_EQ(b.requests_at[7], 4);
      EXPECT_EQ(b.pe.stats().waiting_for_input_cycles, 6);
    }
    EXPECT_EQ(b.pe.stats().busy_cycles, 8);
    EXPECT_EQ(b.pe.stats().requested_words[Tensor::Input], 8);
    EXPECT_LE(b.pe.stats().peak_words, l1);
  }
}

TEST(Pe, OutputBackPressureStallsWithoutLosingAWord) {
  // 4 words: input[0], weight[0] and two partial sums. The second step's partial sums need the
  // words the first step's still occupy; the sink gives no credit before cycle 8.
  PeBench b(pe_hw(1, 4));
  b.credits = [](std::int64_t c) { return c >= 8 ? 1 : 0; };
  for (std::int64_t first : {0, 2}) {
    PeStep s;
    s.tile.words[Tensor::Input] = {0};
    s.tile.words[Tensor::Weight] = {0};
    s.tile.words[Tensor::Output] = {first, first + 1};
    s.macs = {{0, 0, 0}, {0, 0, 1}};  // tile positions
    b.pe.push_step(std::move(s));
  }
  b.pe.push_flush();
  // 0: requests; 1, 2: MACs; 3..7: blocked; 8, 9: one drain each frees a word for a MAC;
  // 10: output[2] leaves (output[3] still blocked); 11: output[3] leaves.
  EXPECT_EQ(b.run_until_done(), 12);
  const std::int64_t p = source_value({Tensor::Input, 0}) * source_value({Tensor::Weight, 0});
  ASSERT_EQ(b.drained.size(), 4u);
  for (std::int64_t i = 0; i < 4; ++i)
    EXPECT_EQ(b.drained[static_cast<std::size_t>(i)], (Word{{Tensor::Output, i}, p}));
  const PeStats& s = b.pe.stats();
  EXPECT_EQ(s.busy_cycles, 4);
  EXPECT_EQ(s.waiting_for_input_cycles, 1);
  EXPECT_EQ(s.output_backpressure_cycles, 5 + 1);
  EXPECT_EQ(s.idle_cycles, 1);
  EXPECT_EQ(s.peak_words, 4);
}

// The deadlock a tight L1 used to hit: while step A runs, the free words are fetched ahead for
// step C (step B needs no input or weight), and they stay until C begins. B's two new partial
// sums (never fetched, so never fetched ahead) then found no room: nothing could leave and the
// PE stalled for good. The prefetch now leaves every queued step room for its whole tile.
TEST(Pe, PrefetchLeavesRoomForTheNextStepsPartialSums) {
  // A: inputs 0..3, weights 0..3, output 0 (9 words); B: the same inputs and weights, outputs
  // 1 and 2 (10 words = L1); C: inputs 4..7, weights 0..3, output 3.
  PeBench b(pe_hw(1, 10));
  b.latency = 2;
  b.pe.push_step(dot_step(0, 4, 0));
  PeStep two_outputs = dot_step(0, 4, 1);
  two_outputs.tile.words[Tensor::Output] = {1, 2};
  for (std::uint32_t i = 0; i < 4; ++i) two_outputs.macs.push_back({i, i, 1});
  b.pe.push_step(std::move(two_outputs));
  b.pe.push_step(dot_step(4, 4, 3));
  b.pe.push_flush();
  b.run_until_done(1000);
  ASSERT_TRUE(b.pe.done());
  const auto dot = [](std::int64_t first_input) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < 4; ++i)
      sum += source_value({Tensor::Input, first_input + i}) * source_value({Tensor::Weight, i});
    return sum;
  };
  EXPECT_EQ(b.drained, (std::vector<Word>{{{Tensor::Output, 0}, dot(0)},
                                          {{Tensor::Output, 1}, dot(0)},
                                          {{Tensor::Output, 2}, dot(0)},
                                          {{Tensor::Output, 3}, dot(4)}}));
  const PeStats& s = b.pe.stats();
  EXPECT_EQ(s.requested_words[Tensor::Input], 8);
  EXPECT_EQ(s.requested_words[Tensor::Weight], 4);
  EXPECT_LE(s.peak_words, 10);
}

// No tight L1 stalls a PE for good: random steps (shapes, overlaps, MACs per cycle), random
// latency and scarce drain credits, and an L1 of the largest tile plus 0 to 3 words. Every run
// ends with every partial sum drained once and exact.
// A random non-empty ascending subset of [offset, offset + n), n <= 64.
std::vector<std::int64_t> random_subset(std::mt19937_64& rng, std::int64_t n, std::int64_t offset) {
  std::vector<std::int64_t> v;
  const std::uint64_t bits = rng();
  for (std::int64_t i = 0; i < n; ++i)
    if ((bits >> i) & 1u) v.push_back(offset + i);
  if (v.empty()) v.push_back(offset + static_cast<std::int64_t>(rng() % n));
  return v;
}

// Every counter of two PEs that should have done the same.
void expect_same_counts(const PeStats& a, const PeStats& b, int trial) {
  EXPECT_EQ(b.busy_cycles, a.busy_cycles) << "trial " << trial;
  EXPECT_EQ(b.waiting_for_input_cycles, a.waiting_for_input_cycles) << "trial " << trial;
  EXPECT_EQ(b.output_backpressure_cycles, a.output_backpressure_cycles) << "trial " << trial;
  EXPECT_EQ(b.idle_cycles, a.idle_cycles) << "trial " << trial;
  EXPECT_EQ(b.macs, a.macs) << "trial " << trial;
  EXPECT_EQ(b.steps, a.steps) << "trial " << trial;
  EXPECT_EQ(b.peak_words, a.peak_words) << "trial " << trial;
  EXPECT_EQ(b.requested_words, a.requested_words) << "trial " << trial;
  EXPECT_EQ(b.drained_words, a.drained_words) << "trial " << trial;
  for (Tensor t : kAllTensors) {
    EXPECT_EQ(b.l1.tensor[t].reads, a.l1.tensor[t].reads) << "trial " << trial;
    EXPECT_EQ(b.l1.tensor[t].writes, a.l1.tensor[t].writes) << "trial " << trial;
  }
}

TEST(Pe, AnyL1ThatHoldsTheLargestTileFinishes) {
  std::mt19937_64 rng(2026);
  const auto subset = [&](std::int64_t n, std::int64_t offset) {
    return random_subset(rng, n, offset);
  };
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<PeStep> steps;
    std::int64_t largest = 0;
    const int count = 4 + trial % 9;
    for (int k = 0; k < count; ++k) {
      PeStep s;
      const std::int64_t window = static_cast<std::int64_t>(rng() % 3) * 3;  // drifting tiles
      s.tile.words[Tensor::Input] = subset(6, window);
      s.tile.words[Tensor::Weight] = subset(5, 0);
      s.tile.words[Tensor::Output] = subset(5, static_cast<std::int64_t>(rng() % 4) * 2);
      const auto& w = s.tile.words;
      for (std::size_t m = 0; m < 4; ++m)
        s.macs.push_back({static_cast<std::uint32_t>(rng() % w[Tensor::Input].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Weight].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Output].size())});
      largest = std::max(largest, s.tile.size());
      steps.push_back(std::move(s));
    }
    // The reference: partial sums per output while it stays in consecutive tiles.
    std::vector<Word> expected;
    std::vector<std::pair<std::int64_t, std::int64_t>> held;  // output, value
    for (std::size_t k = 0; k <= steps.size(); ++k) {
      const std::vector<std::int64_t> none;
      const auto& outs = k < steps.size() ? steps[k].tile.words[Tensor::Output] : none;
      std::vector<std::pair<std::int64_t, std::int64_t>> kept;
      for (const auto& [o, v] : held)
        if (std::binary_search(outs.begin(), outs.end(), o))
          kept.push_back({o, v});
        else
          expected.push_back({{Tensor::Output, o}, v});
      held = kept;
      if (k == steps.size()) break;
      for (std::int64_t o : outs)
        if (std::none_of(held.begin(), held.end(), [&](const auto& e) { return e.first == o; }))
          held.push_back({o, 0});
      const auto& w = steps[k].tile.words;
      for (const PeMac& m : steps[k].macs)
        for (auto& [o, v] : held)
          if (o == w[Tensor::Output][m.output])
            v += source_value({Tensor::Input, w[Tensor::Input][m.input]}) *
                 source_value({Tensor::Weight, w[Tensor::Weight][m.weight]});
    }

    PeBench b(pe_hw(1 + trial % 3, largest + trial % 4));
    b.latency = 1 + trial % 5;
    const std::int64_t every = 1 + trial % 4;  // one drain credit every `every` cycles
    b.credits = [every](std::int64_t c) { return c % every == 0 ? 1 : 0; };
    for (PeStep& s : steps) b.pe.push_step(std::move(s));
    b.pe.push_flush();
    b.run_until_done(5000);
    ASSERT_TRUE(b.pe.done()) << "trial " << trial << ": stalled with L1 of "
                             << b.pe.capacity_words() << " words";
    const auto by_key = [](const Word& x, const Word& y) {
      return std::pair(x.key.index, x.value) < std::pair(y.key.index, y.value);
    };
    std::sort(expected.begin(), expected.end(), by_key);
    std::sort(b.drained.begin(), b.drained.end(), by_key);
    EXPECT_EQ(b.drained, expected) << "trial " << trial;
    EXPECT_LE(b.pe.stats().peak_words, b.pe.capacity_words());
  }
}

// A PE whose cycle changed nothing sleeps until a delivery, a step or drain credits wake it
// (sim/DESIGN.md, "Quiet PEs"), and one whose cycle changed nothing but its MACs sleeps until its
// step's last MAC is done ("Busy PEs"): over random steps, latencies and credit rates it
// publishes the same requests and partial sums (values too) in the same cycles as a PE evaluated
// in every cycle, and ends with the same counters, the cycles it slept counted like the one
// before.
TEST(Pe, SleepingThroughQuietCyclesChangesNothing) {
  std::mt19937_64 rng(77);
  const auto subset = [&](std::int64_t n, std::int64_t offset) {
    return random_subset(rng, n, offset);
  };
  std::int64_t slept = 0, slept_busy = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<PeStep> steps;
    std::int64_t largest = 0;
    for (int k = 0; k < 3 + trial % 7; ++k) {
      PeStep s;
      s.tile.words[Tensor::Input] = subset(6, static_cast<std::int64_t>(rng() % 3) * 3);
      s.tile.words[Tensor::Weight] = subset(5, 0);
      s.tile.words[Tensor::Output] = subset(4, static_cast<std::int64_t>(rng() % 3) * 2);
      const auto& w = s.tile.words;
      for (std::size_t m = 0; m < 1 + rng() % 6; ++m)
        s.macs.push_back({static_cast<std::uint32_t>(rng() % w[Tensor::Input].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Weight].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Output].size())});
      largest = std::max(largest, s.tile.size());
      steps.push_back(std::move(s));
    }
    const Hardware hw = pe_hw(1 + trial % 3, largest + trial % 5);
    PeBench every(hw), skipping(hw);
    skipping.pe.set_skip_quiet_cycles(true);
    const std::int64_t period = 2 + trial % 9;  // credits come in bursts, so drains wait
    for (PeBench* b : {&every, &skipping}) {
      b->latency = 1 + trial % 13;
      b->credits = [period](std::int64_t c) { return c % period == 0 ? 2 : 0; };
      for (const PeStep& s : steps) b->pe.push_step(s);
      b->pe.push_flush();
    }
    every.run_until_done(5000);
    skipping.run(every.cycle);
    ASSERT_TRUE(skipping.pe.done()) << "trial " << trial;
    EXPECT_EQ(skipping.requests_at, every.requests_at) << "trial " << trial;
    EXPECT_EQ(skipping.drained, every.drained) << "trial " << trial;
    expect_same_counts(every.pe.stats_through(every.cycle),
                       skipping.pe.stats_through(skipping.cycle), trial);
    EXPECT_EQ(every.evaluations, every.cycle);
    slept += skipping.cycle - skipping.evaluations;
    slept_busy += skipping.busy_cycles_asleep;
  }
  EXPECT_GT(slept, 1000) << "the PEs hardly ever slept: the test would not see a miscount";
  EXPECT_GT(slept_busy, 300) << "busy PEs hardly ever slept";
}

// The prefetch pass's shortcuts over the steps the last pass went through (sim/pe.cpp,
// skip_known_prefix and refetch_evicted): over long random step sequences whose input and weight
// windows wander off and come back (so passes are doomed and steps the last pass went through
// name words the new step evicted) and whose lists often equal the step's before (stationary
// tensors), L1s from the largest tile to 24 words more, random latencies
// and credit rates, a PE with the shortcuts asks for the same words, for the same steps, in the
// same order and cycles, and declares the same steps gone through in the same cycles, as one
// reading every queued step word by word.
TEST(Pe, PrefetchShortcutsChangeNothing) {
  std::mt19937_64 rng(4242);
  const auto subset = [&](std::int64_t n, std::int64_t offset) {
    return random_subset(rng, n, offset);
  };
  std::int64_t refetched = 0;
  // Words a step drops that a later step names again (within the lookahead), the case the
  // shortcut skips without looking (sim/pe.cpp, skip_known_prefix): the trials must be full of it.
  std::int64_t dropped_and_named_again = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<PeStep> steps;
    std::int64_t largest = 0;
    for (int k = 0; k < 8 + trial % 17; ++k) {
      PeStep s;
      s.tile.words[Tensor::Input] = subset(5, static_cast<std::int64_t>(rng() % 4) * 2);
      s.tile.words[Tensor::Weight] = subset(4, static_cast<std::int64_t>(rng() % 3) * 2);
      // Stationary runs: a list equal to the step's before (the pass skips intersecting it).
      if (!steps.empty() && rng() % 3 == 0)
        s.tile.words[Tensor::Weight] = steps.back().tile.words[Tensor::Weight];
      if (!steps.empty() && rng() % 5 == 0)
        s.tile.words[Tensor::Input] = steps.back().tile.words[Tensor::Input];
      s.tile.words[Tensor::Output] = subset(3, static_cast<std::int64_t>(rng() % 3));
      const auto& w = s.tile.words;
      for (std::size_t m = 0; m < 1 + rng() % 4; ++m)
        s.macs.push_back({static_cast<std::uint32_t>(rng() % w[Tensor::Input].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Weight].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Output].size())});
      largest = std::max(largest, s.tile.size());
      steps.push_back(std::move(s));
    }
    for (std::size_t i = 1; i < steps.size(); ++i)
      for (Tensor t : {Tensor::Input, Tensor::Weight})
        for (const std::int64_t w : steps[i - 1].tile.words[t]) {
          const auto names = [&](const PeStep& s) {
            return std::binary_search(s.tile.words[t].begin(), s.tile.words[t].end(), w);
          };
          if (names(steps[i])) continue;
          for (std::size_t j = i + 1; j < std::min(steps.size(), i + 16); ++j)
            if (names(steps[j])) {
              ++dropped_and_named_again;
              break;
            }
        }
    const Hardware hw = pe_hw(1 + trial % 2, largest + trial % 25);
    PeBench scan(hw), shortcut(hw);
    scan.pe.set_prefetch_shortcuts(false);
    const std::int64_t period = 1 + trial % 5;
    for (PeBench* b : {&scan, &shortcut}) {
      b->latency = 1 + trial % 7;
      b->credits = [period](std::int64_t c) { return c % period == 0 ? 1 : 0; };
      for (const PeStep& s : steps) b->pe.push_step(s);
      b->pe.push_flush();
    }
    scan.run_until_done(5000);
    shortcut.run(scan.cycle);
    ASSERT_TRUE(shortcut.pe.done()) << "trial " << trial;
    EXPECT_EQ(shortcut.request_log, scan.request_log) << "trial " << trial;
    EXPECT_EQ(shortcut.scanned_log, scan.scanned_log) << "trial " << trial;
    EXPECT_EQ(shortcut.drained, scan.drained) << "trial " << trial;
    EXPECT_EQ(shortcut.pe.stats().waiting_for_input_cycles,
              scan.pe.stats().waiting_for_input_cycles)
        << "trial " << trial;
    EXPECT_EQ(scan.pe.refetched_steps(), 0);
    refetched += shortcut.pe.refetched_steps();
  }
  EXPECT_GT(refetched, 1000) << "the shortcut was hardly taken: the test would not see a change";
  EXPECT_GT(dropped_and_named_again, 1000)
      << "few dropped words come back: a shortcut that loses them would not be seen";
}

// A step handed again as a repeat (PeStep::repeat, no lists) behaves as a copy of it: over random
// step sequences (up to 33 distinct steps, one in four an idle unit's: weights only, no MAC) with
// runs of repeated steps, pushed a few at a time so that a repeat follows a queued step or the
// step begun last, L1 enforced or unbounded, quiet cycles slept or not, a PE handed repeats (with
// the prefetch shortcuts on or off) asks for the same words for the same steps in the same
// cycles, declares the same steps gone through, drains the same partial sums and counts the same
// as one handed copies that reads every queued list word by word.
TEST(Pe, RepeatedStepsChangeNothing) {
  std::mt19937_64 rng(9090);
  const auto subset = [&](std::int64_t n, std::int64_t offset) {
    return random_subset(rng, n, offset);
  };
  std::int64_t repeats = 0, queued_repeats = 0, passed_asleep = 0, finished_at_once = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<PeStep> steps;
    std::vector<bool> repeat;
    std::int64_t largest = 0;
    for (int k = 0; k < 5 + trial % 29; ++k) {
      PeStep s;
      s.tile.words[Tensor::Weight] = subset(4, static_cast<std::int64_t>(rng() % 3) * 2);
      // One step in four as an idle unit's: the weights only, no MAC.
      const bool idle = rng() % 4 == 0;
      if (!idle) {
        s.tile.words[Tensor::Input] = subset(5, static_cast<std::int64_t>(rng() % 4) * 2);
        s.tile.words[Tensor::Output] = subset(3, static_cast<std::int64_t>(rng() % 3));
      }
      const auto& w = s.tile.words;
      for (std::size_t m = 0; !idle && m < rng() % 4; ++m)
        s.macs.push_back({static_cast<std::uint32_t>(rng() % w[Tensor::Input].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Weight].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Output].size())});
      largest = std::max(largest, s.tile.size());
      const std::uint64_t copies = rng() % 3 == 0 ? 1 + rng() % 4 : 0;
      for (std::uint64_t c = 0; c <= copies; ++c) {
        steps.push_back(s);
        repeat.push_back(c > 0);
      }
    }
    const Hardware hw = pe_hw(1 + trial % 2, largest + trial % 9);
    const BufferCapacity cap =
        trial % 7 == 0 ? BufferCapacity::Unbounded : BufferCapacity::Enforced;
    PeBench copies(hw, cap), repeated(hw, cap);
    const std::int64_t period = 1 + trial % 4;
    for (PeBench* b : {&copies, &repeated}) {
      b->latency = 1 + trial % 6;
      b->credits = [period](std::int64_t c) { return c % period == 0 ? 1 : 0; };
      b->pe.set_skip_quiet_cycles(trial % 2 == 0);
    }
    // The reference reads every queued list word by word (no shortcut, not even for its equal
    // lists); the PE given repeats takes the shortcuts in two trials of three.
    copies.pe.set_prefetch_shortcuts(false);
    repeated.pe.set_prefetch_shortcuts(trial % 3 != 0);
    // One to three steps every `gap` cycles (all at once when gap is 0).
    const std::int64_t gap = trial % 5;
    std::size_t next = 0;
    while (next < steps.size()) {
      for (std::uint64_t n = 1 + rng() % 3; n > 0 && next < steps.size(); --n, ++next) {
        copies.pe.push_step(steps[next]);
        PeStep r;
        r.repeat = repeat[next];
        if (!r.repeat) r = steps[next];
        if (r.repeat) {
          ++repeats;
          queued_repeats += repeated.pe.queued_steps() > 0 ? 1 : 0;
        }
        repeated.pe.push_step(std::move(r));
      }
      copies.run(gap);
      repeated.run(gap);
    }
    copies.pe.push_flush();
    repeated.pe.push_flush();
    copies.run_until_done(5000);
    repeated.run(copies.cycle - repeated.cycle);
    ASSERT_TRUE(repeated.pe.done()) << "trial " << trial;
    EXPECT_EQ(repeated.request_log, copies.request_log) << "trial " << trial;
    EXPECT_EQ(repeated.scanned_log, copies.scanned_log) << "trial " << trial;
    EXPECT_EQ(repeated.drained, copies.drained) << "trial " << trial;
    expect_same_counts(copies.pe.stats_through(copies.cycle),
                       repeated.pe.stats_through(repeated.cycle), trial);
    passed_asleep += repeated.pe.repeats_passed_asleep();
    finished_at_once += repeated.pe.repeats_finished_at_once();
  }
  // Both ways of finding the step before a repeat are exercised, and both shortcuts of a
  // sleeping PE (a repeat passed over asleep, a run of repeats finished at once).
  EXPECT_GT(queued_repeats, 100);
  EXPECT_GT(repeats - queued_repeats, 100);
  EXPECT_GT(passed_asleep, 100);
  EXPECT_GT(finished_at_once, 100);
}

// Runs of identical PEs (sim/DESIGN.md): a PE that leaves a run takes the state of the PE it
// followed, mid-run, and from then on must behave as that PE would have. Over random step
// sequences: a PE given the state of another at a random cycle (and that PE's words in flight)
// requests, drains and counts exactly what the original does from there on, and keeps its id.
TEST(Pe, ACopiedStateCarriesOnAsTheOriginal) {
  std::mt19937_64 rng(4242);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<PeStep> steps;
    std::int64_t largest = 0;
    for (int k = 0; k < 6 + trial % 17; ++k) {
      PeStep s;
      s.tile.words[Tensor::Weight] = random_subset(rng, 4, static_cast<std::int64_t>(rng() % 3));
      s.tile.words[Tensor::Input] = random_subset(rng, 5, static_cast<std::int64_t>(rng() % 4));
      s.tile.words[Tensor::Output] = random_subset(rng, 3, static_cast<std::int64_t>(rng() % 3));
      const auto& w = s.tile.words;
      for (std::size_t m = 0; m < rng() % 4; ++m)
        s.macs.push_back({static_cast<std::uint32_t>(rng() % w[Tensor::Input].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Weight].size()),
                          static_cast<std::uint32_t>(rng() % w[Tensor::Output].size())});
      largest = std::max(largest, s.tile.size());
      steps.push_back(s);
    }
    const Hardware hw = pe_hw(1 + trial % 2, largest + trial % 5);
    PeBench original(hw);
    original.latency = 1 + trial % 4;
    original.credits = [](std::int64_t c) { return c % 3 == 0 ? 1 : 0; };
    original.pe.set_skip_quiet_cycles(trial % 2 == 0);
    const std::size_t half = steps.size() / 2;
    for (std::size_t i = 0; i < half; ++i) original.pe.push_step(steps[i]);
    original.run(static_cast<std::int64_t>(rng() % 40));

    PeBench copy = original;  // the bench's words in flight and logs
    Pe fresh(hw, 7);
    fresh.copy_state_from(original.pe);
    copy.pe = fresh;
    EXPECT_EQ(copy.pe.id(), 7);
    const std::size_t logged = original.request_log.size();
    for (PeBench* b : {&original, &copy}) {
      for (std::size_t i = half; i < steps.size(); ++i) b->pe.push_step(steps[i]);
      b->pe.push_flush();
      b->run_until_done(5000);
    }
    ASSERT_GT(original.request_log.size(), logged) << "trial " << trial;
    EXPECT_EQ(copy.cycle, original.cycle) << "trial " << trial;
    EXPECT_EQ(copy.request_log, original.request_log) << "trial " << trial;
    EXPECT_EQ(copy.scanned_log, original.scanned_log) << "trial " << trial;
    EXPECT_EQ(copy.drained, original.drained) << "trial " << trial;
    expect_same_counts(original.pe.stats_through(original.cycle), copy.pe.stats_through(copy.cycle),
                       trial);
  }
}

TEST(Pe, ARepeatNeedsAStepBeforeItAndNoLists) {
  Pe pe(pe_hw(1, 16));
  PeStep r;
  r.repeat = true;
  EXPECT_THROW(pe.push_step(r), std::logic_error);
  pe.push_step(dot_step(0, 2, 0));
  PeStep listed = dot_step(0, 2, 0);
  listed.repeat = true;
  EXPECT_THROW(pe.push_step(listed), std::logic_error);
  EXPECT_NO_THROW(pe.push_step(r));
}

// Reuse is found, not assumed: over random step sequences the words the PE requests equal the
// per-step set differences |T_t \ T_{t-1}|, and every partial sum leaves once with its exact value.
TEST(Pe, FillsEqualPerStepSetDifferences) {
  std::mt19937_64 rng(12345);
  const auto subset = [&](std::int64_t n) {
    std::vector<std::int64_t> v;
    const std::uint64_t bits = rng();
    for (std::int64_t i = 0; i < n; ++i)
      if ((bits >> i) & 1u) v.push_back(i);
    return v;
  };
  for (int trial = 0; trial < 20; ++trial) {
    PeBench b(pe_hw(2, 64));
    b.latency = 1 + trial % 3;
    PerTensor<std::vector<std::int64_t>> prev;
    PerTensor<std::int64_t> fills{};
    std::vector<Word> expected_drains;
    std::vector<std::pair<std::int64_t, std::int64_t>> psum;  // output -> value in L1
    for (int step = 0; step <= 12; ++step) {
      PeStep s;
      if (step < 12) {
        s.tile.words[Tensor::Input] = subset(12);
        s.tile.words[Tensor::Weight] = subset(8);
        s.tile.words[Tensor::Output] = subset(6);
      }
      for (Tensor t : kAllTensors) {
        const auto& now = s.tile.words[t];
        for (std::int64_t i : now)
          if (std::find(prev[t].begin(), prev[t].end(), i) == prev[t].end()) ++fills[t];
      }
      // Reference L1: outputs not in the new tile leave with their value; new ones start at 0.
      std::vector<std::pair<std::int64_t, std::int64_t>> kept;
      for (auto [o, v] : psum) {
        const auto& outs = s.tile.words[Tensor::Output];
        if (std::find(outs.begin(), outs.end(), o) == outs.end())
          expected_drains.push_back({{Tensor::Output, o}, v});
        else
          kept.push_back({o, v});
      }
      psum = kept;
      for (std::int64_t o : s.tile.words[Tensor::Output])
        if (std::none_of(psum.begin(), psum.end(), [&](auto& e) { return e.first == o; }))
          psum.push_back({o, 0});
      const auto& ins = s.tile.words[Tensor::Input];
      const auto& wts = s.tile.words[Tensor::Weight];
      const auto& outs = s.tile.words[Tensor::Output];
      if (!ins.empty() && !wts.empty() && !outs.empty())
        for (int m = 0; m < 5; ++m) {
          const PeMac mac{static_cast<std::uint32_t>(rng() % ins.size()),
                          static_cast<std::uint32_t>(rng() % wts.size()),
                          static_cast<std::uint32_t>(rng() % outs.size())};
          s.macs.push_back(mac);
          for (auto& e : psum)
            if (e.first == outs[mac.output])
              e.second += source_value({Tensor::Input, ins[mac.input]}) *
                          source_value({Tensor::Weight, wts[mac.weight]});
        }
      prev = s.tile.words;
      b.pe.push_step(std::move(s));
    }
    b.run_until_done();
    const PeStats& st = b.pe.stats();
    EXPECT_EQ(st.requested_words[Tensor::Input], fills[Tensor::Input]) << "trial " << trial;
    EXPECT_EQ(st.requested_words[Tensor::Weight], fills[Tensor::Weight]) << "trial " << trial;
    EXPECT_EQ(st.l1.tensor[Tensor::Input].writes, fills[Tensor::Input]);
    EXPECT_EQ(st.drained_words, fills[Tensor::Output]);  // every output that entered left once
    const auto by_key = [](const Word& a, const Word& c) {
      return std::pair(a.key.index, a.value) < std::pair(c.key.index, c.value);
    };
    std::sort(expected_drains.begin(), expected_drains.end(), by_key);
    std::sort(b.drained.begin(), b.drained.end(), by_key);
    EXPECT_EQ(b.drained, expected_drains) << "trial " << trial;
  }
}

TEST(Pe, ProtocolViolationsAreBugsNotSilentMistakes) {
  {
    PeBench b(pe_hw(1, 64));
    b.pe.deliver({{Tensor::Input, 5}, 1});
    EXPECT_THROW(b.run(1), std::logic_error);
  }
  {
    PeBench b(pe_hw(1, 64));
    PeStep s = dot_step(0, 2, 0);
    s.tile.words[Tensor::Input].push_back(0);  // listed twice: refused when pushed
    EXPECT_THROW(b.pe.push_step(std::move(s)), std::logic_error);
  }
  {
    PeBench b(pe_hw(1, 64));
    PeStep s = dot_step(0, 2, 0);
    s.macs.push_back({2, 0, 0});  // the tile has input positions 0 and 1 only
    EXPECT_THROW(b.pe.push_step(std::move(s)), std::logic_error);
  }
}

// The controller merges every PE's requests for one step into one multicast once each PE has
// gone through that step's tile (scanned_through, sim/controller.hpp): a PE must never ask for a
// word of a step it has already declared gone through, however its steps overlap (words kept,
// dropped and needed again, fetched ahead for a later step and dropped before it) and whether or
// not a step performs any MAC (PEs without MACs run ahead of the others).
TEST(Pe, NeverAsksForAWordOfAStepItHasGoneThrough) {
  std::mt19937_64 rng(20261126);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 300; ++trial) {
    PeBench b(pe_hw(1, 64));
    b.latency = pick(1, 4);
    const int steps = static_cast<int>(pick(2, 24));
    for (int s = 0; s < steps; ++s) {
      PeStep step;
      for (std::int64_t i = 0; i < 10; ++i)
        if (pick(0, 2) == 0) step.tile.words[Tensor::Input].push_back(i);
      for (std::int64_t w = 0; w < 4; ++w)
        if (pick(0, 1) == 0) step.tile.words[Tensor::Weight].push_back(w);
      step.tile.words[Tensor::Output] = {pick(0, 2)};
      const bool macs = pick(0, 3) > 0;  // some steps perform no MAC at all
      const auto inputs = static_cast<std::uint32_t>(step.tile.words[Tensor::Input].size());
      const auto weights = static_cast<std::uint32_t>(step.tile.words[Tensor::Weight].size());
      if (macs)
        for (std::uint32_t i = 0; i < std::min(inputs, weights); ++i)
          step.macs.push_back({i, i, 0});
      b.pe.push_step(std::move(step));
    }
    std::int64_t gone_through = -1;  // as published by the previous commit
    for (int c = 0; c < 2000 && !(b.pe.done() && b.in_flight.empty()); ++c) {
      b.run(1);
      const auto asked_for = b.pe.request_steps();
      for (std::int64_t step : asked_for)
        ASSERT_GT(step, gone_through) << "trial " << trial << " cycle " << b.cycle;
      gone_through = b.pe.scanned_through();
    }
    EXPECT_TRUE(b.pe.done()) << "trial " << trial;
  }
}

}  // namespace
}  // namespace metronome::sim
