#pragma once
// Network-on-chip topologies as Boost.Graph graphs (sim/DESIGN.md, "Network-on-chip"): the one
// description of a network's shape, shared by the simulator's networks (sim/noc*) and the
// analytical model's contention estimate (model/contention*).
//
// A topology holds one L2 node, P PE nodes and the routers or switches its shape needs, joined by
// directed edges (every physical connection is two edges, one per direction). It fixes the
// routing (the simulator's, and the model's): one route from L2 to every PE (distribution) and
// one from every PE to L2 (reduction); together the routes of each direction form a tree rooted
// at L2, so a multicast tree or a reduction tree is the union of the routes of its PEs.

#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spec/hardware.hpp"

namespace metronome {

enum class NodeKind : std::uint8_t { L2, Pe, Router };

struct NodeProps {
  NodeKind kind = NodeKind::Router;
  std::int64_t index = 0;  // PE number for PEs, router number for routers, 0 for L2
  std::int64_t row = -1;   // mesh and systolic only: position in the rows x cols array
  std::int64_t col = -1;
  std::string name;  // "l2", "pe17", "r3", "bus", "xbar"
};

// What an edge is. A Link has its own bandwidth (`width` x link_words_per_cycle) and costs
// `hops` x hop_latency cycles. A Tap is a PE's attachment to a shared bus medium: the medium is
// the bandwidth-limited link, the tap itself adds no limit and no latency and is not reported
// as a link.
enum class EdgeKind : std::uint8_t { Link, Tap };

struct EdgeProps {
  EdgeKind kind = EdgeKind::Link;
  double width = 1;       // bandwidth in units of link_words_per_cycle (fat tree: 2^height)
  std::int64_t hops = 1;  // 1: pays hop_latency; 0: a local port (no latency of its own)
  std::size_t index = 0;  // position in NocTopology::edges()
  std::string name;       // "l2->r0", "r3->pe17"
};

using Graph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, NodeProps, EdgeProps>;
using NodeId = Graph::vertex_descriptor;
using EdgeId = Graph::edge_descriptor;

inline constexpr std::size_t kNoEdge = static_cast<std::size_t>(-1);

class NocTopology {
 public:
  // Builds `kind` for `pes` PEs (1 .. kMaxPes). `fat` widens tree links towards the root.
  static NocTopology build(Topology kind, std::int64_t pes, bool fat = false);
  // Registry by name (spec's names: bus, crossbar, tree, mesh, systolic). An unknown name
  // throws InputError listing the valid names.
  static NocTopology build(std::string_view name, std::int64_t pes, bool fat = false);
  static std::vector<std::string_view> names();

  // Copies and moves re-point the edge table at their own graph (Boost edge descriptors refer
  // to the graph they came from; Boost 1.74 adjacency_list has no move, so a move copies).
  NocTopology(const NocTopology& other);
  NocTopology(NocTopology&& other);
  NocTopology& operator=(NocTopology other);
  ~NocTopology() = default;

  Topology kind() const { return kind_; }
  bool fat() const { return fat_; }
  const Graph& graph() const { return graph_; }
  std::int64_t pe_count() const { return pes_; }
  // Array shape for mesh and systolic (rows = largest divisor of P not above sqrt(P)); 0 else.
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }

  NodeId l2() const { return l2_; }
  NodeId pe(std::int64_t i) const { return pe_nodes_.at(static_cast<std::size_t>(i)); }
  std::size_t node_count() const { return boost::num_vertices(graph_); }
  const NodeProps& node(NodeId n) const { return graph_[n]; }
  const std::string& name(NodeId n) const { return graph_[n].name; }

  // Edges by index (EdgeProps::index).
  std::size_t edge_count() const { return edges_.size(); }
  const EdgeProps& edge(std::size_t e) const { return graph_[edges_[e]]; }
  NodeId source(std::size_t e) const { return boost::source(edges_[e], graph_); }
  NodeId target(std::size_t e) const { return boost::target(edges_[e], graph_); }
  // The edge u -> v, or kNoEdge.
  std::size_t find_edge(NodeId u, NodeId v) const;

  // Routing trees rooted at L2. down_edge(v): the edge by which the route from L2 enters v;
  // up_edge(v): the edge by which the route from v to L2 leaves v. kNoEdge for L2 and for nodes
  // no route uses.
  std::size_t down_edge(NodeId v) const { return down_edge_[v]; }
  std::size_t up_edge(NodeId v) const { return up_edge_[v]; }

  // Routes as edge indices, first hop first.
  std::vector<std::size_t> route_from_l2(std::int64_t pe) const;
  std::vector<std::size_t> route_to_l2(std::int64_t pe) const;
  // Any node to any node: XY for mesh (L2 counts as column -1 of every row), otherwise a BFS
  // shortest path (ties broken by edge creation order). Empty when from == to or unreachable.
  std::vector<std::size_t> route(NodeId from, NodeId to) const;

  // Union of the routes from L2 to `pes` (multicast tree) or from `pes` to L2 (reduction tree),
  // edge indices in ascending order.
  std::vector<std::size_t> multicast_tree(std::span<const std::int64_t> pes) const;
  std::vector<std::size_t> reduction_tree(std::span<const std::int64_t> pes) const;

  // "l2 -> r0 -> r1 -> pe3" for a route starting at `from`.
  std::string describe(NodeId from, std::span<const std::size_t> route) const;

 private:
  NocTopology(Topology kind, std::int64_t pes, bool fat) : kind_(kind), fat_(fat), pes_(pes) {}

  NodeId add_node(NodeKind kind, std::int64_t index, std::string name);
  std::size_t add_edge(NodeId u, NodeId v, EdgeKind kind, double width, std::int64_t hops);
  // Both directions of one physical connection.
  void connect(NodeId u, NodeId v, EdgeKind kind, double width, std::int64_t hops);

  void build_bus();
  void build_crossbar();
  void build_tree();
  void build_mesh();
  void build_systolic();
  void set_array_shape();

  void reindex_edges();
  void swap(NocTopology& other);
  void compute_routes_bfs();
  void compute_routes_xy();
  std::vector<std::size_t> route_xy(NodeId from, NodeId to) const;
  std::vector<std::size_t> route_bfs(NodeId from, NodeId to) const;
  std::vector<std::size_t> union_of(std::span<const std::int64_t> pes, bool down) const;

  Topology kind_;
  bool fat_;
  std::int64_t pes_;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  Graph graph_;
  NodeId l2_ = 0;
  std::vector<NodeId> pe_nodes_;
  std::vector<NodeId> routers_;  // mesh: router of PE i is routers_[i]
  std::vector<EdgeId> edges_;
  std::vector<std::size_t> down_edge_;
  std::vector<std::size_t> up_edge_;
};

// Rows of the most square rows x cols array of `pes` PEs: the largest divisor of `pes` not
// above sqrt(pes) (the analytical model's assumption).
std::int64_t array_rows(std::int64_t pes);

}  // namespace metronome
