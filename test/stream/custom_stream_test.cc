// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `Producer` and `Consumer` work over any `Stream` through its interface: a
// stream written here, with no part of brook's own implementation, is
// written and read through them (as issue 14's remote Kinesis stream will
// be).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

constexpr absl::string_view kShardId = "shardId-000000000000";

// One record as the fake keeps it: owned bytes.
struct Kept {
  std::string partition_key;
  std::string data;
  HashKey hash_key = 0;
  bool has_explicit_hash_key = false;
};

class FakeStream;

class FakeShard final : public Shard {
 public:
  explicit FakeShard(FakeStream* stream) : stream_(stream) {}
  const std::string& id() const override { return id_; }
  const HashKeyRange& hash_key_range() const override { return range_; }
  ShardDescription Describe() const override {
    ShardDescription d;
    d.shard_id = id_;
    d.hash_key_range = range_;
    return d;
  }
  absl::StatusOr<SequenceNumber> Append(
      absl::Span<const RoutedRecord> records) override;

 private:
  FakeStream* const stream_;
  const std::string id_{kShardId};
  const HashKeyRange range_ = UniformHashKeyRanges(1)[0];
};

// A single-shard stream in a vector. Records whose data is "full" are
// refused with kResourceExhausted, to show per-entry statuses pass through.
class FakeStream final : public Stream {
 public:
  std::vector<Kept> kept;
  int put_calls = 0;

