// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `Stream` over `KinesisClient` (remote_stream.h). Split along its seams:
// remote_stream.cc (opening, the shard cache and routing, administration),
// remote_put.cc (PutRecords with per-entry retries, `Shard::Append()`),
// remote_read.cc (iterators, GetRecords, polling waits).
//
// Thread safety: every method may be called from many threads. `mu_` guards
// the shard cache; a refresh (ListShards) runs under `refresh_mu_` so that
// concurrent refreshes make one call, not many. A cursor has its own lock.

#ifndef BROOK_LIB_REMOTE_REMOTE_STREAM_IMPL_H_
#define BROOK_LIB_REMOTE_REMOTE_STREAM_IMPL_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brook/kinesis_client.h"
#include "brook/remote_stream.h"

#include "util/mutex.h"

namespace brook {
namespace internal {

class RemoteStream;

class RemoteShard : public Shard {
 public:
  RemoteShard(RemoteStream* stream, ShardDescription description)
      : stream_(stream),
        id_(description.shard_id),
        range_(description.hash_key_range),
        description_(std::move(description)) {}

  const std::string& id() const override { return id_; }
  const HashKeyRange& hash_key_range() const override { return range_; }
  ShardDescription Describe() const override;
  absl::StatusOr<SequenceNumber> Append(
      absl::Span<const RoutedRecord> records) override;
  // Each record's number as the service gave it.
  absl::Status AppendWithSequenceNumbers(
      absl::Span<const RoutedRecord> records,
      absl::Span<SequenceNumber> sequence_numbers) override;

  void set_description(ShardDescription d) {
    MutexLock lock(&mu_);
    description_ = std::move(d);
  }
  bool is_open() const {
    MutexLock lock(&mu_);
    return description_.is_open();
  }

 private:
  // Both appends: checks, puts, and fills `results` (one per record); OK
  // only if every record was stored in this shard.
  absl::Status Put(absl::Span<const RoutedRecord> records,
                   std::vector<PutRecordsResultEntry>* results);

  RemoteStream* const stream_;
  const std::string id_;
  const HashKeyRange range_;
  mutable Mutex mu_;
  ShardDescription description_ ABSL_GUARDED_BY(mu_);
};

// The open shards by starting hash key, for grouping puts (immutable; a
// refresh swaps in a new one).
struct RemoteRouting {
  std::vector<HashKey> starts;  // ascending
  std::vector<RemoteShard*> shards;
  // The open shard whose range holds `key` (the first one if the cache has a
  // gap, which only a service bug would leave).
  RemoteShard* Route(HashKey key) const;
};

class RemoteStream : public Stream {
 public:
  RemoteStream(std::string name, std::unique_ptr<KinesisClient> client,
               const RemoteStreamOptions& options);
  ~RemoteStream() override;

  // Waits for ACTIVE, loads the summary and the shards.
  absl::Status Load();

  StreamOptions options() const override;
  std::vector<ShardDescription> ListShards() const override;
  StreamDescription DescribeStream() const override;
  absl::StatusOr<Shard*> GetShard(absl::string_view shard_id) const override;
  absl::Status SplitShard(absl::string_view shard_to_split,
                          absl::string_view new_starting_hash_key) override;
  absl::Status MergeShards(absl::string_view shard_to_merge,
                           absl::string_view adjacent_shard_to_merge) override;
  using Stream::UpdateShardCount;
  absl::Status UpdateShardCount(
      int target_shard_count, const UpdateShardCountOptions& options) override;
  int64_t TrimExpired() override { return 0; }
  absl::Status IncreaseStreamRetentionPeriod(
      absl::Duration retention_period) override;
  absl::Status DecreaseStreamRetentionPeriod(
      absl::Duration retention_period) override;
  absl::Status UpdateRetentionBytes(int64_t retention_bytes) override;
  using Stream::WaitForDurable;
  absl::Status WaitForDurable(absl::string_view shard_id, SequenceNumber n,
                              absl::Duration timeout, DurableWait how) override;
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override;
  bool closed() const override {
    return closed_.load(std::memory_order_acquire);
  }
  const RecoveryReport& recovery_report() const override { return report_; }

  // For RemoteShard::Append() and the put path: puts the entries of
  // `records` whose `results` are OK (remote_put.cc).
  void Put(absl::Span<const RoutedRecord> records,
           absl::Span<PutRecordsResultEntry> results);
  // The cached shard `id`, reloading the cache once if it is unknown; null
  // if the service does not know it either.
  RemoteShard* FindShard(absl::string_view id) const;
  // Reloads the shard cache with ListShards.
  absl::Status Refresh() const;
  std::shared_ptr<const RemoteRouting> routing() const {
    MutexLock lock(&mu_);
    return routing_;
  }
  KinesisClient& client() const { return *client_; }
  const std::string& name() const { return name_; }
  const RemoteStreamOptions& remote_options() const { return options_; }
  Env* env() const { return env_; }

 protected:
  int64_t max_record_bytes() const override {
    return options_.max_record_bytes;
  }
  void DoPutRecords(absl::Span<const RoutedRecord> records,
                    absl::Span<PutRecordsResultEntry> results) override {
    Put(records, results);
  }
  absl::StatusOr<ShardIterator> DoGetShardIterator(
      absl::string_view shard_id, const StartingPosition& start) const override;
  absl::StatusOr<GetRecordsResult> DoGetRecords(
      const ShardIterator& iterator,
      const GetRecordsOptions& options) const override;
  bool DoWaitForRecords(const ShardIterator& iterator,
                        absl::Duration timeout) const override {
    return Wait(iterator, timeout, nullptr);
  }
  bool DoWaitForRecordsInterruptibly(const ShardIterator& iterator,
                                     absl::Duration timeout,
                                     WaitInterrupt* interrupt) const override {
    return Wait(iterator, timeout, interrupt);
  }

 private:
  bool Wait(const ShardIterator& iterator, absl::Duration timeout,
            WaitInterrupt* interrupt) const;
  // The children of closed shard `parent`: `ids` (ChildShards), or when the
  // service named none, the shards whose parent ids name it.
  std::vector<ChildShard> ChildrenOf(const std::string& parent,
                                     const std::vector<std::string>& ids) const;
  // Waits for ACTIVE after a change, then reloads the cache.
  absl::Status AfterChange(absl::string_view op);
  // kFailedPrecondition if the stream is closed or `shard_id` is a shard
  // known to be closed (Kinesis refuses to reshard one; kinesalite does
  // not, so brook refuses first, as its own streams do).
  absl::Status CheckReshardable(absl::string_view op,
                                absl::string_view shard_id) const;
  absl::Status ChangeRetention(bool increase, absl::Duration period);

  const std::string name_;
  const std::unique_ptr<KinesisClient> client_;
  const RemoteStreamOptions options_;
  Env* const env_;
  const RecoveryReport report_;
  std::atomic<bool> closed_{false};
  mutable std::atomic<int64_t> retention_millis_{0};

  mutable Mutex refresh_mu_;  // one ListShards at a time
  mutable Mutex mu_;
  // Every shard seen, never removed (a `Shard*` lives as long as the stream).
  mutable std::map<std::string, std::unique_ptr<RemoteShard>, std::less<>>
      shards_ ABSL_GUARDED_BY(mu_);
  mutable std::shared_ptr<const RemoteRouting> routing_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_REMOTE_STREAM_IMPL_H_
