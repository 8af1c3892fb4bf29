// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/group_commands.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

#include "brook/consumer.h"
#include "brook/consumer_group.h"
#include "brook/env.h"
#include "brook/lease.h"
#include "brook/stream.h"

#include "group/group_keys.h"

namespace brook {
namespace cli {

// A backend without consumer groups (backend.h).
absl::StatusOr<std::vector<std::string>> CliBackend::ListConsumerGroups(
    absl::string_view /*dir*/) {
  return absl::UnimplementedError("this backend keeps no consumer groups");
}

absl::StatusOr<std::shared_ptr<LeaseStore>> CliBackend::OpenLeaseStore(
    absl::string_view /*dir*/, absl::string_view /*group*/) {
  return absl::UnimplementedError("this backend keeps no consumer groups");
}

int64_t CliBackend::NowMillis() { return Env::Default()->NowMillis(); }

namespace {

// A group's leases, sorted out by kind of key (lib/group/group_keys.h).
struct GroupLeases {
  std::shared_ptr<LeaseStore> store;
  std::vector<Lease> shards;   // IsShardLeaseKey(), in key order
  std::vector<Lease> workers;  // "worker:<id>" entries
  const Lease* leader = nullptr;
  std::vector<Lease> all;
};

absl::StatusOr<GroupLeases> ReadGroup(const Session& session,
                                      const std::string& dir,
                                      const std::string& group) {
  GroupLeases out;
  absl::StatusOr<std::shared_ptr<LeaseStore>> store =
      session.backend().OpenLeaseStore(dir, group);
  if (!store.ok()) return store.status();
  out.store = *std::move(store);
  absl::StatusOr<std::vector<Lease>> leases = out.store->ListLeases();
  if (!leases.ok()) {
    return absl::Status(leases.status().code(),
                        absl::StrCat("consumer group ", group, ": ",
                                     leases.status().message()));
  }
  out.all = *std::move(leases);
  for (const Lease& l : out.all) {
    if (internal::WorkerIdFromKey(l.lease_key).has_value()) {
      out.workers.push_back(l);
    } else if (IsShardLeaseKey(l.lease_key)) {
      out.shards.push_back(l);
    }
  }
  for (const Lease& l : out.all) {
    if (internal::IsLeaderKey(l.lease_key)) out.leader = &l;
  }
  return out;
}

// The age of the first record after `lease`'s checkpoint: 0 if there is none
// (caught up, LATEST, SHARD_END).
absl::StatusOr<int64_t> MillisBehind(Stream& stream, const Lease& lease,
                                     int64_t now_millis) {
  const ExtendedSequenceNumber& c = lease.checkpoint;
  StartingPosition start;
  switch (c.kind()) {
    case ExtendedSequenceNumber::Kind::kLatest:
    case ExtendedSequenceNumber::Kind::kShardEnd:
      return 0;
    case ExtendedSequenceNumber::Kind::kTrimHorizon:
      start = StartingPosition::TrimHorizon();
      break;
    case ExtendedSequenceNumber::Kind::kAtTimestamp:
      start = StartingPosition::AtTimestamp(c.timestamp_millis());
      break;
    case ExtendedSequenceNumber::Kind::kSequenceNumber:
      // A subsequence number: the aggregate record was processed in part.
      start = c.subsequence_number() > 0
                  ? StartingPosition::AtSequenceNumber(c.sequence_number())
                  : StartingPosition::AfterSequenceNumber(c.sequence_number());
      break;
  }
  Consumer consumer(&stream);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(lease.lease_key, start);
  if (!it.ok()) return it.status();
  GetRecordsOptions options;
  options.limit = 1;
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, options);
  if (!r.ok()) return r.status();
  if (r->records().empty()) return 0;
  return std::max<int64_t>(
      0,
      now_millis - r->records().front().approximate_arrival_timestamp_millis);
}

// Sets `name`, `name`SubSequenceNumber (and `name`TimestampMillis for
// AT_TIMESTAMP) in `json`, in KCL's spelling.
void CheckpointJson(const ExtendedSequenceNumber& c, absl::string_view name,
                    Json* json) {
  (*json)[std::string(name)] = c.ToString();
  (*json)[absl::StrCat(name, "SubSequenceNumber")] = c.subsequence_number();
  if (c.kind() == ExtendedSequenceNumber::Kind::kAtTimestamp) {
    (*json)[absl::StrCat(name, "TimestampMillis")] = c.timestamp_millis();
  }
}

Json LeaseJson(const Lease& l, int64_t millis_behind) {
  Json json;
  json["leaseKey"] = l.lease_key;
  if (l.has_owner()) json["leaseOwner"] = l.lease_owner;
  json["leaseCounter"] = l.lease_counter;
  CheckpointJson(l.checkpoint, "checkpoint", &json);
  if (l.has_pending_checkpoint) {
    CheckpointJson(l.pending_checkpoint, "pendingCheckpoint", &json);
  }
  if (!l.checkpoint_owner.empty()) json["checkpointOwner"] = l.checkpoint_owner;
  json["ownerSwitchesSinceCheckpoint"] = l.owner_switches_since_checkpoint;
  json["parentShardId"] = l.parent_shard_ids;
  json["childShardIds"] = l.child_shard_ids;
  json["HashKeyRange"] = HashKeyRangeJson(l.hash_key_range);
  json["throughputRecordsPerSecond"] = l.throughput_records_per_second;
  json["throughputBytesPerSecond"] = l.throughput_bytes_per_second;
  json["MillisBehindLatest"] = millis_behind;
  return json;
}

constexpr FlagSpec kGroupFlag = {"group", "NAME", true, "the consumer group"};

int RunDescribeConsumerGroup(const Flags& flags, const Session& session) {
  const std::string& dir = StreamDir(flags);
  const std::string& group = *FindValue(flags, "group");
  absl::StatusOr<GroupLeases> g = ReadGroup(session, dir, group);
  if (!g.ok()) return session.Fail(g.status());
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenReadOnly(dir);
  if (!stream.ok()) return session.Fail(stream.status());
  const int64_t now = session.backend().NowMillis();

  // Workers: registered ones, then owners of leases that are not.
  std::map<std::string, Json> workers;
  for (const Lease& w : g->workers) {
    Json json;
    json["WorkerId"] = w.lease_owner;
    json["Registered"] = true;
    json["LeaseCounter"] = w.lease_counter;
    // The worker's max_leases_per_worker as it published it; 0: no limit.
    json["MaxLeasesForWorker"] = internal::MaxLeasesOfEntry(w);
    json["OwnedLeaseCount"] = 0;
    workers[w.lease_owner] = std::move(json);
  }
  Json leases = Json::array();
  for (const Lease& l : g->shards) {
    absl::StatusOr<int64_t> behind = MillisBehind(**stream, l, now);
    if (!behind.ok()) {
      return session.Fail(absl::Status(
          behind.status().code(),
          absl::StrCat("consumer group ", group, ": lease ", l.lease_key, ": ",
                       behind.status().message())));
    }
    leases.push_back(LeaseJson(l, *behind));
    if (!l.has_owner()) continue;
    auto [it, added] = workers.try_emplace(l.lease_owner);
    if (added) {
      it->second["WorkerId"] = l.lease_owner;
      it->second["Registered"] = false;
      it->second["OwnedLeaseCount"] = 0;
    }
    it->second["OwnedLeaseCount"] =
        it->second["OwnedLeaseCount"].get<int64_t>() + 1;
  }
  Json description;
  description["ConsumerGroupName"] = group;
  if (g->leader != nullptr && g->leader->has_owner()) {
    description["Leader"] = g->leader->lease_owner;
  }
  Json worker_list = Json::array();
  for (auto& [id, json] : workers) worker_list.push_back(std::move(json));
  description["Workers"] = std::move(worker_list);
  description["Leases"] = std::move(leases);
  Json out;
  out["ConsumerGroupDescription"] = std::move(description);
  session.Print(out);
  return kExitOk;
}

int RunListConsumerGroups(const Flags& flags, const Session& session) {
  absl::StatusOr<std::vector<std::string>> groups =
      session.backend().ListConsumerGroups(StreamDir(flags));
  if (!groups.ok()) return session.Fail(groups.status());
  Json out;
  out["ConsumerGroups"] = *groups;
  session.Print(out);
  return kExitOk;
}

constexpr absl::string_view kPositionNames[] = {"TRIM_HORIZON", "LATEST",
                                                "AT_TIMESTAMP"};

int RunResetConsumerGroup(const Flags& flags, const Session& session) {
  const std::string& dir = StreamDir(flags);
  const std::string& group = *FindValue(flags, "group");
  absl::StatusOr<size_t> which = ParseChoiceFlag(
      "position", *FindValue(flags, "position"), kPositionNames);
  if (!which.ok()) return session.Usage(which.status().message());
  const std::string* timestamp = FindValue(flags, "timestamp");
  ExtendedSequenceNumber position = ExtendedSequenceNumber::TrimHorizon();
  if (*which == 2) {
    if (timestamp == nullptr) {
      return session.Usage("--timestamp is required with AT_TIMESTAMP");
    }
    absl::StatusOr<int64_t> millis =
        ParseIntFlag("timestamp", *timestamp, 0, INT64_MAX);
    if (!millis.ok()) return session.Usage(millis.status().message());
    position = ExtendedSequenceNumber::AtTimestamp(*millis);
  } else {
    if (timestamp != nullptr) {
      return session.Usage(absl::StrCat("--timestamp does not go with ",
                                        kPositionNames[*which]));
    }
    if (*which == 1) position = ExtendedSequenceNumber::Latest();
  }
  bool force = false;
  if (const std::string* f = FindValue(flags, "force")) {
    constexpr absl::string_view kBools[] = {"false", "true"};
    absl::StatusOr<size_t> b = ParseChoiceFlag("force", *f, kBools);
    if (!b.ok()) return session.Usage(b.status().message());
    force = *b == 1;
  }
  const std::string* shard_id = FindValue(flags, "shard-id");

  absl::StatusOr<GroupLeases> g = ReadGroup(session, dir, group);
  if (!g.ok()) return session.Fail(g.status());
  std::vector<Lease> targets;
  for (const Lease& l : g->shards) {
    if (shard_id == nullptr || l.lease_key == *shard_id) targets.push_back(l);
  }
  if (shard_id != nullptr && targets.empty()) {
    return session.Fail(absl::NotFoundError(absl::StrCat(
        "consumer group ", group, ": no lease for shard ", *shard_id)));
  }
  std::vector<std::string> owned;
  for (const Lease& l : targets) {
    if (l.has_owner()) {
      owned.push_back(absl::StrCat(l.lease_key, " (", l.lease_owner, ")"));
    }
  }
  if (!owned.empty() && !force) {
    return session.Fail(absl::FailedPreconditionError(absl::StrCat(
        "consumer group ", group,
        ": leases are held by workers: ", absl::StrJoin(owned, ", "),
        "; stop the workers first, or pass --force true")));
  }
  Json reset = Json::array();
  for (const Lease& l : targets) {
    absl::StatusOr<Lease> done =
        g->store->UpdateLease(l.lease_key, l.lease_counter, [&](Lease& lease) {
          lease.checkpoint = position;
          lease.has_pending_checkpoint = false;
          lease.pending_checkpoint = ExtendedSequenceNumber();
          // A worker holding it loses it at its next renewal (the counter
          // moved) and whoever takes it starts from the new checkpoint.
          lease.lease_owner.clear();
          lease.checkpoint_owner.clear();
          return absl::OkStatus();
        });
    if (!done.ok()) {
      return session.Fail(absl::Status(
          done.status().code(),
          absl::StrCat("consumer group ", group, ": lease ", l.lease_key, ": ",
                       done.status().message(),
                       absl::IsAborted(done.status())
                           ? " (changed meanwhile; run the command again)"
                           : "")));
    }
    Json json;
    json["leaseKey"] = done->lease_key;
    json["previousCheckpoint"] = l.checkpoint.DebugString();
    CheckpointJson(done->checkpoint, "checkpoint", &json);
    json["leaseCounter"] = done->lease_counter;
    reset.push_back(std::move(json));
  }
  Json out;
  out["Leases"] = std::move(reset);
  session.Print(out);
  return kExitOk;
}

constexpr FlagSpec kDescribeFlags[] = {kStreamDirFlag, kGroupFlag};
constexpr FlagSpec kResetFlags[] = {
    kStreamDirFlag,
    kGroupFlag,
    {"position", "P", true, "TRIM_HORIZON, LATEST or AT_TIMESTAMP"},
    {"timestamp", "MS", false,
     "with AT_TIMESTAMP: milliseconds since the Unix epoch"},
    {"shard-id", "S", false, "reset only this shard's lease (default: all)"},
    {"force", "true|false", false,
     "reset leases that workers hold (default false: refused)"},
};

}  // namespace

const Command kDescribeConsumerGroupCommand = {
    "describe-consumer-group",
    "Prints a consumer group's workers, leader and shard leases.",
    kDescribeFlags,
    "Prints {\"ConsumerGroupDescription\": {...}}: ConsumerGroupName, Leader\n"
    "(when one holds the leader entry), Workers (registered workers and\n"
    "owners of leases, with how many leases each owns; a registered one\n"
    "also with its MaxLeasesForWorker, 0 for no limit) and Leases, one per\n"
    "shard lease with KCL's lease table attribute names (leaseKey,\n"
    "leaseOwner, leaseCounter, checkpoint, checkpointSubSequenceNumber,\n"
    "pendingCheckpoint, checkpointOwner, ownerSwitchesSinceCheckpoint,\n"
    "parentShardId, childShardIds), the hash key range, the measured\n"
    "throughput and MillisBehindLatest: the age of the first record after\n"
    "the checkpoint, 0 if there is none. Reads the leases and the stream;\n"
    "changes nothing. A damaged lease file fails the command (exit 1),\n"
    "naming the file.\n",
    RunDescribeConsumerGroup};

const Command kListConsumerGroupsCommand = {
    "list-consumer-groups",
    "Prints {\"ConsumerGroups\": [...]}: the groups kept beside the stream.",
    kStreamDirOnlyFlags,
    "Names only, sorted; describe-consumer-group shows one.\n",
    RunListConsumerGroups};

const Command kResetConsumerGroupCommand = {
    "reset-consumer-group",
    "Moves a consumer group's checkpoints to a position, back on purpose.",
    kResetFlags,
    "Sets the checkpoint of every shard lease of the group (or of --shard-id)\n"
    "to TRIM_HORIZON, LATEST or AT_TIMESTAMP --timestamp MS, clearing any\n"
    "pending checkpoint and the lease's owner, and prints the leases reset\n"
    "with their previous checkpoints. Refused (exit 1, naming the leases and\n"
    "their owners) while a worker holds any of those leases, unless --force\n"
    "true: a worker holding one then loses it at its next renewal, and the\n"
    "next owner starts from the new checkpoint (records may be processed\n"
    "again, which is the point). Each lease is changed by compare-and-set; a\n"
    "lease changed meanwhile fails the command, which can be run again.\n",
    RunResetConsumerGroup};

}  // namespace cli
}  // namespace brook
