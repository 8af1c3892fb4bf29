// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Durable streams: reopen, segments, indexes, retention on disk, locking,
// read-only opens and durability policies.

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "store/mmap_segment_store.h"
#include "store/store_testing.h"
#include "stream/sequence.h"
#include "testing/barrier.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::AppendBatch;
using testing::CheckNumbered;
using testing::Crash;
using testing::OpenOrDie;
using testing::OwnedRecord;
using testing::ReadShard;
using testing::TempDir;

std::vector<std::string> SegmentFiles(const std::string& shard_dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(shard_dir)) {
    // Not *.recycle: dropped files kept for reuse, outside the log.
    if (e.path().extension() == ".seg") {
      names.push_back(e.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST_CASE("MmapSegmentStore: reopen gives back every record and the options",
          "[store]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  ManualClockEnv clock(1'700'000'000'000);
  StreamOptions options;
  options.name = "orders";
  options.shard_count = 3;
  options.segment_bytes = 64 << 10;
  options.retention_period = absl::Milliseconds(int64_t{7} * 24 * 3600 * 1000);
  options.env = &clock;
  const bool clean = GENERATE(true, false);
  INFO((clean ? "clean close" : "crash"));

  std::map<std::string, std::vector<OwnedRecord>> written;
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
    Producer producer(stream.get());
    for (int i = 0; i < 3000; ++i) {
      clock.Advance(absl::Milliseconds(i % 7));
      const std::string key = absl::StrCat("k", i % 101);
      const std::string data(static_cast<size_t>(i % 300),
                             static_cast<char>('a' + i % 26));
      const std::string ehk =
          i % 5 == 0 ? absl::StrCat(int64_t{i} * 1000003) : "";
      absl::StatusOr<PutRecordResult> put = producer.PutRecord(key, data, ehk);
      BROOK_REQUIRE_OK(put);
    }
    for (const ShardDescription& d : stream->ListShards()) {
      absl::StatusOr<std::vector<OwnedRecord>> r =
          ReadShard(stream.get(), d.shard_id);
      BROOK_REQUIRE_OK(r);
      written[d.shard_id] = *r;
    }
    if (clean) {
      BROOK_REQUIRE_OK(stream->Close());
    } else {
      Crash(std::move(stream));
    }
  }
  StreamOptions other;  // the stored options come from the stream
  other.accept_stored_options = true;
  other.env = &clock;
  std::unique_ptr<Stream> stream = OpenOrDie(dir, other, OpenMode::kMustExist);
  CHECK(stream->options().name == "orders");
  CHECK(stream->options().shard_count == 3);
  CHECK(stream->options().segment_bytes == (64 << 10));
  CHECK(stream->options().retention_period == options.retention_period);
  CHECK(stream->recovery_report().clean_shutdown == clean);
  CHECK(stream->recovery_report().problems.empty());
  size_t total = 0;
  for (const ShardDescription& d : stream->ListShards()) {
    absl::StatusOr<std::vector<OwnedRecord>> r =
        ReadShard(stream.get(), d.shard_id);
    BROOK_REQUIRE_OK(r);
    CHECK(*r == written[d.shard_id]);
    total += r->size();
  }
  CHECK(total == 3000);
  CHECK(stream->DescribeStream().stored_bytes > 3000 * 24);

  // Appends continue after the recovered records, with greater numbers.
  Producer producer(stream.get());
  absl::StatusOr<PutRecordResult> put = producer.PutRecord("k1", "after");
  BROOK_REQUIRE_OK(put);
  const std::vector<OwnedRecord>& before = written[std::string(put->shard_id)];
  REQUIRE(!before.empty());
  CHECK(before.back().sequence_number < put->sequence_number);
}

TEST_CASE("MmapSegmentStore: segments roll by size and seeks use the index",
          "[store]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  ManualClockEnv clock(1'000'000);
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  options.env = &clock;
  std::vector<SequenceNumber> firsts;
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
    for (int b = 0; b < 200; ++b) {
      clock.Advance(absl::Milliseconds(10));
      firsts.push_back(AppendBatch(stream.get(), b * 10, 10, 100));
    }
    BROOK_REQUIRE_OK(stream->Close());
  }
  const std::vector<std::string> files =
      SegmentFiles(dir + "/shardId-000000000000");
  REQUIRE(files.size() >= 4);
  CHECK(files.front() == "00000000000000000001.seg");
  CHECK(std::filesystem::file_size(dir + "/shardId-000000000000/" +
                                   files.front()) == (64u << 10));

  std::unique_ptr<Stream> stream =
      OpenOrDie(dir, options, OpenMode::kMustExist);
  testing::CheckShardNumbered(stream.get(), 2000);
  // AT_SEQUENCE_NUMBER in a middle segment.
  absl::StatusOr<std::vector<OwnedRecord>> from =
      ReadShard(stream.get(), "shardId-000000000000",
                StartingPosition::AtSequenceNumber(firsts[123]));
  BROOK_REQUIRE_OK(from);
  REQUIRE(from->size() == 2000 - 1230);
  CHECK(from->front().data.substr(0, 5) == "r1230");
  // AT_TIMESTAMP: batch b arrived at 1'000'000 + 10 * (b + 1).
  absl::StatusOr<std::vector<OwnedRecord>> at =
      ReadShard(stream.get(), "shardId-000000000000",
                StartingPosition::AtTimestamp(1'000'000 + 10 * 151));
  BROOK_REQUIRE_OK(at);
  REQUIRE(at->size() == 2000 - 1500);
  CHECK(at->front().arrival == 1'000'000 + 10 * 151);
}

TEST_CASE("MmapSegmentStore: segments roll by age", "[store]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  ManualClockEnv clock(1'000'000);
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  options.segment_roll_age = absl::Milliseconds(1000);
  options.env = &clock;
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
    for (int b = 0; b < 10; ++b) {
      AppendBatch(stream.get(), b, 1);
      clock.Advance(
          absl::Milliseconds(400));  // a new segment every third batch
    }
    BROOK_REQUIRE_OK(stream->Close());
  }
  CHECK(SegmentFiles(dir + "/shardId-000000000000") ==
        std::vector<std::string>{
            "00000000000000000001.seg", "00000000000000000004.seg",
            "00000000000000000007.seg", "00000000000000000010.seg"});
  std::unique_ptr<Stream> stream =
      OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(stream->options().segment_roll_age == absl::Seconds(1));
  testing::CheckShardNumbered(stream.get(), 10);
}

