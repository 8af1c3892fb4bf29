// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The exporter against kinesalite on loopback (skipped, with the reason
// printed, when Node.js or kinesalite is absent): everything arrives in per-key order
// across a reshard, routed by brook's hash keys; an exporter destroyed
// without saving its checkpoint and started again re-sends only a suffix of
// each shard; an export survives kinesalite stopped and started again on the
// same port with its data; a read-only follower of a writer is exported;
// records lost to retention are counted.

#include "brook/exporter.h"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "remote/exporter_testing.h"
#include "remote/kinesalite.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::BaseOptions;
using testing::ClientFor;
using testing::OpenStream;

// Writes records "k<i % keys>:<n>" where n counts per key from `next[key]`.
void Write(Stream* stream, int count, int keys,
           std::map<std::string, int>* next) {
  Producer producer(stream);
  std::vector<std::string> keys_s, data;
  for (int i = 0; i < count; ++i) {
    const std::string key = absl::StrCat("k", i % keys);
    keys_s.push_back(key);
    data.push_back(absl::StrCat(key, ":", (*next)[key]++));
  }
  for (size_t start = 0; start < keys_s.size(); start += 250) {
    std::vector<PutRecordsEntry> entries;
    for (size_t i = start; i < std::min(keys_s.size(), start + 250); ++i) {
      entries.push_back({keys_s[i], data[i], {}});
    }
    absl::StatusOr<PutRecordsResult> r = producer.PutRecords(entries);
    REQUIRE(r.status() == absl::OkStatus());
    REQUIRE(r->failed_record_count == 0);
  }
}

struct RemoteRecord {
  std::string shard_id;
  std::string key;
  int n = 0;
};

// Every record of the remote stream, per shard in shard order.
std::vector<RemoteRecord> ReadRemote(KinesisClient* client,
                                     const std::string& stream) {
  std::vector<RemoteRecord> out;
  absl::StatusOr<std::vector<KinesisShard>> shards = client->ListShards(stream);
  REQUIRE(shards.status() == absl::OkStatus());
  for (const KinesisShard& shard : *shards) {
    absl::StatusOr<std::string> it =
        client->GetShardIterator(stream, shard.shard_id, {});
    REQUIRE(it.status() == absl::OkStatus());
    std::string iterator = *it;
    while (!iterator.empty()) {
      absl::StatusOr<KinesisGetRecordsResult> r = client->GetRecords(iterator);
      REQUIRE(r.status() == absl::OkStatus());
      for (const KinesisRecord& rec : r->records) {
        std::vector<std::string> parts = absl::StrSplit(rec.data, ':');
        REQUIRE(parts.size() == 2);
        RemoteRecord rr;
        rr.shard_id = shard.shard_id;
        rr.key = rec.partition_key;
        REQUIRE(parts[0] == rr.key);
        REQUIRE(absl::SimpleAtoi(parts[1], &rr.n));
        out.push_back(rr);
      }
      if (r->records.empty()) break;
      iterator = r->next_shard_iterator;
    }
  }
  return out;
}

// Per key, the numbers in remote order.
std::map<std::string, std::vector<int>> ByKey(
    const std::vector<RemoteRecord>& records) {
  std::map<std::string, std::vector<int>> out;
  std::map<std::string, std::string> shard_of;
  for (const RemoteRecord& r : records) {
    out[r.key].push_back(r.n);
    auto [it, fresh] = shard_of.emplace(r.key, r.shard_id);
    CHECK(it->second == r.shard_id);  // one key, one remote shard
  }
  return out;
}

