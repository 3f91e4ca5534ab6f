// Component testbenches of the memories: Dram and GlobalBuffer driven alone, with hand-computed
// cycles (sim/DESIGN.md, "Memories and PE cores", states the timing rules checked here).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "sim/dram.hpp"
#include "sim/global_buffer.hpp"

namespace metronome::sim {
namespace {

Hardware dram_hw(double words_per_cycle, std::int64_t latency) {
  Hardware hw;
  hw.dram.words_per_cycle = words_per_cycle;
  hw.dram.latency_cycles = latency;
  return hw;
}

// Runs cycles [from, to) and returns, per tag, the cycle in which its completion was visible
// (the cycle after the commit that published it).
std::map<std::uint64_t, std::int64_t> run_dram(Dram& dram, std::int64_t from, std::int64_t to) {
  std::map<std::uint64_t, std::int64_t> seen;
  for (std::int64_t c = from; c < to; ++c) {
    dram.evaluate(c);
    dram.commit();
    for (const DramCompletion& done : dram.completions()) {
      EXPECT_EQ(done.ready_cycle, c + 1);
      seen[done.tag] = c + 1;
    }
  }
  return seen;
}

TEST(Dram, BandwidthAndLatencyGiveTheHandComputedCycle) {
  // 64 words at 16 words/cycle move in cycles 0..3; +1 to be seen; +100 latency -> 104.
  Dram dram(dram_hw(16, 100));
  dram.submit({DramOp::Read, Tensor::Input, 64, 1});
  auto seen = run_dram(dram, 0, 103);  // cycles 0..102: nothing visible up to cycle 103
  EXPECT_TRUE(seen.empty());
  seen = run_dram(dram, 103, 110);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[1], 104);
  EXPECT_EQ(dram.stats().traffic.tensor[Tensor::Input].reads, 64);
  EXPECT_EQ(dram.stats().busy_cycles, 4);
  EXPECT_EQ(dram.stats().queue_wait_cycles, 0);
  EXPECT_EQ(dram.stats().requests, 1);
  EXPECT_TRUE(dram.idle());
}

TEST(Dram, QueuedRequestsSerializeOnTheBusAndPipelineTheLatency) {
  Dram dram(dram_hw(16, 100));
  dram.submit({DramOp::Read, Tensor::Weight, 64, 1});   // cycles 0..3 -> 104
  dram.submit({DramOp::Write, Tensor::Output, 32, 2});  // cycles 4..5 -> 106
  EXPECT_TRUE(run_dram(dram, 0, 2).empty());
  dram.submit({DramOp::Read, Tensor::Input, 16, 3});  // joins at 2, moves in 6 -> 107
  auto rest = run_dram(dram, 2, 200);
  EXPECT_EQ(rest[1], 104);
  EXPECT_EQ(rest[2], 106);
  EXPECT_EQ(rest[3], 107);
  EXPECT_EQ(dram.stats().busy_cycles, 7);
  EXPECT_EQ(dram.stats().queue_wait_cycles, 4 + 4);  // request 2: 0->4, request 3: 2->6
  EXPECT_EQ(dram.stats().traffic.tensor[Tensor::Output].writes, 32);
  EXPECT_EQ(dram.stats().traffic.tensor[Tensor::Weight].reads, 64);
  EXPECT_EQ(dram.stats().traffic.tensor[Tensor::Input].reads, 16);
}

TEST(Dram, FractionalBandwidthAccumulatesExactly) {
  {  // 10 words at 2.5/cycle: floor(4 * 2.5) = 10 -> last word in cycle 3 -> 3 + 1 + 3 = 7.
    Dram dram(dram_hw(2.5, 3));
    dram.submit({DramOp::Read, Tensor::Input, 10, 1});
    EXPECT_EQ(run_dram(dram, 0, 50)[1], 7);
  }
  {  // Two 3-word requests share the bus: 2 | 1+2 | 1 words in cycles 0, 1, 2.
    Dram dram(dram_hw(2.5, 3));
    dram.submit({DramOp::Read, Tensor::Input, 3, 1});
    dram.submit({DramOp::Read, Tensor::Input, 3, 2});
    auto seen = run_dram(dram, 0, 50);
    EXPECT_EQ(seen[1], 5);
    EXPECT_EQ(seen[2], 6);
  }
  {  // 0.1 words/cycle: one word needs 10 cycles (no floating-point drift).
    Dram dram(dram_hw(0.1, 0));
    dram.submit({DramOp::Read, Tensor::Input, 3, 1});
    EXPECT_EQ(run_dram(dram, 0, 100)[1], 30);
  }
  {  // Idle cycles bank no bandwidth: a word at 0.5/cycle always takes 2 cycles.
    Dram dram(dram_hw(0.5, 0));
    dram.submit({DramOp::Read, Tensor::Input, 1, 1});
    EXPECT_EQ(run_dram(dram, 0, 10)[1], 2);
    dram.submit({DramOp::Read, Tensor::Input, 1, 2});
    EXPECT_EQ(run_dram(dram, 10, 20)[2], 12);
  }
}

TEST(Dram, UnlimitedBandwidthMovesEverythingInOneCycle) {
  Dram dram(dram_hw(kUnlimited, 0));
  run_dram(dram, 0, 5);
  dram.submit({DramOp::Read, Tensor::Input, 1000000, 1});
  dram.submit({DramOp::Write, Tensor::Output, 7, 2});
  auto seen = run_dram(dram, 5, 10);
  EXPECT_EQ(seen[1], 6);
  EXPECT_EQ(seen[2], 6);
  EXPECT_EQ(dram.stats().busy_cycles, 1);
}

TEST(Dram, NextEventCycleLetsAnEngineSkipIdleCycles) {
  Dram dram(dram_hw(8, 50));
  EXPECT_EQ(dram.next_event_cycle(0), kNeverCycle);
  dram.submit({DramOp::Read, Tensor::Input, 16, 1});
  EXPECT_EQ(dram.next_event_cycle(0), 0);
  run_dram(dram, 0, 2);  // moved in cycles 0, 1 -> visible at 52, published at 51
  EXPECT_EQ(dram.next_event_cycle(2), 51);
  dram.evaluate(51);  // skip straight there
  dram.commit();
  ASSERT_EQ(dram.completions().size(), 1u);
  EXPECT_EQ(dram.completions()[0].ready_cycle, 52);
  EXPECT_EQ(dram.next_event_cycle(52), kNeverCycle);
}

TEST(Dram, RefusesBadParameters) {
  EXPECT_THROW((void)Dram(dram_hw(0, 1)), InputError);
  EXPECT_THROW((void)Dram(dram_hw(1, -1)), InputError);
  Dram dram(dram_hw(1, 1));
  EXPECT_THROW(dram.submit({DramOp::Read, Tensor::Input, 0, 1}), std::logic_error);
}

// --- GlobalBuffer ---

Hardware l2_hw(std::int64_t banks, double per_bank, std::int64_t bytes = 1 << 20,
               std::int64_t word_bytes = 1) {
  Hardware hw;
  hw.l2.banks = banks;
  hw.l2.words_per_bank_per_cycle = per_bank;
  hw.l2.bytes = bytes;
  hw.word_bytes = word_bytes;
  return hw;
}

// Drives a GlobalBuffer cycle by cycle, recording in which cycle each tag's response appeared.
struct L2Bench {
  GlobalBuffer l2;
  std::int64_t cycle = 0;
  std::map<std::uint64_t, std::int64_t> served;  // tag -> cycle in which it was served
  std::map<std::uint64_t, std::int64_t> value;   // tag -> value in its response