TEST_CASE("MmapSegmentStore: open modes", "[store]") {
  TempDir tmp;
  StreamOptions options;
  SECTION("kMustExist and kReadOnly need a stream") {
    BROOK_CHECK_CODE(
        Stream::Open(tmp.Sub("none"), options, OpenMode::kMustExist),
        kNotFound);
    BROOK_CHECK_CODE(
        Stream::Open(tmp.Sub("none"), options, OpenMode::kReadOnly), kNotFound);
    CHECK(!std::filesystem::exists(tmp.Sub("none")));
  }
  SECTION("bad options are rejected before anything is created") {
    options.segment_bytes = 1;
    BROOK_CHECK_CODE(
        Stream::Open(tmp.Sub("bad"), options, OpenMode::kCreateIfMissing),
        kInvalidArgument);
    CHECK(!std::filesystem::exists(tmp.Sub("bad")));
  }
  SECTION(
      "a second writer is refused; read-only opens work beside the writer") {
    std::unique_ptr<Stream> writer = OpenOrDie(tmp.Sub("s"), options);
    AppendBatch(writer.get(), 0, 5);
    absl::StatusOr<std::unique_ptr<Stream>> second =
        Stream::Open(tmp.Sub("s"), options, OpenMode::kMustExist);
    BROOK_CHECK_CODE(second, kFailedPrecondition);
    CHECK(second.status().message().find(tmp.Sub("s")) !=
          absl::string_view::npos);

    std::unique_ptr<Stream> reader =
        OpenOrDie(tmp.Sub("s"), options, OpenMode::kReadOnly);
    testing::CheckShardNumbered(reader.get(), 5);
    absl::StatusOr<Shard*> shard = reader->GetShard("shardId-000000000000");
    REQUIRE(shard.ok());
    RoutedRecord rec;
    rec.partition_key = "k";
    rec.data = "d";
    BROOK_CHECK_CODE((*shard)->Append({&rec, 1}), kFailedPrecondition);
    BROOK_CHECK_CODE(reader->WaitForDurable(
                         "shardId-000000000000",
                         SequenceNumber::FromValue(absl::MakeUint128(1, 0)),
                         absl::ZeroDuration()),
                     kFailedPrecondition);
    // The writer still works, and after it closes another can open.
    AppendBatch(writer.get(), 5, 5);
    BROOK_REQUIRE_OK(writer->Close());
    BROOK_CHECK_CODE(writer->Sync(), kFailedPrecondition);
    absl::StatusOr<Shard*> closed_shard =
        writer->GetShard("shardId-000000000000");
    REQUIRE(closed_shard.ok());
    BROOK_CHECK_CODE((*closed_shard)->Append({&rec, 1}), kFailedPrecondition);
    std::unique_ptr<Stream> again =
        OpenOrDie(tmp.Sub("s"), options, OpenMode::kMustExist);
    testing::CheckShardNumbered(again.get(), 10);
  }
}

