// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The leader's round (KCL's HierarchicalShardSyncer, LeaseCleanupManager and
// KCL 3.x LeaseAssignmentManager): leases for new shards, child ids of ended
// parents, deletion of finished parents, and assignment by the strategy.

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "brook/stream.h"

#include "group/group_keys.h"
#include "group/lease_assignment.h"
#include "group/worker_impl.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<std::string> ParentsOf(const ShardDescription& shard) {
  std::vector<std::string> parents;
  if (!shard.parent_shard_id.empty()) parents.push_back(shard.parent_shard_id);
  if (!shard.adjacent_parent_shard_id.empty()) {
    parents.push_back(shard.adjacent_parent_shard_id);
  }
  std::sort(parents.begin(), parents.end());
  return parents;
}

// Skips a lost compare-and-set (the next round decides anew).
absl::Status IgnoreRace(const absl::Status& status) {
  if (absl::IsAborted(status) || absl::IsNotFound(status) ||
      absl::IsAlreadyExists(status)) {
    return absl::OkStatus();
  }
  return status;
}

}  // namespace

absl::Status WorkerImpl::LeaderRound() {
  bool changed = false;
  BROOK_RETURN_IF_ERROR(SyncShards(&changed));
  if (changed) BROOK_RETURN_IF_ERROR(ListAndObserve());
  changed = false;
  BROOK_RETURN_IF_ERROR(CleanUp(&changed));
  if (changed) BROOK_RETURN_IF_ERROR(ListAndObserve());
  changed = false;
  BROOK_RETURN_IF_ERROR(Assign(&changed));
  if (changed) BROOK_RETURN_IF_ERROR(ListAndObserve());
  return absl::OkStatus();
}

absl::Status WorkerImpl::SyncShards(bool* changed) {
  std::vector<ShardDescription> shards = stream_->ListShards();
  std::sort(shards.begin(), shards.end(),
            [](const ShardDescription& a, const ShardDescription& b) {
              return a.shard_id < b.shard_id;  // creation order
            });
  std::map<std::string, const Lease*> leases;
  for (const Lease& lease : listing_) {
    if (IsShardLeaseKey(lease.lease_key)) leases[lease.lease_key] = &lease;
  }
  const bool first = leases.empty();
  const ExtendedSequenceNumber& initial = options_.initial_position;
  std::set<std::string> created;
  for (const ShardDescription& shard : shards) {
    if (leases.count(shard.shard_id) > 0) continue;
    Lease lease;
    lease.lease_key = shard.shard_id;
    lease.parent_shard_ids = ParentsOf(shard);
    lease.hash_key_range = shard.hash_key_range;
    if (first) {
      // The group's first look at the stream: the initial position, but with
      // LATEST the closed shards count as done.
      lease.checkpoint = initial;
      if (initial.kind() == ExtendedSequenceNumber::Kind::kLatest &&
          !shard.is_open()) {
        lease.checkpoint = ExtendedSequenceNumber::ShardEnd();
      }
    } else {
      // A child of a shard the group tracks (not one it already created and
      // deleted), or a new root shard.
      bool wanted = lease.parent_shard_ids.empty() && shard.is_open();
      for (const std::string& parent : lease.parent_shard_ids) {
        auto it = leases.find(parent);
        if (created.count(parent) > 0 ||
            (it != leases.end() &&
             !Contains(it->second->child_shard_ids, shard.shard_id))) {
          wanted = true;
        }
      }
      if (!wanted) continue;
      lease.checkpoint = lease.parent_shard_ids.empty()
                             ? initial
                             : ExtendedSequenceNumber::TrimHorizon();
    }
    BROOK_RETURN_IF_ERROR(IgnoreRace(store_->CreateLeaseIfNotExists(lease)));
    created.insert(shard.shard_id);
    *changed = true;
  }
  // Record the children of ended parents (once their leases exist), and end
  // the leases of shards the stream no longer has.
  std::map<std::string, std::vector<std::string>> children;
  std::set<std::string> in_stream;
  for (const ShardDescription& shard : shards) {
    in_stream.insert(shard.shard_id);
    for (const std::string& parent : ParentsOf(shard)) {
      children[parent].push_back(shard.shard_id);
    }
  }
  for (const Lease& lease : listing_) {
    if (!IsShardLeaseKey(lease.lease_key)) continue;
    if (in_stream.count(lease.lease_key) == 0 &&
        !lease.checkpoint.is_shard_end() &&
        (!lease.has_owner() || !WorkerLive(lease.lease_owner))) {
      BROOK_RETURN_IF_ERROR(IgnoreRace(
          store_
              ->UpdateLease(lease.lease_key, lease.lease_counter,
                            [](Lease& l) {
                              l.checkpoint = ExtendedSequenceNumber::ShardEnd();
                              l.lease_owner.clear();
                              l.checkpoint_owner.clear();
                              return absl::OkStatus();
                            })
              .status()));
      *changed = true;
      continue;
    }
    if (!lease.checkpoint.is_shard_end() || !lease.child_shard_ids.empty()) {
      continue;
    }
    auto it = children.find(lease.lease_key);
    if (it == children.end()) continue;
    bool all_exist = true;
    for (const std::string& child : it->second) {
      if (leases.count(child) == 0 && created.count(child) == 0) {
        all_exist = false;
      }
    }
    if (!all_exist) continue;
    BROOK_RETURN_IF_ERROR(
        IgnoreRace(store_->UpdateChildShards(lease, it->second).status()));
    *changed = true;
  }
  return absl::OkStatus();
}

