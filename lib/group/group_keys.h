// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The keys a consumer group keeps in its `LeaseStore` besides shard leases
// (include/brook/consumer_group.h): one entry per live worker and one for
// the leader. Shard ids ("shardId-" + digits) never contain ':', so the
// prefixes below cannot collide with a shard lease. One owner: every reader
// and writer of these entries (the worker, the CLI) goes through here.
//
//   worker entry  key "worker:<worker id>", lease_owner = the worker id;
//                 its counter moves every lease renewal interval while the
//                 worker lives; removed by a graceful shutdown. A worker entry
//                 has no checkpoint, so its owner_switches_since_checkpoint
//                 (ownerSwitchesSinceCheckpoint) carries the worker's
//                 max_leases_per_worker (0: no limit), which the leader
//                 honours when it assigns (`MaxLeasesOfEntry()`).
//   leader entry  key "coordinator:leader", lease_owner = the leader's worker
//                 id; renewed by the leader; taken by another worker once its
//                 counter has not moved for the failover time.
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_GROUP_GROUP_KEYS_H_
#define BROOK_LIB_GROUP_GROUP_KEYS_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

#include "brook/lease.h"

namespace brook {
namespace internal {

inline constexpr absl::string_view kWorkerKeyPrefix = "worker:";
inline constexpr absl::string_view kLeaderKey = "coordinator:leader";

inline std::string WorkerKey(absl::string_view worker_id) {
  return std::string(kWorkerKeyPrefix) + std::string(worker_id);
}

// The worker id of a worker entry's key; nullopt for any other key.
inline std::optional<absl::string_view> WorkerIdFromKey(
    absl::string_view lease_key) {
  if (!absl::StartsWith(lease_key, kWorkerKeyPrefix)) return std::nullopt;
  return lease_key.substr(kWorkerKeyPrefix.size());
}

inline bool IsLeaderKey(absl::string_view lease_key) {
  return lease_key == kLeaderKey;
}

// The max_leases_per_worker a worker entry carries (0: no limit).
inline int MaxLeasesOfEntry(const Lease& worker_entry) {
  const int64_t limit = worker_entry.owner_switches_since_checkpoint;
  return limit > 0 && limit <= std::numeric_limits<int>::max()
             ? static_cast<int>(limit)
             : 0;
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_GROUP_GROUP_KEYS_H_