// 0, 1, ..., n-1.
std::vector<int> Iota(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

// True if `got` is 0..m-1 followed by j..n-1 for some j <= m (a re-sent
// suffix), counting the duplicates.
bool PrefixThenSuffix(const std::vector<int>& got, int n, int* duplicates) {
  size_t m = 0;
  while (m < got.size() && got[m] == static_cast<int>(m)) ++m;
  if (m == got.size()) {
    *duplicates = 0;
    return static_cast<int>(m) == n;
  }
  const int j = got[m];
  if (j > static_cast<int>(m)) return false;
  std::vector<int> rest(got.begin() + static_cast<long>(m), got.end());
  std::vector<int> want;
  for (int i = j; i < n; ++i) want.push_back(i);
  *duplicates = static_cast<int>(m) - j;
  return rest == want;
}

TEST_CASE("Exporter: everything arrives in per-key order across reshards",
          "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 3));
  testing::TempDir dir;
  auto stream = OpenStream(dir.Sub("s"), 2);
  std::map<std::string, int> next;
  Write(stream.get(), 300, 10, &next);
  BROOK_REQUIRE_OK(stream->SplitShard(
      "shardId-000000000000", HashKeyToString(absl::uint128(1) << 126)));
  Write(stream.get(), 300, 10, &next);
  BROOK_REQUIRE_OK(
      stream->MergeShards("shardId-000000000002", "shardId-000000000003"));
  Write(stream.get(), 300, 10, &next);
  // Two records whose explicit hash keys route them apart from their MD5.
  Producer producer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("x", "x:0", "0").status());
  BROOK_REQUIRE_OK(
      producer.PutRecord("y", "y:0", HashKeyToString(~absl::uint128(0)))
          .status());

  ExporterOptions options = BaseOptions(dir.Sub("s"));
  options.batch_records = 64;  // several requests, shards mixed in them
  auto exporter = Exporter::Create(stream.get(), client.get(), options);
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  const ExportProgress p = (*exporter)->progress();
  CHECK(p.records_sent == 902);
  CHECK(p.records_lost == 0);
  CHECK(p.failed_requests == 0);
  CHECK(p.shards_finished == 3);  // 0 split into 2 and 3, merged into 4

  const std::vector<RemoteRecord> remote = ReadRemote(client.get(), "remote");
  const auto by_key = ByKey(remote);
  for (int k = 0; k < 10; ++k) {
    const std::string key = absl::StrCat("k", k);
    INFO(key);
    CHECK(by_key.at(key) == Iota(90));
  }
  absl::StatusOr<std::vector<KinesisShard>> shards =
      client->ListShards("remote");
  REQUIRE(shards.status() == absl::OkStatus());
  for (const RemoteRecord& r : remote) {
    if (r.key == "x") CHECK(r.shard_id == shards->front().shard_id);
    if (r.key == "y") CHECK(r.shard_id == shards->back().shard_id);
  }

  // A second run sends nothing new.
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  CHECK((*exporter)->progress().records_sent == 902);
  exporter->reset();  // one exporter per checkpoint at a time
  auto again = Exporter::Create(stream.get(), client.get(), options);
  BROOK_REQUIRE_OK(again.status());
  BROOK_REQUIRE_OK((*again)->RunUntilCaughtUp());
  CHECK((*again)->progress().records_sent == 0);
  CHECK((*again)->progress().total_records_exported == 902);
}

TEST_CASE(
    "Exporter: destroyed without saving, a new one re-sends only a suffix",
    "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 2));
  testing::TempDir dir;
  auto stream = OpenStream(dir.Sub("s"), 1);
  std::map<std::string, int> next;
  Write(stream.get(), 1000, 7, &next);

  ExporterOptions options = BaseOptions(dir.Sub("s"));
  options.batch_records = 100;
  options.checkpoint_interval = absl::Hours(1);
  {
    auto first = Exporter::Create(stream.get(), client.get(), options);
    BROOK_REQUIRE_OK(first.status());
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<int64_t> n = (*first)->ExportBatch();
      BROOK_REQUIRE_OK(n.status());
      REQUIRE(*n == 100);
    }
    BROOK_REQUIRE_OK((*first)->SaveCheckpoint());
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<int64_t> n = (*first)->ExportBatch();
      BROOK_REQUIRE_OK(n.status());
      REQUIRE(*n == 100);
    }
  }  // "crashes": 200 acknowledged records are not in the checkpoint
  auto second = Exporter::Create(stream.get(), client.get(), options);
  BROOK_REQUIRE_OK(second.status());
  BROOK_REQUIRE_OK((*second)->RunUntilCaughtUp());
  CHECK((*second)->progress().records_sent == 700);
  CHECK((*second)->progress().total_records_exported == 1000);

  int duplicates = 0;
  for (const auto& [key, numbers] : ByKey(ReadRemote(client.get(), "remote"))) {
    INFO(key);
    int d = 0;
    CHECK(PrefixThenSuffix(numbers, next[key], &d));
    duplicates += d;
  }
  CHECK(duplicates == 200);
}

