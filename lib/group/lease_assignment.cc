// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "group/lease_assignment.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"

namespace brook {
namespace internal {
namespace {

using LeaseIndex = absl::flat_hash_map<absl::string_view, const Lease*>;

LeaseIndex IndexLeases(absl::Span<const Lease> leases) {
  LeaseIndex index;
  index.reserve(leases.size());
  for (const Lease& lease : leases) index.emplace(lease.lease_key, &lease);
  return index;
}

template <typename Find>
bool ParentsDone(const Lease& lease, const Find& find) {
  if (lease.checkpoint.is_shard_end()) return false;
  for (const std::string& parent_id : lease.parent_shard_ids) {
    const Lease* parent = find(parent_id);
    if (parent != nullptr && !parent->checkpoint.is_shard_end()) return false;
  }
  return true;
}

std::vector<std::string> SortedUnique(absl::Span<const std::string> workers) {
  std::vector<std::string> sorted(workers.begin(), workers.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return sorted;
}

// A worker's load during BalanceByLoad().
struct WorkerLoad {
  double load = 0;
  int leases = 0;
  std::vector<size_t> owned;  // indexes into the leases
};

// Ordered least loaded first, then fewest leases, then smallest id.
using LoadKey = std::tuple<double, int, size_t>;

}  // namespace

bool IsLeaseReady(const Lease& lease, absl::Span<const Lease> leases) {
  return ParentsDone(lease, [&](absl::string_view key) -> const Lease* {
    for (const Lease& other : leases) {
      if (other.lease_key == key) return &other;
    }
    return nullptr;
  });
}

std::vector<std::string> ReadyLeaseKeys(absl::Span<const Lease> leases) {
  const LeaseIndex index = IndexLeases(leases);
  std::vector<std::string> ready;
  for (const Lease& lease : leases) {
    const bool done = ParentsDone(lease, [&](absl::string_view key) {
      auto it = index.find(key);
      return it == index.end() ? nullptr : it->second;
    });
    if (done) ready.push_back(lease.lease_key);
  }
  std::sort(ready.begin(), ready.end());
  return ready;
}

bool HasLeaseStarted(const Lease& lease) {
  return lease.has_owner() || !lease.checkpoint.is_initial_position();
}

std::vector<std::string> DeletableParentLeaseKeys(
    absl::Span<const Lease> leases) {
  const LeaseIndex index = IndexLeases(leases);
  std::vector<std::string> deletable;
  for (const Lease& lease : leases) {
    if (!lease.checkpoint.is_shard_end() || lease.child_shard_ids.empty()) {
      continue;
    }
    const bool children_started =
        std::all_of(lease.child_shard_ids.begin(), lease.child_shard_ids.end(),
                    [&](const std::string& child_id) {
                      auto it = index.find(child_id);
                      return it == index.end() || HasLeaseStarted(*it->second);
                    });
    if (children_started) deletable.push_back(lease.lease_key);
  }
  std::sort(deletable.begin(), deletable.end());
  return deletable;
}

int UniformReaderIndex(const HashKeyRange& range, int readers) {
  const absl::uint128 mid =
      range.starting_hash_key +
      (range.ending_hash_key - range.starting_hash_key) / 2;
  // floor(mid * readers / 2^128): the high 128 bits of a 160-bit product.
  const absl::uint128 n = static_cast<uint64_t>(readers);
  const absl::uint128 low_product = absl::Uint128Low64(mid) * n;
  const absl::uint128 high_sum =
      absl::Uint128High64(mid) * n + absl::Uint128High64(low_product);
  return static_cast<int>(absl::Uint128High64(high_sum));
}

std::vector<LeaseMove> AssignUniform(absl::Span<const Lease> leases,
                                     absl::Span<const std::string> workers) {
  const std::vector<std::string> sorted = SortedUnique(workers);
  std::vector<LeaseMove> moves;
  if (sorted.empty()) return moves;
  const int n = static_cast<int>(sorted.size());
  for (const Lease& lease : leases) {
    const std::string& target =
        sorted[UniformReaderIndex(lease.hash_key_range, n)];
    if (lease.lease_owner != target) {
      moves.push_back(LeaseMove{lease.lease_key, lease.lease_owner, target});
    }
  }
  return moves;
}

std::vector<double> LeaseLoads(absl::Span<const Lease> leases) {
  double total_bytes = 0;
  double total_records = 0;
  for (const Lease& lease : leases) {
    total_bytes += lease.throughput_bytes_per_second;
    total_records += lease.throughput_records_per_second;
  }
  std::vector<double> loads(leases.size(), 1.0);
  if (total_bytes <= 0 && total_records <= 0) return loads;
  double measured_sum = 0;
  int measured = 0;
  for (size_t i = 0; i < leases.size(); ++i) {
    const Lease& lease = leases[i];
    double load = 0;
    if (total_bytes > 0)
      load += lease.throughput_bytes_per_second / total_bytes;
    if (total_records > 0) {
      load += lease.throughput_records_per_second / total_records;
    }
    loads[i] = load;
    if (lease.throughput_bytes_per_second > 0 ||
        lease.throughput_records_per_second > 0) {
      measured_sum += load;
      ++measured;
    }
  }
  const double mean_measured = measured_sum / measured;  // measured >= 1
  for (size_t i = 0; i < leases.size(); ++i) {
    if (leases[i].throughput_bytes_per_second <= 0 &&
        leases[i].throughput_records_per_second <= 0) {
      loads[i] = mean_measured;
    }
  }
  return loads;
}

int MaxLeasesOf(const LoadBalanceOptions& options, const std::string& worker) {
  auto it = options.max_leases_by_worker.find(worker);
  const int limit = it != options.max_leases_by_worker.end()
                        ? it->second
                        : options.max_leases_per_worker;
  return limit > 0 ? limit : std::numeric_limits<int>::max();
}

std::vector<LeaseMove> BalanceByLoad(absl::Span<const Lease> leases,
                                     absl::Span<const std::string> workers,
                                     const LoadBalanceOptions& options) {
  std::vector<LeaseMove> moves;
  const std::vector<std::string> ids = SortedUnique(workers);
  if (ids.empty()) return moves;
  const std::vector<double> loads = LeaseLoads(leases);
  std::vector<int> max_leases(ids.size());
  for (size_t w = 0; w < ids.size(); ++w) {
    max_leases[w] = MaxLeasesOf(options, ids[w]);
  }

  std::vector<WorkerLoad> state(ids.size());
  std::vector<size_t> orphans;
  for (size_t i = 0; i < leases.size(); ++i) {
    auto it = std::lower_bound(ids.begin(), ids.end(), leases[i].lease_owner);
    if (leases[i].has_owner() && it != ids.end() &&
        *it == leases[i].lease_owner) {
      WorkerLoad& worker = state[static_cast<size_t>(it - ids.begin())];
      worker.load += loads[i];
      ++worker.leases;
      worker.owned.push_back(i);
    } else {
      orphans.push_back(i);
    }
  }
  auto heavier_first = [&](size_t a, size_t b) {
    if (loads[a] != loads[b]) return loads[a] > loads[b];
    return leases[a].lease_key < leases[b].lease_key;
  };
  auto key_of = [&](size_t w) {
    return LoadKey(state[w].load, state[w].leases, w);
  };
  auto move = [&](size_t lease, size_t from, size_t to,
                  std::set<LoadKey>* by_load) {
    if (by_load != nullptr) by_load->erase(key_of(to));
    state[to].load += loads[lease];
    ++state[to].leases;
    if (by_load != nullptr) by_load->insert(key_of(to));
    std::string from_id = leases[lease].lease_owner;
    if (from != ids.size()) {
      state[from].load -= loads[lease];
      --state[from].leases;
      from_id = ids[from];
    }
    moves.push_back(
        LeaseMove{leases[lease].lease_key, std::move(from_id), ids[to]});
  };

  // 1. Leases nobody live holds go to the least loaded workers.
  std::sort(orphans.begin(), orphans.end(), heavier_first);
  {
    std::set<LoadKey> by_load;
    for (size_t w = 0; w < ids.size(); ++w) by_load.insert(key_of(w));
    for (size_t lease : orphans) {
      // The least loaded worker with room (full workers sort anywhere).
      auto it =
          std::find_if(by_load.begin(), by_load.end(), [&](const LoadKey& key) {
            return std::get<1>(key) < max_leases[std::get<2>(key)];
          });
      if (it == by_load.end()) break;
      move(lease, ids.size(), std::get<2>(*it), &by_load);
    }
  }

  // 2. Workers above the threshold shed load to those below the mean.
  double total = 0;
  for (const WorkerLoad& worker : state) total += worker.load;
  const double mean = total / static_cast<double>(ids.size());
  const double upper = mean * (1 + options.rebalance_threshold);
  // Slack for the rounding of sums of shares (equal leases must balance).
  const double eps = 1e-9 * mean;
  std::vector<size_t> givers;
  std::set<LoadKey> receivers;
  for (size_t w = 0; w < ids.size(); ++w) {
    if (state[w].load > upper + eps) givers.push_back(w);
    if (state[w].load < mean - eps) receivers.insert(key_of(w));
  }
  std::sort(givers.begin(), givers.end(),
            [&](size_t a, size_t b) { return key_of(a) > key_of(b); });
  for (size_t giver : givers) {
    WorkerLoad& from = state[giver];
    std::sort(from.owned.begin(), from.owned.end(), heavier_first);
    double budget = options.dampening * (from.load - mean);
    bool moved_any = false;
    // A receiver for a lease of load `load`: the least loaded one with room.
    auto receiver_for = [&](double load) -> std::set<LoadKey>::iterator {
      for (auto it = receivers.begin(); it != receivers.end(); ++it) {
        if (std::get<0>(*it) + load > upper + eps) return receivers.end();
        if (std::get<1>(*it) < max_leases[std::get<2>(*it)]) return it;
      }
      return receivers.end();
    };
    auto try_move = [&](size_t lease) {
      const double load = loads[lease];
      if (load <= 0 || from.load - load < mean - eps) return false;
      auto it = receiver_for(load);
      if (it == receivers.end()) return false;
      const size_t to = std::get<2>(*it);
      receivers.erase(it);
      move(lease, giver, to, nullptr);
      if (state[to].load < mean - eps) receivers.insert(key_of(to));
      return true;
    };
    std::vector<size_t> kept;
    for (size_t lease : from.owned) {
      if (loads[lease] <= budget + eps && try_move(lease)) {
        budget -= loads[lease];
        moved_any = true;
      } else {
        kept.push_back(lease);
      }
    }
    if (!moved_any) {
      // Nothing fits the dampened amount: the lightest lease that may move.
      for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
        if (try_move(*it)) {
          kept.erase(std::next(it).base());
          break;
        }
      }
    }
    from.owned = std::move(kept);
  }
  return moves;
}

}  // namespace internal
}  // namespace brook
