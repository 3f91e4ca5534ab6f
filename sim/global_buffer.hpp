#pragma once
// The global buffer (L2): real words with a real capacity, `l2.banks` banks serving
// `l2.words_per_bank_per_cycle` words each per cycle. Timing, interleaving and the ownership rule
// are in sim/DESIGN.md ("Memories and PE cores"). Also defines WorkingSet, shared by the memory
// cores and the PE (word types: sim/word_key.hpp).

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/dense_words.hpp"
#include "sim/word_key.hpp"
#include "spec/dims.hpp"
#include "spec/hardware.hpp"
#include "spec/l2_banks.hpp"
#include "spec/metrics.hpp"

namespace metronome::sim {

// The words a buffer must hold for one step, per tensor (distinct flat indices).
struct WorkingSet {
  PerTensor<std::vector<std::int64_t>> words;
  std::int64_t size() const;
};

// Whether a buffer refuses a working set larger than its capacity (the default) or holds any
// number of words and reports the most it held (`--unbounded-buffers`).
enum class BufferCapacity : std::uint8_t { Enforced, Unbounded };

// Timed L2 operations. Every one but Discard uses one word access of the word's bank.
enum class L2Op : std::uint8_t {
  Read,        // send a word towards the PEs: 1 read
  Write,       // install or overwrite a word (a DRAM fill): 1 write
  Accumulate,  // add a partial sum: read-modify-write (1 read + 1 write) if the word is held,
               // else install it (1 write)
  Writeback,   // read a word out towards DRAM and release it: 1 read
  Discard,     // release a word without reading it: no access, no bandwidth
};

struct L2Request {
  L2Op op = L2Op::Read;
  WordKey key;
  std::int64_t value = 0;  // Write, Accumulate
  std::uint64_t tag = 0;   // returned in the response, for the caller's routing
};

struct L2Response {
  L2Op op = L2Op::Read;
  WordKey key;
  std::int64_t value = 0;  // the word's value after the operation (Writeback: the value read)
  std::uint64_t tag = 0;
};

// What a step's working set means for the words L2 owns (GlobalBuffer::plan).
struct L2Plan {
  std::vector<WordKey> fetch;      // needed, not held: fill from DRAM
  std::vector<WordKey> writeback;  // held outputs not needed: read out to DRAM, then released
  std::vector<WordKey> discard;    // held inputs/weights not needed: released
};

struct GlobalBufferStats {
  LevelTraffic traffic;                            // words read / written, per tensor
  std::int64_t read_modify_writes = 0;             // Accumulates into a held word
  std::vector<std::int64_t> bank_accesses_words;   // per bank: word accesses served
  std::vector<std::int64_t> bank_conflict_cycles;  // per bank: cycles it left a request waiting
  std::int64_t conflict_cycles = 0;      // cycles in which at least one bank left one waiting
  std::int64_t request_wait_cycles = 0;  // sum over requests of (service - submission) cycles
  std::int64_t requests = 0;             // requests served (Discard included)
  std::int64_t peak_words = 0;           // most words owned at once
};

class GlobalBuffer {
 public:
  explicit GlobalBuffer(const Hardware& hw, BufferCapacity capacity = BufferCapacity::Enforced);

  std::int64_t capacity_words() const { return capacity_words_; }
  std::int64_t banks() const { return banks_; }
  // The hardware's bank map, described once in spec/l2_banks.hpp (skewed interleaving).
  std::int64_t bank_of(const WordKey& key) const { return l2_bank_of(key.index, banks_); }

  // --- between cycles (seen by the next evaluate) ---
  // Ownership changes at submission: Write and Accumulate of a word not owned take a word of
  // capacity (InputError naming the numbers when none is left), Writeback and Discard give it
  // back. Read, Writeback and Discard of a word not owned are protocol errors (logic_error).
  void submit(const L2Request& request);

  // The documented replacement rule for one step: which words to fetch, write back and discard
  // so that L2 owns exactly `needed`. Throws InputError when `needed` exceeds the capacity.
  L2Plan plan(const WorkingSet& needed) const;

  // --- per cycle ---
  void evaluate(std::int64_t cycle);
  void commit();

  // Responses of the requests served in the last evaluated cycle (valid after commit()).
  std::span<const L2Response> responses() const { return responses_; }

  bool idle() const { return queued_ == 0 && inbox_.empty(); }
  std::int64_t queued_requests() const {
    return queued_ + static_cast<std::int64_t>(inbox_.size());
  }
  bool owns(const WordKey& key) const { return owned_.contains(pack_key(key)); }
  std::int64_t owned_words() const { return static_cast<std::int64_t>(owned_.size()); }
  // The value currently stored (served operations only), uncounted; for tests and checks.
  std::optional<std::int64_t> peek(const WordKey& key) const;
  const GlobalBufferStats& stats() const { return stats_; }

 private:
  struct Pending {
    L2Request request;
    std::int64_t submitted_cycle = 0;
  };
  struct Bank {
    std::deque<Pending> queue;
    std::int64_t epoch_start_cycle = -1;  // first cycle of the current busy period, -1 if idle
    std::int64_t epoch_served_words = 0;  // accesses served since then
  };

  void take_word(const WordKey& key, const char* why);
  void perform(const L2Request& request);

  SourceLocation where_;  // the hardware description, for messages
  std::int64_t l2_bytes_;
  std::int64_t word_bytes_;
  std::int64_t capacity_words_;
  std::int64_t banks_;
  double words_per_bank_per_cycle_;
  BufferCapacity capacity_mode_;

  // Dense per-tensor arrays (sim/dense_words.hpp): every word sent to a PE is a lookup in both,
  // and L2 holds a large share of the tensors (hash maps cost ~100 bytes per word held).
  DenseWordSet owned_;             // ownership, updated at submission
  DenseWords<std::int64_t> data_;  // values, updated at service
  std::vector<L2Request> inbox_;
  std::vector<Bank> bank_;
  std::int64_t queued_ = 0;
  std::vector<L2Response> next_responses_;
  std::vector<L2Response> responses_;
  GlobalBufferStats stats_;
};

}  // namespace metronome::sim
