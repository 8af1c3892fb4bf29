// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The in-process stream: its shards, routing table and retention accounting,
// in memory (`Create()`) or in a directory (`Open()`, through an
// `MmapSegmentStore`).
//
// Thread safety: thread-safe. The shard list and routing table are fixed at
// creation (resharding will swap them as a whole).

#ifndef BROOK_LIB_STREAM_STREAM_IMPL_H_
#define BROOK_LIB_STREAM_STREAM_IMPL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "brook/env.h"
#include "brook/stream.h"

#include "proto/stream_meta.pb.h"
#include "store/mmap_segment_store.h"
#include "store/segment_store.h"
#include "stream/shard_impl.h"
#include "util/mutex.h"

namespace brook {
namespace internal {

class StreamImpl final : public Stream {
 public:
  static absl::StatusOr<std::unique_ptr<StreamImpl>> Create(
      const StreamOptions& options, std::unique_ptr<SegmentStore> store);
  // Stream::Open().
  static absl::StatusOr<std::unique_ptr<StreamImpl>> Open(
      absl::string_view dir, const StreamOptions& options, OpenMode mode);
  ~StreamImpl() override;

  const StreamOptions& options() const override { return options_; }
  std::vector<ShardDescription> ListShards() const override;
  StreamDescription DescribeStream() const override;
  absl::StatusOr<Shard*> GetShard(absl::string_view shard_id) const override;
  int64_t TrimExpired() override;
  absl::Status SplitShard(absl::string_view shard_to_split,
                          absl::string_view new_starting_hash_key) override;
  absl::Status MergeShards(absl::string_view shard_to_merge,
                           absl::string_view adjacent_shard_to_merge) override;
  absl::Status UpdateShardCount(int target_shard_count) override;
  absl::Status WaitForDurable(absl::string_view shard_id, SequenceNumber n,
                              absl::Duration timeout) override;
  absl::Status Sync() override;
  absl::Status Close() override;
  const RecoveryReport& recovery_report() const override { return report_; }

  Env* env() const { return env_; }
  // Shards ever created, open and closed; shard numbers are below it.
  size_t shard_count() const;

  // Drops the stream as a crash of the process would: nothing more is synced,
  // the directory is not marked clean and the writer's lock is released. Only
  // destroying the stream is allowed afterwards.
  void SimulateCrashForTesting();
  MmapSegmentStore* durable_store() const { return durable_; }
  absl::StatusOr<ShardImpl*> FindShard(absl::string_view shard_id) const;

  // The open shards by starting hash key: an immutable snapshot, replaced
  // whole by each reshard.
  class RoutingTable {
   public:
    // The open shard whose range holds `key`. Never null: open shards tile
    // the key space.
    ShardImpl* Route(HashKey key) const;

   private:
    friend class StreamImpl;
    std::vector<HashKey> starts_;
    std::vector<ShardImpl*> shards_;
  };
  std::shared_ptr<const RoutingTable> routing() const;

  // Retention by bytes. Reserve() is called before an append stores `bytes`;
  // under kRejectWrites it fails with kResourceExhausted if they do not fit.
  absl::Status Reserve(int64_t bytes);
  void Release(int64_t bytes) {
    stored_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  }
  // Counts recovered bytes, which are stored whatever the bound says.
  void Adopt(int64_t bytes) {
    stored_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  // Called after an append: under kDropOldest, drops the oldest segments until
  // the stream is back under its bound.
  void EnforceByteBound();

 private:
  StreamImpl(const StreamOptions& options, std::unique_ptr<SegmentStore> store);

  const StreamOptions options_;
  Env* const env_;
  std::unique_ptr<SegmentStore> store_;
  // Guards the shard list and routing table; held for a whole reshard, so
  // reshards are serialised. Lock order: topology_mu_, then a shard's locks.
  mutable Mutex topology_mu_;
  std::vector<std::unique_ptr<ShardImpl>> shards_
      ABSL_GUARDED_BY(topology_mu_);  // index = shard number; only grows
  std::shared_ptr<const RoutingTable> routing_ ABSL_GUARDED_BY(topology_mu_);

  std::vector<ShardImpl*> SnapshotShards() const;
  // Builds the routing table from the open shards.
  void RebuildRoutingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  ShardImpl* AddShardLocked(HashKeyRange range, uint64_t start_position,
                            std::vector<std::string> parents)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  // kFailedPrecondition for a read-only or closed stream.
  absl::Status CheckReshardable(absl::string_view operation);
  absl::StatusOr<ShardImpl*> FindShardLocked(absl::string_view shard_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  absl::StatusOr<ShardImpl*> FindOpenShardLocked(absl::string_view shard_id,
                                                 absl::string_view operation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  absl::Status SplitLocked(ShardImpl* parent, HashKey key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  absl::Status MergeLocked(ShardImpl* first, ShardImpl* second)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  // Records a reshard in the metadata (on disk first, for a durable stream):
  // `closing` shards with their end positions, `added` child shards. Fails,
  // changing nothing, if the stream is closed or the write fails.
  absl::Status PersistReshardLocked(
      const std::vector<std::pair<ShardImpl*, uint64_t>>& closing,
      const std::vector<proto::ShardMeta>& added)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  // Builds the shards of `meta` (recovering their segments from a durable
  // store, whose open found `report`), closes those it marks closed, and
  // makes it the stream's metadata.
  absl::Status AdoptMeta(proto::StreamMeta meta, RecoveryReport* report);
  std::atomic<int64_t> stored_bytes_{0};
  Mutex drop_mu_;  // one thread at a time drops for the byte bound

  // Durable streams only.
  MmapSegmentStore* durable_ = nullptr;  // store_, if it is one
  std::string dir_;
  bool read_only_ = false;
  // Set by Open() before AdoptMeta(): the stream is new (no shard directory
  // exists yet); every frame is to be checksummed (OpenMode::kVerify).
  bool creating_ = false;
  bool verify_all_ = false;
  std::unique_ptr<FileLock> lock_;         // LOCK, while open for writing
  std::unique_ptr<FileLock> reader_lock_;  // READERS (shared), read-only
  RecoveryReport report_;
  // Lock order: topology_mu_ before close_mu_ (a reshard persists metadata).
  Mutex close_mu_;
  proto::StreamMeta meta_ ABSL_GUARDED_BY(close_mu_);
  bool closed_ ABSL_GUARDED_BY(close_mu_) = false;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_STREAM_IMPL_H_
