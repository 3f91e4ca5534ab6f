#pragma once
// A flat hash index from packed word keys (pack_key) to 32-bit slot numbers: open addressing
// with linear probing and backward-shift deletion in one power-of-two array, so lookups touch
// one or two cache lines and inserts and erases never allocate (the array only grows). Used
// where std::unordered_map's node per word was the simulator's hot spot (a PE's L1). The
// caller keeps the payload in its own pool, indexed by the slot numbers.
// Cells are 8 bytes (a 32-bit key: tensor in 2 bits, index in 30) while every key fits, and
// switch to 16 bytes for good when one does not: every cycle visits all PEs, so their tables
// are cold and their size is what lookups cost.
// Iteration order is not offered: nothing may depend on it.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace metronome::sim {

class WordIndex {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  explicit WordIndex(std::size_t expected = 8) { narrow_.rehash(table_size_for(expected)); }

  std::size_t size() const { return wide_mode_ ? wide_.size : narrow_.size; }
  bool empty() const { return size() == 0; }

  // The slot of `key`, or kNone.
  std::uint32_t find(std::uint64_t key) const {
    if (wide_mode_) return wide_.find(key);
    return fits(key) ? narrow_.find(narrow(key)) : kNone;
  }

  // Inserts key -> slot unless the key is present. Returns the slot now stored for the key
  // (the existing one when it was present) and whether it was inserted.
  struct Inserted {
    std::uint32_t slot;
    bool inserted;
  };
  Inserted insert(std::uint64_t key, std::uint32_t slot) {
    if (!wide_mode_ && !fits(key)) widen();
    return wide_mode_ ? wide_.insert(key, slot) : narrow_.insert(narrow(key), slot);
  }

  // Removes `key`; returns its slot, or kNone when absent.
  std::uint32_t erase(std::uint64_t key) {
    if (wide_mode_) return wide_.erase(key);
    return fits(key) ? narrow_.erase(narrow(key)) : kNone;
  }

  void clear() {
    narrow_.clear();
    wide_.clear();
  }

 private:
  // pack_key: tensor in the top byte (0 .. 2), index in the low 56 bits.
  static constexpr std::uint64_t kIndexMask = (std::uint64_t{1} << 56) - 1;
  static constexpr std::uint64_t kNarrowIndex = std::uint64_t{1} << 30;
  static bool fits(std::uint64_t key) { return (key & kIndexMask) < kNarrowIndex; }
  static std::uint32_t narrow(std::uint64_t key) {
    return static_cast<std::uint32_t>(((key >> 56) << 30) | (key & kIndexMask));
  }

  static std::size_t table_size_for(std::size_t expected) {
    return std::bit_ceil(std::max<std::size_t>(16, expected * 2));
  }

  template <class Key>
  struct Table {
    // Never a key: narrow keys have a tensor of at most 2 in their top 2 bits, packed keys in
    // their top byte.
    static constexpr Key kEmpty = static_cast<Key>(~Key{0});
    struct Cell {
      Key key = kEmpty;
      std::uint32_t slot = kNone;
    };
    std::vector<Cell> cells;
    std::size_t mask = 0;
    int bits = 0;
    std::size_t size = 0;

