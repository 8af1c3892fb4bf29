// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Read-only opens that follow the writer (OpenMode::kReadOnly with
// StreamOptions::follow, the default): a writing Stream and a read-only
// Stream of the same directory in this process, which share nothing but the
// files, as two processes would.

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "store/batch_format.h"
#include "store/store_testing.h"
#include "testing/barrier.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include "util/coding.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

using testing::AppendBatch;
using testing::CheckNumbered;
using testing::OpenOrDie;
using testing::OwnedRecord;
using testing::TempDir;

constexpr char kShard0[] = "shardId-000000000000";

StreamOptions SmallSegments() {
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  return options;
}

std::unique_ptr<Stream> OpenFollower(const std::string& dir,
                                     StreamOptions options = StreamOptions()) {
  return OpenOrDie(dir, options, OpenMode::kReadOnly);
}

// Reads from `*it` to the current end of the shard, appending to `out`, and
// leaves `*it` where the next read starts (invalid at a closed shard's end).
void ReadOn(Consumer& consumer, ShardIterator* it,
            std::vector<OwnedRecord>* out,
            const GetRecordsOptions& options = GetRecordsOptions()) {
  while (it->valid()) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, options);
    BROOK_REQUIRE_OK(r);
    for (const Record& rec : r->records()) {
      out->push_back({rec.sequence_number,
                      rec.approximate_arrival_timestamp_millis, rec.hash_key,
                      rec.has_explicit_hash_key, std::string(rec.partition_key),
                      std::string(rec.data)});
    }
    *it = r->next_shard_iterator();
    if (r->records().empty()) break;
  }
}

ShardIterator TrimHorizon(Consumer& consumer, const std::string& shard) {
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(shard, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  return *it;
}

TEST_CASE("Follow: appends appear and WaitForRecords wakes",
          "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, SmallSegments());
  AppendBatch(writer.get(), 0, 3);
  std::unique_ptr<Stream> follower = OpenFollower(dir);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  std::vector<OwnedRecord> seen;
  ReadOn(consumer, &it, &seen);
  REQUIRE(seen.size() == 3);

  // The follower waits first; the writer appends after it is about to.
  testing::Barrier ready(2);
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    ready.ArriveAndWait();
    woke = consumer.WaitForRecords(it, absl::Seconds(60));
  });
  ready.ArriveAndWait();
  AppendBatch(writer.get(), 3, 4);
  waiter.join();
  CHECK(woke);
  ReadOn(consumer, &it, &seen);
  CheckNumbered(seen, 7);

  // Many small appends, each seen once, in order.
  for (int i = 7; i < 200; i += 3) {
    AppendBatch(writer.get(), i, 3);
    REQUIRE(consumer.WaitForRecords(it, absl::Seconds(60)));
    ReadOn(consumer, &it, &seen);
  }
  CheckNumbered(seen, 202);
  // Nothing more: a zero timeout does not wait.
  CHECK_FALSE(consumer.WaitForRecords(it, absl::ZeroDuration()));
}

TEST_CASE("Follow: a wait ends at the Env clock's deadline",
          "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, SmallSegments());
  ManualClockEnv clock(1000);
  StreamOptions options;
  options.env = &clock;
  std::unique_ptr<Stream> follower = OpenFollower(dir, options);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  std::atomic<bool> done{false};
  bool woke = true;
  std::thread waiter([&] {
    woke = consumer.WaitForRecords(it, absl::Milliseconds(100));
    done = true;
  });
  // The clock, not real time, ends the wait (the follower looks at it at
  // least every 50 ms of real time).
  while (!done) {
    clock.Advance(absl::Milliseconds(100));
    std::this_thread::yield();
  }
  waiter.join();
  CHECK_FALSE(woke);
}

TEST_CASE("Follow: new segment files are followed", "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, SmallSegments());
  std::unique_ptr<Stream> follower = OpenFollower(dir);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  std::vector<OwnedRecord> seen;
  int n = 0;
  // 1 KiB records: a segment holds about 60; read every few batches.
  for (int round = 0; round < 40; ++round) {
    AppendBatch(writer.get(), n, 7, 1000);
    n += 7;
    if (round % 3 == 0) ReadOn(consumer, &it, &seen);
  }
  ReadOn(consumer, &it, &seen);
  CheckNumbered(seen, n);
  CHECK(static_cast<internal::StreamImpl*>(writer.get())
            ->SegmentCountForTesting() >= 4);
  // A new reader of the follower sees them all too.
  testing::CheckShardNumbered(follower.get(), n);
}

