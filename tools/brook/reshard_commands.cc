// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/reshard_commands.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "brook/partitioner.h"
#include "brook/stream.h"

#include "tools/brook/remote_commands.h"

namespace brook {
namespace cli {
namespace {

// Opens the stream for writing, runs `reshard` on it and makes the result
// durable; returns the exit code, having reported any error.
template <typename Fn>
int Reshard(const Flags& flags, const Session& session, Fn reshard) {
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenForWrite(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  if (absl::Status s = reshard(**stream); !s.ok()) return session.Fail(s);
  if (absl::Status s = session.backend().Sync(**stream); !s.ok()) {
    return session.Fail(s);
  }
  return kExitOk;
}

int RunSplitShard(const Flags& flags, const Session& session) {
  const std::string& shard = *FindValue(flags, "shard-to-split");
  const std::string& key = *FindValue(flags, "new-starting-hash-key");
  if (shard.empty()) return session.Usage("--shard-to-split must not be empty");
  if (absl::StatusOr<HashKey> k = ParseHashKey(key); !k.ok()) {
    return session.Usage(
        absl::StrCat("--new-starting-hash-key: ", k.status().message()));
  }
  if (IsRemote(flags)) return RemoteSplitShard(flags, session, shard, key);
  return Reshard(flags, session, [&](Stream& stream) {
    return stream.SplitShard(shard, key);
  });  // silent on success, as `aws kinesis split-shard` is
}

int RunMergeShards(const Flags& flags, const Session& session) {
  const std::string& shard = *FindValue(flags, "shard-to-merge");
  const std::string& adjacent = *FindValue(flags, "adjacent-shard-to-merge");
  if (shard.empty() || adjacent.empty()) {
    return session.Usage(
        "--shard-to-merge and --adjacent-shard-to-merge must not be empty");
  }
  if (shard == adjacent) {
    return session.Usage(absl::StrCat(
        "--shard-to-merge and --adjacent-shard-to-merge are the same shard ",
        shard));
  }
  if (IsRemote(flags)) {
    return RemoteMergeShards(flags, session, shard, adjacent);
  }
  return Reshard(flags, session, [&](Stream& stream) {
    return stream.MergeShards(shard, adjacent);
  });  // silent on success, as `aws kinesis merge-shards` is
}

int RunUpdateShardCount(const Flags& flags, const Session& session) {
  absl::StatusOr<int64_t> target = ParseIntFlag(
      "target-shard-count", *FindValue(flags, "target-shard-count"), 1, 10000);
  if (!target.ok()) return session.Usage(target.status().message());
  if (const std::string* type = FindValue(flags, "scaling-type")) {
    constexpr absl::string_view kScalingTypes[] = {"UNIFORM_SCALING"};
    absl::StatusOr<size_t> i =
        ParseChoiceFlag("scaling-type", *type, kScalingTypes);
    if (!i.ok()) return session.Usage(i.status().message());
  }
  if (IsRemote(flags)) {
    return RemoteUpdateShardCount(flags, session, static_cast<int>(*target));
  }
  std::string name;
  int current = 0;
  const int code = Reshard(flags, session, [&](Stream& stream) {
    const StreamDescription before = stream.DescribeStream();
    name = before.stream_name;
    current = before.open_shard_count;
    return stream.UpdateShardCount(static_cast<int>(*target));
  });
  if (code != kExitOk) return code;
  Json out;
  out["StreamName"] = name;
  out["CurrentShardCount"] = current;
  out["TargetShardCount"] = *target;
  session.Print(out);
  return kExitOk;
}

constexpr FlagSpec kSplitShardFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"shard-to-split", "S", true,
     "open shard to split, e.g. shardId-000000000000"},
    {"new-starting-hash-key", "K", true,
     "decimal hash key where the upper child starts; greater than the "
     "shard's starting hash key + 1 and less than its ending hash key"},
};

constexpr FlagSpec kMergeShardsFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"shard-to-merge", "S", true, "open shard; the child's ParentShardId"},
    {"adjacent-shard-to-merge", "A", true,
     "open shard whose range touches the first one's; the child's "
     "AdjacentParentShardId"},
};

constexpr FlagSpec kUpdateShardCountFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"target-shard-count", "N", true, "open shards wanted, 1 to 10000"},
    {"scaling-type", "T", false,
     "UNIFORM_SCALING, the only type (default, as in Kinesis)"},
};

}  // namespace

const Command kSplitShardCommand = {
    "split-shard", "Splits an open shard in two at a hash key.",
    kSplitShardFlags,
    "Prints nothing on success, as `aws kinesis split-shard` does. Unlike\n"
    "Kinesis the split is done when the command returns: the parent is\n"
    "closed (it keeps its records until retention removes them) and the two\n"
    "children, with the next shard ids, take new records (see list-shards).\n"
    "An unknown or closed shard, or a key outside the shard, is a runtime\n"
    "error. With --stream-name it waits (up to 5 minutes) until the stream is\n"
    "ACTIVE again, so that the split is done when it returns there too.\n",
    RunSplitShard};

const Command kMergeShardsCommand = {
    "merge-shards", "Merges two adjacent open shards into one.",
    kMergeShardsFlags,
    "Prints nothing on success, as `aws kinesis merge-shards` does. Unlike\n"
    "Kinesis the merge is done when the command returns: both parents are\n"
    "closed and the child, with the next shard id, covers both ranges. The\n"
    "two shards may be given in either order of their ranges. An unknown or\n"
    "closed shard, or shards that are not adjacent, is a runtime error.\n"
    "With --stream-name it waits (up to 5 minutes) until the stream is\n"
    "ACTIVE again.\n",
    RunMergeShards};

const Command kUpdateShardCountCommand = {
    "update-shard-count",
    "Splits and merges until the stream has N open shards of equal width.",
    kUpdateShardCountFlags,
    "Prints {\"StreamName\", \"CurrentShardCount\", \"TargetShardCount\"} as\n"
    "`aws kinesis update-shard-count` does (no StreamARN: a local stream has\n"
    "none); CurrentShardCount is the open shard count before the command.\n"
    "Unlike Kinesis the update is done when the command returns.\n"
    "As in Kinesis, a call may at most double and at least halve the open\n"
    "shard count, and it creates short-lived shards besides the final ones:\n"
    "one split (2 new shards) per new boundary, one merge (1 new shard) per\n"
    "old boundary inside a target range; 7 -> 10 creates 24 shards.\n"
    "With --stream-name it also prints StreamARN, as the AWS CLI does, and\n"
    "waits (up to 5 minutes) until the stream is ACTIVE again. kinesalite\n"
    "has no UpdateShardCount (the command fails there, naming it).\n",
    RunUpdateShardCount};

}  // namespace cli
}  // namespace brook
