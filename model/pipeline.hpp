#pragma once
// Pipeline cycles of the controller and the cores that no bandwidth or latency of the hardware
// description explains: every block is registered, so a word spends at least one cycle in each
// block boundary it crosses, even on `ideal` hardware (model/README.md, sections 5 and 5b).
// Both NoC models use them: a staged step's requests reach L2 one cycle later; a word L2 reads
// enters the network two cycles after its bank serves it and a PE uses a delivered word one
// cycle after delivery; a finished step frees its slot of the window one cycle later; drained
// partial sums leave one cycle after the step ends; the final write-back waits one cycle.

namespace metronome::pipeline {

inline constexpr int kRequestCycles = 1;
inline constexpr int kDeliveryCycles = 3;
inline constexpr int kRetireCycles = 1;
inline constexpr int kDrainCycles = 1;
inline constexpr int kWritebackCycles = 1;

// Before the first MAC: the first words are requested and delivered (DRAM -> L2 -> NoC -> PE).
inline constexpr int kFillCycles = kRequestCycles + kDeliveryCycles;
// After the last MAC: partial sums drain, cross the reduction side and are written back.
inline constexpr int kDrainTailCycles = kDrainCycles + kDeliveryCycles + kWritebackCycles;

}  // namespace metronome::pipeline
