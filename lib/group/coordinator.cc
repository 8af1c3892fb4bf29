// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The worker's coordinator round (KCL's LeaseCoordinator, LeaseRenewer and,
// for KCL 3.x, the worker side of the LeaseAssignmentManager): join, renew,
// observe every entry's counter, elect the leader, take the leases the leader
// assigned to this worker and hand off those it moved away.

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

#include "brook/env.h"

#include "group/group_keys.h"
#include "group/worker_impl.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

absl::Status WorkerImpl::Round() {
  const int64_t now = env_->NowMillis();
  ReapFinished();  // first: a failing round must not leave them for later
  if (!joined_) BROOK_RETURN_IF_ERROR(Join());
  // A round is due every renewal interval, and also when an entry watched
  // can first have expired: then the leader reassigns a dead worker's leases
  // (or a new leader takes over) at that moment, not at the next renewal
  // tick, so that they move within failover time + one renewal interval of
  // the death (the last renewal was seen within one interval of it).
  const bool expiry_due = now >= next_expiry_millis_;
  if (now < next_renew_millis_ && !expiry_due) {
    if (now < next_poll_millis_) return absl::OkStatus();
    return PollAssignments(now);
  }
  next_expiry_millis_ = std::numeric_limits<int64_t>::max();  // listing sets
  next_renew_millis_ =
      now + absl::ToInt64Milliseconds(options_.lease_renewal_interval);
  BROOK_RETURN_IF_ERROR(RenewOwn());
  absl::Status first_error;
  for (const std::shared_ptr<ShardConsumer>& consumer : Consumers()) {
    absl::Status status = consumer->Renew();
    if (first_error.ok()) first_error = status;
  }
  BROOK_RETURN_IF_ERROR(first_error);
  BROOK_RETURN_IF_ERROR(ListAndObserve());
  BROOK_RETURN_IF_ERROR(ElectLeader());
  if (is_leader_.load() && (now >= next_assign_millis_ || expiry_due)) {
    next_assign_millis_ =
        now + absl::ToInt64Milliseconds(options_.assignment_interval);
    BROOK_RETURN_IF_ERROR(LeaderRound());
  }
  if (expiry_due && !is_leader_.load()) {
    // The leader acts on the same expiry at its own expiry moment, which
    // comes up to one renewal interval after ours (each of us saw the dead
    // worker's last renewal at its own next listing, at most one interval
    // after it): look for what it assigns us every settle delay until then,
    // and one settle delay past (its round and ours may share a moment).
    const int64_t settle = absl::ToInt64Milliseconds(SettleDelay(options_));
    poll_until_millis_ =
        now + absl::ToInt64Milliseconds(options_.lease_renewal_interval) +
        settle;
    next_poll_millis_ = now + settle;
  }
  return ApplyListing();
}

absl::Status WorkerImpl::PollAssignments(int64_t now) {
  next_poll_millis_ =
      now >= poll_until_millis_
          ? std::numeric_limits<int64_t>::max()
          : std::min(poll_until_millis_,
                     now + absl::ToInt64Milliseconds(SettleDelay(options_)));
  // Nothing watched has expired since the last listing (or this would be an
  // expiry round), so listing now skips no expiry moment.
  BROOK_RETURN_IF_ERROR(ListAndObserve());
  return ApplyListing();
}

absl::Status WorkerImpl::Join() {
  Lease entry;
  entry.lease_key = WorkerKey(options_.worker_id);
  entry.lease_owner = options_.worker_id;
  entry.owner_switches_since_checkpoint = options_.max_leases_per_worker;
  absl::Status created = store_->CreateLeaseIfNotExists(entry);
  if (!created.ok() && !absl::IsAlreadyExists(created)) {
    return absl::Status(
        created.code(),
        absl::StrCat("worker ", options_.worker_id,
                     ": joining the group: ", created.message()));
  }
  BROOK_ASSIGN_OR_RETURN(Lease stored, store_->GetLease(entry.lease_key));
  if (!created.ok()) {
    // A worker restarted under its old id takes its entry over.
    BROOK_ASSIGN_OR_RETURN(stored,
                           store_->TakeLease(stored, options_.worker_id));
  }
  if (MaxLeasesOfEntry(stored) != options_.max_leases_per_worker) {
    // Restarted with another limit: publish it for the leader.
    const int64_t limit = options_.max_leases_per_worker;
    BROOK_ASSIGN_OR_RETURN(
        stored, store_->UpdateLease(stored.lease_key, stored.lease_counter,
                                    [limit](Lease& lease) {
                                      lease.owner_switches_since_checkpoint =
                                          limit;
                                      return absl::OkStatus();
                                    }));
  }
  entry_ = std::move(stored);
  joined_ = true;
  return absl::OkStatus();
}