  StreamOptions options() const override {
    StreamOptions o;
    o.name = "fake";
    o.max_record_bytes = kMaxRecordBytes;
    return o;
  }
  std::vector<ShardDescription> ListShards() const override {
    return {shard_.Describe()};
  }
  StreamDescription DescribeStream() const override {
    StreamDescription d;
    d.stream_name = "fake";
    d.shards = ListShards();
    d.open_shard_count = 1;
    return d;
  }
  absl::StatusOr<Shard*> GetShard(absl::string_view shard_id) const override {
    if (shard_id != kShardId) return absl::NotFoundError("no such shard");
    return const_cast<FakeShard*>(&shard_);
  }
  absl::Status SplitShard(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status MergeShards(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  using Stream::UpdateShardCount;
  absl::Status UpdateShardCount(int, const UpdateShardCountOptions&) override {
    return absl::UnimplementedError("fake");
  }
  int64_t TrimExpired() override { return 0; }
  absl::Status IncreaseStreamRetentionPeriod(absl::Duration) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status DecreaseStreamRetentionPeriod(absl::Duration) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status UpdateRetentionBytes(int64_t) override {
    return absl::UnimplementedError("fake");
  }
  using Stream::WaitForDurable;
  absl::Status WaitForDurable(absl::string_view, SequenceNumber, absl::Duration,
                              DurableWait) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }
  const RecoveryReport& recovery_report() const override { return report_; }

  SequenceNumber Keep(const RoutedRecord& r) {
    kept.push_back({std::string(r.partition_key), std::string(r.data),
                    r.hash_key, r.has_explicit_hash_key});
    return SequenceNumber::FromValue(kept.size() - 1);
  }

  static constexpr int64_t kMaxRecordBytes = 16;

 protected:
  int64_t max_record_bytes() const override { return kMaxRecordBytes; }

  void DoPutRecords(absl::Span<const RoutedRecord> records,
                    absl::Span<PutRecordsResultEntry> results) override {
    ++put_calls;
    for (size_t i = 0; i < records.size(); ++i) {
      if (!results[i].status.ok()) continue;
      if (records[i].data == "full") {
        results[i].status = absl::ResourceExhaustedError("fake is full");
        continue;
      }
      results[i].shard_id = shard_.id();
      results[i].sequence_number = Keep(records[i]);
    }
  }

  absl::StatusOr<ShardIterator> DoGetShardIterator(
      absl::string_view shard_id,
      const StartingPosition& start) const override {
    absl::StatusOr<Shard*> shard = GetShard(shard_id);
    if (!shard.ok()) return shard.status();
    switch (start.type) {
      case ShardIteratorType::kTrimHorizon:
        return MakeShardIterator(*shard, 0);
      case ShardIteratorType::kLatest:
        return MakeShardIterator(*shard, kept.size());
      default:
        return absl::UnimplementedError("fake");
    }
  }

  absl::StatusOr<GetRecordsResult> DoGetRecords(
      const ShardIterator& iterator,
      const GetRecordsOptions& options) const override {
    // The result holds a copy of what it returns, so its views stay valid.
    auto storage = std::make_shared<std::vector<Kept>>();
    size_t position = ShardIteratorPosition(iterator);
    while (position < kept.size() &&
           storage->size() < static_cast<size_t>(options.limit)) {
      storage->push_back(kept[position++]);
    }
    std::vector<Record> records;
    for (size_t i = 0; i < storage->size(); ++i) {
      const Kept& k = (*storage)[i];
      Record r;
      r.sequence_number =
          SequenceNumber::FromValue(position - storage->size() + i);
      r.hash_key = k.hash_key;
      r.has_explicit_hash_key = k.has_explicit_hash_key;
      r.partition_key = k.partition_key;
      r.data = k.data;
      records.push_back(r);
    }
    const absl::Duration behind =
        position < kept.size() ? absl::Seconds(1) : absl::ZeroDuration();
    return MakeGetRecordsResult(
        std::move(records),
        MakeShardIterator(ShardIteratorShard(iterator), position), behind,
        /*child_shards=*/{}, /*skipped_records=*/0, std::move(storage));
  }

  bool DoWaitForRecords(const ShardIterator& iterator,
                        absl::Duration) const override {
    return ShardIteratorPosition(iterator) < kept.size();
  }

 private:
  FakeShard shard_{this};
  RecoveryReport report_;
};

absl::StatusOr<SequenceNumber> FakeShard::Append(
    absl::Span<const RoutedRecord> records) {
  SequenceNumber first;
  for (size_t i = 0; i < records.size(); ++i) {
    const SequenceNumber n = stream_->Keep(records[i]);
    if (i == 0) first = n;
  }
  return first;
}

TEST_CASE("Producer: puts through the interface of any Stream",
          "[stream][producer]") {
  FakeStream stream;
  Producer producer(&stream);
  absl::StatusOr<PutRecordResult> one = producer.PutRecord("user-7", "hi");
  BROOK_REQUIRE_OK(one);
  CHECK(one->shard_id == kShardId);
  CHECK(one->sequence_number == SequenceNumber::FromValue(0));
  REQUIRE(stream.kept.size() == 1);
  CHECK(stream.kept[0].data == "hi");
  // The producer hashed the partition key before handing the record over.
  CHECK(stream.kept[0].hash_key == PartitionKeyHash("user-7"));
  CHECK_FALSE(stream.kept[0].has_explicit_hash_key);

  // The producer's own checks use the stream's max record size, and a
  // refused record never reaches the stream.
  BROOK_CHECK_CODE(producer.PutRecord("k", std::string(16, 'x')),
                   kInvalidArgument);
  BROOK_CHECK_CODE(producer.PutRecord("", "x"), kInvalidArgument);
  CHECK(stream.put_calls == 1);
  // The stream's own refusal comes back as it is.
  BROOK_CHECK_CODE(producer.PutRecord("k", "full"), kResourceExhausted);

  const std::string big(20, 'x');
  const std::vector<PutRecordsEntry> entries = {
      {"a", "1", ""}, {"b", big, ""}, {"c", "full", ""}, {"d", "4", "42"}};
  absl::StatusOr<PutRecordsResult> many = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(many);
  CHECK(many->failed_record_count == 2);
  REQUIRE(many->records.size() == 4);
  BROOK_CHECK_OK(many->records[0].status);
  BROOK_CHECK_CODE(many->records[1].status, kInvalidArgument);
  BROOK_CHECK_CODE(many->records[2].status, kResourceExhausted);
  BROOK_CHECK_OK(many->records[3].status);
  CHECK(many->records[3].shard_id == kShardId);
  REQUIRE(stream.kept.size() == 3);
  CHECK(stream.kept[1].data == "1");
  CHECK(stream.kept[2].data == "4");
  CHECK(stream.kept[2].hash_key == 42);
  CHECK(stream.kept[2].has_explicit_hash_key);
}

TEST_CASE("Consumer: reads through the interface of any Stream",
          "[stream][consumer]") {
  FakeStream stream;
  Producer producer(&stream);
  for (int i = 0; i < 5; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("k", absl::StrCat("r", i)));
  }
  Consumer consumer(&stream);
  REQUIRE(consumer.ListShards().size() == 1);
  BROOK_CHECK_CODE(consumer.GetShardIterator("shardId-000000000001",
                                             StartingPosition::TrimHorizon()),
                   kNotFound);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShardId, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  CHECK(it->valid());
  CHECK(it->shard_id() == kShardId);
  CHECK(consumer.WaitForRecords(*it, absl::ZeroDuration()));

