#pragma once
// Words of the layer's tensors kept in flat per-tensor arrays indexed by the word's flat index
// (grown on demand), with a presence flag per word. For stores that hold a large share of a
// tensor (L2): 9 bytes per tensor word instead of a hash map's ~60-100 bytes per word held
// (measured: L2's two maps were ~100 MB of a 280 MB run holding 884 k words).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/word_key.hpp"
#include "spec/dims.hpp"

namespace metronome::sim {

template <typename V>
class DenseWords {
 public:
  std::size_t size() const { return size_; }

  V* find(std::uint64_t packed) {
    const WordKey k = unpack_key(packed);
    const auto i = static_cast<std::size_t>(k.index);
    const Column& c = columns_[k.tensor];
    return i < c.present.size() && c.present[i] ? &columns_[k.tensor].values[i] : nullptr;
  }
  const V* find(std::uint64_t packed) const { return const_cast<DenseWords*>(this)->find(packed); }
  // The value of `packed`, value-initialized when inserted (second: inserted).
  std::pair<V*, bool> try_emplace(std::uint64_t packed) {
    const WordKey k = unpack_key(packed);
    const auto i = static_cast<std::size_t>(k.index);
    Column& c = columns_[k.tensor];
    if (i >= c.present.size()) {
      // Geometric growth: indices mostly arrive in increasing order.
      const std::size_t n = std::max(i + 1, c.present.size() + c.present.size() / 2);
      c.present.resize(n, 0);
      c.values.resize(n);
    }
    if (c.present[i]) return {&c.values[i], false};
    c.present[i] = 1;
    c.values[i] = V{};
    ++size_;
    return {&c.values[i], true};
  }
  bool erase(std::uint64_t packed) {
    const WordKey k = unpack_key(packed);
    const auto i = static_cast<std::size_t>(k.index);
    Column& c = columns_[k.tensor];
    if (i >= c.present.size() || !c.present[i]) return false;
    c.present[i] = 0;
    --size_;
    return true;
  }
  // In key order (tensor, then index).
  template <typename F>
  void for_each(F&& f) const {
    for (Tensor t : kAllTensors) {
      const Column& c = columns_[t];
      for (std::size_t i = 0; i < c.present.size(); ++i)
        if (c.present[i]) f(pack_key({t, static_cast<std::int64_t>(i)}), c.values[i]);
    }
  }

 private:
  struct Column {
    std::vector<std::uint8_t> present;
    std::vector<V> values;
  };
  PerTensor<Column> columns_;
  std::size_t size_ = 0;
};

// Presence only (no values): one byte per tensor word.
class DenseWordSet {
 public:
  std::size_t size() const { return size_; }
  bool contains(std::uint64_t packed) const {
    const WordKey k = unpack_key(packed);
    const auto i = static_cast<std::size_t>(k.index);
    const std::vector<std::uint8_t>& c = present_[k.tensor];
    return i < c.size() && c[i];
  }
  bool insert(std::uint64_t packed) {
    const WordKey k = unpack_key(packed);
    const auto i = static_cast<std::size_t>(k.index);
    std::vector<std::uint8_t>& c = present_[k.tensor];
    if (i >= c.size()) c.resize(std::max(i + 1, c.size() + c.size() / 2), 0);
    if (c[i]) return false;
    c[i] = 1;
    ++size_;
    return true;
  }
  bool erase(std::uint64_t packed) {
    const WordKey k = unpack_key(packed);
    const auto i = static_cast<std::size_t>(k.index);
    std::vector<std::uint8_t>& c = present_[k.tensor];
    if (i >= c.size() || !c[i]) return false;
    c[i] = 0;
    --size_;
    return true;
  }
  template <typename F>
  void for_each(F&& f) const {
    for (Tensor t : kAllTensors)
      for (std::size_t i = 0; i < present_[t].size(); ++i)
        if (present_[t][i]) f(pack_key({t, static_cast<std::int64_t>(i)}));
  }

 private:
  PerTensor<std::vector<std::uint8_t>> present_;
  std::size_t size_ = 0;
};

}  // namespace metronome::sim