    std::size_t home(Key key) const {
      // A Fibonacci hash of the whole key (tensor included): consecutive indices land far
      // apart and evenly, so probe runs stay short. Keeping aligned runs of 8 consecutive keys in
      // one cache line (until 2026-11-29) saved lines on lookups of a tile's runs but made runs
      // of different groups displace each other a block at a time: an rs layer spent ~350
      // instructions per erase in its backward shift (sim/DESIGN.md, "Speed"). Hashing with
      // the identity lets dense key ranges of different tensors probe through each other.
      const std::uint64_t h = static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull;
      return static_cast<std::size_t>(h >> (64 - bits)) & mask;
    }
    std::uint32_t find(Key key) const {
      for (std::size_t i = home(key);; i = (i + 1) & mask) {
        const Cell& c = cells[i];
        if (c.key == key) return c.slot;
        if (c.key == kEmpty) return kNone;
      }
    }
    Inserted insert(Key key, std::uint32_t slot) {
      if ((size + 1) * 2 > cells.size()) rehash(cells.size() * 2);
      std::size_t i = home(key);
      for (;; i = (i + 1) & mask) {
        Cell& c = cells[i];
        if (c.key == key) return {c.slot, false};
        if (c.key == kEmpty) break;
      }
      cells[i] = Cell{key, slot};
      ++size;
      return {slot, true};
    }
    std::uint32_t erase(Key key) {
      std::size_t i = home(key);
      for (;; i = (i + 1) & mask) {
        if (cells[i].key == key) break;
        if (cells[i].key == kEmpty) return kNone;
      }
      const std::uint32_t slot = cells[i].slot;
      // Backward shift: move later cells of the probe run into the hole when their home
      // allows, so no tombstones accumulate.
      for (std::size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        const Cell& c = cells[j];
        if (c.key == kEmpty) break;
        const std::size_t h = home(c.key);
        // c may move to i when i lies cyclically in [h, j).
        if (((j - h) & mask) >= ((j - i) & mask)) {
          cells[i] = c;
          i = j;
        }
      }
      cells[i].key = kEmpty;
      --size;
      return slot;
    }
    void clear() {
      for (Cell& c : cells) c.key = kEmpty;
      size = 0;
    }
    void rehash(std::size_t n) {
      std::vector<Cell> old = std::move(cells);
      cells.assign(n, Cell{});
      mask = n - 1;
      bits = std::countr_zero(n);
      size = 0;
      for (const Cell& c : old)
        if (c.key != kEmpty) insert(c.key, c.slot);
    }
  };

  void widen() {
    wide_.rehash(narrow_.cells.size() * 2);
    for (const auto& c : narrow_.cells) {
      if (c.key == Table<std::uint32_t>::kEmpty) continue;
      const std::uint64_t key = (std::uint64_t{c.key >> 30} << 56) | (c.key & (kNarrowIndex - 1));
      wide_.insert(key, c.slot);
    }
    narrow_ = Table<std::uint32_t>{};
    wide_mode_ = true;
  }

  bool wide_mode_ = false;
  Table<std::uint32_t> narrow_;
  Table<std::uint64_t> wide_;
};

// A map from packed word keys to V on a WordIndex: values in one pool (slots of erased keys
// reused), so finding, inserting and walking all entries touch contiguous memory. Pointers to
// values stay valid until the next insertion.
template <class V>
class WordMap {
 public:
  std::size_t size() const { return index_.size(); }

  V* find(std::uint64_t key) {
    const std::uint32_t s = index_.find(key);
    return s == WordIndex::kNone ? nullptr : &pool_[s].value;
  }
  const V* find(std::uint64_t key) const {
    const std::uint32_t s = index_.find(key);
    return s == WordIndex::kNone ? nullptr : &pool_[s].value;
  }
  // Throws std::out_of_range when absent.
  V& at(std::uint64_t key) {
    V* v = find(key);
    if (v == nullptr) throw std::out_of_range("WordMap::at: no such key");
    return *v;
  }
  // The value of `key`, value-initialized when inserted (second: inserted).
  std::pair<V*, bool> try_emplace(std::uint64_t key) {
    const std::uint32_t next =
        free_.empty() ? static_cast<std::uint32_t>(pool_.size()) : free_.back();
    const WordIndex::Inserted r = index_.insert(key, next);
    if (!r.inserted) return {&pool_[r.slot].value, false};
    if (free_.empty())
      pool_.emplace_back();
    else
      free_.pop_back();
    pool_[next] = Entry{key, V{}, true};
    return {&pool_[next].value, true};
  }
  bool erase(std::uint64_t key) {
    const std::uint32_t s = index_.erase(key);
    if (s == WordIndex::kNone) return false;
    pool_[s].live = false;
    free_.push_back(s);
    return true;
  }
  void clear() {
    index_.clear();
    pool_.clear();
    free_.clear();
  }
  // f(key, value) for every entry, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const Entry& e : pool_)
      if (e.live) f(e.key, e.value);
  }

 private:
  struct Entry {
    std::uint64_t key = 0;
    V value{};
    bool live = false;
  };
  WordIndex index_;
  std::vector<Entry> pool_;
  std::vector<std::uint32_t> free_;
};

}  // namespace metronome::sim
