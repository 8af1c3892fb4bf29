// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The shard log every store shares: appends batches to segments, indexes them,
// serves readers, applies retention. The append side is in shard_impl.cc
// (the public `Append()`'s checks in shard_append.cc), retention in
// shard_retention.cc, the reader side (iterators, GetRecords)
// in shard_reader.cc, waits in shard_wait.cc (a follower's in
// shard_follow.cc).
//
// Thread safety: thread-safe. Appenders are serialised by `append_mu_`;
// `mu_` guards the segment list and what has been published to readers, and is
// held only briefly, so readers never wait for an append's copying and an
// append waits for a reader at most while it looks up a segment.
// Lock order: append_mu_, then mu_. A shard never holds its locks while
// calling into another shard or into the stream's retention sweep, which
// takes the stream's `topology_mu_` and then each shard's locks.

#ifndef BROOK_LIB_STREAM_SHARD_IMPL_H_
#define BROOK_LIB_STREAM_SHARD_IMPL_H_

#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "brook/consumer.h"
#include "brook/recovery.h"
#include "brook/shard.h"

#include "store/segment_store.h"
#include "stream/shard_metrics.h"
#include "stream/throughput_limits.h"
#include "util/mutex.h"
#include "util/space_saving.h"

namespace brook {
namespace internal {

class StreamImpl;
struct BatchHeader;
struct CommittedFrames;

// `key` in [`first`, `first` + `span`] (`span` = last - first), without a
// branch: one unsigned subtraction and compare, on 128-bit registers where
// the compiler has them.
inline bool InHashKeyRange(HashKey key, HashKey first, HashKey span) {
#if defined(ABSL_HAVE_INTRINSIC_INT128)
  // Copied, not converted: absl::uint128's conversion operator builds the
  // value with a shift and an add, where a copy is two register loads.
  using Wide = unsigned __int128;
  static_assert(sizeof(Wide) == sizeof(HashKey), "uint128 layout");
  Wide k, f, s;
  std::memcpy(&k, &key, sizeof(k));
  std::memcpy(&f, &first, sizeof(f));
  std::memcpy(&s, &span, sizeof(s));
  return k - f <= s;
#else
  const HashKey d = key - first;
  const uint64_t dh = absl::Uint128High64(d);
  const uint64_t sh = absl::Uint128High64(span);
  return (dh < sh) |
         ((dh == sh) & (absl::Uint128Low64(d) <= absl::Uint128Low64(span)));
#endif
}

// 1 if `r` has its hash key in [`first`, `first` + `span`], a partition key
// plus data of at most `max_bytes` and a partition key of 1 to 256 bytes,
// else 0; without a branch (the checks of a plain record that need no key
// bytes).
inline unsigned PlainRecordBits(const RoutedRecord& r, size_t max_bytes,
                                HashKey first, HashKey span) {
  const size_t key = r.partition_key.size();
  return static_cast<unsigned>(InHashKeyRange(r.hash_key, first, span)) &
         static_cast<unsigned>(key + r.data.size() <= max_bytes) &
         static_cast<unsigned>(key - 1 <
                               static_cast<size_t>(kMaxPartitionKeyChars));
}

// True if every record has its hash key in `range`, fits `max_record_bytes`
// and has a partition key of 1 to 256 ASCII characters: the checks of
// `Shard::Append()` for a plain batch, in one pass without a call or a
// branch per check (shard_append.cc).
bool AllPlainRecords(absl::Span<const RoutedRecord> records,
                     const HashKeyRange& range, int64_t max_record_bytes);

class ShardImpl final : public Shard {
 public:
  // `start_position` is the first position the shard gives; a child's is
  // above every position of its parents. `parents` is empty, or the parent
  // (split) or parent and adjacent parent (merge).
  ShardImpl(StreamImpl* stream, SegmentStore* store, uint32_t number,
            HashKeyRange range, uint64_t start_position,
            std::vector<std::string> parents = {});
  ~ShardImpl() override;

  const std::string& id() const override { return id_; }
  const HashKeyRange& hash_key_range() const override { return range_; }
  ShardDescription Describe() const override;
  absl::StatusOr<SequenceNumber> Append(
      absl::Span<const RoutedRecord> records) override;

  uint32_t number() const { return number_; }
  uint64_t start_position() const { return start_position_; }
  const StreamImpl* stream() const { return stream_; }