absl::Status WorkerImpl::RenewOwn() {
  absl::StatusOr<Lease> renewed = store_->RenewLease(entry_);
  if (!renewed.ok()) {
    if (!absl::IsAborted(renewed.status()) &&
        !absl::IsNotFound(renewed.status())) {
      return renewed.status();
    }
    joined_ = false;  // someone touched our entry: join again
    BROOK_RETURN_IF_ERROR(Join());
  } else {
    entry_ = *std::move(renewed);
  }
  if (is_leader_.load()) {
    absl::StatusOr<Lease> leader = store_->RenewLease(leader_entry_);
    if (leader.ok()) {
      leader_entry_ = *std::move(leader);
    } else if (absl::IsAborted(leader.status()) ||
               absl::IsNotFound(leader.status())) {
      is_leader_.store(false);  // ElectLeader() decides anew
    } else {
      return leader.status();
    }
  }
  return absl::OkStatus();
}

absl::Status WorkerImpl::ListAndObserve() {
  BROOK_ASSIGN_OR_RETURN(listing_, store_->ListLeases());
  const int64_t now = env_->NowMillis();
  const int64_t failover = absl::ToInt64Milliseconds(options_.failover_time);
  std::map<std::string, Observation> observed;
  next_expiry_millis_ = std::numeric_limits<int64_t>::max();
  for (const Lease& lease : listing_) {
    auto it = observed_.find(lease.lease_key);
    const Observation& seen =
        it != observed_.end() && it->second.counter == lease.lease_counter
            ? it->second
            : Observation{lease.lease_counter, now};
    observed.emplace(lease.lease_key, seen);
    // Another worker's entry, lease or leadership: when it can first expire
    // (ones already expired were dealt with by this round).
    if (lease.has_owner() && lease.lease_owner != options_.worker_id &&
        seen.since_millis + failover > now) {
      next_expiry_millis_ =
          std::min(next_expiry_millis_, seen.since_millis + failover);
    }
  }
  observed_ = std::move(observed);
  return absl::OkStatus();
}

bool WorkerImpl::Expired(const Lease& lease) const {
  auto it = observed_.find(lease.lease_key);
  if (it == observed_.end() || it->second.counter != lease.lease_counter) {
    return false;
  }
  return env_->NowMillis() - it->second.since_millis >=
         absl::ToInt64Milliseconds(options_.failover_time);
}

bool WorkerImpl::WorkerLive(const std::string& worker_id) const {
  if (worker_id == options_.worker_id) return true;
  const std::string key = WorkerKey(worker_id);
  auto it = std::lower_bound(listing_.begin(), listing_.end(), key,
                             [](const Lease& lease, const std::string& k) {
                               return lease.lease_key < k;
                             });
  if (it == listing_.end() || it->lease_key != key) return false;
  return it->lease_owner == worker_id && !Expired(*it);
}

std::vector<std::string> WorkerImpl::LiveWorkers() const {
  std::vector<std::string> workers = {options_.worker_id};
  for (const Lease& lease : listing_) {
    std::optional<absl::string_view> id = WorkerIdFromKey(lease.lease_key);
    if (!id.has_value() || *id == options_.worker_id) continue;
    if (WorkerLive(std::string(*id))) workers.emplace_back(*id);
  }
  std::sort(workers.begin(), workers.end());
  return workers;
}

