#pragma once
// Words of the layer's tensors as the simulator's cores address them: a tensor and a flat
// (row-major) index, packed into one integer for maps and NoC tags.

#include <cstdint>
#include <string>

#include "spec/dims.hpp"

namespace metronome::sim {

// One data word of a tensor, addressed by its flat (row-major) index in that tensor.
struct WordKey {
  Tensor tensor = Tensor::Input;
  std::int64_t index = 0;  // 0 <= index < 2^56
  friend bool operator==(const WordKey&, const WordKey&) = default;
};

struct Word {
  WordKey key;
  std::int64_t value = 0;
  friend bool operator==(const Word&, const Word&) = default;
};

std::string word_name(const WordKey& key);  // "input[12]"

// Packs a key into one integer (tensor in the top byte); the map key of the buffers. Inline:
// several calls per word moved. Throws std::logic_error for an index out of range.
inline constexpr std::uint64_t kWordIndexBits = 56;
[[noreturn]] void throw_word_index_out_of_range(std::int64_t index);
inline std::uint64_t pack_key(const WordKey& key) {
  if (key.index < 0 || key.index >= (std::int64_t{1} << kWordIndexBits))
    throw_word_index_out_of_range(key.index);
  return (static_cast<std::uint64_t>(key.tensor) << kWordIndexBits) |
         static_cast<std::uint64_t>(key.index);
}
inline WordKey unpack_key(std::uint64_t packed) {
  return WordKey{static_cast<Tensor>(packed >> kWordIndexBits),
                 static_cast<std::int64_t>(packed & ((std::uint64_t{1} << kWordIndexBits) - 1))};
}

}  // namespace metronome::sim
