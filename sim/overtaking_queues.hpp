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
  // `fits` is asked afresh after every send (sending uses up room).
  template <typename Fits, typename Send>
  void drain(Fits&& fits, Send&& send) {
    for (;;) {
      std::size_t best = waiting_.size();
      for (std::size_t i = 0; i < waiting_.size(); ++i) {
        const Entry& head = fifos_[waiting_[i]].front();
        if (best < waiting_.size() && fifos_[waiting_[best]].front().order < head.order) continue;
        if (fits(head.item)) best = i;
      }
      if (best == waiting_.size()) return;
      std::deque<Entry>& fifo = fifos_[waiting_[best]];
      send(fifo.front().item);
      fifo.pop_front();
      --size_;
      if (fifo.empty()) waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(best));
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
  std::uint64_t next_ = 0;
  std::size_t size_ = 0;
};

}  // namespace metronome::sim
