#pragma once
// Words L2 has read, waiting to enter the distribution network (sim/DESIGN.md, "L2's injection
// queues"): they go in the order L2 read them, except that a word whose L2 links are full is
// overtaken by the words behind it that take other links. Words that take the same links keep
// their order (when the first of them does not fit, none behind it does), so there is one FIFO
// per set of links, and each word sent is the oldest head that fits -- the order a scan of one
// queue from the front, skipping the words that do not fit, would give, without scanning the
// words stuck behind a full link again and again.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <vector>

namespace metronome::sim {

template <typename Item>
class OvertakingQueues {
 public:
  // `links`: the set of links `item` takes (any stable encoding; equal sets compare equal).
  void push(const std::vector<std::uint32_t>& links, Item item) {
    const auto [at, fresh] = fifo_of_.try_emplace(links, fifos_.size());
    if (fresh) fifos_.emplace_back();
    std::deque<Entry>& fifo = fifos_[at->second];
    if (fifo.empty()) waiting_.push_back(at->second);
    fifo.push_back(Entry{next_++, std::move(item)});
    ++size_;
  }

  // Hands `send` the oldest head for which `fits` holds, again and again, until no head fits.
  // `fits` is asked afresh after every send (sending uses up room); a FIFO whose head did not
  // fit is not asked again in this call: its words all take the same links, and room only
  // shrinks while `send` runs.
  template <typename Fits, typename Send>
  void drain(Fits&& fits, Send&& send) {
    full_.assign(waiting_.size(), 0);
    for (;;) {
      std::size_t oldest = waiting_.size();
      for (std::size_t i = 0; i < waiting_.size(); ++i)
        if (full_[i] == 0 &&
            (oldest == waiting_.size() ||
             fifos_[waiting_[i]].front().order < fifos_[waiting_[oldest]].front().order))
          oldest = i;
      if (oldest == waiting_.size()) return;
      std::deque<Entry>& fifo = fifos_[waiting_[oldest]];
      if (!fits(fifo.front().item)) {
        full_[oldest] = 1;
        continue;
      }
      send(fifo.front().item);
      fifo.pop_front();
      --size_;
      if (fifo.empty()) {
        waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(oldest));
        full_.erase(full_.begin() + static_cast<std::ptrdiff_t>(oldest));
      }
    }
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  struct Entry {
    std::uint64_t order = 0;
    Item item;
  };
  std::map<std::vector<std::uint32_t>, std::size_t> fifo_of_;
  std::vector<std::deque<Entry>> fifos_;
  std::vector<std::size_t> waiting_;  // the FIFOs holding words
  std::vector<char> full_;            // drain's scratch: waiting_[i]'s head did not fit
  std::uint64_t next_ = 0;
  std::size_t size_ = 0;
};

}  // namespace metronome::sim
