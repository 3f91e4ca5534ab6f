#pragma once
// A FIFO in one growing ring buffer, for the simulator's per-cycle queues (link buffers, ports,
// a PE's queued steps and drains). std::deque allocates a block whenever a push crosses a block
// boundary and frees it when pops leave it (a 512-byte block holds 9 flits), so a queue that
// words keep streaming through called malloc/free every few words; this one allocates only when
// it outgrows its largest size so far.

#include <cstddef>
#include <utility>
#include <vector>

namespace metronome::sim {

template <class T>
class RingQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }
  // The i-th element from the front.
  T& operator[](std::size_t i) { return buf_[(head_ + i) & mask_]; }
  const T& operator[](std::size_t i) const { return buf_[(head_ + i) & mask_]; }

  void push_back(const T& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & mask_] = v;
    ++size_;
  }
  void push_back(T&& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & mask_] = std::move(v);
    ++size_;
  }
  // Removes the front element (its slot keeps the object, moved from or not, until reused).
  void pop_front() {
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  // Removes the first n elements (n <= size()).
  void pop_front(std::size_t n) {
    head_ = (head_ + n) & mask_;
    size_ -= n;
  }
  void clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  // Doubles the capacity (a power of two, so indices wrap with a mask), keeping the order.
  void grow() {
    const std::size_t capacity = buf_.empty() ? 8 : 2 * buf_.size();
    std::vector<T> bigger(capacity);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    buf_ = std::move(bigger);
    head_ = 0;
    mask_ = capacity - 1;
  }

  std::vector<T> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace metronome::sim
