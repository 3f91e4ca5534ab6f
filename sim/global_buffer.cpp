#include "sim/global_buffer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_set>

#include "sim/bandwidth.hpp"

namespace metronome::sim {

std::string word_name(const WordKey& key) {
  return fmt::format("{}[{}]", tensor_name(key.tensor), key.index);
}

void throw_word_index_out_of_range(std::int64_t index) {
  throw std::logic_error(fmt::format("word index {} out of range", index));
}

std::int64_t WorkingSet::size() const {
  std::int64_t n = 0;
  for (Tensor t : kAllTensors) n += static_cast<std::int64_t>(words[t].size());
  return n;
}

GlobalBuffer::GlobalBuffer(const Hardware& hw, BufferCapacity capacity)
    : where_(hw.where),
      l2_bytes_(hw.l2.bytes),
      word_bytes_(hw.word_bytes),
      capacity_words_(hw.word_bytes > 0 ? hw.l2_words() : 0),
      banks_(hw.l2.banks),
      words_per_bank_per_cycle_(hw.l2.words_per_bank_per_cycle),
      capacity_mode_(capacity) {
  if (hw.word_bytes < 1)
    throw InputError(where_, fmt::format("word_bytes: {} is out of range", hw.word_bytes),
                     "at least 1");
  if (banks_ < 1)
    throw InputError(where_, fmt::format("l2.banks: {} is out of range", banks_), "at least 1");
  if (!(words_per_bank_per_cycle_ >= kMinWordsPerCycle))
    throw InputError(
        where_,
        fmt::format("l2.words_per_bank_per_cycle: {} is out of range", words_per_bank_per_cycle_),
        fmt::format("at least {} words per cycle, or unlimited", kMinWordsPerCycle));
  bank_.resize(static_cast<std::size_t>(banks_));
  stats_.bank_accesses_words.assign(static_cast<std::size_t>(banks_), 0);
  stats_.bank_conflict_cycles.assign(static_cast<std::size_t>(banks_), 0);
}

void GlobalBuffer::take_word(const WordKey& key, const char* why) {
  const std::uint64_t packed = pack_key(key);
  if (owned_.contains(packed)) return;
  const auto needed = static_cast<std::int64_t>(owned_.size()) + 1;
  if (capacity_mode_ == BufferCapacity::Enforced && needed > capacity_words_)
    throw InputError(
        where_,
        fmt::format("L2 (global buffer) is full: {} {} needs {} words, L2 holds "
                    "{} words (l2.bytes {} / word_bytes {})",
                    why, word_name(key), needed, capacity_words_, l2_bytes_, word_bytes_),
        "a mapping whose L2 working set fits, or --unbounded-buffers");
  owned_.insert(packed);
  stats_.peak_words = std::max(stats_.peak_words, needed);
}

void GlobalBuffer::submit(const L2Request& request) {
  const WordKey& key = request.key;
  switch (request.op) {
    case L2Op::Write:
      take_word(key, "writing");
      break;
    case L2Op::Accumulate:
      take_word(key, "accumulating into");
      break;
    case L2Op::Read:
    case L2Op::Writeback:
    case L2Op::Discard:
      if (!owned_.contains(pack_key(key)))
        throw std::logic_error(
            fmt::format("L2 request for {}, which L2 does not hold", word_name(key)));
      if (request.op != L2Op::Read) owned_.erase(pack_key(key));
      break;
  }
  inbox_.push_back(request);
}

L2Plan GlobalBuffer::plan(const WorkingSet& needed) const {
  const std::int64_t n = needed.size();
  if (capacity_mode_ == BufferCapacity::Enforced && n > capacity_words_)
    throw InputError(
        where_,
        fmt::format("L2 (global buffer) working set of {} words (input {}, weight {}, output {}) "
                    "exceeds its capacity of {} words (l2.bytes {} / word_bytes {})",
                    n, needed.words[Tensor::Input].size(), needed.words[Tensor::Weight].size(),
                    needed.words[Tensor::Output].size(), capacity_words_, l2_bytes_, word_bytes_),
        "a mapping whose L2 working set fits, or --unbounded-buffers");
  L2Plan plan;
  std::unordered_set<std::uint64_t> wanted;
  wanted.reserve(static_cast<std::size_t>(n));
  for (Tensor t : kAllTensors)
    for (std::int64_t index : needed.words[t]) {
      const WordKey key{t, index};
      const std::uint64_t packed = pack_key(key);
      if (!wanted.insert(packed).second)
        throw std::logic_error(fmt::format("working set lists {} twice", word_name(key)));
      if (!owned_.contains(packed)) plan.fetch.push_back(key);
    }
  owned_.for_each([&](std::uint64_t packed) {
    if (wanted.contains(packed)) return;
    const WordKey key = unpack_key(packed);
    (key.tensor == Tensor::Output ? plan.writeback : plan.discard).push_back(key);
  });
  // owned_ walks its words in key order, so the lists come sorted.
  return plan;
}

void GlobalBuffer::perform(const L2Request& request) {
  const std::uint64_t packed = pack_key(request.key);
  ReadWrite& traffic = stats_.traffic.tensor[request.key.tensor];
  L2Response response{request.op, request.key, request.value, request.tag};
  const auto held = [&]() -> std::int64_t& {
    std::int64_t* value = data_.find(packed);
    if (value == nullptr)
      throw std::logic_error(fmt::format("L2 has no value for {}", word_name(request.key)));
    return *value;
  };
  switch (request.op) {
    case L2Op::Read:
      response.value = held();
      ++traffic.reads;
      break;
    case L2Op::Write:
      *data_.try_emplace(packed).first = request.value;
      ++traffic.writes;
      break;
    case L2Op::Accumulate: {
      auto [value, inserted] = data_.try_emplace(packed);
      if (inserted) {
        *value = request.value;
      } else {
        *value = static_cast<std::int64_t>(static_cast<std::uint64_t>(*value) +
                                           static_cast<std::uint64_t>(request.value));
        ++traffic.reads;
        ++stats_.read_modify_writes;
      }
      ++traffic.writes;
      response.value = *value;
      break;
    }
    case L2Op::Writeback:
      response.value = held();
      data_.erase(packed);
      ++traffic.reads;
      break;
    case L2Op::Discard:
      data_.erase(packed);
      return;  // no access, no response
  }
  next_responses_.push_back(response);
}

void GlobalBuffer::evaluate(std::int64_t cycle) {
  next_responses_.clear();
  for (const L2Request& r : inbox_) {
    Bank& bank = bank_[static_cast<std::size_t>(bank_of(r.key))];
    if (bank.queue.empty()) {
      bank.epoch_start_cycle = cycle;
      bank.epoch_served_words = 0;
    }
    bank.queue.push_back(Pending{r, cycle});
    ++queued_;
  }
  inbox_.clear();
  if (queued_ == 0) return;

  bool any_waiting = false;
  for (std::size_t b = 0; b < bank_.size(); ++b) {
    Bank& bank = bank_[b];
    if (bank.queue.empty()) continue;
    std::int64_t allowance =
        cumulative_allowance(bank.epoch_start_cycle, cycle, words_per_bank_per_cycle_) -
        bank.epoch_served_words;
    while (!bank.queue.empty()) {
      const Pending& p = bank.queue.front();
      const bool costs = p.request.op != L2Op::Discard;
      if (costs && allowance <= 0) break;
      perform(p.request);
      stats_.request_wait_cycles += cycle - p.submitted_cycle;
      ++stats_.requests;
      if (costs) {
        --allowance;
        ++bank.epoch_served_words;
        ++stats_.bank_accesses_words[b];
      }
      bank.queue.pop_front();
      --queued_;
    }
    if (bank.queue.empty()) {
      bank.epoch_start_cycle = -1;
    } else {
      ++stats_.bank_conflict_cycles[b];
      any_waiting = true;
    }
  }
  if (any_waiting) ++stats_.conflict_cycles;
}

void GlobalBuffer::commit() {
  responses_.swap(next_responses_);
}

std::optional<std::int64_t> GlobalBuffer::peek(const WordKey& key) const {
  const std::int64_t* value = data_.find(pack_key(key));
  if (value == nullptr) return std::nullopt;
  return *value;
}

}  // namespace metronome::sim
