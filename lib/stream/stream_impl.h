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
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "brook/env.h"
#include "brook/stream.h"

#include "proto/stream_meta.pb.h"
#include "store/frame_codec.h"
#include "store/mmap_segment_store.h"
#include "store/segment_store.h"
#include "stream/reshard_plan.h"
#include "stream/shard_impl.h"
#include "stream/throughput_limits.h"
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

  StreamOptions options() const override;
  // The options as created, without a copy, for the options that never
  // change. Its retention fields are those the stream was opened with: read
  // `retention_period_millis()` and `retention_bytes()` instead.
  const StreamOptions& fixed_options() const { return options_; }
  int64_t retention_period_millis() const {
    return retention_period_millis_.load(std::memory_order_acquire);
  }
  int64_t retention_bytes() const {
    return retention_bytes_.load(std::memory_order_acquire);
  }
  // `StreamOptions::segment_roll_age` in milliseconds; 0 never rolls by age.
  int64_t segment_roll_millis() const { return segment_roll_millis_; }
  std::vector<ShardDescription> ListShards() const override;
  StreamDescription DescribeStream() const override;
  absl::StatusOr<Shard*> GetShard(absl::string_view shard_id) const override;
  int64_t TrimExpired() override;
  absl::Status SplitShard(absl::string_view shard_to_split,
                          absl::string_view new_starting_hash_key) override;
  absl::Status MergeShards(absl::string_view shard_to_merge,
                           absl::string_view adjacent_shard_to_merge) override;
  using Stream::UpdateShardCount;
  absl::Status UpdateShardCount(
      int target_shard_count, const UpdateShardCountOptions& options) override;
  absl::Status IncreaseStreamRetentionPeriod(
      absl::Duration retention_period) override;
  absl::Status DecreaseStreamRetentionPeriod(
      absl::Duration retention_period) override;
  absl::Status UpdateRetentionBytes(int64_t retention_bytes) override;
  using Stream::WaitForDurable;
  absl::Status WaitForDurable(absl::string_view shard_id, SequenceNumber n,
                              absl::Duration timeout, DurableWait how) override;
  absl::Status Sync() override;
  absl::Status Close() override;
  bool closed() const override;
  // Recovers, first, the shards a read-only stream has not read yet.
  const RecoveryReport& recovery_report() const override;
  // metrics.cc.
  StreamMetricsSnapshot GetMetrics() const override;

  std::vector<AutoSplitEvent> AutoSplitEvents() const override;

  // On-demand mode: acts on what `shard`'s sampler decided at `now_millis`
  // (splits it through SplitShard(), or reports its hot key) and records the
  // event. REQUIRES: the caller holds no lock of the stream or of a shard.
  void AutoSplit(ShardImpl* shard, const SplitDecision& decision,
                 int64_t now_millis);

  Env* env() const { return env_; }
  // How frames are compressed, and the dictionaries reads need.
  FrameCodec& codec() const { return *codec_; }
  // Makes `dictionary` the one new frames are compressed with: writes its
  // file and STREAM (durable streams). kFailedPrecondition for a read-only
  // or closed stream, or one without compression.
  absl::Status InstallCompressionDictionary(
      std::shared_ptr<const CompressionDictionary> dictionary);
  // Shards ever created, open and closed; shard numbers are below it.
  size_t shard_count() const;

  // Drops the stream as a crash of the process would: nothing more is synced,
  // the directory is not marked clean and the writer's lock is released. Only
  // destroying the stream is allowed afterwards.
  void SimulateCrashForTesting();
  MmapSegmentStore* durable_store() const { return durable_; }
  // What retention leaves stored, without sweeping first.
  int64_t StoredBytesForTesting() const {
    return stored_bytes_.load(std::memory_order_relaxed);
  }
  size_t SegmentCountForTesting() const;
  absl::StatusOr<ShardImpl*> FindShard(absl::string_view shard_id) const;

  // A read-only stream recovers a shard's segments at the shard's first read
  // (`ShardImpl::NewIterator()`), not at open. Recovers shard `number` unless
  // that was done; OK at once for any other stream. A failed recovery is
  // sticky: every later call returns its error, which the recovery report
  // also lists. Concurrent calls for one shard wait for the first.
  // REQUIRES: the caller holds no lock of the stream or of a shard.
  absl::Status EnsureRecovered(uint32_t number) const;

  // Following (stream_follow.cc). True for a kReadOnly open with
  // `StreamOptions::follow`: shards follow the writer (ShardImpl::Follow()).
  bool following() const { return following_; }
  // A follower's: re-reads STREAM if the writer rewrote it since (FOLLOW's
  // change counter): adds the shards a reshard made, closes its parents
  // once their views reach their ends, and takes the retention bounds.
  // One atomic load when nothing changed. No-op unless following().
  // REQUIRES: the caller holds no lock of the stream or of a shard.
  void FollowTopology() const;
  // One past the last durable record of shard `number`: the store's synced
  // position for the writer, FOLLOW's durable end for a follower (a
  // read-only open without FOLLOW: everything if the directory was closed
  // cleanly, else nothing).
  uint64_t DurableEnd(uint32_t number) const;

  // The open shards by starting hash key: an immutable snapshot, replaced
  // whole by each reshard.
  class RoutingTable {
   public:
    // The open shard whose range holds `key`. Never null: open shards tile
    // the key space. Inline: PutRecords routes every record.
    ShardImpl* Route(HashKey key) const { return shards_[RouteIndex(key)]; }

    // The index of that shard in this table (`shard()`, below `size()`).
    // One load for a key whose top byte's slice of the key space lies in one
    // shard (every key when the shards split the space at multiples of
    // 2^120, as 1, 2, 4, ... 256 equal shards do), else a branchless search
    // of the few shards that slice overlaps: hash keys are uniform, so a
    // branch per step would be mispredicted half the time.
    size_t RouteIndex(HashKey key) const {
      const uint64_t kh = absl::Uint128High64(key);
      const Slice s = slices_[kh >> (64 - kSliceBits)];
      if (s.first == s.last) return s.first;
      const uint64_t kl = absl::Uint128Low64(key);
      const HashKey* const starts = starts_.data();
      const HashKey* base = starts + s.first;
      size_t n = size_t{s.last} - s.first + 1;
      while (n > 1) {
        const size_t half = n / 2;
        const uint64_t sh = absl::Uint128High64(base[half]);
        const bool at_or_below =
            (sh < kh) | ((sh == kh) & (absl::Uint128Low64(base[half]) <= kl));
        base = at_or_below ? base + half : base;
        n -= half;
      }
      return static_cast<size_t>(base - starts);
    }
    ShardImpl* shard(size_t index) const { return shards_[index]; }
    size_t size() const { return shards_.size(); }

   private:
    friend class StreamImpl;
    // The key space cut by its top kSliceBits bits; for each slice, the
    // indexes of the shards holding its first and its last key.
    static constexpr int kSliceBits = 8;
    struct Slice {
      uint32_t first = 0;
      uint32_t last = 0;
    };
    // Fills `slices_` from `starts_` (sorted, starts_[0] == 0).
    void IndexSlices();

    std::vector<HashKey> starts_;
    std::vector<ShardImpl*> shards_;
    Slice slices_[size_t{1} << kSliceBits];
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

  // Retention by age. Records that arrived before the returned time are
  // expired at `now_millis`: `now_millis` minus the retention period
  // (saturating at INT64_MIN), or later if an increase of the period kept
  // what had already expired expired.
  int64_t RetentionCutoff(int64_t now_millis) const;
  // The retention sweep (see stream.h): if a sweep interval has passed since
  // the last sweep, trims every shard that is not busy appending. Two atomic
  // loads when not due. Takes `topology_mu_` and the shards' locks, so the
  // caller must hold none of them.
  void MaybeTrimExpired(int64_t now_millis) const;
  // Trims every shard at `now_millis`; waits for busy appenders if `wait`,
  // else skips them. Returns the records dropped. Locks as above.
  int64_t TrimExpiredAt(int64_t now_millis, bool wait) const;

 protected:
  // The Producer and Consumer hooks (stream.h); in stream_hooks.cc.
  int64_t max_record_bytes() const override {
    return options_.max_record_bytes;
  }
  void DoPutRecords(absl::Span<const RoutedRecord> records,
                    absl::Span<PutRecordsResultEntry> results) override;
  absl::StatusOr<ShardIterator> DoGetShardIterator(
      absl::string_view shard_id, const StartingPosition& start) const override;
  absl::StatusOr<GetRecordsResult> DoGetRecords(
      const ShardIterator& iterator,
      const GetRecordsOptions& options) const override;
  absl::StatusOr<ScanRecordsResult> DoScanRecords(
      const ShardIterator& iterator, const GetRecordsOptions& options,
      absl::FunctionRef<void(const Record&)> visit) const override;
  bool DoWaitForRecordsInterruptibly(const ShardIterator& iterator,
                                     absl::Duration timeout,
                                     WaitInterrupt* interrupt) const override;
  bool DoWaitForRecords(const ShardIterator& iterator,
                        absl::Duration timeout) const override;
  void DoCountAggregates(const ShardIterator& iterator,
                         absl::Span<const int64_t> counts,
                         int64_t user_records) const override;

 private:
  StreamImpl(const StreamOptions& options, std::unique_ptr<SegmentStore> store);
  // The shard an iterator of this stream reads. REQUIRES: `iterator` was
  // made by this stream (Consumer checks), so its shard is a ShardImpl.
  static const ShardImpl& ShardOf(const ShardIterator& iterator) {
    return *static_cast<const ShardImpl*>(ShardIteratorShard(iterator));
  }

  const StreamOptions options_;
  const int64_t segment_roll_millis_;  // options_.segment_roll_age
  Env* const env_;
  std::unique_ptr<SegmentStore> store_;
  // Set before the shards are made; a durable stream's knows its directory.
  std::shared_ptr<FrameCodec> codec_;
  // Held for a whole reshard (and by Close()), so reshards are serialised and
  // the topology changes only under it; a reshard plans and prepares holding
  // only this lock, and takes topology_mu_ just to switch.
  // Lock order: reshard_mu_, then topology_mu_.
  Mutex reshard_mu_ ABSL_ACQUIRED_BEFORE(topology_mu_);
  // Guards the shard list and routing table (producers take it to route).
  // Lock order: topology_mu_, then a shard's locks.
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
  // For a durable stream, makes the directories of new shards
  // [first, first + count) before any record can reach them.
  absl::Status PrepareChildren(uint32_t first, uint32_t count);
  // Makes a planned reshard (see UpdateShardCount()): stops appends on the
  // parents, records the whole change with one metadata write, then creates
  // the children, closes the parents and rebuilds routing once. If the write
  // fails, the parents take appends again and nothing changes.
  // REQUIRES: `plan` starts from the current open shards and numbers its new
  // shards from shards_.size(); their directories are prepared.
  absl::Status ApplyReshardLocked(const ReshardPlan& plan)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  // Records a reshard in the metadata (on disk first, for a durable stream):
  // `closing` shards with their end positions, `added` shards (prepared with
  // PrepareChildren()). Fails, changing nothing, if the stream is closed or
  // the write fails.
  absl::Status PersistReshardLocked(
      const std::vector<std::pair<ShardImpl*, uint64_t>>& closing,
      const std::vector<proto::ShardMeta>& added)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topology_mu_);
  // Builds the shards of `meta` (recovering their segments from a durable
  // store, whose open found `report`), closes those it marks closed, and
  // makes it the stream's metadata.
  absl::Status AdoptMeta(proto::StreamMeta meta, RecoveryReport* report);
  std::atomic<int64_t> stored_bytes_{0};
  // One thread at a time drops for the byte bound. Lock order: drop_mu_,
  // then topology_mu_, then a shard's locks.
  Mutex drop_mu_;
  // Under kDropOldest, drops the oldest sealed segments until the stream is
  // under its bound or only open segments are left.
  void DropToByteBoundLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(drop_mu_);

  // The retention bounds, changeable (under close_mu_, which also orders
  // them with the metadata); read without a lock.
  std::atomic<int64_t> retention_period_millis_;
  std::atomic<int64_t> retention_bytes_;
  // Records that arrived before this are expired whatever the period: set by
  // an increase of the period to the cutoff it had (Kinesis does not bring
  // expired records back). INT64_MIN if never increased.
  std::atomic<int64_t> expired_before_millis_;
  // When the next retention sweep is due (Env clock).
  mutable std::atomic<int64_t> next_sweep_millis_;
  // Validates, persists and publishes a new retention period. `operation`
  // names the call; `increase` says which way it may go.
  absl::Status ChangeRetentionPeriod(absl::string_view operation,
                                     absl::Duration retention_period,
                                     bool increase);
  // Writes `meta_` with `change` applied (durable streams), then keeps it.
  absl::Status PersistOptionsLocked(
      const std::function<void(proto::StreamMeta*)>& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(close_mu_);

  // Read-only streams only: one per shard (a read-only stream never
  // reshards), made by Open(), recovered by EnsureRecovered(). Lock order: a
  // LazyShard's mu, then report_mu_, then the shard's locks.
  struct LazyShard {
    Mutex mu;
    std::atomic<bool> recovered{false};      // set once, under mu
    absl::Status error ABSL_GUARDED_BY(mu);  // of a failed recovery; sticky
    // Bytes STREAM recorded for the shard at a clean close, which
    // DescribeStream() reports until the shard is recovered; -1 if none.
    int64_t recorded_bytes = -1;
    // What STREAM says the shard's files must hold.
    ShardExpectation expect;
  };
  // Grows when a follower sees a reshard (FollowTopology()); read it with
  // Lazy().
  std::vector<std::unique_ptr<LazyShard>> lazy_ ABSL_GUARDED_BY(topology_mu_);
  // The shard's entry, or null for a stream that is not read-only.
  LazyShard* Lazy(uint32_t number) const;
  // Following: set by Open(); FollowTopology()'s last change counter seen.
  bool following_ = false;
  mutable Mutex follow_mu_ ABSL_ACQUIRED_BEFORE(topology_mu_);
  mutable uint64_t follow_change_ ABSL_GUARDED_BY(follow_mu_) = 0;
  // follow_change_ once STREAM was taken in for it: a reader that sees the
  // counter equal to it has nothing to take in and skips follow_mu_.
  mutable std::atomic<uint64_t> follow_change_done_{0};
  // DescribeStream()'s stored_bytes for a read-only stream: recovered shards
  // count what they hold, the others their recorded bytes (a shard without
  // any is recovered first).
  int64_t LazyStoredBytes() const;
  // EnsureRecovered(), then indexes the segments a lazy recovery left
  // unindexed, adding what that checked and found to the report.
  void EnsureIndexed(uint32_t number) const;
  // Adds what recovering or indexing shard directory `shard_dir` found to
  // report_, its problems in shard order.
  void MergeFound(const std::string& shard_dir, RecoveryReport found) const;

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
  // Written by Open(), and then by EnsureRecovered() under report_mu_; once
  // every shard is recovered nothing writes it.
  mutable Mutex report_mu_;
  mutable RecoveryReport report_;
  // Lock order: topology_mu_ before close_mu_ (a reshard persists metadata).
  mutable Mutex close_mu_;
  proto::StreamMeta meta_ ABSL_GUARDED_BY(close_mu_);
  bool closed_ ABSL_GUARDED_BY(close_mu_) = false;
  // When the metric counters started (Env clock): set by the constructor.
  int64_t metrics_since_millis_ = 0;

  // AutoSplitEvents(), the newest last. A leaf lock.
  mutable Mutex auto_split_mu_;
  std::deque<AutoSplitEvent> auto_split_events_ ABSL_GUARDED_BY(auto_split_mu_);
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_STREAM_IMPL_H_