  explicit L2Bench(const Hardware& hw) : l2(hw) {}
  void run(std::int64_t cycles) {
    for (std::int64_t i = 0; i < cycles; ++i, ++cycle) {
      l2.evaluate(cycle);
      l2.commit();
      for (const L2Response& r : l2.responses()) {
        served[r.tag] = cycle;
        value[r.tag] = r.value;
      }
    }
  }
  void install(Tensor t, std::int64_t index, std::int64_t v) {
    l2.submit({L2Op::Write, {t, index}, v, 0});
    run(1000);  // settle
  }
};

TEST(GlobalBuffer, InterleavesWordsOverBanksBySkewedFlatIndex) {
  GlobalBuffer l2(l2_hw(4, 1));
  // Digit sums in base 4: 3 = 3, 5 = 11, 7 = 13, 8 = 20, 27 = 123.
  EXPECT_EQ(l2.bank_of({Tensor::Input, 0}), 0);
  EXPECT_EQ(l2.bank_of({Tensor::Input, 3}), 3);
  EXPECT_EQ(l2.bank_of({Tensor::Input, 5}), 2);
  EXPECT_EQ(l2.bank_of({Tensor::Weight, 7}), 0);
  EXPECT_EQ(l2.bank_of({Tensor::Output, 8}), 2);
  EXPECT_EQ(l2.bank_of({Tensor::Output, 27}), 2);
  // A strided walk: one word per channel of 64 channels of 14 x 14 (stride 196) touches every
  // one of 16 banks, at most 7 times (4 would be perfect; index mod 16 puts 16 on each of 4).
  GlobalBuffer wide(l2_hw(16, 1));
  for (std::int64_t offset : {0, 3, 100, 195}) {
    std::vector<int> per_bank(16, 0);
    for (std::int64_t c = 0; c < 64; ++c)
      ++per_bank[static_cast<std::size_t>(wide.bank_of({Tensor::Input, 196 * c + offset}))];
    EXPECT_LE(*std::max_element(per_bank.begin(), per_bank.end()), 7) << offset;
    EXPECT_GE(*std::min_element(per_bank.begin(), per_bank.end()), 1) << offset;
  }
}

TEST(GlobalBuffer, TwoReadsToOneBankTakeTwoCyclesSpreadTheyTakeOne) {
  L2Bench b(l2_hw(4, 1));
  for (std::int64_t i : {0, 1, 2, 7}) b.install(Tensor::Input, i, 10 + i);
  const GlobalBufferStats before = b.l2.stats();

  const std::int64_t start = b.cycle;
  b.l2.submit({L2Op::Read, {Tensor::Input, 0}, 0, 1});  // bank 0
  b.l2.submit({L2Op::Read, {Tensor::Input, 7}, 0, 2});  // bank 0: conflict
  b.run(5);
  EXPECT_EQ(b.served[1], start);
  EXPECT_EQ(b.served[2], start + 1);
  EXPECT_EQ(b.value[2], 17);
  EXPECT_EQ(b.l2.stats().bank_conflict_cycles[0] - before.bank_conflict_cycles[0], 1);
  EXPECT_EQ(b.l2.stats().conflict_cycles - before.conflict_cycles, 1);
  EXPECT_EQ(b.l2.stats().request_wait_cycles - before.request_wait_cycles, 1);

  const GlobalBufferStats mid = b.l2.stats();
  const std::int64_t start2 = b.cycle;
  b.l2.submit({L2Op::Read, {Tensor::Input, 1}, 0, 3});  // bank 1
  b.l2.submit({L2Op::Read, {Tensor::Input, 2}, 0, 4});  // bank 2
  b.run(5);
  EXPECT_EQ(b.served[3], start2);
  EXPECT_EQ(b.served[4], start2);
  EXPECT_EQ(b.l2.stats().conflict_cycles, mid.conflict_cycles);
  EXPECT_EQ(b.l2.stats().traffic.tensor[Tensor::Input].reads, 4);
  EXPECT_EQ(b.l2.stats().traffic.tensor[Tensor::Input].writes, 4);
}

TEST(GlobalBuffer, BankBandwidthFollowsTheConfiguration) {
  {  // 2 words per bank per cycle: 5 reads to bank 0 take 3 cycles.
    L2Bench b(l2_hw(2, 2));
    const std::int64_t bank0[] = {0, 3, 5, 6, 9};  // even numbers of 1 bits
    for (std::int64_t i = 0; i < 5; ++i) b.install(Tensor::Weight, bank0[i], i);
    const std::int64_t start = b.cycle;
    for (std::uint64_t i = 0; i < 5; ++i)
      b.l2.submit({L2Op::Read, {Tensor::Weight, bank0[i]}, 0, i + 1});
    b.run(5);
    EXPECT_EQ(b.served[1], start);
    EXPECT_EQ(b.served[2], start);
    EXPECT_EQ(b.served[3], start + 1);
    EXPECT_EQ(b.served[5], start + 2);
    EXPECT_EQ(b.l2.stats().bank_conflict_cycles[0], 2);  // the installs never queued
  }
  {  // 0.5 words per bank per cycle: one access every other cycle.
    L2Bench b(l2_hw(1, 0.5));
    b.install(Tensor::Input, 0, 1);
    const std::int64_t start = b.cycle;
    b.l2.submit({L2Op::Read, {Tensor::Input, 0}, 0, 1});
    b.l2.submit({L2Op::Read, {Tensor::Input, 0}, 0, 2});
    b.run(6);
    EXPECT_EQ(b.served[1], start + 1);
    EXPECT_EQ(b.served[2], start + 3);
  }
  {  // Unlimited: any number of words of one bank in one cycle.
    L2Bench b(l2_hw(1, kUnlimited));
    for (std::int64_t i = 0; i < 100; ++i) b.l2.submit({L2Op::Write, {Tensor::Input, i}, i, 1});
    b.run(1);
    EXPECT_EQ(b.l2.stats().traffic.tensor[Tensor::Input].writes, 100);
    EXPECT_EQ(b.l2.stats().conflict_cycles, 0);
  }
}

TEST(GlobalBuffer, AccumulateIsOneReadPlusOneWriteWhenTheWordIsHeld) {
  L2Bench b(l2_hw(4, 1));
  const WordKey out{Tensor::Output, 3};
  b.l2.submit({L2Op::Accumulate, out, 5, 1});  // first partial sum: installed, 1 write
  b.run(1);
  b.l2.submit({L2Op::Accumulate, out, 7, 2});  // read-modify-write
  b.run(1);
  b.l2.submit({L2Op::Accumulate, out, -2, 3});
  b.run(1);
  EXPECT_EQ(b.value[1], 5);
  EXPECT_EQ(b.value[2], 12);
  EXPECT_EQ(b.value[3], 10);
  const ReadWrite& rw = b.l2.stats().traffic.tensor[Tensor::Output];
  EXPECT_EQ(rw.reads, 2);
  EXPECT_EQ(rw.writes, 3);
  EXPECT_EQ(b.l2.stats().read_modify_writes, 2);

  b.l2.submit({L2Op::Writeback, out, 0, 4});  // read out towards DRAM and release
  EXPECT_FALSE(b.l2.owns(out));
  b.run(1);
  EXPECT_EQ(b.value[4], 10);
  EXPECT_EQ(b.l2.stats().traffic.tensor[Tensor::Output].reads, 3);
  EXPECT_EQ(b.l2.owned_words(), 0);
  EXPECT_FALSE(b.l2.peek(out).has_value());
}

TEST(GlobalBuffer, DiscardReleasesWithoutAnAccess) {
  L2Bench b(l2_hw(1, 1));
  b.install(Tensor::Input, 0, 1);
  b.l2.submit({L2Op::Discard, {Tensor::Input, 0}, 0, 9});
  b.run(1);
  EXPECT_EQ(b.served.count(9), 0u);
  EXPECT_EQ(b.l2.stats().traffic.tensor[Tensor::Input].reads, 0);
  EXPECT_EQ(b.l2.owned_words(), 0);
  EXPECT_THROW(b.l2.submit({L2Op::Read, {Tensor::Input, 0}, 0, 1}), std::logic_error);
}

TEST(GlobalBuffer, CapacityErrorsNameTheNumbers) {
  GlobalBuffer l2(l2_hw(2, 1, /*bytes=*/8, /*word_bytes=*/2));  // 4 words
  EXPECT_EQ(l2.capacity_words(), 4);
  for (std::int64_t i = 0; i < 4; ++i) l2.submit({L2Op::Write, {Tensor::Input, i}, i, 0});
  l2.submit({L2Op::Write, {Tensor::Input, 3}, 9, 0});  // overwrite: no new word
  try {
    l2.submit({L2Op::Accumulate, {Tensor::Output, 0}, 1, 0});
    FAIL() << "no capacity error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is full: accumulating into output[0] needs 5 words, "
                                         "L2 holds 4 words "
                                         "(l2.bytes 8 / word_bytes 2)"),
              std::string::npos)
        << e.what();
  }
  WorkingSet ws;
  ws.words[Tensor::Input] = {0, 1, 2};
  ws.words[Tensor::Weight] = {0};
  ws.words[Tensor::Output] = {0};
  try {
    (void)l2.plan(ws);
    FAIL() << "no capacity error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("working set of 5 words (input 3, weight 1, output 1) "
                                         "exceeds its capacity of 4 words"),
              std::string::npos)
        << e.what();
  }
  GlobalBuffer unbounded(l2_hw(2, 1, 8, 2), BufferCapacity::Unbounded);
  for (std::int64_t i = 0; i < 6; ++i) unbounded.submit({L2Op::Write, {Tensor::Input, i}, i, 0});
  EXPECT_NO_THROW((void)unbounded.plan(ws));
  EXPECT_EQ(unbounded.stats().peak_words, 6);
}