TEST_CASE("MmapSegmentStore: durability policies and WaitForDurable",
          "[store]") {
  TempDir tmp;
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  auto* synced_position = +[](Stream* s) {
    return static_cast<internal::StreamImpl*>(s)
        ->durable_store()
        ->SyncedPosition(0);
  };
  SECTION("kAlways syncs before acknowledging") {
    options.durability = Durability::kAlways;
    std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("a"), options);
    for (int b = 0; b < 30; ++b) {
      AppendBatch(stream.get(), b * 50, 50, 100);  // rolls segments
      CHECK(synced_position(stream.get()) == uint64_t(1 + (b + 1) * 50));
    }
  }
  SECTION("kNone syncs when asked") {
    std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("n"), options);
    const SequenceNumber first = AppendBatch(stream.get(), 0, 10);
    CHECK(synced_position(stream.get()) <= 1);
    BROOK_REQUIRE_OK(stream->WaitForDurable("shardId-000000000000", first,
                                            absl::ZeroDuration()));
    CHECK(synced_position(stream.get()) == 11);
    AppendBatch(stream.get(), 10, 10);
    BROOK_REQUIRE_OK(stream->Sync());
    CHECK(synced_position(stream.get()) == 21);
    // Not appended yet: times out.
    const SequenceNumber later =
        SequenceNumber::FromValue(absl::MakeUint128(100, 0));
    BROOK_CHECK_CODE(stream->WaitForDurable("shardId-000000000000", later,
                                            absl::Milliseconds(1)),
                     kDeadlineExceeded);
    BROOK_CHECK_CODE(
        stream->WaitForDurable("nope", first, absl::ZeroDuration()), kNotFound);
    // A remote stream's number (2^128 or more) whose low bits equal a
    // number this shard issued is not this shard's.
    absl::Status remote = stream->WaitForDurable(
        "shardId-000000000000", SequenceNumber::FromParts(1, first.value()),
        absl::ZeroDuration());
    BROOK_CHECK_CODE(remote, kInvalidArgument);
    CHECK(remote.message().find("not issued by this stream") !=
          absl::string_view::npos);
  }
  SECTION("kGroupCommit syncs every group_commit_bytes") {
    options.durability = Durability::kGroupCommit;
    options.group_commit_bytes = 8 << 10;
    options.group_commit_interval = absl::Milliseconds(0);
    std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("g"), options);
    AppendBatch(stream.get(), 0, 10, 100);  // ~1.3 KiB
    CHECK(synced_position(stream.get()) <= 1);
    for (int b = 1; b < 8; ++b) AppendBatch(stream.get(), b * 10, 10, 100);
    CHECK(synced_position(stream.get()) > 1);
  }
  SECTION("kGroupCommit syncs after group_commit_interval") {
    ManualClockEnv clock(1'000'000);
    options.env = &clock;
    options.durability = Durability::kGroupCommit;
    options.group_commit_bytes = 0;
    options.group_commit_interval = absl::Milliseconds(4);
    std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("t"), options);
    const SequenceNumber n = AppendBatch(stream.get(), 0, 10);
    clock.Advance(absl::Milliseconds(4));
    // The background syncer runs on the Env's clock; waiting for its group
    // commit syncs nothing itself.
    BROOK_REQUIRE_OK(stream->WaitForDurable("shardId-000000000000", n,
                                            absl::InfiniteDuration(),
                                            DurableWait::kGroupCommit));
    CHECK(synced_position(stream.get()) == 11);
  }
  SECTION("a memory stream has nothing to wait for") {
    absl::StatusOr<std::unique_ptr<Stream>> mem = Stream::Create(options);
    REQUIRE(mem.ok());
    const SequenceNumber first = AppendBatch(mem->get(), 0, 1);
    BROOK_CHECK_CODE((*mem)->WaitForDurable("shardId-000000000000", first,
                                            absl::ZeroDuration()),
                     kFailedPrecondition);
    BROOK_CHECK_OK((*mem)->Sync());
    BROOK_CHECK_OK((*mem)->Close());
  }
}