// Signals once, from any thread; waited on without a timeout.
class Latch {
 public:
  void Signal() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

TEST_CASE("Exporter: resumes when kinesalite is stopped and started again",
          "[remote]") {
  testing::TempDir dir;
  const int port = testing::UnusedLoopbackPort();
  REQUIRE(port > 0);
  const std::string db = dir.Sub("kinesalite");
  std::unique_ptr<testing::Kinesalite> server;
  {
    auto started = testing::Kinesalite::Start(port, db);
    if (absl::IsFailedPrecondition(started.status())) {
      WARN("SKIPPED: " << started.status().message());
      return;
    }
    REQUIRE(started.status() == absl::OkStatus());
    server = std::move(*started);
  }
  // No retries inside the client: the exporter's own back-off does them.
  auto client = ClientFor(server->endpoint(), absl::ZeroDuration());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 2));
  auto stream = OpenStream(dir.Sub("s"), 2);
  std::map<std::string, int> next;
  Write(stream.get(), 200, 5, &next);

  ExporterOptions options = BaseOptions(dir.Sub("s"));
  options.batch_records = 50;
  Latch failed;
  std::atomic<int> retries{0};
  options.on_retry = [&](const absl::Status& s) {
    CHECK(absl::IsUnavailable(s));
    if (retries.fetch_add(1) == 0) failed.Signal();
  };
  auto exporter = Exporter::Create(stream.get(), client.get(), options);
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  CHECK(retries.load() == 0);

  server.reset();  // the service goes away, its data kept in `db`
  Write(stream.get(), 300, 5, &next);  // buffered locally meanwhile
  absl::Status run;
  std::thread t([&] { run = (*exporter)->RunUntilCaughtUp(); });
  failed.Wait();  // the exporter has met the outage
  auto restarted = testing::Kinesalite::Start(port, db);
  if (!restarted.ok()) {
    (*exporter)->Stop();
    t.join();
  }
  REQUIRE(restarted.status() == absl::OkStatus());
  server = std::move(*restarted);
  t.join();
  BROOK_REQUIRE_OK(run);
  const ExportProgress p = (*exporter)->progress();
  CHECK(p.records_sent == 500);
  CHECK(p.failed_requests >= 1);
  CHECK(absl::IsUnavailable(p.last_error));

  for (const auto& [key, numbers] : ByKey(ReadRemote(client.get(), "remote"))) {
    INFO(key);
    CHECK(numbers == Iota(next[key]));
  }
}

TEST_CASE("Exporter: Stop() ends a run waiting for records, which saves",
          "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 1));
  testing::TempDir dir;
  auto stream = OpenStream(dir.Sub("s"), 1);
  std::map<std::string, int> next;
  Write(stream.get(), 10, 2, &next);
  ExporterOptions options = BaseOptions(dir.Sub("s"));
  options.checkpoint_interval = absl::Hours(1);
  options.poll_interval = absl::Seconds(30);  // Stop() must not wait for it
  auto exporter = Exporter::Create(stream.get(), client.get(), options);
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  CHECK((*exporter)->progress().records_sent == 10);
  const int64_t saved = (*exporter)->progress().checkpoints_saved;
  // The run finds nothing and waits (up to 30 s a time) until the stop,
  // whether it comes before or during the wait.
  absl::Status run = absl::UnknownError("not run");
  std::thread t([&] { run = (*exporter)->Run(); });
  (*exporter)->Stop();
  t.join();
  BROOK_REQUIRE_OK(run);
  CHECK((*exporter)->progress().checkpoints_saved == saved + 1);
  CHECK(absl::IsCancelled((*exporter)->ExportBatch().status()));
  CHECK(absl::IsCancelled((*exporter)->RunUntilCaughtUp()));
  BROOK_REQUIRE_OK((*exporter)->Run());  // returns at once, having saved
}