  // Append() without the per-record checks, for callers that made them.
  // Under provisioned-mode limits (`throttle()` not null) a write the
  // buckets refuse fails with kResourceExhausted storing nothing; with
  // `partial` (PutRecords) only the refused suffix does: the longest prefix
  // admitted is stored, `partial->appended` says how many records that is
  // (all of them when nothing was refused) and `partial->rest` holds the
  // refusal. The call returns the first stored record's number, or the
  // refusal if nothing was stored. Under on-demand mode a successful append
  // may then split the shard (see `ThroughputOptions`), with no lock held.
  // REQUIRES: `records` is not empty; every record is valid for this shard.
  struct PartialAppend {
    size_t appended = 0;
    absl::Status rest;
  };
  // The checks of Append() (hash key in the shard's range, partition key
  // plus data within `max_record_bytes`, a partition key of 1 to 256 ASCII
  // characters), for AppendValidated() to make as it sizes and writes the
  // records instead of in a pass of their own. A record that fails them
  // fails the append whole with kInvalidArgument, storing nothing, and sets
  // `failed`; Append() then says which record and why (or appends a batch
  // whose only fault was a non-ASCII UTF-8 key, which the checks refuse).
  struct AppendChecks {
    int64_t max_record_bytes = 0;
    bool failed = false;
  };
  // With `checks`, as above. REQUIRES: `partial` is null and the shard has
  // no throttle (`throttle()` is null).
  absl::StatusOr<SequenceNumber> AppendValidated(
      absl::Span<const RoutedRecord> records, PartialAppend* partial = nullptr,
      AppendChecks* checks = nullptr);

  // The shard's provisioned-mode limiter, or null when the stream has no
  // limits. Its `throttled_calls()` counts the shard's throttled calls.
  ShardThrottle* throttle() const { return throttle_.get(); }

  absl::StatusOr<ShardIterator> NewIterator(
      const StartingPosition& start) const;
  // GetRecords. With `visit` not null, ScanRecords: each record goes to
  // `*visit` as it is read, and the result holds no records (nor pins their
  // storage); `*visited` (not null then) counts them.
  absl::StatusOr<GetRecordsResult> Read(
      const ShardIterator& iterator, const GetRecordsOptions& options,
      const absl::FunctionRef<void(const Record&)>* visit = nullptr,
      int64_t* visited = nullptr) const;
  bool WaitForRecords(const ShardIterator& iterator, absl::Duration timeout,
                      WaitInterrupt* interrupt = nullptr) const;
  // Waits until the record at `position` is published, or the stream's
  // `Env` clock reaches `deadline_millis` (see DeadlineAfter()), or
  // `interrupt` (if not null) is interrupted; true if it is published.
  bool WaitForPosition(uint64_t position, int64_t deadline_millis,
                       WaitInterrupt* interrupt = nullptr) const;
  // Wakes every waiter: raises `wake_.count` and signals `published_`.
  void WakeWaiters() const;

  // Adopts the segments a durable store recovered, oldest first; the next
  // append gets position `end_position`. Counts their bytes towards the
  // stream's stored bytes. A read-only stream calls it twice for a closed
  // shard it recovers lazily: at open with no segments and the end the
  // metadata recorded, then at the first read with what recovery found.
  // REQUIRES: nothing has been appended to or read from the shard yet.
  void Recover(std::vector<std::shared_ptr<Segment>> segments,
               uint64_t end_position);
  // Bytes of the frames in the shard's segments: what recovering them counts.
  int64_t StoredBytes() const;
  // Makes later appends fail with kFailedPrecondition (a closed or read-only
  // stream). Waits for an append under way.
  void Seal();

  // Resharding, in two steps so that readers never see a closed shard
  // without its children. StopAppends() waits for an append under way, makes
  // later appends fail with kAborted (route again) and returns the position after
  // the last record. Close() then publishes the end and the children to
  // readers.
  uint64_t StopAppends();
  // Undoes StopAppends() when the reshard could not be recorded.
  void ResumeAppends();
  void Close(std::vector<ChildShard> children);
  // False once StopAppends() was called: the shard is closed by a reshard.
  bool is_open() const;
  const std::vector<std::string>& parents() const { return parents_; }

  // Drops segments whose newest record arrived before `cutoff_millis`; returns
  // the number of records dropped.
  int64_t TrimBefore(int64_t cutoff_millis);
  // Like TrimBefore(), but gives up at once, returning 0, if an append is
  // under way (that append trims by itself).
  int64_t TryTrimBefore(int64_t cutoff_millis) const;

  // For the byte bound: the first arrival time of the oldest segment that may
  // be dropped (any segment of a closed shard; never an open shard's newest,
  // which takes the next append), or false if none.
  bool OldestDroppable(int64_t* first_arrival_millis) const;
  // Drops that segment; returns the bytes freed (0 if none).
  int64_t DropOldest();
  size_t SegmentCountForTesting() const;

  // Lazy recovery of a read-only open (Segment::indexed): indexes every
  // segment still unindexed, and moves into `found` what this and earlier
  // on-demand indexing checked and found (RecoveryReport counts, damage).
  void IndexAll(RecoveryReport* found);

  // Following (shard_follow.cc): a read-only stream that follows its writer
  // (see OpenMode::kReadOnly). Follow() brings the shard's view up to what
  // the writer published in FOLLOW: new committed frames of the newest
  // segment, new segment files, segments retention dropped; and closes the
  // shard once its view reached the end a reshard gave it (FollowClose()).
  // A frame that fails its checks before the writer's published end, where
  // no later segment continues the log, returns kDataLoss; one past it is
  // an append in progress and waits. REQUIRES: the shard was recovered.
  // Const callers (readers) cast: following changes what is published, as
  // an append does, not what the shard is.
  absl::Status Follow();
  // After the lazy recovery of a follower's shard: hides what recovery found
  // past the writer's published end (committed, never acknowledged). A
  // shard whose recovery found damage or missing files (`damaged`) keeps
  // what precedes them and follows no further.
  void FollowCapRecovered(bool damaged);
  // A reshard closed the shard at `end_position`: readers get `children`
  // once the view reaches it.
  void FollowClose(uint64_t end_position, std::vector<ChildShard> children);
  // WaitForPosition() of a follower: refreshes, then sleeps on the writer's
  // notify futex (after spinning for `wait_spin`, if set).
  bool FollowWait(uint64_t position, int64_t deadline_millis,
                  WaitInterrupt* interrupt = nullptr) const;
  // Publishes the shard's ends to followers (the writer, at open).
  void Republish() const;

  // Metrics (metrics.h; counted in shard_impl.cc and shard_reader.cc, read
  // in metrics.cc). The counters, for the throttle points and readers.
  ShardMetrics& metrics() const { return metrics_; }
  // Fills the `stored_*`, `segments` and `newest_arrival_millis` fields of
  // `out`. Takes `mu_`.
  void StoredMetrics(ShardMetricsSnapshot* out) const;
  // The hot-key summary's entries, its floor() and total() (records
  // sampled); empty and zero before the first sampled append. Takes
  // `append_mu_` for a copy of at most `hot_key_count` entries.
  void HotKeys(std::vector<SpaceSaving::Entry>* entries, int64_t* floor,
               int64_t* sampled) const;

 private:
  absl::StatusOr<SequenceNumber> AppendLocked(
      absl::Span<const RoutedRecord> records, int64_t now_millis,
      AppendChecks* checks) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  // AppendLocked()'s steps, in order (shard_impl.cc): plan the frames and the
  // segments they need; then, segment by segment, create it (if new), write
  // its frames and commit them to the store; publish them to readers. A
  // failure before publishing takes back what was committed and discards the
  // segments created.
  struct AppendPlan;
  // False if `checks` (may be null) found a record at fault.
  bool PlanAppend(absl::Span<const RoutedRecord> records, int64_t now_millis,
                  AppendChecks* checks, AppendPlan* plan) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::Status WriteSegments(absl::Span<const RoutedRecord> records,
                             uint64_t first_position, int64_t arrival_millis,
                             AppendPlan* plan)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::Status CreateSegment(AppendPlan* plan)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  // Gives the index of `segment`, just created and not yet published, room
  // for the frames it will likely hold: the index a dropped segment left
  // (spare_index_) or a reservation sized from the segment before it.
  void ReserveIndex(Segment& segment) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  void DiscardCreated(AppendPlan* plan)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  void Publish(const AppendPlan& plan, uint64_t first_position,
               size_t record_count, int64_t arrival_millis)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  void PublishLocked(const AppendPlan& plan, uint64_t first_position,
                     size_t record_count, int64_t arrival_millis)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_, mu_);

