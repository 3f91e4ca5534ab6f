#include "spec/noc_topology.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <cmath>
#include <deque>

namespace metronome {

namespace {

// Records, for every vertex BFS discovers, the index of the edge it was discovered by.
struct TreeEdgeRecorder : boost::default_bfs_visitor {
  std::vector<std::size_t>* parent_edge;
  explicit TreeEdgeRecorder(std::vector<std::size_t>* p) : parent_edge(p) {}
  template <class Edge, class G>
  void tree_edge(Edge e, const G& g) const {
    (*parent_edge)[boost::target(e, g)] = g[e].index;
  }
};

std::int64_t ceil_log2(std::int64_t n) {
  std::int64_t d = 0;
  while ((std::int64_t{1} << d) < n) ++d;
  return d;
}

using BuildFn = void (NocTopology::*)();

}  // namespace

std::int64_t array_rows(std::int64_t pes) {
  auto rows = static_cast<std::int64_t>(std::sqrt(static_cast<double>(pes)));
  while (rows * rows > pes) --rows;
  while ((rows + 1) * (rows + 1) <= pes) ++rows;
  while (rows > 1 && pes % rows != 0) --rows;
  return rows < 1 ? 1 : rows;
}

std::vector<std::string_view> NocTopology::names() {
  return topology_names();
}

NocTopology NocTopology::build(std::string_view name, std::int64_t pes, bool fat) {
  const auto kind = parse_topology(name);
  if (!kind)
    throw InputError({}, fmt::format("unknown topology {}", quote(name)),
                     fmt::format("one of {}", fmt::join(names(), ", ")));
  return build(*kind, pes, fat);
}

NocTopology NocTopology::build(Topology kind, std::int64_t pes, bool fat) {
  if (pes < 1 || pes > kMaxPes)
    throw InputError({}, fmt::format("network of {} PEs", pes),
                     fmt::format("1 to {} PEs", kMaxPes));
  // The registry: one builder per topology of spec/hardware.hpp.
  static constexpr std::array<std::pair<Topology, BuildFn>, 5> kBuilders = {{
      {Topology::Bus, &NocTopology::build_bus},
      {Topology::Crossbar, &NocTopology::build_crossbar},
      {Topology::Tree, &NocTopology::build_tree},
      {Topology::Mesh, &NocTopology::build_mesh},
      {Topology::Systolic, &NocTopology::build_systolic},
  }};
  NocTopology t(kind, pes, fat && kind == Topology::Tree);
  t.l2_ = t.add_node(NodeKind::L2, 0, "l2");
  t.pe_nodes_.reserve(static_cast<std::size_t>(pes));
  for (std::int64_t i = 0; i < pes; ++i)
    t.pe_nodes_.push_back(t.add_node(NodeKind::Pe, i, fmt::format("pe{}", i)));
  for (const auto& [k, fn] : kBuilders)
    if (k == kind) (t.*fn)();
  if (kind == Topology::Mesh)
    t.compute_routes_xy();
  else
    t.compute_routes_bfs();
  return t;
}

NocTopology::NocTopology(const NocTopology& other)
    : kind_(other.kind_),
      fat_(other.fat_),
      pes_(other.pes_),
      rows_(other.rows_),
      cols_(other.cols_),
      graph_(other.graph_),
      l2_(other.l2_),
      pe_nodes_(other.pe_nodes_),
      routers_(other.routers_),
      down_edge_(other.down_edge_),
      up_edge_(other.up_edge_) {
  reindex_edges();
}

NocTopology::NocTopology(NocTopology&& other)
    : kind_(other.kind_), fat_(other.fat_), pes_(other.pes_) {
  swap(other);
}

NocTopology& NocTopology::operator=(NocTopology other) {
  swap(other);
  return *this;
}

void NocTopology::swap(NocTopology& other) {
  std::swap(kind_, other.kind_);
  std::swap(fat_, other.fat_);
  std::swap(pes_, other.pes_);
  std::swap(rows_, other.rows_);
  std::swap(cols_, other.cols_);
  graph_.swap(other.graph_);
  std::swap(l2_, other.l2_);
  pe_nodes_.swap(other.pe_nodes_);
  routers_.swap(other.routers_);
  down_edge_.swap(other.down_edge_);
  up_edge_.swap(other.up_edge_);
  reindex_edges();
  other.reindex_edges();
}

void NocTopology::reindex_edges() {
  edges_.assign(boost::num_edges(graph_), EdgeId{});
  for (const EdgeId e : boost::make_iterator_range(boost::edges(graph_)))
    edges_[graph_[e].index] = e;
}

NodeId NocTopology::add_node(NodeKind kind, std::int64_t index, std::string name) {
  NodeProps p;
  p.kind = kind;
  p.index = index;
  p.name = std::move(name);
  // add_vertex(graph) rather than add_vertex(props, graph): the latter trips a GCC 12
  // -Wmaybe-uninitialized false positive inside Boost 1.74 under the sanitizer build.
  const NodeId v = boost::add_vertex(graph_);
  graph_[v] = std::move(p);
  return v;
}

std::size_t NocTopology::add_edge(NodeId u, NodeId v, EdgeKind kind, double width,
                                  std::int64_t hops) {
  EdgeProps p;
  p.kind = kind;
  p.width = width;
  p.hops = hops;
  p.index = edges_.size();
  p.name = graph_[u].name + "->" + graph_[v].name;
  edges_.push_back(boost::add_edge(u, v, std::move(p), graph_).first);
  return edges_.size() - 1;
}

void NocTopology::connect(NodeId u, NodeId v, EdgeKind kind, double width, std::int64_t hops) {
  add_edge(u, v, kind, width, hops);
  add_edge(v, u, kind, width, hops);
}

std::size_t NocTopology::find_edge(NodeId u, NodeId v) const {
  const auto [e, found] = boost::edge(u, v, graph_);
  return found ? graph_[e].index : kNoEdge;
}

// Bus: one shared medium between L2 and a bus node (the only link, one hop); every PE hangs off
// the medium by a tap (no bandwidth limit or latency of its own).
void NocTopology::build_bus() {
  const NodeId bus = add_node(NodeKind::Router, 0, "bus");
  routers_.push_back(bus);
  connect(l2_, bus, EdgeKind::Link, 1, 1);
  for (const NodeId pe : pe_nodes_) connect(bus, pe, EdgeKind::Tap, kUnlimited, 0);
}

// Crossbar: a switch with one L2 port (a link, one hop) and one port per PE (a link each, no
// latency of its own, so L2 to PE is one hop).
void NocTopology::build_crossbar() {
  const NodeId xbar = add_node(NodeKind::Router, 0, "xbar");
  routers_.push_back(xbar);
  connect(l2_, xbar, EdgeKind::Link, 1, 1);
  for (const NodeId pe : pe_nodes_) connect(xbar, pe, EdgeKind::Link, 1, 0);
}

// Binary tree with the PEs as leaves, built breadth first: router r0 is the root and holds all
// PEs, a router holding n PEs gives the first ceil(n/2) to its first child and the rest to its
// second; a child holding one PE is that PE. L2 attaches to the root by a local port (no hop),
// so L2 to a PE is ceil(log2 P) hops; with one PE, L2 links straight to it (one hop). Fat tree:
// the link into a node whose subtree is h levels high is 2^h wide (leaves 1, doubling upwards).
void NocTopology::build_tree() {
  auto width = [&](std::int64_t leaves) {
    return fat_ ? static_cast<double>(std::int64_t{1} << ceil_log2(leaves)) : 1.0;
  };
  if (pes_ == 1) {
    connect(l2_, pe_nodes_[0], EdgeKind::Link, 1, 1);
    return;
  }
  struct Range {
    NodeId router;
    std::int64_t lo, hi;
  };
  std::deque<Range> queue;
  const NodeId root = add_node(NodeKind::Router, 0, "r0");
  routers_.push_back(root);
  connect(l2_, root, EdgeKind::Link, width(pes_), 0);
  queue.push_back({root, 0, pes_});
  while (!queue.empty()) {
    const Range r = queue.front();
    queue.pop_front();
    const std::int64_t mid = r.lo + (r.hi - r.lo + 1) / 2;
    for (const auto& [lo, hi] : {std::pair{r.lo, mid}, std::pair{mid, r.hi}}) {
      if (hi - lo == 1) {
        connect(r.router, pe_nodes_[static_cast<std::size_t>(lo)], EdgeKind::Link, width(1), 1);
        continue;
      }
      const auto index = static_cast<std::int64_t>(routers_.size());
      const NodeId child = add_node(NodeKind::Router, index, fmt::format("r{}", index));
      routers_.push_back(child);
      connect(r.router, child, EdgeKind::Link, width(hi - lo), 1);
      queue.push_back({child, lo, hi});
    }
  }
}

void NocTopology::set_array_shape() {
  rows_ = array_rows(pes_);
  cols_ = pes_ / rows_;
  for (std::int64_t i = 0; i < pes_; ++i) {
    graph_[pe_nodes_[static_cast<std::size_t>(i)]].row = i / cols_;
    graph_[pe_nodes_[static_cast<std::size_t>(i)]].col = i % cols_;
  }
}

// Mesh: rows x cols routers, router i (row i / cols, col i % cols) serving PE i through a local
// port each way (a link with no latency of its own); neighbouring routers linked both ways (one
// hop). L2 sits along the west edge: one link each way to the first router of every row.
void NocTopology::build_mesh() {
  set_array_shape();
  for (std::int64_t i = 0; i < pes_; ++i) {
    const NodeId r = add_node(NodeKind::Router, i, fmt::format("r{}", i));
    graph_[r].row = i / cols_;
    graph_[r].col = i % cols_;
    routers_.push_back(r);
  }
  auto at = [&](std::int64_t row, std::int64_t col) {
    return routers_[static_cast<std::size_t>(row * cols_ + col)];
  };
  for (std::int64_t i = 0; i < pes_; ++i)
    connect(routers_[static_cast<std::size_t>(i)], pe_nodes_[static_cast<std::size_t>(i)],
            EdgeKind::Link, 1, 0);
  for (std::int64_t row = 0; row < rows_; ++row) connect(l2_, at(row, 0), EdgeKind::Link, 1, 1);
  for (std::int64_t row = 0; row < rows_; ++row)
    for (std::int64_t col = 0; col < cols_; ++col) {
      if (col + 1 < cols_) connect(at(row, col), at(row, col + 1), EdgeKind::Link, 1, 1);
      if (row + 1 < rows_) connect(at(row, col), at(row + 1, col), EdgeKind::Link, 1, 1);
    }
}

// Systolic array: rows x cols PEs that forward to their four neighbours (one hop each); no
// routers. L2 feeds the west edge: one link each way to the first PE of every row, so words
// travel along a row PE to PE.
void NocTopology::build_systolic() {
  set_array_shape();
  auto at = [&](std::int64_t row, std::int64_t col) {
    return pe_nodes_[static_cast<std::size_t>(row * cols_ + col)];
  };
  for (std::int64_t row = 0; row < rows_; ++row) connect(l2_, at(row, 0), EdgeKind::Link, 1, 1);
  for (std::int64_t row = 0; row < rows_; ++row)
    for (std::int64_t col = 0; col < cols_; ++col) {
      if (col + 1 < cols_) connect(at(row, col), at(row, col + 1), EdgeKind::Link, 1, 1);
      if (row + 1 < rows_) connect(at(row, col), at(row + 1, col), EdgeKind::Link, 1, 1);
    }
}

// Routing trees by breadth-first search from L2, on the graph (distribution) and on the
// reversed graph (reduction).
void NocTopology::compute_routes_bfs() {
  down_edge_.assign(node_count(), kNoEdge);
  up_edge_.assign(node_count(), kNoEdge);
  boost::breadth_first_search(graph_, l2_, boost::visitor(TreeEdgeRecorder(&down_edge_)));
  const auto reversed = boost::make_reverse_graph(graph_);
  boost::breadth_first_search(reversed, l2_, boost::visitor(TreeEdgeRecorder(&up_edge_)));
}

// XY routing trees with L2 as column -1 of every row: from L2 enter the destination's row at
// column 0 and go east; from a node go west to column 0 and leave to L2.
void NocTopology::compute_routes_xy() {
  down_edge_.assign(node_count(), kNoEdge);
  up_edge_.assign(node_count(), kNoEdge);
  for (std::int64_t i = 0; i < pes_; ++i) {
    const NodeId r = routers_[static_cast<std::size_t>(i)];
    const NodeId p = pe_nodes_[static_cast<std::size_t>(i)];
    const NodeId west = (i % cols_ == 0) ? l2_ : routers_[static_cast<std::size_t>(i - 1)];
    down_edge_[r] = find_edge(west, r);
    up_edge_[r] = find_edge(r, west);
    down_edge_[p] = find_edge(r, p);
    up_edge_[p] = find_edge(p, r);
  }
}

std::vector<std::size_t> NocTopology::route_from_l2(std::int64_t pe_index) const {
  std::vector<std::size_t> out;
  for (NodeId v = pe(pe_index); v != l2_ && down_edge_[v] != kNoEdge; v = source(down_edge_[v]))
    out.push_back(down_edge_[v]);
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::size_t> NocTopology::route_to_l2(std::int64_t pe_index) const {
  std::vector<std::size_t> out;
  for (NodeId v = pe(pe_index); v != l2_ && up_edge_[v] != kNoEdge; v = target(up_edge_[v]))
    out.push_back(up_edge_[v]);
  return out;
}

std::vector<std::size_t> NocTopology::route(NodeId from, NodeId to) const {
  if (from == to) return {};
  return kind_ == Topology::Mesh ? route_xy(from, to) : route_bfs(from, to);
}

std::vector<std::size_t> NocTopology::route_bfs(NodeId from, NodeId to) const {
  std::vector<std::size_t> parent(node_count(), kNoEdge);
  boost::breadth_first_search(graph_, from, boost::visitor(TreeEdgeRecorder(&parent)));
  std::vector<std::size_t> out;
  for (NodeId v = to; v != from; v = source(parent[v])) {
    if (parent[v] == kNoEdge) return {};
    out.push_back(parent[v]);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Dimension-ordered route: X (columns) first, then Y (rows). L2 is column -1 of the row it is
// entered from or left to.
std::vector<std::size_t> NocTopology::route_xy(NodeId from, NodeId to) const {
  std::vector<NodeId> nodes{from};
  NodeId cur = from;
  const bool from_l2 = from == l2_;
  const bool to_l2 = to == l2_;
  if (from_l2) {
    cur = routers_[static_cast<std::size_t>(graph_[to].row * cols_)];
  } else if (graph_[from].kind == NodeKind::Pe) {
    cur = routers_[static_cast<std::size_t>(graph_[from].index)];
  }
  if (cur != from) nodes.push_back(cur);
  const std::int64_t row = graph_[cur].row;
  const std::int64_t target_col = to_l2 ? 0 : graph_[to].col;
  const std::int64_t target_row = to_l2 ? row : graph_[to].row;
  std::int64_t r = row;
  std::int64_t c = graph_[cur].col;
  auto push = [&] { nodes.push_back(routers_[static_cast<std::size_t>(r * cols_ + c)]); };
  while (c != target_col) {
    c += c < target_col ? 1 : -1;
    push();
  }
  while (r != target_row) {
    r += r < target_row ? 1 : -1;
    push();
  }
  if (to_l2 || graph_[to].kind == NodeKind::Pe) nodes.push_back(to);
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i + 1 < nodes.size(); ++i) {
    if (nodes[i] == nodes[i + 1]) continue;
    out.push_back(find_edge(nodes[i], nodes[i + 1]));
  }
  return out;
}

std::vector<std::size_t> NocTopology::union_of(std::span<const std::int64_t> pes, bool down) const {
  std::vector<char> seen(node_count(), 0);
  std::vector<std::size_t> out;
  for (const std::int64_t p : pes) {
    NodeId v = pe(p);
    while (v != l2_ && !seen[v]) {
      seen[v] = 1;
      const std::size_t e = down ? down_edge_[v] : up_edge_[v];
      if (e == kNoEdge) break;
      out.push_back(e);
      v = down ? source(e) : target(e);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::size_t> NocTopology::multicast_tree(std::span<const std::int64_t> pes) const {
  return union_of(pes, true);
}

std::vector<std::size_t> NocTopology::reduction_tree(std::span<const std::int64_t> pes) const {
  return union_of(pes, false);
}

std::string NocTopology::describe(NodeId from, std::span<const std::size_t> route) const {
  std::string out = graph_[from].name;
  for (const std::size_t e : route) out += " -> " + graph_[target(e)].name;
  return out;
}

}  // namespace metronome
