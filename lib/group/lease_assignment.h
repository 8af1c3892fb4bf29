// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The rules a consumer group's leader applies to its leases, as pure
// functions (no store, no clock, no threads), so that the worker built on
// them, and its tests, can apply them to any set of leases:
//   - lineage (KCL): which leases may be processed now, and which parents'
//     leases may be deleted;
//   - uniform assignment by hash range (Flink's UniformShardAssigner);
//   - load-aware balancing (KCL 3.x), by the leases' measured throughput.
// Every function is deterministic: the same leases and workers give the same
// answer whatever the order of the workers (and, but for the order of the
// moves returned, of the leases).
//
// Thread safety: pure functions; callable from any thread.

#ifndef BROOK_LIB_GROUP_LEASE_ASSIGNMENT_H_
#define BROOK_LIB_GROUP_LEASE_ASSIGNMENT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/types/span.h"

#include "brook/lease.h"
#include "brook/partitioner.h"

namespace brook {
namespace internal {

// Lineage.

// IsLeaseReady()
//
// Whether `lease` may be processed now, given the group's `leases` (which may
// include it): its checkpoint is not SHARD_END, and each of its
// `parent_shard_ids` either has no lease in `leases` (deleted after its
// children started, or never created because its records had expired) or a
// lease checkpointed at SHARD_END. A merge child waits for both parents.
// Cost: O(parents * n); `ReadyLeaseKeys()` answers for all leases in
// O(n log n).
bool IsLeaseReady(const Lease& lease, absl::Span<const Lease> leases);

// ReadyLeaseKeys()
//
// The keys of the leases of `leases` that `IsLeaseReady()`, in key order.
std::vector<std::string> ReadyLeaseKeys(absl::Span<const Lease> leases);

// HasLeaseStarted()
//
// Whether processing of `lease`'s shard has started: it has an owner, or a
// checkpoint that is not an initial position (a sequence number or
// SHARD_END).
bool HasLeaseStarted(const Lease& lease);

// DeletableParentLeaseKeys()
//
// The keys of the leases of `leases` that may be deleted now (KCL's
// LeaseCleanupManager), in key order: checkpointed at SHARD_END, with
// `child_shard_ids` recorded, and every child started (`HasLeaseStarted()`)
// or absent from `leases`. An absent child counts as started because child
// ids are recorded only after the children's leases were created (KCL's
// ShutdownTask does the same), so an absent child has been deleted in turn.
std::vector<std::string> DeletableParentLeaseKeys(
    absl::Span<const Lease> leases);

// Moving leases.

// One lease given to a worker: `lease_key` moves from `from_worker` (its
// owner now; empty, or a worker not in the list, for a lease nobody live
// holds) to `to_worker`.
struct LeaseMove {
  std::string lease_key;
  std::string from_worker;
  std::string to_worker;

  friend bool operator==(const LeaseMove& a, const LeaseMove& b) {
    return a.lease_key == b.lease_key && a.from_worker == b.from_worker &&
           a.to_worker == b.to_worker;
  }
};

// UniformReaderIndex()
//
// Flink's rule: the reader of a shard with hash key range `range` among
// `readers` readers is floor(mid * readers / 2^128), mid being the middle of
// the range (start + (end - start) / 2), computed exactly. Shards that
// together cover the key space spread evenly over the readers, open and
// closed shards alike. REQUIRES: readers >= 1. Result in [0, readers).
int UniformReaderIndex(const HashKeyRange& range, int readers);

// AssignUniform()
//
// The moves that give every lease of `leases` to worker
// `sorted(workers)[UniformReaderIndex(lease.hash_key_range, n)]`, for the
// leases not already owned by that worker, in the order of `leases`.
// Duplicate worker ids count once. No moves if `workers` is empty.
std::vector<LeaseMove> AssignUniform(absl::Span<const Lease> leases,
                                     absl::Span<const std::string> workers);

// Options of `BalanceByLoad()`, with KCL 3.x's names and defaults.
struct LoadBalanceOptions {
  // reBalanceThresholdPercentage / 100: a worker whose load is above
  // mean * (1 + threshold) sheds leases; none is ever given a lease that
  // takes it above that. 0 or more. Default: 0.10.
  double rebalance_threshold = 0.10;
  // dampeningPercentage / 100: a worker sheds at most this share of its
  // excess over the mean in one round (see `BalanceByLoad()` for the one
  // exception), so that balancing converges instead of overshooting.
  // (0, 1]. Default: 0.60.
  double dampening = 0.60;
  // maxLeasesForWorker: no worker is given a lease that takes it above this
  // many; 0 for no limit. Default: 0.
  int max_leases_per_worker = 0;
  // Per-worker limits (workers may be configured differently): a worker
  // listed here has this limit instead of `max_leases_per_worker` (0 for no
  // limit). Default: empty.
  std::map<std::string, int> max_leases_by_worker;
};

// The limit of `worker` under `options` (INT_MAX for none).
int MaxLeasesOf(const LoadBalanceOptions& options, const std::string& worker);

// LeaseLoads()
//
// The load of each lease of `leases` (same order) as `BalanceByLoad()`
// counts it: its share of the group's bytes per second plus its share of the
// group's records per second (so both count, each summing to 1 over the
// group). A lease with neither measured counts as the mean measured lease;
// if none is measured, every lease counts 1.
std::vector<double> LeaseLoads(absl::Span<const Lease> leases);

// BalanceByLoad()
//
// One round of KCL 3.x's load-aware assignment over `workers` (the live
// workers; duplicates count once), with each worker's load the sum of its
// leases' `LeaseLoads()`:
//   1. every lease owned by no worker of `workers` (unowned, or its owner
//      gone) goes to the least loaded worker (then fewest leases, then
//      smallest id) below `max_leases_per_worker`, heaviest lease first;
//   2. then, with mean = total load / workers and
//      upper = mean * (1 + rebalance_threshold), each worker above upper,
//      most loaded first, sheds leases to the least loaded workers below the
//      mean, heaviest first, as long as: the leases shed this round add up
//      to at most dampening * (its load - mean); the receiver stays at or
//      below upper and under `max_leases_per_worker`; and the giver stays at
//      or above the mean. If nothing fits the dampened amount, the single
//      lightest lease that meets the other conditions moves (so a worker
//      with a few heavy leases still sheds one).
// Each move of step 2 strictly lowers the sum over workers of
// |load - mean|, so repeated rounds (with unchanged loads) reach a state
// where a round moves nothing; they never move a lease back and forth.
// Returns the moves, step 1's first, in the order made. Leases whose caller
// must not move (e.g. not ready by lineage) should be left out of `leases`,
// at the price of their load not being counted.
// Cost: O(n log n) for n leases.
std::vector<LeaseMove> BalanceByLoad(absl::Span<const Lease> leases,
                                     absl::Span<const std::string> workers,
                                     const LoadBalanceOptions& options);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_GROUP_LEASE_ASSIGNMENT_H_
