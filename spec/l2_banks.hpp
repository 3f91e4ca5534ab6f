#pragma once
// Which L2 bank holds a word (sim/DESIGN.md, "GlobalBuffer"): skewed interleaving,
// bank = (sum of the base-B digits of the word's flat index) mod B, B = l2.banks, every tensor's
// region starting at bank 0. Consecutive indices go to consecutive banks; strided walks are
// spread too. Shared so that the simulator's L2 and the model's contention estimate describe
// the same hardware once.

#include <cstdint>

namespace metronome {

constexpr std::int64_t l2_bank_of(std::int64_t flat_index, std::int64_t banks) {
  if (banks <= 1) return 0;
  std::int64_t sum = 0;
  if (banks == 16) {
    // The common case, summed in parallel: nibble pairs into bytes (each <= 30), then the eight
    // bytes into the top one (<= 240, no carry between bytes).
    const auto x = static_cast<std::uint64_t>(flat_index);
    constexpr std::uint64_t kLow = 0x0F0F0F0F0F0F0F0FULL;
    const std::uint64_t bytes = (x & kLow) + ((x >> 4) & kLow);
    return static_cast<std::int64_t>(((bytes * 0x0101010101010101ULL) >> 56) & 15);
  }
  if ((banks & (banks - 1)) == 0) {  // a power of two: digits are bit fields (no division)
    int bits = 0;
    while ((std::int64_t{1} << bits) < banks) ++bits;
    for (std::int64_t i = flat_index; i > 0; i >>= bits) sum += i & (banks - 1);
    return sum & (banks - 1);
  }
  for (std::int64_t i = flat_index; i > 0; i /= banks) sum += i % banks;
  return sum % banks;
}

}  // namespace metronome
