#include "sim/noc_router.hpp"

#include <algorithm>
#include <stdexcept>

namespace metronome::sim {

Router::Router(std::uint32_t node, bool is_l2, std::vector<std::uint32_t> in_links,
               std::vector<std::uint32_t> out_links, int inject, int eject, bool merges,
               std::size_t inject_queues)
    : node_(node),
      is_l2_(is_l2),
      in_links_(std::move(in_links)),
      out_links_(std::move(out_links)),
      inject_(inject),
      eject_(eject) {
  std::size_t n = in_links_.size();
  inject_queues_ = inject_ != kNone ? std::max<std::size_t>(1, inject_queues) : 0;
  inject_input_ = inject_ != kNone ? n : kNoInput;
  n += inject_queues_;
  merge_input_ = merges ? n++ : kNoInput;
  inputs_.resize(n);
  eject_port_ = static_cast<std::uint32_t>(out_links_.size());
  const std::size_t ports = out_links_.size() + (eject_ != kNone ? 1 : 0);
  single_port_ = ports == 1;
  rr_.assign(ports, 0);
  best_.resize(ports);
  open_round_.assign(ports, 0);
  open_.assign(ports, 0);
  stall_stamp_.assign(ports, -1);
}

[[gnu::always_inline]] inline void Router::pop(std::size_t input, RouterContext& ctx) {
  if (input < in_links_.size()) {
    const std::uint32_t l = in_links_[input];
    if ((*ctx.links)[l].pop()) ctx.dirty_links->push_back(l);
  } else if (is_inject(input)) {
    (*ctx.injects)[queue_of(input)].pop();
    ctx.dirty_injects->push_back(static_cast<std::uint32_t>(queue_of(input)));  // room
  } else {
    finished_.pop_front();
  }
  add_load(ctx, node_, -1);
  inputs_[input].primed = false;
}

[[gnu::always_inline]] inline void Router::add_load(RouterContext& ctx, std::uint32_t node,
                                                    std::int64_t words) {
  (*ctx.load)[node] += words;
  ctx.words_held += words;
}

// Works out what the head of `input` needs here: the output ports it must be copied to, or
// (in-network reduction at a merge point) to be added to a partial sum.
void Router::prime(std::size_t input, RouterContext& ctx) {
  Input& in = inputs_[input];
  in.copies.clear();
  in.absorb = false;
  in.primed = true;
  const Flit& f = head(input, ctx);
  GroupTable& groups = *ctx.groups;
  const bool down = ctx.direction == Direction::Distribution;
  if (down && is_inject(input) && !ctx.multicast) {
    // No multicast: the source sends one unicast copy per destination.
    for (const std::int64_t pe : groups.pes(f.group)) {
      const GroupId single = groups.singleton(*ctx.topology, pe);
      const GroupHop* h = groups.hop(single, node_);
      in.copies.push_back(
          {groups.ports(single, *h).front(), single, groups.port_hops(single, *h).front()});
    }
  } else {
    // The sender told where the word is in its group's table (a search otherwise).
    const GroupTable::HopPorts at = groups.hop_ports(f.group, f.hop, node_);
    const GroupHop* h = at.hop;
    if (h == nullptr || h->node != node_)
      throw std::logic_error("network: a word reached a node off its tree");
    if (!down && ctx.in_network && input != merge_input_ && h->expected > 1) {
      in.absorb = true;
      in.expected = h->expected;
      in.left = 0;
      return;
    }
    for (std::size_t k = 0; k < at.ports.size(); ++k)
      in.copies.push_back({at.ports[k], f.group, at.next[k]});
    if (down ? h->member : is_l2_) in.copies.push_back({eject_port_, f.group, kNoHop});
  }
  if (inject_queues_ > 1 && is_inject(input)) {
    // A per-link queue: its words leave by its own link only (the network put a copy of the
    // word in the queue of every link the word's tree takes from here).
    const auto port = static_cast<std::uint32_t>(input - inject_input_);
    std::erase_if(in.copies, [port](const auto& c) { return c.port != port; });
  }
  in.left = in.copies.size();
}

// Adds a partial sum into this node's running sum for its (tag, group); when all contributions
// routed through this node are in, the sum becomes one word on the finished-sums input.
void Router::absorb(std::size_t input, RouterContext& ctx) {
  const Flit f = head(input, ctx);
  const std::uint32_t expected = inputs_[input].expected;  // found by prime for this head
  const MergeKey key{f.tag, f.group};
  std::size_t at = merges_.size();
  while (at > 0 && !(merges_[at - 1].first == key)) --at;
  const bool fresh = at == 0;
  if (fresh) {
    merges_.emplace_back(key, Partial{});
    at = merges_.size();
  }
  Partial& p = merges_[at - 1].second;
  if (fresh) {
    p.first_injected = f.injected_cycle;
    ++ctx.open_reductions;
  } else {
    ++ctx.partial_sums_added;
    p.first_injected = std::min(p.first_injected, f.injected_cycle);
  }
  p.sum += f.value;
  ++p.count;
  p.contributions += f.contributions;
  max_open_ = std::max(max_open_, merges_.size());
  if (p.count == expected) {
    finished_.push_back(Flit{p.sum, f.tag, f.group, p.contributions, p.first_injected});
    add_load(ctx, node_, 1);
    --ctx.open_reductions;
    merges_[at - 1] = merges_.back();  // the list's order means nothing
    merges_.pop_back();
  }
  pop(input, ctx);
}

// Whether output `port` can take a word now (a credit and bandwidth, or room in the sink).
[[gnu::always_inline]] inline bool Router::port_ready(std::uint32_t port, RouterContext& ctx) {
  if (port < out_links_.size()) {
    Link& l = (*ctx.links)[out_links_[port]];
    return l.has_credit() && l.has_bandwidth(ctx.cycle);
  }
  return (*ctx.ejects)[static_cast<std::size_t>(eject_)].space() > 0;
}

// port_ready, asked once per allocation round.
[[gnu::always_inline]] inline bool Router::port_open(std::uint32_t port, RouterContext& ctx) {
  if (open_round_[port] == round_) return open_[port] != 0;
  open_round_[port] = round_;
  const bool ok = port_ready(port, ctx);
  open_[port] = ok ? 1 : 0;
  return ok;
}

// One round of a separable allocator: every open output port takes one word, from the
// requesting input that comes first in round-robin order starting at its priority pointer.
bool Router::allocate_round(RouterContext& ctx) {
  ++round_;
  touched_.clear();
  const std::size_t n = input_count();
  for (std::size_t i = 0; i < n; ++i) {
    const Input& in = inputs_[i];
    if (!in.primed || in.absorb) continue;
    for (std::size_t j = 0; j < in.copies.size(); ++j) {
      const std::uint32_t port = in.copies[j].port;
      if (port == kDone) continue;
      Best& b = best_[port];
      if (b.round == round_ && b.input == i) continue;  // this input already bids for the port
      if (!port_open(port, ctx)) continue;
      // (i - rr) mod n without a division (rr < n).
      const std::size_t rr = rr_[port];
      const std::size_t distance = i >= rr ? i - rr : i + n - rr;
      if (b.round != round_) {
        b = {round_, distance, i, j};
        touched_.push_back(port);
      } else if (distance < b.distance) {
        b = {round_, distance, i, j};
      }
    }
  }
  for (const std::uint32_t port : touched_) grant(best_[port].input, best_[port].copy, ctx);
  return !touched_.empty();
}

// allocate_round when `input` is the only input bidding (most rounds: one link feeds a
// distribution router): every open port its copies ask for takes one of them, the first in copy
// order, with no arbitration. Granting at once instead of after all ports were asked is the
// same: a grant changes only its own port, and a port serves one copy per round.
bool Router::single_bidder_round(std::size_t input, RouterContext& ctx) {
  ++round_;
  Input& in = inputs_[input];
  bool sent = false;
  for (std::size_t j = 0; j < in.copies.size() && in.primed; ++j) {
    const std::uint32_t port = in.copies[j].port;
    if (port == kDone || best_[port].round == round_ || !port_open(port, ctx)) continue;
    best_[port].round = round_;
    grant(input, j, ctx);
    sent = true;
  }
  return sent;
}

// allocate_round for a router with one output port: the port, when it can take a word, takes
// it from the first bidding input in round-robin order from its priority pointer. Asked only
// when some input bids, as allocate_round asks a port (the link's bandwidth is asked only in
// the cycles a word waits for it). A bidding input's one copy is for this port (prime), and
// no input is left primed to absorb (evaluate absorbs before the round).
bool Router::single_port_round(RouterContext& ctx) {
  constexpr std::uint32_t port = 0;
  if (!port_ready(port, ctx)) return false;
  const std::size_t n = input_count();
  std::size_t i = rr_[port];
  while (!inputs_[i].primed) i = i + 1 == n ? 0 : i + 1;
  grant(i, 0, ctx);
  return true;
}

[[gnu::always_inline]] inline void Router::grant(std::size_t input, std::size_t copy,
                                                 RouterContext& ctx) {
  Input& in = inputs_[input];
  const std::uint32_t port = in.copies[copy].port;
  Flit f = head(input, ctx);
  f.group = in.copies[copy].group;
  f.hop = in.copies[copy].hop;
  if (port < out_links_.size()) {
    const std::uint32_t l = out_links_[port];
    (*ctx.links)[l].send(f, ctx.cycle);
    add_load(ctx, (*ctx.link_target)[l], 1);
  } else {
    (*ctx.ejects)[static_cast<std::size_t>(eject_)].deliver(
        {f.value, f.tag, f.group, f.contributions, f.injected_cycle, ctx.cycle});
    ctx.dirty_ejects->push_back(static_cast<std::uint32_t>(eject_));
    ++ctx.words_delivered;
    ++ctx.words_held;  // until the sink takes it
  }
  rr_[port] = static_cast<std::uint32_t>(input + 1 == input_count() ? 0 : input + 1);
  in.copies[copy].port = kDone;
  if (--in.left == 0) pop(input, ctx);
}

// A word still waiting at an input head stalls each output it waits for: for lack of credit
// (the buffer downstream, or the sink, is full) or because the output was busy.
void Router::note_stalls(RouterContext& ctx) {
  for (const Input& in : inputs_) {
    if (!in.primed || in.absorb) continue;
    for (const Copy& c : in.copies) {
      if (c.port == kDone || stall_stamp_[c.port] == ctx.cycle) continue;
      stall_stamp_[c.port] = ctx.cycle;
      if (c.port < out_links_.size()) {
        Link& l = (*ctx.links)[out_links_[c.port]];
        l.note_stall(!l.has_credit(), ctx.cycle);
      } else {
        (*ctx.ejects)[static_cast<std::size_t>(eject_)].note_stall(ctx.cycle);
      }
    }
  }
}

// evaluate() for a router with one input and no partial sums to add (every node of a
// distribution network but L2 with several queues): the head word's copies go to their open
// ports in copy order, then the next word comes, until a copy finds its port closed. That is
// what the allocation rounds do for a single bidder -- a word has one copy per port, and a port
// closed in a cycle stays closed in it (credits come back at commit, bandwidth only drains).
void Router::evaluate_single_input(RouterContext& ctx) {
  Input& in = inputs_[0];
  for (;;) {
    if (!in.primed) {
      if (!head_ready(0, ctx)) break;
      prime(0, ctx);
      if (in.left == 0) {
        pop(0, ctx);
        continue;
      }
    }
    for (std::size_t j = 0; j < in.copies.size() && in.primed; ++j) {
      const std::uint32_t port = in.copies[j].port;
      if (port != kDone && port_ready(port, ctx)) grant(0, j, ctx);
    }
    if (in.primed) break;  // a copy waits for its port
  }
  note_stalls(ctx);
}

void Router::evaluate(RouterContext& ctx) {
  if (inputs_.size() == 1 && merge_input_ == kNoInput) {
    evaluate_single_input(ctx);
    return;
  }
  bool progress = true;
  while (progress) {
    progress = false;
    std::size_t bidders = 0, bidder = 0;  // inputs with a word whose copies wait to be sent
    for (std::size_t i = 0; i < input_count(); ++i) {
      Input& in = inputs_[i];
      while (!in.primed && head_ready(i, ctx)) {
        prime(i, ctx);
        if (in.absorb) {
          absorb(i, ctx);
          progress = true;
        } else if (in.left == 0) {
          pop(i, ctx);
        } else {
          break;
        }
      }
      if (in.primed) ++bidders, bidder = i;
    }
    // Without bidders a round would grant nothing (most calls end so: every word went out).
    if (bidders == 0) continue;
    if (single_port_   ? single_port_round(ctx)
        : bidders == 1 ? single_bidder_round(bidder, ctx)
                       : allocate_round(ctx))
      progress = true;
  }
  note_stalls(ctx);
}

}  // namespace metronome::sim