TEST_CASE("Exporter: a read-only follower of a writer is exported",
          "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 2));
  testing::TempDir dir;
  auto writer = OpenStream(dir.Sub("s"), 1);
  std::map<std::string, int> next;
  Write(writer.get(), 100, 4, &next);
  absl::StatusOr<std::unique_ptr<Stream>> follower =
      Stream::Open(dir.Sub("s"), StreamOptions(), OpenMode::kReadOnly);
  BROOK_REQUIRE_OK(follower.status());
  auto exporter = Exporter::Create(follower->get(), client.get(),
                                   BaseOptions(dir.Sub("s")));
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  CHECK((*exporter)->progress().records_sent == 100);
  // The writer appends and reshards; the follower sees it.
  BROOK_REQUIRE_OK(writer->SplitShard(
      "shardId-000000000000", HashKeyToString(absl::uint128(1) << 127)));
  Write(writer.get(), 100, 4, &next);
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  CHECK((*exporter)->progress().records_sent == 200);
  // The checkpoint in <dir>/exports/ does not disturb the stream's reopen.
  CHECK(std::filesystem::exists(dir.Sub("s/exports/remote.checkpoint")));
  exporter->reset();
  follower->reset();
  writer.reset();
  StreamOptions reopen;
  reopen.accept_stored_options = true;
  BROOK_REQUIRE_OK(
      Stream::Open(dir.Sub("s"), reopen, OpenMode::kMustExist).status());
  for (const auto& [key, numbers] : ByKey(ReadRemote(client.get(), "remote"))) {
    INFO(key);
    CHECK(numbers == Iota(next[key]));
  }
}

TEST_CASE(
    "Exporter: records retention removed first are counted, not lost "
    "silently",
    "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 1));
  testing::TempDir dir;
  ManualClockEnv clock(1'000'000'000'000);
  StreamOptions stream_options;
  stream_options.name = "local";
  stream_options.shard_count = 1;
  stream_options.retention_period = absl::Hours(24);
  stream_options.env = &clock;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Create(stream_options);
  BROOK_REQUIRE_OK(stream.status());
  std::map<std::string, int> next;
  Write(stream->get(), 10, 1, &next);
  ExporterOptions options = BaseOptions(dir.path());
  options.checkpoint_path = dir.Sub("checkpoint");
  std::vector<std::pair<std::string, uint64_t>> losses;
  options.on_loss = [&](const std::string& shard, uint64_t n) {
    losses.emplace_back(shard, n);
  };
  auto exporter = Exporter::Create(stream->get(), client.get(), options);
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  Write(stream->get(), 30, 1, &next);  // k0:10 .. k0:39
  clock.Advance(absl::Hours(25));      // all 40 expire
  Write(stream->get(), 5, 1, &next);   // k0:40 .. k0:44
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  const ExportProgress p = (*exporter)->progress();
  CHECK(p.records_lost == 30);
  CHECK(p.records_sent == 15);
  REQUIRE(losses.size() == 1);
  CHECK(losses[0].first == "shardId-000000000000");
  CHECK(losses[0].second == 30);
  // The count is persisted.
  exporter->reset();
  auto again = Exporter::Create(stream->get(), client.get(), options);
  BROOK_REQUIRE_OK(again.status());
  CHECK((*again)->progress().records_lost == 30);
}

TEST_CASE("Exporter: durable_only exports only what the writer has synced",
          "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 1));
  testing::TempDir dir;
  auto stream = OpenStream(dir.Sub("s"), 1);  // Durability::kNone
  std::map<std::string, int> next;
  Write(stream.get(), 10, 2, &next);
  ExporterOptions options = BaseOptions(dir.Sub("s"));
  options.durable_only = true;
  auto exporter = Exporter::Create(stream.get(), client.get(), options);
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  CHECK((*exporter)->progress().records_sent == 0);
  BROOK_REQUIRE_OK(stream->Sync());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  CHECK((*exporter)->progress().records_sent == 10);

  // A stream in memory has nothing durable: a clear error, not a hang.
  StreamOptions memory_options;
  memory_options.name = "local";
  absl::StatusOr<std::unique_ptr<Stream>> memory =
      Stream::Create(memory_options);
  BROOK_REQUIRE_OK(memory.status());
  options.checkpoint_path = dir.Sub("memory.checkpoint");
  auto on_memory = Exporter::Create(memory->get(), client.get(), options);
  BROOK_REQUIRE_OK(on_memory.status());
  BROOK_REQUIRE_OK(Producer(memory->get()).PutRecord("k", "v").status());
  CHECK(absl::IsFailedPrecondition((*on_memory)->RunUntilCaughtUp()));
}

}  // namespace
}  // namespace brook
