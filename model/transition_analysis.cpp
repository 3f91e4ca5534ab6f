#include "model/transition_analysis.hpp"

#include <algorithm>
#include <map>

#include "spec/l2_banks.hpp"

namespace metronome::contention {

// Size of every tile coordinate (TileShape order): the row-major layout of Layer::tensor_words.
std::array<std::int64_t, 4> coordinate_sizes(const LayerGeometry& g, Tensor t) {
  switch (t) {
    case Tensor::Input:
      return {g.size(Dim::N), g.size(Dim::C), g.size(Dim::Y), g.size(Dim::X)};
    case Tensor::Weight:
      if (g.channel_tied()) return {g.size(Dim::C), g.size(Dim::R), g.size(Dim::S), 1};
      return {g.size(Dim::K), g.size(Dim::C), g.size(Dim::R), g.size(Dim::S)};
    case Tensor::Output:
      return {g.size(Dim::N), g.depthwise() ? g.size(Dim::C) : g.size(Dim::K), g.out_rows(),
              g.out_cols()};
  }
  return {1, 1, 1, 1};
}

TransitionAnalysis::TransitionAnalysis(const LayerGeometry& geometry, const Hardware& hw)
    : geometry_(geometry), hw_(hw) {
  for (Tensor t : kAllTensors) sizes_[t] = coordinate_sizes(geometry_, t);
}

TensorTraffic TransitionAnalysis::analyze(Tensor t, const std::vector<UnitChunks>& before,
                                          const std::vector<UnitChunks>& after, bool merge) const {
  TensorTraffic out;
  const auto banks = static_cast<std::size_t>(std::max<std::int64_t>(1, hw_.l2.banks));
  auto bank = [&](std::int64_t flat) {
    return static_cast<std::size_t>(l2_bank_of(flat, static_cast<std::int64_t>(banks)));
  };
  out.bank_accesses.assign(banks, 0.0);
  const std::size_t pes = std::max(before.size(), after.size());
  out.pe_active.assign(pes, 0);
  const Tile none{};
  auto tile = [&](const std::vector<UnitChunks>& state, std::size_t p) {
    return p < state.size() ? TileShape::coordinates(geometry_, state[p], t) : none;
  };
  // (word, PE) pairs; drained outputs leave the old tile, received words enter the new one.
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  for (std::size_t p = 0; p < pes; ++p) {
    const Tile from = tile(before, p), to = tile(after, p);
    const Tile& box = t == Tensor::Output ? from : to;
    const Tile& minus = t == Tensor::Output ? to : from;
    const std::size_t mark = pairs.size();
    for_each_word(box, minus, sizes_[t], [&](std::int64_t flat) {
      pairs.emplace_back(flat, static_cast<std::int64_t>(p));
    });
    if (pairs.size() > mark) out.pe_active[p] = 1;
  }
  out.pe_words = static_cast<double>(pairs.size());
  std::sort(pairs.begin(), pairs.end());
  if (!merge) {
    std::vector<std::int64_t> group_of(pes, -1);
    for (const auto& [flat, p] : pairs) {
      std::int64_t& g = group_of[static_cast<std::size_t>(p)];
      if (g < 0) {
        g = static_cast<std::int64_t>(out.groups.size());
        out.groups.push_back({{p}, 0.0});
      }
      out.groups[static_cast<std::size_t>(g)].words += 1;
      out.bank_accesses[bank(flat)] += 1;
      out.packets.emplace_back(flat, static_cast<std::uint32_t>(g));
    }
    return out;
  }
  std::map<std::vector<std::int64_t>, std::uint32_t> by_set;
  std::vector<std::int64_t> set;
  for (std::size_t i = 0; i < pairs.size();) {
    const std::int64_t flat = pairs[i].first;
    set.clear();
    for (; i < pairs.size() && pairs[i].first == flat; ++i) set.push_back(pairs[i].second);
    auto [it, fresh] = by_set.try_emplace(set, static_cast<std::uint32_t>(out.groups.size()));
    if (fresh) out.groups.push_back({set, 0.0});
    out.groups[it->second].words += 1;
    out.bank_accesses[bank(flat)] += 1;
    out.packets.emplace_back(flat, it->second);
  }
  return out;
}

double TransitionAnalysis::pe_words(Tensor t, const std::vector<UnitChunks>& before,
                                    const std::vector<UnitChunks>& after) const {
  double words = 0;
  const std::size_t pes = std::max(before.size(), after.size());
  for (std::size_t p = 0; p < pes; ++p) {
    const Tile from = p < before.size() ? TileShape::coordinates(geometry_, before[p], t) : Tile{};
    const Tile to = p < after.size() ? TileShape::coordinates(geometry_, after[p], t) : Tile{};
    const Tile& box = t == Tensor::Output ? from : to;
    const Tile& other = t == Tensor::Output ? to : from;
    const std::int64_t overlap = (box.size == 0 || other.size == 0) ? 0 : box.overlap(other);
    words += static_cast<double>(box.size == 0 ? 0 : box.volume() - overlap);
  }
  return words;
}

}  // namespace metronome::contention