TEST_CASE(
    "MmapSegmentStore: retention removes segment files, readers keep theirs",
    "[store]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  ManualClockEnv clock(1'000'000);
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  options.retention_period = absl::Milliseconds(1000);
  options.env = &clock;
  const std::string shard_dir = dir + "/shardId-000000000000";
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  for (int b = 0; b < 100; ++b) AppendBatch(stream.get(), b * 10, 10, 100);
  const size_t files_before = SegmentFiles(shard_dir).size();
  REQUIRE(files_before >= 3);

  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  REQUIRE(it.ok());
  absl::StatusOr<GetRecordsResult> held = consumer.GetRecords(*it);
  REQUIRE(held.ok());
  REQUIRE(!held->records().empty());

  clock.Advance(absl::Milliseconds(2000));
  CHECK(stream->TrimExpired() == 1000);
  // Every file is gone but the empty one that says where the shard goes on.
  CHECK(SegmentFiles(shard_dir) ==
        std::vector<std::string>{"00000000000000001001.seg"});
  // The records read before are still readable: the map outlives the file.
  CHECK(held->records().front().data.substr(0, 2) == "r0");
  CHECK(held->records().back().data.substr(0, 1) == "r");

  // Positions go on after a reopen, even with every record trimmed.
  BROOK_REQUIRE_OK(stream->Close());
  stream = OpenOrDie(dir, options, OpenMode::kMustExist);
  const SequenceNumber next = AppendBatch(stream.get(), 0, 1);
  CHECK(internal::PositionOf(next) == 1001);
}

TEST_CASE(
    "MmapSegmentStore: a read-only stream's records stay intact while "
    "the writer drops and reuses segments",
    "[store]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const StreamOptions options = testing::DropOldestOptions();
  std::unique_ptr<Stream> writer = OpenOrDie(dir, options);
  for (int b = 0; b < 100; ++b) AppendBatch(writer.get(), b * 10, 10, 100);
  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  Consumer consumer(reader.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  REQUIRE(it.ok());
  absl::StatusOr<GetRecordsResult> held = consumer.GetRecords(*it);
  REQUIRE(held.ok());
  REQUIRE(held->records().size() > 100);
  std::vector<std::string> copies;
  for (const Record& r : held->records()) copies.emplace_back(r.data);
  // The writer drops every segment the reader maps, many times over.
  for (int b = 100; b < 1000; ++b) AppendBatch(writer.get(), b * 10, 10, 100);
  for (size_t i = 0; i < copies.size(); ++i) {
    REQUIRE(held->records()[i].data == copies[i]);
  }
  // Once the reader is gone, dropped files are reused again.
  held = absl::StatusOr<GetRecordsResult>(absl::CancelledError(""));
  reader.reset();
  for (int b = 1000; b < 1400; ++b) AppendBatch(writer.get(), b * 10, 10, 100);
  size_t recycled = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/shardId-000000000000")) {
    if (e.path().extension() == ".recycle") ++recycled;
  }
  CHECK(recycled >= 1);
}

