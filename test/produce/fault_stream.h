// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Test helpers for the async producer: a `Stream` that forwards to a real one
// but whose shards' appends can be made to fail (a fault injected per call)
// and whose `ListShards()` can be made to show another list, and a reader of
// every record of a stream.

#ifndef BROOK_TEST_PRODUCE_FAULT_STREAM_H_
#define BROOK_TEST_PRODUCE_FAULT_STREAM_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/stream.h"

namespace brook {
namespace testing {

class FaultStream;

class FaultShard final : public Shard {
 public:
  FaultShard(FaultStream* stream, Shard* target)
      : stream_(stream), target_(target) {}
  const std::string& id() const override { return target_->id(); }
  const HashKeyRange& hash_key_range() const override {
    return target_->hash_key_range();
  }
  ShardDescription Describe() const override { return target_->Describe(); }
  absl::StatusOr<SequenceNumber> Append(
      absl::Span<const RoutedRecord> records) override;

 private:
  FaultStream* const stream_;
  Shard* const target_;
};

// Forwards to `target`; each `Shard::Append()` first asks `fault` (if set),
// which returns the error to fail it with, or OK to let it through; each
// `ListShards()` returns what `list_fault` (if set) makes of the target's
// list (it runs on the caller's thread, without the stream's lock).
class FaultStream final : public Stream {
 public:
  using Fault = std::function<absl::Status(absl::string_view shard_id,
                                           absl::Span<const RoutedRecord>)>;
  using ListFault = std::function<std::vector<ShardDescription>(
      std::vector<ShardDescription>)>;
  explicit FaultStream(Stream* target) : target_(target) {}

  void set_fault(Fault fault) {
    std::lock_guard<std::mutex> lock(mu_);
    fault_ = std::move(fault);
  }
  void set_list_fault(ListFault fault) {
    std::lock_guard<std::mutex> lock(mu_);
    list_fault_ = std::move(fault);
  }
  // Append() calls made, failed ones included.
  int appends() {
    std::lock_guard<std::mutex> lock(mu_);
    return appends_;
  }
  absl::Status Inject(absl::string_view shard_id,
                      absl::Span<const RoutedRecord> records) {
    std::lock_guard<std::mutex> lock(mu_);
    ++appends_;
    return fault_ ? fault_(shard_id, records) : absl::OkStatus();
  }

  StreamOptions options() const override { return target_->options(); }
  std::vector<ShardDescription> ListShards() const override {
    ListFault fault;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fault = list_fault_;
    }
    std::vector<ShardDescription> listed = target_->ListShards();
    return fault ? fault(std::move(listed)) : listed;
  }
  StreamDescription DescribeStream() const override {
    return target_->DescribeStream();
  }
  absl::StatusOr<Shard*> GetShard(absl::string_view shard_id) const override {
    absl::StatusOr<Shard*> shard = target_->GetShard(shard_id);
    if (!shard.ok()) return shard;
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<FaultShard>& s = shards_[std::string(shard_id)];
    if (s == nullptr) {
      s = std::make_unique<FaultShard>(const_cast<FaultStream*>(this), *shard);
    }
    return s.get();
  }
  absl::Status SplitShard(absl::string_view a, absl::string_view b) override {
    return target_->SplitShard(a, b);
  }
  absl::Status MergeShards(absl::string_view a, absl::string_view b) override {
    return target_->MergeShards(a, b);
  }
  absl::Status UpdateShardCount(
      int n, const UpdateShardCountOptions& options) override {
    return target_->UpdateShardCount(n, options);
  }
  int64_t TrimExpired() override { return target_->TrimExpired(); }
  absl::Status IncreaseStreamRetentionPeriod(absl::Duration d) override {
    return target_->IncreaseStreamRetentionPeriod(d);
  }
  absl::Status DecreaseStreamRetentionPeriod(absl::Duration d) override {
    return target_->DecreaseStreamRetentionPeriod(d);
  }
  absl::Status UpdateRetentionBytes(int64_t bytes) override {
    return target_->UpdateRetentionBytes(bytes);
  }
  absl::Status WaitForDurable(absl::string_view shard_id, SequenceNumber n,
                              absl::Duration timeout,
                              DurableWait how) override {
    return target_->WaitForDurable(shard_id, n, timeout, how);
  }
  absl::Status Sync() override { return target_->Sync(); }
  absl::Status Close() override { return target_->Close(); }
  bool closed() const override { return target_->closed(); }
  const RecoveryReport& recovery_report() const override {
    return target_->recovery_report();
  }

 protected:
  int64_t max_record_bytes() const override {
    return target_->options().max_record_bytes;
  }
  // Only the async producer writes it, through Shard::Append(); tests read the
  // target stream.
  void DoPutRecords(absl::Span<const RoutedRecord>,
                    absl::Span<PutRecordsResultEntry> results) override {
    for (PutRecordsResultEntry& r : results) {
      r.status = absl::UnimplementedError("FaultStream: PutRecords");
    }
  }
  absl::StatusOr<ShardIterator> DoGetShardIterator(
      absl::string_view, const StartingPosition&) const override {
    return absl::UnimplementedError("FaultStream: read the target");
  }
  absl::StatusOr<GetRecordsResult> DoGetRecords(
      const ShardIterator&, const GetRecordsOptions&) const override {
    return absl::UnimplementedError("FaultStream: read the target");
  }
  bool DoWaitForRecords(const ShardIterator&, absl::Duration) const override {
    return false;
  }

 private:
  Stream* const target_;
  mutable std::mutex mu_;
  Fault fault_;
  ListFault list_fault_;
  int appends_ = 0;
  mutable std::map<std::string, std::unique_ptr<FaultShard>> shards_;
};

inline absl::StatusOr<SequenceNumber> FaultShard::Append(
    absl::Span<const RoutedRecord> records) {
  absl::Status s = stream_->Inject(id(), records);
  if (!s.ok()) return s;
  return target_->Append(records);
}

// One stored record, owned.
struct StoredRecord {
  std::string shard_id;
  SequenceNumber sequence_number;
  std::string partition_key;
  std::string data;
};

// A memory stream of `shards` shards on `env`'s clock.
inline std::unique_ptr<Stream> MemoryStream(Env* env, int shards = 1) {
  StreamOptions options;
  options.shard_count = shards;
  options.env = env;
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Create(options);
  REQUIRE(s.ok());
  return std::move(*s);
}

// Every record of every shard of `stream`, open and closed, from
// TRIM_HORIZON, in shard-id then sequence-number order.
inline std::vector<StoredRecord> ReadAll(Stream* stream) {
  Consumer consumer(stream);
  std::vector<StoredRecord> out;
  for (const ShardDescription& d : consumer.ListShards()) {
    absl::StatusOr<ShardIterator> start =
        consumer.GetShardIterator(d.shard_id, StartingPosition::TrimHorizon());
    if (!start.ok()) continue;
    ShardIterator it = *start;
    while (it.valid()) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it);
      if (!r.ok() || r->records().empty()) break;
      for (const Record& rec : r->records()) {
        out.push_back({d.shard_id, rec.sequence_number,
                       std::string(rec.partition_key), std::string(rec.data)});
      }
      it = r->next_shard_iterator();
    }
  }
  return out;
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_PRODUCE_FAULT_STREAM_H_