  // Read()'s steps (shard_reader.cc): take a snapshot of the segments to
  // read under `mu_` (false if there is nothing to read), then read each
  // segment's frames and each frame's records.
  struct ReadSnapshot;
  struct ReadCursor;
  struct RecordSink;
  // `cap`: no record at or past it is read (GetRecordsOptions::durable_only).
  bool SnapshotForRead(const ShardIterator& iterator, int64_t now_millis,
                       int limit, uint64_t cap, ReadSnapshot* snap) const;
  // Follow()'s steps, under follow_mu_ (shard_follow.cc).
  void AdoptFollowed(const std::shared_ptr<Segment>& segment, bool is_new,
                     const CommittedFrames& frames)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu_);
  void FollowTrim(uint64_t trim) ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu_);
  void MaybeFollowClose() ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu_);
  absl::Status ReadSegment(const ShardIterator& iterator,
                           const GetRecordsOptions& options,
                           const ReadSnapshot& snap, size_t k, ReadCursor* c,
                           RecordSink* out) const;
  absl::Status ReadFrame(const ShardIterator& iterator,
                         const GetRecordsOptions& options, const Segment& seg,
                         size_t off, const BatchHeader& h, bool first_frame,
                         ReadCursor* c, RecordSink* out) const;
  int64_t TrimBeforeLocked(int64_t cutoff_millis)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  // Counts a successful append of `records`, `bytes` of keys and data, in
  // the metrics and hot-key summary.
  void CountAppendLocked(absl::Span<const RoutedRecord> records, int64_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  int64_t RemoveFrontLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The fewest segments the shard must hold for its oldest to be droppable.
  size_t DroppableFromLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  size_t FindSegmentLocked(uint64_t position) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Lazy recovery of a read-only open (shard_lazy.cc). Opens `segment` if
  // it is not (see Segment::opened), or indexes it if it is not (see
  // Segment::indexed, which opens it first), counting what it checked in
  // `index_found_`. Returns kDataLoss naming the file if it is damaged or
  // missing (the log then ends there: segments_ is cut back, and a follower
  // follows no further), kNotFound if retention removed its file (it and
  // every older segment leave the view: the caller looks again). Either
  // failure changes the view.
  absl::Status OpenLocked(Segment& segment) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status IndexLocked(Segment& segment) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Their common part: opens or (`index`) indexes `segment`.
  absl::Status LoadLocked(Segment& segment, bool index) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // IndexLocked() for a read: returns only kNotFound (look again); after
  // damage the read goes on with what precedes it (the error is kept in
  // `index_error_` for the reads that reach the end).
  absl::Status ReachLocked(Segment& segment) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What a failed OpenLocked() or IndexLocked() does to the view; returns
  // `status`.
  absl::Status LostLocked(Segment& segment, absl::Status status) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The first position whose record arrived at or after `millis`; the end if
  // none has. Opens O(log n) segments (a binary search on first arrivals)
  // and indexes at most one; an error of either goes to `*error` (as
  // OpenLocked() says; a position is returned all the same).
  uint64_t FirstArrivedAtLocked(int64_t millis, absl::Status* error) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The oldest readable position: past trimmed segments and past records that
  // retention has expired but whose segment is still kept. Opens the oldest
  // segment; errors as FirstArrivedAtLocked().
  uint64_t HorizonLocked(int64_t now_millis, absl::Status* error) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // max(`position`, HorizonLocked()), opening only the segment holding
  // `position` when nothing from there on has expired.
  uint64_t ReadStartLocked(uint64_t position, int64_t now_millis,
                           absl::Status* error) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  StreamImpl* const stream_;
  SegmentStore* const store_;
  const uint32_t number_;
  const std::string id_;
  const HashKeyRange range_;
  const uint64_t start_position_;
  const std::vector<std::string> parents_;

  // A follower's refresh (Follow()), one at a time. Lock order: follow_mu_,
  // then append_mu_, then mu_.
  mutable Mutex follow_mu_ ABSL_ACQUIRED_BEFORE(append_mu_);
  // Set by FollowClose(): the end and children a reshard gave the shard,
  // published to readers once the view reaches the end.
  bool follow_closing_ ABSL_GUARDED_BY(follow_mu_) = false;
  bool follow_damaged_ ABSL_GUARDED_BY(follow_mu_) = false;
  uint64_t follow_close_end_ ABSL_GUARDED_BY(follow_mu_) = 0;
  std::vector<ChildShard> follow_children_ ABSL_GUARDED_BY(follow_mu_);
  // The FOLLOW slot the last Follow() read, and whether the view reached
  // its published end then: while the slot reads the same, Follow() has
  // nothing to do and returns at once (a spinning reader calls it often).
  bool follow_caught_up_ ABSL_GUARDED_BY(follow_mu_) = false;
  uint64_t follow_seen_end_ ABSL_GUARDED_BY(follow_mu_) = 0;
  uint64_t follow_seen_trim_ ABSL_GUARDED_BY(follow_mu_) = 0;
  // The highest trim FollowTrim() applied.
  uint64_t follow_trim_applied_ ABSL_GUARDED_BY(follow_mu_) = 0;
  // Follow()'s scan of the newest segment, kept so that its frame list
  // keeps its capacity (no allocation per frame adopted).
  std::unique_ptr<CommittedFrames> follow_frames_ ABSL_GUARDED_BY(follow_mu_);

  mutable Mutex append_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // On-demand mode's measure of the writes (null when off, and once the
  // shard was reported as holding a hot key).
  std::unique_ptr<SplitSampler> sampler_ ABSL_GUARDED_BY(append_mu_);
  // The appender's view: next position to give, last arrival stamped.
  uint64_t next_position_ ABSL_GUARDED_BY(append_mu_);
  int64_t last_arrival_millis_ ABSL_GUARDED_BY(append_mu_) = 0;
  // Closed by a reshard (StopAppends()): the shard is no longer open.
  bool appends_stopped_ ABSL_GUARDED_BY(append_mu_) = false;
  // Sealed with its stream (Seal()): closed or read-only, still open in the
  // Kinesis sense.
  bool sealed_ ABSL_GUARDED_BY(append_mu_) = false;
  // The hot-key summary (made at the first sampled append), and the index
  // in the next append of the next record to sample.
  std::unique_ptr<SpaceSaving> hot_keys_ ABSL_GUARDED_BY(append_mu_);
  size_t hot_key_next_ ABSL_GUARDED_BY(append_mu_) = 0;
  mutable ShardMetrics metrics_;

  mutable Mutex mu_;
  mutable CondVar published_;
  std::deque<std::shared_ptr<Segment>> segments_ ABSL_GUARDED_BY(mu_);
  // The emptied index (capacity kept) of the last segment retention dropped,
  // for the next new segment (ReserveIndex()): at the retention bound, an
  // append's index entry then lands in memory that is already faulted in.
  std::vector<BatchIndexEntry> spare_index_ ABSL_GUARDED_BY(mu_);
  // Positions [trim_position_, end_position_) are readable.
  uint64_t trim_position_ ABSL_GUARDED_BY(mu_);
  uint64_t end_position_ ABSL_GUARDED_BY(mu_);
  // What a wait spinning without `mu_` (`StreamOptions::wait_spin`) watches,
  // on one cache line of its own: the spinning reader holds the line, and
  // the writer takes it once per publication, so the reader learns of a
  // publication in one line transfer.
  // - `count`: raised (release) by WakeWaiters() after each change a
  //   waiter waits for (a publication, Close(), an interrupt).
  // - `end`: the end the last publication reached, stored (relaxed) by every
  //   publication, before its wake-up; it only grows. A spinning wait woken
  //   for a position below it returns without taking `mu_`.
  // - `waiters`: waits under way. Raised under `mu_` before the wait's
  //   first look (so a publication after that look sees it and wakes);
  //   lowered with or without `mu_` (a wait leaving early only costs an
  //   extra wake-up). Publish() reads it after its `mu_` section, which
  //   orders it after the raise of any wait that looked before it.
  struct alignas(64) WakeLine {
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> end{0};
    std::atomic<int> waiters{0};
  };
  mutable WakeLine wake_;
  // Set once by Close(): readers reaching end_position_ get the children.
  // (Aligned so that nothing shares `wake_`'s line.)
  alignas(64) bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<ChildShard> children_ ABSL_GUARDED_BY(mu_);
  // What indexing unindexed segments checked since the last IndexAll().
  mutable RecoveryReport index_found_ ABSL_GUARDED_BY(mu_);
  // Indexing found damage and ended the log there: a follower follows no
  // further (as follow_damaged_).
  mutable bool index_damaged_ ABSL_GUARDED_BY(mu_) = false;
  // The first such damage: what a read at the log's end then returns.
  mutable absl::Status index_error_ ABSL_GUARDED_BY(mu_);
  // A lower bound of the oldest segment's `last_arrival_millis`, stored
  // under `mu_` and read without it: while the retention cutoff is at or
  // below it, TrimBefore*() have nothing to drop and return without taking
  // a lock (a read and an append then skip two and one mutex round trips).
  // Set from an indexed oldest segment after each trim; the arrivals of the
  // segments behind it are at least as late, so dropping the oldest keeps
  // the bound. Reset to the minimum (check) where a segment's last arrival
  // can go down: Recover(), FollowCapRecovered(), LostLocked().
  mutable std::atomic<int64_t> trim_floor_millis_{
      std::numeric_limits<int64_t>::min()};

  // Provisioned-mode limits (null when off); thread-safe.
  const std::unique_ptr<ShardThrottle> throttle_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_SHARD_IMPL_H_