// True if `records` are "r0", "r1", ... as AppendBatch() writes them (each
// padded with 'x'). Returns instead of asserting: Catch2 assertions are for
// the test's own thread.
bool Numbered(const std::vector<OwnedRecord>& records) {
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string want = absl::StrCat("r", i);
    const std::string& data = records[i].data;
    if (data.compare(0, want.size(), want) != 0) return false;
    if (data.size() > want.size() && data[want.size()] != 'x') return false;
  }
  return true;
}

TEST_CASE(
    "Follow: large appends under a syncing durability are followed, and "
    "read-only opens racing them find no damage",
    "[store][follow]") {
  const Durability durability =
      GENERATE(Durability::kGroupCommit, Durability::kAlways);
  INFO("durability " << static_cast<int>(durability));
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions options = SmallSegments();
  options.durability = durability;
  options.group_commit_bytes = 64 << 10;
  options.group_commit_interval = absl::Milliseconds(0);
  std::unique_ptr<Stream> writer = OpenOrDie(dir, options);
  AppendBatch(writer.get(), 0, 1);
  std::unique_ptr<Stream> follower = OpenFollower(dir);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  std::vector<OwnedRecord> seen;
  // Batches of 10 records of 2000 bytes: 20 KiB, written with pwrite(2)
  // (MmapSegmentStore::FrameTarget()), three to a 64 KiB segment. Another
  // thread opens read-only snapshots meanwhile; each must find a numbered
  // prefix and report nothing.
  std::atomic<bool> done{false};
  std::atomic<int> snapshots{0};
  std::atomic<int> bad{0};
  testing::Barrier start(2);
  std::thread opener([&] {
    start.ArriveAndWait();
    do {
      StreamOptions snapshot_options;
      snapshot_options.follow = false;
      absl::StatusOr<std::unique_ptr<Stream>> snapshot =
          Stream::Open(dir, snapshot_options, OpenMode::kReadOnly);
      absl::StatusOr<std::vector<OwnedRecord>> records =
          snapshot.ok()
              ? testing::ReadShard(snapshot->get(), kShard0)
              : absl::StatusOr<std::vector<OwnedRecord>>(snapshot.status());
      if (!records.ok() || !(*snapshot)->recovery_report().problems.empty() ||
          !Numbered(*records)) {
        bad.fetch_add(1);
      }
      snapshots.fetch_add(1);
    } while (!done.load());
  });
  start.ArriveAndWait();
  int n = 1;
  for (int b = 0; b < 60; ++b) {
    AppendBatch(writer.get(), n, 10, 2000);
    n += 10;
    if (b % 4 == 0) ReadOn(consumer, &it, &seen);
  }
  done.store(true);
  opener.join();
  ReadOn(consumer, &it, &seen);
  CheckNumbered(seen, n);
  CHECK(snapshots.load() >= 1);
  CHECK(bad.load() == 0);
  CHECK(follower->recovery_report().problems.empty());
}

TEST_CASE("Follow: retention drops are followed", "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, testing::DropOldestOptions());
  AppendBatch(writer.get(), 0, 5, 1000);
  std::unique_ptr<Stream> follower = OpenFollower(dir);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  absl::StatusOr<GetRecordsResult> first =
      consumer.GetRecords(it, GetRecordsOptions{2});
  BROOK_REQUIRE_OK(first);
  REQUIRE(first->records().size() == 2);
  it = first->next_shard_iterator();
  // About 600 KiB more: the writer drops its oldest segments (256 KiB kept).
  int n = 5;
  for (int b = 0; b < 100; ++b) {
    AppendBatch(writer.get(), n, 6, 1000);
    n += 6;
  }
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it);
  BROOK_REQUIRE_OK(r);
  REQUIRE_FALSE(r->records().empty());
  // Records 2.. that retention dropped are skipped and counted; the rest
  // follow in order, from the first kept one.
  const uint64_t skipped = r->skipped_records();
  CHECK(skipped > 0);
  CHECK(r->records().front().data.substr(
            0, 1 + std::to_string(2 + skipped).size()) ==
        absl::StrCat("r", 2 + skipped));
  std::vector<OwnedRecord> rest;
  ShardIterator next = r->next_shard_iterator();
  for (const Record& rec : r->records()) {
    rest.push_back({rec.sequence_number, 0, 0, false,
                    std::string(rec.partition_key), std::string(rec.data)});
  }
  ReadOn(consumer, &next, &rest);
  REQUIRE(rest.size() == n - 2 - skipped);
  CHECK(rest.back().partition_key == absl::StrCat("key-", n - 1));
  // The follower let go of the dropped segments.
  CHECK(static_cast<internal::StreamImpl*>(follower.get())
            ->SegmentCountForTesting() <=
        static_cast<internal::StreamImpl*>(writer.get())
                ->SegmentCountForTesting() +
            1);
  // A new iterator starts at the writer's trim.
  absl::StatusOr<std::vector<OwnedRecord>> all =
      testing::ReadShard(follower.get(), kShard0);
  BROOK_REQUIRE_OK(all);
  absl::StatusOr<std::vector<OwnedRecord>> written =
      testing::ReadShard(writer.get(), kShard0);
  BROOK_REQUIRE_OK(written);
  CHECK(*all == *written);
}