TEST(GlobalBuffer, PlanKeepsWhatTheStepNeedsAndReleasesTheRest) {
  GlobalBuffer l2(l2_hw(4, 1, 16));
  l2.submit({L2Op::Write, {Tensor::Input, 0}, 1, 0});
  l2.submit({L2Op::Write, {Tensor::Input, 1}, 1, 0});
  l2.submit({L2Op::Write, {Tensor::Weight, 0}, 1, 0});
  l2.submit({L2Op::Accumulate, {Tensor::Output, 0}, 1, 0});
  WorkingSet next;
  next.words[Tensor::Input] = {1, 2};
  next.words[Tensor::Output] = {0};
  L2Plan p = l2.plan(next);
  EXPECT_EQ(p.fetch, (std::vector<WordKey>{{Tensor::Input, 2}}));
  EXPECT_TRUE(p.writeback.empty());
  EXPECT_EQ(p.discard, (std::vector<WordKey>{{Tensor::Input, 0}, {Tensor::Weight, 0}}));
  WorkingSet later;
  later.words[Tensor::Input] = {1};
  p = l2.plan(later);
  EXPECT_EQ(p.writeback, (std::vector<WordKey>{{Tensor::Output, 0}}));
  EXPECT_TRUE(p.fetch.empty());
  WorkingSet twice;
  twice.words[Tensor::Input] = {1, 1};
  EXPECT_THROW((void)l2.plan(twice), std::logic_error);
}

}  // namespace
}  // namespace metronome::sim
