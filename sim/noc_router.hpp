#pragma once
// One node of a network (router, switch, bus interface, or an endpoint that forwards, like a
// systolic PE): input buffers (the links into it, plus a local injection queue and, for
// in-network reduction, the queue of finished sums), output ports (the links out of it, plus a
// local ejection port), round-robin arbitration per output, multicast replication and
// in-network addition of partial sums. Plain C++; used by sim/noc.hpp.

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/noc_groups.hpp"
#include "sim/noc_link.hpp"
#include "sim/noc_ports.hpp"
#include "sim/ring_queue.hpp"

namespace metronome::sim {

// What a router may touch while the network evaluates one cycle (all owned by the network).
struct RouterContext {
  std::int64_t cycle = 0;
  std::vector<Link>* links = nullptr;
  std::vector<InjectPort>* injects = nullptr;
  std::vector<EjectPort>* ejects = nullptr;
  GroupTable* groups = nullptr;
  const NocTopology* topology = nullptr;
  std::vector<std::int64_t>* load = nullptr;  // words waiting at each node
  std::vector<std::uint32_t>* dirty_links = nullptr;
  std::vector<std::uint32_t>* dirty_ejects = nullptr;
  std::vector<std::uint32_t>* dirty_injects = nullptr;
  std::vector<std::uint32_t>* link_target = nullptr;  // node each link leads to
  Direction direction = Direction::Distribution;
  bool multicast = true;
  bool in_network = true;
  // Counters the routers add to.
  std::int64_t words_delivered = 0;
  std::int64_t partial_sums_added = 0;
  std::int64_t open_reductions = 0;  // partial sums waiting for more contributions, all routers
  std::int64_t words_held = 0;       // words in queues, links and ejection ports, all nodes
};

class Router {
 public:
  static constexpr int kNone = -1;
  // `inject` / `eject`: index of this node's (first) injection / ejection port, or kNone.
  // `inject_queues` > 1: injection ports inject .. inject + n - 1, one per output link, port k
  // feeding output k only (L2 with a link per row: no head-of-line blocking between rows).
  Router(std::uint32_t node, bool is_l2, std::vector<std::uint32_t> in_links,
         std::vector<std::uint32_t> out_links, int inject, int eject, bool merges,
         std::size_t inject_queues = 1);

  std::uint32_t node() const { return node_; }
  const std::vector<std::uint32_t>& out_links() const { return out_links_; }
  const std::vector<std::uint32_t>& in_links() const { return in_links_; }

  // One cycle: absorb partial sums, then allocation rounds until no output can take a word
  // from any input; then attribute the stalls of words still waiting.
  void evaluate(RouterContext& ctx);

  std::size_t open_reductions() const { return merges_.size(); }
  std::size_t max_open_reductions() const { return max_open_; }

 private:
  static constexpr std::uint32_t kDone = 0xffffffffu;
  struct Copy {
    std::uint32_t port;  // output port, kDone once sent
    GroupId group;       // group the copy carries on (a singleton for per-destination copies)
    std::uint32_t hop;   // the next node's hop number in `group` (Flit::hop), or kNoHop
  };
  struct Input {
    bool primed = false;         // `copies` describe the current head
    bool absorb = false;         // the head is a partial sum to add here
    std::uint32_t expected = 0;  // absorb: contributions meeting here (prime's GroupHop)
    std::vector<Copy> copies;
    std::size_t left = 0;  // copies not yet sent
  };
  struct Best {
    std::uint64_t round = 0;
    std::size_t distance = 0;
    std::size_t input = 0;
    std::size_t copy = 0;
  };
  struct MergeKey {
    std::uint64_t tag;
    GroupId group;
    bool operator==(const MergeKey&) const = default;
  };
  struct Partial {
    std::int64_t sum = 0;
    std::uint32_t count = 0;
    std::uint32_t contributions = 0;
    std::int64_t first_injected = 0;
  };

  std::size_t input_count() const { return inputs_.size(); }
  // (Inline: asked for every word, several times.)
  bool head_ready(std::size_t input, const RouterContext& ctx) const {
    if (input < in_links_.size()) return (*ctx.links)[in_links_[input]].head_ready(ctx.cycle);
    if (is_inject(input)) return !(*ctx.injects)[queue_of(input)].empty();
    return !finished_.empty();
  }
  const Flit& head(std::size_t input, const RouterContext& ctx) const {
    if (input < in_links_.size()) return (*ctx.links)[in_links_[input]].head();
    if (is_inject(input)) return (*ctx.injects)[queue_of(input)].front();
    return finished_.front();
  }
  void pop(std::size_t input, RouterContext& ctx);
  static void add_load(RouterContext& ctx, std::uint32_t node, std::int64_t words);
  void prime(std::size_t input, RouterContext& ctx);
  void absorb(std::size_t input, RouterContext& ctx);
  bool port_open(std::uint32_t port, RouterContext& ctx);
  bool port_ready(std::uint32_t port, RouterContext& ctx);
  void evaluate_single_input(RouterContext& ctx);
  bool allocate_round(RouterContext& ctx);
  bool single_bidder_round(std::size_t input, RouterContext& ctx);
  bool single_port_round(RouterContext& ctx);
  void grant(std::size_t input, std::size_t copy, RouterContext& ctx);
  void note_stalls(RouterContext& ctx);

  std::uint32_t node_;
  bool is_l2_;
  std::vector<std::uint32_t> in_links_;
  std::vector<std::uint32_t> out_links_;
  int inject_;
  int eject_;
  static constexpr std::size_t kNoInput = static_cast<std::size_t>(-1);
  std::size_t inject_input_;  // input index of the (first) injection queue, or kNoInput
  std::size_t inject_queues_ = 0;
  bool is_inject(std::size_t input) const {
    return inject_input_ != kNoInput && input >= inject_input_ &&
           input < inject_input_ + inject_queues_;
  }
  std::size_t queue_of(std::size_t input) const {
    return static_cast<std::size_t>(inject_) + (input - inject_input_);
  }
  std::size_t merge_input_;   // input index of the finished sums, or kNoInput
  std::uint32_t eject_port_;  // == out_links_.size()
  // One output port (a link or the ejection port, numbered 0): every node of a tree's
  // reduction network. Its rounds need no allocator (single_port_round).
  bool single_port_ = false;
  std::vector<Input> inputs_;
  std::vector<std::uint32_t> rr_;  // per output port: the input that has priority next
  std::vector<Best> best_;
  std::vector<std::uint64_t> open_round_;
  std::vector<char> open_;
  std::vector<std::int64_t> stall_stamp_;
  std::vector<std::uint32_t> touched_;
  std::uint64_t round_ = 0;
  RingQueue<Flit> finished_;  // sums complete at this node, waiting for the output
  // Sums open at this node: a handful at a time, so a flat list searched from its end beats a
  // hash map's node per sum.
  std::vector<std::pair<MergeKey, Partial>> merges_;
  std::size_t max_open_ = 0;
};

}  // namespace metronome::sim
