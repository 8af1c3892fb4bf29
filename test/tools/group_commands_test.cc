// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The consumer-group commands (describe-consumer-group, list-consumer-groups,
// reset-consumer-group) in-process against MemoryBackend's memory lease
// stores, and against a durable group through the binary (a damaged lease
// file).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/lease.h"
#include "brook/stream.h"

#include "tools/brook/cli.h"
#include "tools/cli_run.h"
#include "tools/memory_backend.h"
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace cli {
namespace {

using nlohmann::json;

constexpr char kDir[] = "/streams/clicks";
constexpr int64_t kStart = 1'700'000'000'000;
constexpr char kShard0[] = "shardId-000000000000";
constexpr char kShard1[] = "shardId-000000000001";

using RunResult = CliRun;

class GroupCli {
 public:
  GroupCli() : env_(kStart), backend_(&env_) {}

  RunResult Run(const std::vector<std::string>& args) {
    return RunCli(backend_, args);
  }

  // A 2-shard stream with `per_shard` records in each shard, put at kStart.
  void Create(int per_shard) {
    RunResult r =
        Run({"create-stream", "--stream-dir", kDir, "--shard-count", "2"});
    INFO(r.err);
    REQUIRE(r.code == kExitOk);
    std::shared_ptr<Stream> s = backend_.StreamForTesting(kDir);
    for (const char* id : {kShard0, kShard1}) {
      absl::StatusOr<Shard*> shard = s->GetShard(id);
      REQUIRE(shard.ok());
      for (int i = 0; i < per_shard; ++i) {
        RoutedRecord rec;
        rec.partition_key = "k";
        rec.data = "v";
        rec.hash_key = (*shard)->hash_key_range().starting_hash_key;
        REQUIRE((*shard)->Append({&rec, 1}).ok());
      }
    }
  }

  // The sequence numbers of shard `id`'s records.
  std::vector<SequenceNumber> Sequences(const std::string& id) {
    Consumer consumer(backend_.StreamForTesting(kDir).get());
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(id, StartingPosition::TrimHorizon());
    REQUIRE(it.ok());
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
    REQUIRE(r.ok());
    std::vector<SequenceNumber> out;
    for (const Record& rec : r->records()) out.push_back(rec.sequence_number);
    return out;
  }

  std::shared_ptr<LeaseStore> Group(const std::string& name) {
    return backend_.AddGroupForTesting(kDir, name);
  }
  ManualClockEnv& clock() { return env_; }

 private:
  ManualClockEnv env_;
  MemoryBackend backend_;
};

void AddLease(LeaseStore& store, const std::string& key,
              const std::string& owner, ExtendedSequenceNumber checkpoint) {
  Lease l;
  l.lease_key = key;
  l.lease_owner = owner;
  l.checkpoint = checkpoint;
  REQUIRE(store.CreateLeaseIfNotExists(l).ok());
}

TEST_CASE(
    "brook CLI: describe-consumer-group shows workers, leader, leases "
    "and how far behind each is",
    "[cli][group]") {
  GroupCli cli;
  cli.Create(3);
  const std::vector<SequenceNumber> s0 = cli.Sequences(kShard0);
  const std::vector<SequenceNumber> s1 = cli.Sequences(kShard1);
  REQUIRE(s0.size() == 3);
  std::shared_ptr<LeaseStore> store = cli.Group("orders-app");
  // Shard 0: checkpointed at its first record; shard 1: at its last.
  AddLease(*store, kShard0, "w1", ExtendedSequenceNumber::At(s0[0]));
  AddLease(*store, kShard1, "w2", ExtendedSequenceNumber::At(s1.back(), 7));
  Lease entry;  // a worker's entry carries its max_leases_per_worker
  entry.lease_key = "worker:w1";
  entry.lease_owner = "w1";
  entry.owner_switches_since_checkpoint = 5;
  REQUIRE(store->CreateLeaseIfNotExists(entry).ok());
  AddLease(*store, "coordinator:leader", "w1", ExtendedSequenceNumber());
  cli.clock().Advance(absl::Milliseconds(4500));

  RunResult r = cli.Run({"describe-consumer-group", "--stream-dir", kDir,
                         "--group", "orders-app"});
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  const json d = r.Json()["ConsumerGroupDescription"];
  CHECK(d["ConsumerGroupName"] == "orders-app");
  CHECK(d["Leader"] == "w1");
  REQUIRE(d["Workers"].size() == 2);
  CHECK(d["Workers"][0]["WorkerId"] == "w1");
  CHECK(d["Workers"][0]["Registered"] == true);
  CHECK(d["Workers"][0]["OwnedLeaseCount"] == 1);
  CHECK(d["Workers"][0]["MaxLeasesForWorker"] == 5);
  CHECK(d["Workers"][1]["WorkerId"] == "w2");
  CHECK(d["Workers"][1]["Registered"] == false);
  CHECK(!d["Workers"][1].contains("MaxLeasesForWorker"));  // not registered
  REQUIRE(d["Leases"].size() == 2);  // the worker and leader entries are not
  const json l0 = d["Leases"][0];
  CHECK(l0["leaseKey"] == kShard0);
  CHECK(l0["leaseOwner"] == "w1");
  CHECK(l0["checkpoint"] == s0[0].ToString());
  CHECK(l0["checkpointSubSequenceNumber"] == 0);
  CHECK(l0["HashKeyRange"].contains("StartingHashKey"));
  CHECK(l0["MillisBehindLatest"] == 4500);  // records 2 and 3 wait
  const json l1 = d["Leases"][1];
  CHECK(l1["checkpointSubSequenceNumber"] == 7);
  // A subsequence number: the last record is not done yet.
  CHECK(l1["MillisBehindLatest"] == 4500);

  // Caught up: 0.
  absl::StatusOr<Lease> got = store->GetLease(kShard0);
  REQUIRE(got.ok());
  REQUIRE(store->UpdateCheckpoint(*got, ExtendedSequenceNumber::At(s0.back()))
              .ok());
  r = cli.Run({"describe-consumer-group", "--stream-dir", kDir, "--group",
               "orders-app"});
  REQUIRE(r.code == kExitOk);
  CHECK(
      r.Json()["ConsumerGroupDescription"]["Leases"][0]["MillisBehindLatest"] ==
      0);

  // No such group: exit 1, naming it.
  r = cli.Run(
      {"describe-consumer-group", "--stream-dir", kDir, "--group", "nope"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "consumer group nope"));
}

TEST_CASE("brook CLI: list-consumer-groups lists the groups by name",
          "[cli][group]") {
  GroupCli cli;
  cli.Create(1);
  RunResult r = cli.Run({"list-consumer-groups", "--stream-dir", kDir});
  REQUIRE(r.code == kExitOk);
  CHECK(r.Json()["ConsumerGroups"] == json::array());
  cli.Group("zeta-app");
  cli.Group("alpha-app");
  r = cli.Run({"list-consumer-groups", "--stream-dir", kDir});
  REQUIRE(r.code == kExitOk);
  CHECK(r.Json()["ConsumerGroups"] == json({"alpha-app", "zeta-app"}));
  r = cli.Run({"list-consumer-groups", "--stream-dir", "/none"});
  CHECK(r.code == kExitRuntimeError);
}

TEST_CASE(
    "brook CLI: reset-consumer-group is refused while workers hold "
    "leases, unless forced",
    "[cli][group]") {
  GroupCli cli;
  cli.Create(2);
  const std::vector<SequenceNumber> s0 = cli.Sequences(kShard0);
  std::shared_ptr<LeaseStore> store = cli.Group("orders-app");
  AddLease(*store, kShard0, "w1", ExtendedSequenceNumber::At(s0.back()));
  AddLease(*store, kShard1, "", ExtendedSequenceNumber::ShardEnd());

  // Refused: names the lease and its owner; nothing changes.
  RunResult r =
      cli.Run({"reset-consumer-group", "--stream-dir", kDir, "--group",
               "orders-app", "--position", "TRIM_HORIZON"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "shardId-000000000000 (w1)"));
  CHECK(store->GetLease(kShard0)->checkpoint ==
        ExtendedSequenceNumber::At(s0.back()));
  CHECK(store->GetLease(kShard1)->checkpoint ==
        ExtendedSequenceNumber::ShardEnd());

  // One shard nobody holds: allowed.
  r = cli.Run({"reset-consumer-group", "--stream-dir", kDir, "--group",
               "orders-app", "--position", "AT_TIMESTAMP", "--timestamp",
               "1700000000000", "--shard-id", kShard1});
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  CHECK(r.Json()["Leases"][0]["previousCheckpoint"] == "SHARD_END");
  CHECK(store->GetLease(kShard1)->checkpoint ==
        ExtendedSequenceNumber::AtTimestamp(kStart));
  CHECK(store->GetLease(kShard0)->checkpoint ==
        ExtendedSequenceNumber::At(s0.back()));

  // Forced: moved back, owner cleared.
  r = cli.Run({"reset-consumer-group", "--stream-dir", kDir, "--group",
               "orders-app", "--position", "TRIM_HORIZON", "--force", "true"});
  REQUIRE(r.code == kExitOk);
  absl::StatusOr<Lease> l0 = store->GetLease(kShard0);
  REQUIRE(l0.ok());
  CHECK(l0->checkpoint == ExtendedSequenceNumber::TrimHorizon());
  CHECK(!l0->has_owner());
  CHECK(store->GetLease(kShard1)->checkpoint ==
        ExtendedSequenceNumber::TrimHorizon());

  // Bad arguments: exit 2, nothing read.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"--position", "AT_TIMESTAMP"},
           {"--position", "LATEST", "--timestamp", "5"},
           {"--position", "trim_horizon"},
           {"--position", "LATEST", "--force", "yes"},
       }) {
    std::vector<std::string> full = {"reset-consumer-group", "--stream-dir",
                                     kDir, "--group", "orders-app"};
    full.insert(full.end(), args.begin(), args.end());
    CHECK(cli.Run(full).code == kExitUsage);
  }
  r = cli.Run({"reset-consumer-group", "--stream-dir", kDir, "--group",
               "orders-app", "--position", "LATEST", "--shard-id",
               "shardId-000000000009"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "no lease for shard shardId-000000000009"));
}