absl::Status WorkerImpl::ElectLeader() {
  const Lease* entry = nullptr;
  for (const Lease& lease : listing_) {
    if (IsLeaderKey(lease.lease_key)) entry = &lease;
  }
  if (entry == nullptr) {
    Lease leader;
    leader.lease_key = std::string(kLeaderKey);
    leader.lease_owner = options_.worker_id;
    absl::Status created = store_->CreateLeaseIfNotExists(leader);
    if (absl::IsAlreadyExists(created)) {
      is_leader_.store(false);
      return absl::OkStatus();
    }
    BROOK_RETURN_IF_ERROR(created);
    BROOK_ASSIGN_OR_RETURN(leader_entry_, store_->GetLease(leader.lease_key));
    is_leader_.store(leader_entry_.lease_owner == options_.worker_id);
    return absl::OkStatus();
  }
  if (entry->lease_owner == options_.worker_id) {
    leader_entry_ = *entry;
    is_leader_.store(true);
    return absl::OkStatus();
  }
  is_leader_.store(false);
  if (entry->has_owner() && !Expired(*entry) &&
      WorkerLive(entry->lease_owner)) {
    return absl::OkStatus();
  }
  // No leader, or a dead one: take over.
  absl::StatusOr<Lease> taken = store_->TakeLease(*entry, options_.worker_id);
  if (taken.ok()) {
    leader_entry_ = *std::move(taken);
    is_leader_.store(true);
    next_assign_millis_ = 0;  // assign at once
    return absl::OkStatus();
  }
  if (absl::IsAborted(taken.status()) || absl::IsNotFound(taken.status())) {
    return absl::OkStatus();  // another worker was quicker
  }
  return taken.status();
}

absl::Status WorkerImpl::Hold(const Lease& lease) {
  size_t held;
  {
    MutexLock lock(&mu_);
    held = consumers_.size();
  }
  if (options_.max_leases_per_worker > 0 &&
      held >= static_cast<size_t>(options_.max_leases_per_worker)) {
    // Over the limit: give it back for the leader to place elsewhere.
    absl::StatusOr<Lease> evicted = store_->EvictLease(lease);
    if (!evicted.ok() && !absl::IsAborted(evicted.status()) &&
        !absl::IsNotFound(evicted.status())) {
      return evicted.status();
    }
    return absl::OkStatus();
  }
  int64_t not_before = 0;
  auto backoff = backoff_until_.find(lease.lease_key);
  if (backoff != backoff_until_.end()) not_before = backoff->second;
  auto consumer = std::make_shared<ShardConsumer>(context_, lease, not_before);
  leases_taken_.fetch_add(1, std::memory_order_relaxed);
  MutexLock lock(&mu_);
  consumers_.emplace(lease.lease_key, consumer);
  if (mode_ == Mode::kThreads) {
    shard_threads_.emplace(lease.lease_key,
                           std::thread(&WorkerImpl::ShardLoop, this, consumer));
  }
  return absl::OkStatus();
}

absl::Status WorkerImpl::ApplyListing() {
  const int64_t now = env_->NowMillis();
  const std::string& self = options_.worker_id;
  std::map<std::string, std::shared_ptr<ShardConsumer>> consumers;
  {
    MutexLock lock(&mu_);
    consumers = consumers_;
  }
  std::set<std::string> listed;
  std::map<std::string, int64_t> incoming;
  for (const Lease& lease : listing_) {
    if (!IsShardLeaseKey(lease.lease_key)) continue;
    listed.insert(lease.lease_key);
    auto held = consumers.find(lease.lease_key);
    if (held != consumers.end()) {
      held->second->Observe(lease);
      continue;
    }
    if (lease.lease_owner == self) {
      if (lease.checkpoint_owner.empty() || lease.checkpoint_owner == self) {
        BROOK_RETURN_IF_ERROR(Hold(lease));
        continue;
      }
      // Moved here from a live worker: wait for it to let go, or force.
      auto since = incoming_since_.find(lease.lease_key);
      const int64_t first_seen =
          since == incoming_since_.end() ? now : since->second;
      if (now - first_seen <
          absl::ToInt64Milliseconds(options_.graceful_handoff_timeout)) {
        incoming.emplace(lease.lease_key, first_seen);
        continue;
      }
      absl::StatusOr<Lease> taken = store_->TakeLease(lease, self);
      if (taken.ok()) {
        BROOK_RETURN_IF_ERROR(Hold(*taken));
      } else if (!absl::IsAborted(taken.status()) &&
                 !absl::IsNotFound(taken.status())) {
        return taken.status();
      }
    } else if (lease.checkpoint_owner == self) {
      // Moved away while this worker was not processing it: let go at once.
      absl::StatusOr<Lease> cleared = store_->UpdateLease(
          lease.lease_key, lease.lease_counter, [&self](Lease& l) {
            if (l.checkpoint_owner == self) l.checkpoint_owner.clear();
            return absl::OkStatus();
          });
      if (!cleared.ok() && !absl::IsAborted(cleared.status()) &&
          !absl::IsNotFound(cleared.status())) {
        return cleared.status();
      }
    }
  }
  incoming_since_ = std::move(incoming);
  for (const auto& [key, consumer] : consumers) {
    if (listed.count(key) == 0) consumer->MarkLost();
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook
