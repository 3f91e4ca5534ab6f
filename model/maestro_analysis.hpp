#pragma once
// Internal to model/maestro_*.cpp: MAESTRO 4eb08d1's cluster analysis, per-level chunk sizes and
// iteration cases, as specified in docs/maestro-model.md (sections 2-6). Variables carry
// MAESTRO's names (GEMM layers use M, N, K, not metronome's convolution form).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"

namespace metronome::maestro {

// MAESTRO's dimension names. GEMM's N uses the batch slot (GEMM has no batch).
enum class Var : std::uint8_t { N, K, C, R, S, Y, X, YOut, XOut, M };
inline constexpr std::size_t kNumVars = 10;

template <typename T>
struct PerVar {
  std::array<T, kNumVars> values{};
  T& operator[](Var v) { return values[static_cast<std::size_t>(v)]; }
  const T& operator[](Var v) const { return values[static_cast<std::size_t>(v)]; }
};

std::string_view var_name(Var v);

// A dimension table: sizes and outer strides (section 2.2).
struct DimTable {
  bool conv = false;  // CONV/DSCONV: Y, X are reference dimensions of R, S
  PerVar<std::int64_t> size;
  PerVar<std::int64_t> stride;
  PerVar<bool> has;
  void add(Var v, std::int64_t sz, std::int64_t st = 1) {
    size[v] = sz;
    stride[v] = st;
    has[v] = true;
  }
  bool is_ref(Var v) const { return conv && (v == Var::Y || v == Var::X); }
};

constexpr Var sliding(Var v) {
  return v == Var::Y ? Var::R : Var::S;
}
constexpr Var output_coordinate(Var v) {
  return v == Var::Y ? Var::YOut : (v == Var::X ? Var::XOut : v);
}

struct Dir {
  MapKind kind = MapKind::Temporal;
  Var var = Var::K;
  std::int64_t size = 1;
  std::int64_t ofs = 1;
  bool cluster = false;  // Cluster(size, P)
};

// MAESTRO's tensors in its order: input, filter, output.
struct TensorSpec {
  std::vector<Var> vars;
  PerVar<bool> coupled;
  bool output = false;
  Tensor ours = Tensor::Input;  // metronome's name for it (GEMM swaps input and filter)
};

// Chunk sizes of one level (section 4); absent variables read 0.
struct ChunkSizes {
  PerVar<std::int64_t> mapped, unique, mapped_edge, unique_edge;
};

struct Level {
  std::int64_t units = 1;  // number of sub-clusters N
  std::vector<Dir> df;
  DimTable dims;       // static table
  std::size_t sp = 0;  // index of the first SpatialMap
  std::int64_t edge_clusters = 1;
  ChunkSizes sz;
  // Index of the first directive on v (every tensor variable has one at every level).
  std::size_t find(Var v) const;
};

struct Problem {
  bool conv = false;
  std::vector<TensorSpec> tensors;  // input, filter, output
  DimTable full;
  std::vector<Level> levels;  // level 0 = top
};

enum class Pos : std::uint8_t { Init, Steady, Edge };

struct State {
  Pos pos = Pos::Init;
  std::int64_t occ = 1;
  bool unrolled = false;
  bool init_edge = false;
  bool sp_ee = false;
  bool is_edge() const { return pos == Pos::Edge || init_edge; }
};

struct Case {
  PerVar<State> st;  // the state of the last directive on each variable
  std::int64_t occ = 1;
  bool all_init = true;
};

// Throws InputError saying what MAESTRO would do.
[[noreturn]] void maestro_fails(const SourceLocation& where, const std::string& what);

// Sections 1.2, 2, 3 and 4: checks, dimension table, levels, chunk sizes.
Problem analyze_clusters(const Layer& layer, const Mapping& mapping, std::int64_t num_pes);

// Section 6: the cases of one level against a dimension table, in MAESTRO's order.
std::vector<Case> iteration_cases(const Level& level, const DimTable& dims);

// C++ integer division and Python-style floor division.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace metronome::maestro
