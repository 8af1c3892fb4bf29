// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/reshard_commands.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "brook/partitioner.h"
#include "brook/stream.h"

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

}  // namespace

int RunSplitShard(const Flags& flags, const Session& session) {
  const std::string& shard = *FindValue(flags, "shard-to-split");
  const std::string& key = *FindValue(flags, "new-starting-hash-key");
  if (shard.empty()) return session.Usage("--shard-to-split must not be empty");
  if (absl::StatusOr<HashKey> k = ParseHashKey(key); !k.ok()) {
    return session.Usage(
        absl::StrCat("--new-starting-hash-key: ", k.status().message()));
  }
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
  return Reshard(flags, session, [&](Stream& stream) {
    return stream.MergeShards(shard, adjacent);
  });  // silent on success, as `aws kinesis merge-shards` is
}

int RunUpdateShardCount(const Flags& flags, const Session& session) {
  absl::StatusOr<int64_t> target = ParseIntFlag(
      "target-shard-count", *FindValue(flags, "target-shard-count"), 1, 10000);
  if (!target.ok()) return session.Usage(target.status().message());
  if (const std::string* type = FindValue(flags, "scaling-type");
      type != nullptr && *type != "UNIFORM_SCALING") {
    return session.Usage(absl::StrCat(
        "--scaling-type: expected UNIFORM_SCALING, got \"", *type, "\""));
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

}  // namespace cli
}  // namespace brook