TEST_CASE("MmapSegmentStore: byte retention drops the oldest files",
          "[store]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const StreamOptions options = testing::DropOldestOptions();
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  for (int b = 0; b < 400; ++b) AppendBatch(stream.get(), b * 10, 10, 100);
  const std::vector<std::string> files =
      SegmentFiles(dir + "/shardId-000000000000");
  CHECK(files.size() <= 5);
  CHECK(files.front() != "00000000000000000001.seg");
  BROOK_REQUIRE_OK(stream->Close());
  stream = OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(stream->DescribeStream().stored_bytes <= (320 << 10));
  absl::StatusOr<std::vector<OwnedRecord>> r =
      ReadShard(stream.get(), "shardId-000000000000");
  BROOK_REQUIRE_OK(r);
  REQUIRE(!r->empty());
  CHECK(r->back().data.substr(0, 5) == "r3999");
}

TEST_CASE(
    "Concurrency: durable appends, syncs, reads and retention from many "
    "threads",
    "[store][concurrency]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions options = testing::DropOldestOptions();
  options.shard_count = 2;
  options.retention_bytes = 1 << 20;
  options.durability = Durability::kGroupCommit;
  options.group_commit_bytes = 32 << 10;
  options.group_commit_interval = absl::Milliseconds(1);
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  const std::vector<ShardDescription> shards = stream->ListShards();
  constexpr int kWriters = 2;  // one per shard
  constexpr int kBatches = 400;
  testing::Barrier start(kWriters + 2);
  std::vector<std::thread> threads;
  std::atomic<bool> done{false};
  // Catch2 v2 assertions are not thread-safe: threads count failures.
  std::atomic<int> failures{0};
  const auto expect = [&failures](bool ok) {
    if (!ok) failures.fetch_add(1);
    return ok;
  };
  std::vector<SequenceNumber> last(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Shard* shard = *stream->GetShard(shards[w].shard_id);
      const std::string data(200, static_cast<char>('a' + w));
      std::vector<RoutedRecord> batch(
          10, RoutedRecord{"k", data,
                           shards[w].hash_key_range.starting_hash_key, true});
      start.ArriveAndWait();
      for (int b = 0; b < kBatches; ++b) {
        absl::StatusOr<SequenceNumber> n = shard->Append(batch);
        if (!expect(n.ok())) return;
        last[w] = *n;
        if (b % 50 == 0) {
          expect(
              stream->WaitForDurable(shards[w].shard_id, *n, absl::Seconds(10))
                  .ok());
        }
      }
    });
  }
  // A syncer and a reader beside the writers.
  threads.emplace_back([&] {
    start.ArriveAndWait();
    while (!done.load()) expect(stream->Sync().ok());
  });
  threads.emplace_back([&] {
    start.ArriveAndWait();
    Consumer consumer(stream.get());
    while (!done.load()) {
      for (const ShardDescription& d : shards) {
        absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
            d.shard_id, StartingPosition::TrimHorizon());
        if (!expect(it.ok())) return;
        absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
        if (!expect(r.ok())) return;
        for (const Record& rec : r->records()) {
          expect(rec.data.size() == 200 && rec.data[0] == rec.data[199]);
        }
      }
    }
  });
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  done.store(true);
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  REQUIRE(failures.load() == 0);
  for (int w = 0; w < kWriters; ++w) {
    BROOK_REQUIRE_OK(stream->WaitForDurable(shards[w].shard_id, last[w],
                                            absl::ZeroDuration()));
  }
  BROOK_REQUIRE_OK(stream->Close());
  stream = OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(stream->recovery_report().problems.empty());
  for (int w = 0; w < kWriters; ++w) {
    absl::StatusOr<std::vector<OwnedRecord>> r =
        ReadShard(stream.get(), shards[w].shard_id);
    BROOK_REQUIRE_OK(r);
    REQUIRE(!r->empty());
    CHECK(r->back().sequence_number.value() ==
          last[w].value() + absl::MakeUint128(9, 0));
  }
}

}  // namespace
}  // namespace brook