TEST_CASE("Follow: reshards are followed", "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, SmallSegments());
  AppendBatch(writer.get(), 0, 3);
  std::unique_ptr<Stream> follower = OpenFollower(dir);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  std::vector<OwnedRecord> seen;
  ReadOn(consumer, &it, &seen);
  REQUIRE(seen.size() == 3);
  REQUIRE(follower->ListShards().size() == 1);

  AppendBatch(writer.get(), 3, 2);
  BROOK_REQUIRE_OK(writer->UpdateShardCount(2));
  const std::vector<ShardDescription> written = writer->ListShards();
  const std::vector<ShardDescription> listed = follower->ListShards();
  REQUIRE(listed.size() == written.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    INFO("shard " << i);
    CHECK(listed[i].shard_id == written[i].shard_id);
    CHECK(listed[i].is_open() == written[i].is_open());
    CHECK(listed[i].ending_sequence_number ==
          written[i].ending_sequence_number);
    CHECK(listed[i].parent_shard_id == written[i].parent_shard_id);
  }
  CHECK(follower->DescribeStream().open_shard_count == 2);
  // The parent's end: its last records, then the children and no iterator.
  ReadOn(consumer, &it, &seen);
  CheckNumbered(seen, 5);
  CHECK_FALSE(it.valid());
  absl::StatusOr<ShardIterator> at_end = consumer.GetShardIterator(
      kShard0,
      StartingPosition::AfterSequenceNumber(seen.back().sequence_number));
  BROOK_REQUIRE_OK(at_end);
  absl::StatusOr<GetRecordsResult> end = consumer.GetRecords(*at_end);
  BROOK_REQUIRE_OK(end);
  CHECK(end->records().empty());
  CHECK_FALSE(end->next_shard_iterator().valid());
  REQUIRE(end->child_shards().size() == 2);
  // A child takes the writer's new records.
  Producer producer(writer.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "after the reshard"));
  int found = 0;
  for (const ChildShard& child : end->child_shards()) {
    absl::StatusOr<std::vector<OwnedRecord>> records =
        testing::ReadShard(follower.get(), child.shard_id);
    BROOK_REQUIRE_OK(records);
    for (const OwnedRecord& r : *records)
      found += r.data == "after the reshard";
  }
  CHECK(found == 1);
}

// Appends an uncommitted frame (no kBatchHasCrc) after the end of the log of
// the last segment of shard 0: an append the crash cut short.
void TearTail(const std::string& dir, uint64_t position) {
  std::string last;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/shardId-000000000000")) {
    if (e.path().extension() == ".seg" && e.path().string() > last) {
      last = e.path().string();
    }
  }
  REQUIRE(!last.empty());
  std::string bytes = testing::ReadFileBytes(last);
  size_t off = 0;
  while (internal::DecodeFixed<uint32_t>(&bytes[off]) != 0) {
    off += internal::DecodeFixed<uint32_t>(&bytes[off]);
  }
  REQUIRE(off + 200 < bytes.size());
  std::string frame(120, 'g');
  internal::EncodeFixed<uint32_t>(&frame[0], 120);
  internal::EncodeFixed<uint32_t>(&frame[4], 0xdeadbeef);
  internal::EncodeFixed<uint64_t>(&frame[8], position);
  internal::EncodeFixed<uint64_t>(&frame[16], 1);
  internal::EncodeFixed<uint32_t>(&frame[24], 1);
  internal::EncodeFixed<uint32_t>(&frame[28], 0);  // never committed
  bytes.replace(off, frame.size(), frame);
  testing::WriteFileBytes(last, bytes);
}

TEST_CASE("Follow: the writer crashes and reopens under followers",
          "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, SmallSegments());
  int n = 0;
  for (; n < 30; n += 3) AppendBatch(writer.get(), n, 3, 500);
  std::unique_ptr<Stream> follower = OpenFollower(dir);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  std::vector<OwnedRecord> seen;
  ReadOn(consumer, &it, &seen);
  REQUIRE(seen.size() == 30);

  for (int crash = 0; crash < 3; ++crash) {
    INFO("crash " << crash);
    testing::Crash(std::move(writer));
    TearTail(dir, static_cast<uint64_t>(n) + 1);
    // Readers only: the torn frame is not taken, nothing fails.
    ReadOn(consumer, &it, &seen);
    CHECK_FALSE(consumer.WaitForRecords(it, absl::ZeroDuration()));
    REQUIRE(static_cast<int>(seen.size()) == n);
    // The new writer truncates the torn tail and goes on appending.
    writer = OpenOrDie(dir, SmallSegments(), OpenMode::kMustExist);
    REQUIRE(writer->recovery_report().problems.size() == 1);
    for (int b = 0; b < 50; ++b, n += 3) AppendBatch(writer.get(), n, 3, 500);
    ReadOn(consumer, &it, &seen);
    CheckNumbered(seen, n);
  }
  // A clean close and reopen too.
  BROOK_REQUIRE_OK(writer->Close());
  writer = OpenOrDie(dir, SmallSegments(), OpenMode::kMustExist);
  AppendBatch(writer.get(), n, 3, 500);
  n += 3;
  ReadOn(consumer, &it, &seen);
  CheckNumbered(seen, n);
  CHECK(follower->recovery_report().problems.empty());
}

TEST_CASE("Follow: durable_only reads stop at the durable end",
          "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions options = SmallSegments();
  options.durability = Durability::kNone;
  std::unique_ptr<Stream> writer = OpenOrDie(dir, options);
  AppendBatch(writer.get(), 0, 10);
  BROOK_REQUIRE_OK(writer->Sync());
  AppendBatch(writer.get(), 10, 5);
  GetRecordsOptions durable;
  durable.durable_only = true;
  for (Stream* reader : {writer.get(), OpenFollower(dir).release()}) {
    std::unique_ptr<Stream> owned(reader == writer.get() ? nullptr : reader);
    Consumer consumer(reader);
    ShardIterator it = TrimHorizon(consumer, kShard0);
    std::vector<OwnedRecord> seen;
    ReadOn(consumer, &it, &seen, durable);
    CheckNumbered(seen, 10);
    REQUIRE(it.valid());
    ShardIterator all = TrimHorizon(consumer, kShard0);
    std::vector<OwnedRecord> published;
    ReadOn(consumer, &all, &published);
    CheckNumbered(published, 15);
  }
  std::unique_ptr<Stream> follower = OpenFollower(dir);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  std::vector<OwnedRecord> seen;
  ReadOn(consumer, &it, &seen, durable);
  REQUIRE(seen.size() == 10);
  BROOK_REQUIRE_OK(writer->Sync());
  ReadOn(consumer, &it, &seen, durable);
  CheckNumbered(seen, 15);
  // A memory stream has no durable records.
  StreamOptions memory_options;
  absl::StatusOr<std::unique_ptr<Stream>> memory =
      Stream::Create(memory_options);
  BROOK_REQUIRE_OK(memory);
  Consumer memory_consumer(memory->get());
  ShardIterator mit = TrimHorizon(memory_consumer, kShard0);
  BROOK_CHECK_CODE(memory_consumer.GetRecords(mit, durable),
                   kFailedPrecondition);
}

TEST_CASE("Follow: follow = false keeps the snapshot", "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, SmallSegments());
  AppendBatch(writer.get(), 0, 3);
  StreamOptions options;
  options.follow = false;
  std::unique_ptr<Stream> snapshot = OpenFollower(dir, options);
  testing::CheckShardNumbered(snapshot.get(), 3);
  AppendBatch(writer.get(), 3, 3);
  BROOK_REQUIRE_OK(writer->UpdateShardCount(2));
  testing::CheckShardNumbered(snapshot.get(), 3);
  CHECK(snapshot->ListShards().size() == 1);
  Consumer consumer(snapshot.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  std::vector<OwnedRecord> seen;
  ReadOn(consumer, &it, &seen);
  CHECK_FALSE(consumer.WaitForRecords(it, absl::ZeroDuration()));
  // A following open of the same directory sees it all.
  testing::CheckShardNumbered(OpenFollower(dir).get(), 6);
}

// Frames run on without a gap: one that starts past the reader's position
// means the mapped bytes are not those the follower indexed. GetRecords then
// reports data loss; it used to return the later records as the next ones,
// skipping positions without counting them in skipped_records() (seen in the
// cross-process follow test as a jump within a shard).
TEST_CASE("Follow: a frame that starts past the position is data loss",
          "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, SmallSegments());
  for (int n = 0; n < 9; n += 3) AppendBatch(writer.get(), n, 3, 100);
  std::unique_ptr<Stream> follower = OpenFollower(dir);
  Consumer consumer(follower.get());
  ShardIterator it = TrimHorizon(consumer, kShard0);
  absl::StatusOr<GetRecordsResult> first =
      consumer.GetRecords(it, GetRecordsOptions{3});
  BROOK_REQUIRE_OK(first);
  REQUIRE(first->records().size() == 3);
  it = first->next_shard_iterator();

  // The second frame's header now says it starts three records later, as a
  // file rewritten with other frames would; the follower maps the file.
  std::string path;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/" + kShard0)) {
    if (e.path().extension() == ".seg") path = e.path().string();
  }
  REQUIRE_FALSE(path.empty());
  const int fd = ::open(path.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  char header[internal::kBatchHeaderBytes];
  REQUIRE(::pread(fd, header, sizeof(header), 0) == sizeof(header));
  const uint32_t second = internal::DecodeBatchHeader(header).frame_bytes;
  REQUIRE(::pread(fd, header, sizeof(header), second) == sizeof(header));
  const uint64_t start = internal::DecodeBatchHeader(header).first_position;
  internal::EncodeFixed<uint64_t>(
      header + internal::batch_field::kFirstPosition, start + 3);
  REQUIRE(::pwrite(fd, header, sizeof(header), second) == sizeof(header));
  ::close(fd);

  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it);
  const std::string got = r.ok()
                              ? absl::StrCat(r->records().size(), " records, ",
                                             r->skipped_records(), " skipped")
                              : r.status().ToString();
  INFO(got);
  REQUIRE(absl::IsDataLoss(r.status()));
  CHECK(r.status().message().find(absl::StrCat(
            "batch starts at position ", start + 3, ", expected ", start)) !=
        std::string::npos);
}

TEST_CASE("Follow: a forked child follows the parent's writer",
          "[store][follow]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> writer = OpenOrDie(dir, SmallSegments());
  AppendBatch(writer.get(), 0, 3);
  int ready[2], go[2];
  REQUIRE(pipe(ready) == 0);
  REQUIRE(pipe(go) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No Catch2 here: exit codes say what went wrong.
    absl::StatusOr<std::unique_ptr<Stream>> follower =
        Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
    if (!follower.ok()) _exit(2);
    Consumer consumer(follower->get());
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
    if (!it.ok()) _exit(3);
    int records = 0;
    for (;;) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
      if (!r.ok()) _exit(4);
      records += static_cast<int>(r->records().size());
      *it = r->next_shard_iterator();
      if (records == 3) {
        char c = 'r';
        if (write(ready[1], &c, 1) != 1) _exit(5);
      }
      if (records >= 9) break;
      // Woken across processes by the parent's appends.
      if (r->records().empty() &&
          !consumer.WaitForRecords(*it, absl::Seconds(60))) {
        _exit(6);
      }
    }
    _exit(records == 9 ? 0 : 7);
  }
  char c;
  REQUIRE(read(ready[0], &c, 1) == 1);
  AppendBatch(writer.get(), 3, 3);
  AppendBatch(writer.get(), 6, 3);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  close(ready[0]);
  close(ready[1]);
  close(go[0]);
  close(go[1]);
}

}  // namespace
}  // namespace brook