  GetRecordsOptions three;
  three.limit = 3;
  absl::StatusOr<GetRecordsResult> first = consumer.GetRecords(*it, three);
  BROOK_REQUIRE_OK(first);
  REQUIRE(first->records().size() == 3);
  CHECK(first->records()[2].data == "r2");
  CHECK(first->behind_latest() == absl::Seconds(1));
  absl::StatusOr<GetRecordsResult> rest =
      consumer.GetRecords(first->next_shard_iterator());
  BROOK_REQUIRE_OK(rest);
  REQUIRE(rest->records().size() == 2);
  CHECK(rest->records()[1].data == "r4");
  CHECK(rest->records()[1].sequence_number == SequenceNumber::FromValue(4));
  CHECK(rest->behind_latest() == absl::ZeroDuration());
  CHECK_FALSE(consumer.WaitForRecords(rest->next_shard_iterator(),
                                      absl::ZeroDuration()));
  // ScanRecords works over any stream too (Stream's default DoScanRecords()
  // reads with DoGetRecords()).
  std::vector<std::string> scanned;
  absl::StatusOr<ScanRecordsResult> scan = consumer.ScanRecords(
      *it, three, [&](const Record& r) { scanned.emplace_back(r.data); });
  BROOK_REQUIRE_OK(scan);
  CHECK(scanned == std::vector<std::string>{"r0", "r1", "r2"});
  CHECK(scan->records == 3);
  CHECK(scan->behind_latest == absl::Seconds(1));
  scanned.clear();
  BROOK_REQUIRE_OK(consumer.ScanRecords(
      scan->next_shard_iterator, GetRecordsOptions(),
      [&](const Record& r) { scanned.emplace_back(r.data); }));
  CHECK(scanned == std::vector<std::string>{"r3", "r4"});
  stream.kept.clear();  // the results hold their own storage
  CHECK(rest->records()[0].data == "r3");

  // An iterator of another stream, and an invalid one, are refused before
  // any stream sees them.
  absl::StatusOr<std::unique_ptr<Stream>> other = Stream::Create({});
  BROOK_REQUIRE_OK(other);
  absl::StatusOr<ShardIterator> foreign =
      Consumer(other->get())
          .GetShardIterator(kShardId, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(foreign);
  BROOK_CHECK_CODE(consumer.GetRecords(*foreign), kInvalidArgument);
  CHECK_FALSE(consumer.WaitForRecords(*foreign, absl::ZeroDuration()));
  BROOK_CHECK_CODE(Consumer(other->get()).GetRecords(*it), kInvalidArgument);
  BROOK_CHECK_CODE(consumer.GetRecords(ShardIterator()), kInvalidArgument);
  BROOK_CHECK_CODE(
      consumer.ScanRecords(*foreign, three, [](const Record&) { FAIL(); }),
      kInvalidArgument);
}

}  // namespace
}  // namespace brook