#ifdef BROOK_CLI_EXE
int RunGroupBinary(const std::string& args, std::string* output) {
  const std::string base =
      absl::StrCat(std::filesystem::temp_directory_path().string(),
                   "/brook_cli_group_", getpid());
  const std::string command = absl::StrCat(
      BROOK_CLI_EXE, " ", args, " </dev/null >", base, ".out 2>", base, ".err");
  const int status =
      std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe)
  const auto slurp = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), {});
    std::remove(path.c_str());
    return text;
  };
  *output = slurp(base + ".out");
  *output += slurp(base + ".err");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE(
    "brook binary: consumer-group commands on a durable group, a "
    "damaged lease file fails naming it",
    "[cli][group][binary]") {
  const std::string dir =
      absl::StrCat(std::filesystem::temp_directory_path().string(),
                   "/brook_cli_group_dir_", getpid());
  std::filesystem::remove_all(dir);
  const std::string at = " --stream-dir " + dir;
  std::string out;
  REQUIRE(RunGroupBinary("create-stream --shard-count 1" + at, &out) ==
          kExitOk);
  REQUIRE(RunGroupBinary("list-consumer-groups" + at, &out) == kExitOk);
  CHECK(json::parse(out)["ConsumerGroups"] == json::array());
  {
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDurableLeaseStore(dir, "orders-app", DurableLeaseStoreOptions());
    REQUIRE(store.ok());
    AddLease(**store, kShard0, "", ExtendedSequenceNumber::TrimHorizon());
  }
  REQUIRE(RunGroupBinary("list-consumer-groups" + at, &out) == kExitOk);
  CHECK(json::parse(out)["ConsumerGroups"] == json({"orders-app"}));
  REQUIRE(RunGroupBinary("describe-consumer-group --group orders-app" + at,
                         &out) == kExitOk);
  CHECK(
      json::parse(out)["ConsumerGroupDescription"]["Leases"][0]["checkpoint"] ==
      "TRIM_HORIZON");
  REQUIRE(RunGroupBinary("reset-consumer-group --group orders-app --position "
                         "LATEST" +
                             at,
                         &out) == kExitOk);
  CHECK(json::parse(out)["Leases"][0]["checkpoint"] == "LATEST");

  // A flipped byte in the lease file: every command that reads it fails,
  // naming the file.
  const std::string file =
      dir + "/groups/orders-app/shardId-000000000000.lease";
  std::string bytes;
  {
    std::ifstream f(file, std::ios::binary);
    bytes.assign((std::istreambuf_iterator<char>(f)), {});
  }
  REQUIRE(bytes.size() > 20);
  bytes[bytes.size() / 2] ^= 0x20;
  {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f << bytes;
  }
  CHECK(RunGroupBinary("describe-consumer-group --group orders-app" + at,
                       &out) == kExitRuntimeError);
  CHECK(absl::StrContains(out, file));
  CHECK(RunGroupBinary("reset-consumer-group --group orders-app --position "
                       "TRIM_HORIZON --force true" +
                           at,
                       &out) == kExitRuntimeError);
  CHECK(absl::StrContains(out, file));
  std::filesystem::remove_all(dir);
}
#endif  // BROOK_CLI_EXE

}  // namespace
}  // namespace cli
}  // namespace brook