absl::Status WorkerImpl::CleanUp(bool* changed) {
  std::vector<Lease> shard_leases;
  for (const Lease& lease : listing_) {
    if (IsShardLeaseKey(lease.lease_key)) {
      shard_leases.push_back(lease);
    } else if (WorkerIdFromKey(lease.lease_key).has_value() &&
               lease.lease_owner != options_.worker_id && Expired(lease)) {
      // A dead worker's entry (a worker that comes back joins again).
      BROOK_RETURN_IF_ERROR(IgnoreRace(store_->DeleteLease(lease)));
      *changed = true;
    }
  }
  const std::vector<std::string> deletable =
      DeletableParentLeaseKeys(shard_leases);
  for (const Lease& lease : shard_leases) {
    if (!std::binary_search(deletable.begin(), deletable.end(),
                            lease.lease_key)) {
      continue;
    }
    BROOK_RETURN_IF_ERROR(IgnoreRace(store_->DeleteLease(lease)));
    *changed = true;
  }
  return absl::OkStatus();
}

absl::Status WorkerImpl::Assign(bool* changed) {
  std::vector<Lease> shard_leases;
  for (const Lease& lease : listing_) {
    if (IsShardLeaseKey(lease.lease_key)) shard_leases.push_back(lease);
  }
  const std::vector<std::string> ready = ReadyLeaseKeys(shard_leases);
  const std::vector<std::string> workers = LiveWorkers();
  // The leases that may move: ready ones, with the owner cleared where it is
  // dead or has let the lease expire. A lease in a handoff stays put while
  // its new owner lives (that owner takes it, at the latest after the
  // handoff timeout); if the new owner is gone (shut down or dead before it
  // took the lease), nobody else would ever take it, so it is given away
  // like any orphan (TakeLease clears the handoff).
  std::vector<Lease> candidates;
  std::map<std::string, const Lease*> originals;
  for (const Lease& lease : shard_leases) {
    if (!std::binary_search(ready.begin(), ready.end(), lease.lease_key)) {
      continue;
    }
    const bool in_handoff = !lease.checkpoint_owner.empty();
    const bool owner_gone =
        lease.has_owner() &&
        (!WorkerLive(lease.lease_owner) || (!in_handoff && Expired(lease)));
    if (in_handoff && !owner_gone) continue;
    Lease candidate = lease;
    if (owner_gone) candidate.lease_owner.clear();
    originals[lease.lease_key] = &lease;
    candidates.push_back(std::move(candidate));
  }
  // Each worker's own limit, from its entry (workers may differ: giving one
  // more than it takes would bounce the lease back and forth).
  LoadBalanceOptions balance;
  balance.rebalance_threshold = options_.rebalance_threshold;
  balance.dampening = options_.dampening;
  balance.max_leases_per_worker = options_.max_leases_per_worker;
  for (const Lease& lease : listing_) {
    std::optional<absl::string_view> id = WorkerIdFromKey(lease.lease_key);
    if (id.has_value()) {
      balance.max_leases_by_worker[std::string(*id)] = MaxLeasesOfEntry(lease);
    }
  }
  balance.max_leases_by_worker[options_.worker_id] =
      options_.max_leases_per_worker;
  std::vector<LeaseMove> moves;
  if (options_.assignment == AssignmentStrategy::kUniform) {
    std::map<std::string, int> held;
    for (const Lease& lease : candidates) {
      if (lease.has_owner()) ++held[lease.lease_owner];
    }
    auto has_room = [&](const std::string& worker) {
      return held[worker] < MaxLeasesOf(balance, worker);
    };
    for (LeaseMove& move : AssignUniform(candidates, workers)) {
      if (!has_room(move.to_worker)) {
        if (!move.from_worker.empty()) continue;  // stays with its owner
        // Nobody holds it: the worker with room holding fewest (then the
        // first by id), so that it is processed at all.
        std::string best;
        for (const std::string& worker : workers) {
          if (has_room(worker) && (best.empty() || held[worker] < held[best])) {
            best = worker;
          }
        }
        if (best.empty()) continue;
        move.to_worker = std::move(best);
      }
      ++held[move.to_worker];
      if (!move.from_worker.empty()) --held[move.from_worker];
      moves.push_back(std::move(move));
    }
  } else {
    moves = BalanceByLoad(candidates, workers, balance);
  }
  std::map<std::string, const Lease*> by_key;
  for (const Lease& candidate : candidates) {
    by_key[candidate.lease_key] = &candidate;
  }
  for (const LeaseMove& move : moves) {
    const Lease& original = *originals[move.lease_key];
    absl::StatusOr<Lease> moved;
    if (!by_key[move.lease_key]->has_owner()) {
      // Nobody live holds it: give it away at once.
      moved = store_->TakeLease(original, move.to_worker);
    } else {
      // Graceful handoff (KCL 3.x): the old owner may still checkpoint.
      const std::string from = original.lease_owner;
      const std::string to = move.to_worker;
      moved = store_->UpdateLease(original.lease_key, original.lease_counter,
                                  [&from, &to](Lease& lease) {
                                    lease.lease_owner = to;
                                    lease.checkpoint_owner = from;
                                    ++lease.owner_switches_since_checkpoint;
                                    return absl::OkStatus();
                                  });
    }
    BROOK_RETURN_IF_ERROR(IgnoreRace(moved.status()));
    *changed = true;
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook
