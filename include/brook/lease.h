// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Leases of a consumer group, as the Kinesis Client Library (KCL) keeps them:
// one `Lease` per shard says which worker owns the shard, and carries the
// shard's checkpoint (an `ExtendedSequenceNumber`). A `LeaseStore` holds a
// group's leases; every change to a lease is a compare-and-set on its
// `lease_counter`, so two workers can never both believe they own a shard.
// Three stores come with brook: `NewMemoryLeaseStore()` (one process),
// `OpenDurableLeaseStore()` (a directory beside a durable stream's, shared by
// processes, surviving crashes; format: lib/group/LEASE_FORMAT.md) and, when
// brook is built with its AWS client, `OpenDynamoDbLeaseStore()`
// (brook/dynamodb_lease_store.h: a DynamoDB table in KCL's lease table
// schema, shared by machines). The fields carry the names of KCL's lease
// table attributes.
//
// Thread safety: `ExtendedSequenceNumber` and `Lease` are plain values. Every
// method of a `LeaseStore` is thread-safe; see each store for processes.
// Lifetime: a store returned here is owned by the caller; leases returned are
// copies that do not refer to the store.
//
// Example (a worker taking a free lease and checkpointing it):
//   absl::StatusOr<std::unique_ptr<brook::LeaseStore>> store =
//       brook::OpenDurableLeaseStore("/var/lib/app/events", "my-app", {});
//   absl::StatusOr<brook::Lease> lease =
//       (*store)->GetLease("shardId-000000000000");
//   lease = (*store)->TakeLease(*lease, "worker-1");  // kAborted: lost race
//   ... process records ...
//   lease = (*store)->UpdateCheckpoint(*lease,
//       brook::ExtendedSequenceNumber::At(last_sequence_number));

#ifndef BROOK_LEASE_H_
#define BROOK_LEASE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/export.h"
#include "brook/partitioner.h"
#include "brook/record.h"

namespace brook {

class Env;

// A position in a shard that a checkpoint can name (KCL's
// ExtendedSequenceNumber): a record's sequence number plus its subsequence
// number (the index of a KPL user record within its aggregate; 0 for an
// ordinary record), or one of the sentinels. Ordered, as DESIGN.md §3 says:
//   AT_TIMESTAMP < TRIM_HORIZON < LATEST < any sequence number < SHARD_END;
// sequence numbers compare by number, then subsequence number; two
// AT_TIMESTAMP values by their timestamp.
class BROOK_EXPORT ExtendedSequenceNumber {
 public:
  // Persisted: never renumber.
  enum class Kind : int {
    kAtTimestamp = 1,
    kTrimHorizon = 2,
    kLatest = 3,
    kSequenceNumber = 4,
    kShardEnd = 5,
  };

  // TRIM_HORIZON.
  constexpr ExtendedSequenceNumber() = default;

  static constexpr ExtendedSequenceNumber TrimHorizon() {
    return ExtendedSequenceNumber(Kind::kTrimHorizon, SequenceNumber(), 0, 0);
  }
  static constexpr ExtendedSequenceNumber Latest() {
    return ExtendedSequenceNumber(Kind::kLatest, SequenceNumber(), 0, 0);
  }
  static constexpr ExtendedSequenceNumber ShardEnd() {
    return ExtendedSequenceNumber(Kind::kShardEnd, SequenceNumber(), 0, 0);
  }
  // The first record that arrived at or after `timestamp_millis` (ms since
  // the Unix epoch).
  static constexpr ExtendedSequenceNumber AtTimestamp(
      int64_t timestamp_millis) {
    return ExtendedSequenceNumber(Kind::kAtTimestamp, SequenceNumber(), 0,
                                  timestamp_millis);
  }
  // The record with `sequence_number` and `subsequence_number`.
  static constexpr ExtendedSequenceNumber At(SequenceNumber sequence_number,
                                             uint64_t subsequence_number = 0) {
    return ExtendedSequenceNumber(Kind::kSequenceNumber, sequence_number,
                                  subsequence_number, 0);
  }

  // Parses KCL's spelling of the `checkpoint` attribute: "TRIM_HORIZON",
  // "LATEST", "SHARD_END", "AT_TIMESTAMP" or a decimal sequence number, with
  // the `checkpointSubSequenceNumber` attribute as `subsequence_number` (only
  // a sequence number may have one other than 0) and, for "AT_TIMESTAMP",
  // the timestamp (KCL keeps it in its configuration, not in the lease).
  // Returns kInvalidArgument naming the text for anything else (lower-case
  // sentinels, a sign, a number of 2^192 or more, a subsequence number on a
  // sentinel).
  static absl::StatusOr<ExtendedSequenceNumber> Parse(
      absl::string_view checkpoint, uint64_t subsequence_number = 0,
      int64_t timestamp_millis = 0);

  // The `checkpoint` attribute as KCL spells it: the sentinel's name (without
  // the timestamp of AT_TIMESTAMP) or the decimal sequence number. With
  // `subsequence_number()` and `timestamp_millis()`, `Parse()` gives back an
  // equal value.
  std::string ToString() const;
  // For messages and logs: `ToString()`, plus "/<subsequence>" when it is not
  // 0 and "(<millis>)" after AT_TIMESTAMP.
  std::string DebugString() const;

  Kind kind() const { return kind_; }
  bool is_sequence_number() const { return kind_ == Kind::kSequenceNumber; }
  bool is_shard_end() const { return kind_ == Kind::kShardEnd; }
  // A sentinel a lease starts from (AT_TIMESTAMP, TRIM_HORIZON, LATEST):
  // nothing of the shard has been processed yet.
  bool is_initial_position() const {
    return kind_ == Kind::kAtTimestamp || kind_ == Kind::kTrimHorizon ||
           kind_ == Kind::kLatest;
  }
  // Meaningful only for a sequence number (0 otherwise).
  SequenceNumber sequence_number() const { return sequence_number_; }
  uint64_t subsequence_number() const { return subsequence_number_; }
  // Meaningful only for AT_TIMESTAMP (0 otherwise).
  int64_t timestamp_millis() const { return timestamp_millis_; }

  // -1, 0 or 1 as `a` is before, equal to or after `b` in the order above.
  static int Compare(const ExtendedSequenceNumber& a,
                     const ExtendedSequenceNumber& b);
  friend bool operator==(const ExtendedSequenceNumber& a,
                         const ExtendedSequenceNumber& b) {
    return Compare(a, b) == 0;
  }
  friend bool operator!=(const ExtendedSequenceNumber& a,
                         const ExtendedSequenceNumber& b) {
    return Compare(a, b) != 0;
  }
  friend bool operator<(const ExtendedSequenceNumber& a,
                        const ExtendedSequenceNumber& b) {
    return Compare(a, b) < 0;
  }
  friend bool operator<=(const ExtendedSequenceNumber& a,
                         const ExtendedSequenceNumber& b) {
    return Compare(a, b) <= 0;
  }
  friend bool operator>(const ExtendedSequenceNumber& a,
                        const ExtendedSequenceNumber& b) {
    return Compare(a, b) > 0;
  }
  friend bool operator>=(const ExtendedSequenceNumber& a,
                         const ExtendedSequenceNumber& b) {
    return Compare(a, b) >= 0;
  }

 private:
  constexpr ExtendedSequenceNumber(Kind kind, SequenceNumber sequence_number,
                                   uint64_t subsequence_number,
                                   int64_t timestamp_millis)
      : kind_(kind),
        sequence_number_(sequence_number),
        subsequence_number_(subsequence_number),
        timestamp_millis_(timestamp_millis) {}

  Kind kind_ = Kind::kTrimHorizon;
  SequenceNumber sequence_number_;
  uint64_t subsequence_number_ = 0;
  int64_t timestamp_millis_ = 0;
};

// One shard's lease. Each field names the attribute of KCL's DynamoDB lease
// table it stands for.
struct Lease {
  // `leaseKey`: the shard id (the table's hash key). 1 to 256 characters of
  // [A-Za-z0-9_.:-], not starting with '.'. Never changes.
  std::string lease_key;
  // `leaseOwner`: the id of the worker holding the lease; empty when nobody
  // does (KCL removes the attribute). Any bytes but '\0', up to 256.
  std::string lease_owner;
  // `leaseCounter`: incremented by every change the store makes to the lease;
  // each change is conditional on the value the caller last saw. A worker
  // that sees it stop moving for the failover time knows the owner is dead.
  // 0 or more. Default: 0.
  int64_t lease_counter = 0;
  // `checkpoint` + `checkpointSubSequenceNumber`: where processing of the
  // shard resumes (after this record). Starts at the group's initial
  // position; moves only forward; SHARD_END once the shard was processed to
  // its end. Default: TRIM_HORIZON.
  ExtendedSequenceNumber checkpoint;
  // `pendingCheckpoint` + `pendingCheckpointSubSequenceNumber`: a checkpoint
  // being prepared (KCL's two-phase checkpoint); none when unset.
  bool has_pending_checkpoint = false;
  ExtendedSequenceNumber pending_checkpoint;
  // `checkpointOwner` (KCL 3.x graceful handoff): while a lease moves from a
  // live worker, `lease_owner` names the new owner and this the old one, which
  // may still checkpoint; empty otherwise.
  std::string checkpoint_owner;
  // `ownerSwitchesSinceCheckpoint`: times the owner changed since the last
  // checkpoint; a high value points to a shard that kills its workers.
  int64_t owner_switches_since_checkpoint = 0;
  // `parentShardId` (a set): the shards this one was split or merged from,
  // sorted; empty for a shard the stream was created with. A merge child has
  // two.
  std::vector<std::string> parent_shard_ids;
  // `childShardIds`: the shards this one was split or merged into, sorted;
  // recorded when the shard ends, after the children's leases were created.
  std::vector<std::string> child_shard_ids;
  // `startingHashKey` + `endingHashKey`: the shard's hash key range.
  HashKeyRange hash_key_range;
  // Measured throughput of the shard, averaged by the owner over its recent
  // reads, for load-aware balancing (KCL 3.x keeps `throughputKBps`; brook
  // keeps both records and bytes). 0 or more; 0 until measured.
  double throughput_records_per_second = 0;
  double throughput_bytes_per_second = 0;

  bool has_owner() const { return !lease_owner.empty(); }
};

// What `LeaseStore::UpdateLease()` does to a lease: changes the fields it
// wants of the stored lease (never `lease_key` or `lease_counter`), or returns
// an error (which the store passes on, changing nothing).
using LeaseMutation = std::function<absl::Status(Lease&)>;

// A consumer group's leases (KCL's LeaseRefresher).
//
// Every call that changes a lease is a compare-and-set: it names the lease
// and the `lease_counter` the caller last saw (in `expected`), and succeeds
// only if the stored lease still has that counter; it then stores the change
// with the counter incremented by one and returns the lease as stored. Of
// several callers holding the same counter, exactly one succeeds; the others
// get kAborted and should read the lease again and decide anew (retry at a
// higher level). A change never applies partly.
//
// Errors common to every call:
//   kInvalidArgument  a malformed lease key (see `Lease::lease_key`) or
//                     owner, naming it;
//   kDataLoss         (durable store) a lease file is damaged (truncated, bad
//                     checksum, unknown format version); the message names
//                     the file. Never reported as a missing lease, and never
//                     replaced by a fresh one;
//   other codes       (durable store) an I/O error, naming the file. A
//                     change that fails so may or may not have been made
//                     (as after a DynamoDB timeout): the lease reads back
//                     whole, as before or as after it; read it again.
//
// Thread safety: all methods are thread-safe; what each store guarantees
// across processes is documented where it is created.
class BROOK_EXPORT LeaseStore {
 public:
  LeaseStore() = default;
  LeaseStore(const LeaseStore&) = delete;
  LeaseStore& operator=(const LeaseStore&) = delete;
  virtual ~LeaseStore();

  // Stores `lease` as given if no lease with its key exists (KCL's
  // createLeaseIfNotExists). Returns kAlreadyExists if one does (the stored
  // one is unchanged), kInvalidArgument for a negative counter or a
  // malformed key, owner or throughput.
  virtual absl::Status CreateLeaseIfNotExists(const Lease& lease) = 0;

  // The stored lease, or kNotFound naming the key.
  virtual absl::StatusOr<Lease> GetLease(absl::string_view lease_key) = 0;

  // Every stored lease, in `lease_key` order. Not a snapshot: a lease changed
  // while the list is read is listed as it was before or after the change,
  // and one deleted meanwhile may be left out. One damaged lease fails the
  // whole call (kDataLoss naming its file). Cost: the durable store reads one
  // file per lease.
  virtual absl::StatusOr<std::vector<Lease>> ListLeases() = 0;

  // The primitive every change below is built on: reads the stored lease
  // `lease_key`, and if its counter is `expected_counter`, applies `mutate`
  // to it, increments the counter and stores it, atomically with respect to
  // every other change to the group (in every process sharing a durable
  // store). Returns the lease as stored. Errors:
  //   kNotFound  no such lease (never created, or deleted by another worker);
  //   kAborted   its counter is not `expected_counter` (someone else changed
  //              it), naming both; `mutate` is not called;
  //   whatever `mutate` returns; nothing is stored.
  // `mutate` runs with the store's lock held: it must not call the store.
  // Changing `lease_key` or `lease_counter` in it is kInvalidArgument.
  virtual absl::StatusOr<Lease> UpdateLease(absl::string_view lease_key,
                                            int64_t expected_counter,
                                            const LeaseMutation& mutate) = 0;

  // Deletes lease `expected.lease_key` if its counter is still
  // `expected.lease_counter` (KCL deletes a parent's lease once its children
  // have started). kNotFound and kAborted as `UpdateLease()`.
  virtual absl::Status DeleteLease(const Lease& expected) = 0;

  // The changes a worker makes. Each is `UpdateLease()` with
  // `expected.lease_key` and `expected.lease_counter`, so each returns
  // kNotFound or kAborted as it does; and each returns the lease as stored,
  // which the caller keeps for its next change.

  // Makes `new_owner` (not empty) the owner, whoever owned it before (an
  // expired lease, or stealing for balance). If the owner changes,
  // `owner_switches_since_checkpoint` grows by one. Clears `checkpoint_owner`.
  absl::StatusOr<Lease> TakeLease(const Lease& expected,
                                  absl::string_view new_owner);

  // Bumps the counter so that others see the owner alive (KCL's renewLease).
  // kFailedPrecondition if `expected` has no owner.
  absl::StatusOr<Lease> RenewLease(const Lease& expected);

  // Leaves the lease without an owner (KCL's evictLease; what a worker does
  // to release a lease it holds, and a leader to a lease it reassigns).
  // Clears `checkpoint_owner`.
  absl::StatusOr<Lease> EvictLease(const Lease& expected);

  // Sets the checkpoint, clears the pending checkpoint and resets
  // `owner_switches_since_checkpoint` to 0. Checkpoints only move forward:
  // kInvalidArgument naming both if `checkpoint` is before the stored one
  // (equal is accepted; the counter still moves). To move one back on
  // purpose (resetting a group), use `UpdateLease()`.
  absl::StatusOr<Lease> UpdateCheckpoint(
      const Lease& expected, const ExtendedSequenceNumber& checkpoint);

  // Records the shard's children (sorted, duplicates removed) when it ends.
  absl::StatusOr<Lease> UpdateChildShards(
      const Lease& expected, std::vector<std::string> child_shard_ids);

  // Stores the owner's latest throughput measurement (each 0 or more and
  // finite; kInvalidArgument otherwise).
  absl::StatusOr<Lease> UpdateThroughput(const Lease& expected,
                                         double records_per_second,
                                         double bytes_per_second);
};

// Returns OK for a valid `Lease::lease_key`, else kInvalidArgument naming it.
BROOK_EXPORT absl::Status ValidateLeaseKey(absl::string_view lease_key);

// Returns OK for a valid consumer group name, else kInvalidArgument naming
// it: 3 to 255 characters of [A-Za-z0-9_.-] (the rule DynamoDB has for the
// table KCL names after the application), not all dots.
BROOK_EXPORT absl::Status ValidateGroupName(absl::string_view group_name);

// NewMemoryLeaseStore()
//
// A store kept in this object's memory: for groups of workers that are
// threads of one process (and memory streams). Never fails but for the
// errors of `LeaseStore` not marked durable.
BROOK_EXPORT std::unique_ptr<LeaseStore> NewMemoryLeaseStore();

// Options of `OpenDurableLeaseStore()`.
struct DurableLeaseStoreOptions {
  // Whether a change is durable (survives a power loss) when it returns: the
  // lease file is synced (fdatasync) before it replaces the old one, and the
  // directory after. False keeps changes safe against a crash of the process
  // (a change is all or nothing either way), not against a power loss, and is
  // several times faster. Default: true.
  bool sync = true;
  // The file system; `Env::Default()` when null. Not owned; must outlive the
  // store. The group's lock is taken with flock(2) directly (Env has no
  // blocking lock), so the store needs a POSIX file system. Default: null.
  Env* env = nullptr;
};

// OpenDurableLeaseStore()
//
// Opens (creating it if missing) the lease store of group `group_name` of the
// durable stream in `stream_dir`: directory `<stream_dir>/groups/<group_name>/`
// with one file per lease (lib/group/LEASE_FORMAT.md). Needs no `Stream`: the
// stream directory only has to exist.
//
// Processes: any number of stores, in any processes on this machine, may be
// open on one group at once; their changes are serialised by an exclusive
// flock(2) on the group's LOCK file, held only for the duration of one change,
// so compare-and-set holds across processes exactly as across threads. Reads
// take no lock (a lease file is replaced by rename(2), so a reader sees the
// old or the new lease, never a mixture). A process killed at any point leaves
// each lease as it was before or after its change. Do not use a store across
// fork(): open a new one in the child.
//
// Returns kNotFound if `stream_dir` does not exist, kInvalidArgument for a bad
// `group_name` (see `ValidateGroupName()`), or the I/O error creating the
// directories, naming the path.
BROOK_EXPORT absl::StatusOr<std::unique_ptr<LeaseStore>> OpenDurableLeaseStore(
    absl::string_view stream_dir, absl::string_view group_name,
    const DurableLeaseStoreOptions& options);

}  // namespace brook

#endif  // BROOK_LEASE_H_
