// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The resharding commands of the `brook` tool: split-shard, merge-shards and
// update-shard-count, as `aws kinesis` names and prints them. Each is a
// `Command` (command.h) that cli.cc lists in its table. Internal to the tool.
//
// Thread safety: as `RunBrookCli()`.

#ifndef BROOK_TOOLS_BROOK_RESHARD_COMMANDS_H_
#define BROOK_TOOLS_BROOK_RESHARD_COMMANDS_H_

#include "tools/brook/command.h"

namespace brook {
namespace cli {

int RunSplitShard(const Flags& flags, const Session& session);
int RunMergeShards(const Flags& flags, const Session& session);
int RunUpdateShardCount(const Flags& flags, const Session& session);

inline constexpr FlagSpec kSplitShardFlags[] = {
    kStreamDirFlag,
    {"shard-to-split", "S", true,
     "open shard to split, e.g. shardId-000000000000"},
    {"new-starting-hash-key", "K", true,
     "decimal hash key where the upper child starts; greater than the "
     "shard's starting hash key + 1 and less than its ending hash key"},
};

inline constexpr FlagSpec kMergeShardsFlags[] = {
    kStreamDirFlag,
    {"shard-to-merge", "S", true, "open shard; the child's ParentShardId"},
    {"adjacent-shard-to-merge", "A", true,
     "open shard whose range touches the first one's; the child's "
     "AdjacentParentShardId"},
};

inline constexpr FlagSpec kUpdateShardCountFlags[] = {
    kStreamDirFlag,
    {"target-shard-count", "N", true, "open shards wanted, 1 to 10000"},
    {"scaling-type", "T", false,
     "UNIFORM_SCALING, the only type (default, as in Kinesis)"},
};

inline constexpr Command kSplitShardCommand = {
    "split-shard", "Splits an open shard in two at a hash key.",
    kSplitShardFlags,
    "Prints nothing on success, as `aws kinesis split-shard` does. Unlike\n"
    "Kinesis the split is done when the command returns: the parent is\n"
    "closed (it keeps its records until retention removes them) and the two\n"
    "children, with the next shard ids, take new records (see list-shards).\n"
    "An unknown or closed shard, or a key outside the shard, is a runtime\n"
    "error.\n",
    RunSplitShard};

inline constexpr Command kMergeShardsCommand = {
    "merge-shards", "Merges two adjacent open shards into one.",
    kMergeShardsFlags,
    "Prints nothing on success, as `aws kinesis merge-shards` does. Unlike\n"
    "Kinesis the merge is done when the command returns: both parents are\n"
    "closed and the child, with the next shard id, covers both ranges. The\n"
    "two shards may be given in either order of their ranges. An unknown or\n"
    "closed shard, or shards that are not adjacent, is a runtime error.\n",
    RunMergeShards};

inline constexpr Command kUpdateShardCountCommand = {
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
    "old boundary inside a target range; 7 -> 10 creates 24 shards.\n",
    RunUpdateShardCount};

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_RESHARD_COMMANDS_H_
