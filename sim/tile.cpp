#include "sim/tile.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <stdexcept>
#include <vector>

namespace metronome::sim {
namespace {

// MacBox coordinates.
constexpr std::size_t kN = 0, kK = 1, kC = 2, kR = 3, kS = 4, kOy = 5, kOx = 6;

// Positions are uint32: a tile may hold at most 2^32 words.
constexpr std::int64_t kMaxTileWords = std::int64_t{1} << 32;

std::int64_t words_of(const std::array<Interval, 4>& r) {
  std::int64_t v = 1;
  for (const Interval& i : r) v *= i.length();  // chunks lie inside the layer: no overflow
  return v;
}

// Writes the flat indices of the product of `r` (strides `stride`, innermost 1) in row-major
// order, i.e. ascending when the ranges lie inside the tensor.
void fill_product(const std::array<Interval, 4>& r, const std::array<std::int64_t, 3>& stride,
                  Tensor t, std::vector<std::int64_t>& out) {
  const std::int64_t n = words_of(r);
  if (n > kMaxTileWords)
    throw std::logic_error(fmt::format(
        "TileBuilder: {} tile of {} words, more than PeMac's uint32 positions can address",
        tensor_name(t), n));
  out.resize(static_cast<std::size_t>(n));
  if (n == 0) return;
  if (n == 1) {  // most steps of one-MAC dataflows (tpu_ws): no loops
    out[0] = r[0].lo * stride[0] + r[1].lo * stride[1] + r[2].lo * stride[2] + r[3].lo;
    return;
  }
  std::int64_t* p = out.data();
  const std::int64_t len = r[3].length();
  for (std::int64_t a = r[0].lo; a < r[0].hi; ++a)
    for (std::int64_t b = r[1].lo; b < r[1].hi; ++b)
      for (std::int64_t c = r[2].lo; c < r[2].hi; ++c) {
        const std::int64_t base = a * stride[0] + b * stride[1] + c * stride[2] + r[3].lo;
        for (std::int64_t d = 0; d < len; ++d) *p++ = base + d;
      }
}

std::uint32_t pos(std::int64_t v) {
  return static_cast<std::uint32_t>(v);
}

}  // namespace

std::int64_t TileRanges::words(Tensor t) const {
  return words_of(range[t]);
}

TileBuilder::TileBuilder(const Layer& layer)
    : geometry_(layer), layout_(layer), stride_y_(layer.stride_y), stride_x_(layer.stride_x) {}

TileRanges TileBuilder::ranges(const UnitChunks& chunks, const MacBox& box) const {
  TileRanges t;
  const PerDim<Interval>& c = chunks.chunk;
  const std::array<Interval, 7>& b = box.range;
  t.range[Tensor::Input] = {c[Dim::N], c[Dim::C], c[Dim::Y], c[Dim::X]};
  // Box k x c x r x s: Kc x Cc x Rc x Sc, or [0,1) x (Kc ∩ Cc) x Rc x Sc for DSCONV K == C.
  t.range[Tensor::Weight] = {b[kK], b[kC], b[kR], b[kS]};
  // Depth-wise outputs have the input's channels (K == 1 only gates them, as in the model).
  const Interval out_channel = geometry_.depthwise() ? (b[kK].empty() ? Interval{} : b[kC]) : b[kK];
  t.range[Tensor::Output] = {b[kN], out_channel, b[kOy], b[kOx]};
  return t;
}

void TileBuilder::fill_tile(const TileRanges& t, WorkingSet& out) const {
  const TensorLayout& L = layout_;
  fill_product(t.range[Tensor::Input], {L.input_n, L.input_c, L.input_y}, Tensor::Input,
               out.words[Tensor::Input]);
  fill_product(t.range[Tensor::Weight], {L.weight_k, L.weight_c, L.weight_r}, Tensor::Weight,
               out.words[Tensor::Weight]);
  fill_product(t.range[Tensor::Output], {L.output_n, L.output_k, L.output_y}, Tensor::Output,
               out.words[Tensor::Output]);
}

void TileBuilder::build_tile(const UnitChunks& chunks, const MacBox& box, WorkingSet& out) const {
  fill_tile(ranges(chunks, box), out);
}

void TileBuilder::build(const UnitChunks& chunks, const MacBox& box, PeStep& out) const {
  build(ranges(chunks, box), box, out);
}

void TileBuilder::build(const TileRanges& t, const MacBox& box, PeStep& out) const {
  fill_tile(t, out.tile);
  const std::int64_t volume = box.volume();
  out.macs.resize(static_cast<std::size_t>(volume));
  if (volume == 0) return;
  if (volume == 1 && out.tile.size() == 3) {  // one word of each tensor: positions 0
    out.macs[0] = PeMac{0, 0, 0};
    return;
  }

  const std::array<Interval, 4>& in = t.range[Tensor::Input];
  const std::array<Interval, 4>& wt = t.range[Tensor::Weight];
  const std::array<Interval, 4>& ot = t.range[Tensor::Output];
  const std::array<Interval, 7>& b = box.range;
  // Position strides inside each tile (dense products of the ranges' lengths).
  const std::int64_t in_x = in[3].length();
  const std::int64_t in_c = in[2].length() * in_x;
  const std::int64_t in_n = in[1].length() * in_c;
  const std::int64_t w_r = wt[3].length();
  const std::int64_t w_c = wt[2].length() * w_r;
  const std::int64_t w_k = wt[1].length() * w_c;
  const std::int64_t o_y = ot[3].length();
  const std::int64_t o_k = ot[2].length() * o_y;
  const std::int64_t o_n = ot[1].length() * o_k;
  const bool ds = geometry_.depthwise();

  PeMac* m = out.macs.data();
  const std::int64_t r_lo = b[kR].lo, r_hi = b[kR].hi;
  const std::int64_t s_len = b[kS].length();
  // All MACs of one output: the window rows r and taps s (and, for CONV, channels c) of the
  // box, with the output's input position `in_base` (channel c, tile row oy*sy - y0, tile col
  // ox*sx - x0, r = s = 0 relative to the tile's Rc/Sc start) and weight position `w_base`.
  const auto window = [&](std::int64_t in_base, std::int64_t w_base, std::uint32_t o) {
    for (std::int64_t r = r_lo; r < r_hi; ++r) {
      const std::int64_t ip = in_base + r * in_x;
      const std::int64_t wp = w_base + (r - wt[2].lo) * w_r;
      for (std::int64_t s = 0; s < s_len; ++s) *m++ = {pos(ip + s), pos(wp + s), o};
    }
  };
  for (std::int64_t n = b[kN].lo; n < b[kN].hi; ++n) {
    const std::int64_t in_n_base = (n - in[0].lo) * in_n;
    const std::int64_t o_n_base = (n - ot[0].lo) * o_n;
    for (std::int64_t k = b[kK].lo; k < b[kK].hi; ++k) {
      const std::int64_t w_k_base = (k - wt[0].lo) * w_k;
      if (ds) {
        // DSCONV: output channel = input channel = weight channel; k is [0, 1).
        for (std::int64_t c = b[kC].lo; c < b[kC].hi; ++c) {
          const std::int64_t in_c_base = in_n_base + (c - in[1].lo) * in_c;
          const std::int64_t w_c_base = w_k_base + (c - wt[1].lo) * w_c;
          const std::int64_t o_c_base = o_n_base + (c - ot[1].lo) * o_k;
          for (std::int64_t oy = b[kOy].lo; oy < b[kOy].hi; ++oy) {
            const std::int64_t in_y = in_c_base + (oy * stride_y_ - in[2].lo) * in_x;
            const std::int64_t o_y_base = o_c_base + (oy - ot[2].lo) * o_y;
            for (std::int64_t ox = b[kOx].lo; ox < b[kOx].hi; ++ox)
              window(in_y + ox * stride_x_ - in[3].lo + (b[kS].lo), w_c_base,
                     pos(o_y_base + ox - ot[3].lo));
          }
        }
      } else {
        const std::int64_t o_k_base = o_n_base + (k - ot[1].lo) * o_k;
        for (std::int64_t oy = b[kOy].lo; oy < b[kOy].hi; ++oy) {
          const std::int64_t in_y = in_n_base + (oy * stride_y_ - in[2].lo) * in_x;
          const std::int64_t o_y_base = o_k_base + (oy - ot[2].lo) * o_y;
          for (std::int64_t ox = b[kOx].lo; ox < b[kOx].hi; ++ox) {
            const std::uint32_t o = pos(o_y_base + ox - ot[3].lo);
            const std::int64_t in_x_base = in_y + ox * stride_x_ - in[3].lo + b[kS].lo;
            for (std::int64_t c = b[kC].lo; c < b[kC].hi; ++c)
              window(in_x_base + (c - in[1].lo) * in_c, w_k_base + (c - wt[1].lo) * w_c, o);
          }
        }
      }
    }
  }
}

}  // namespace metronome::sim
