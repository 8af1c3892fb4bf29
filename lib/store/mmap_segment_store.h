// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The durable segment store: one file per segment,
// <dir>/<shardId>/<20-digit base position>.seg, preallocated to the segment's
// capacity and mapped shared into memory. The shard writes frames straight
// into the map (or, for large appends under a syncing durability, into a
// buffer `Commit()` writes with pwrite(2): see `FrameTarget()`); `Commit()`
// checksums them (CRC-32C into each frame header, see
// batch_format.h) and applies the stream's `Durability`. A preallocated file
// is zero-filled, and a zero frame length reads as the end of the log.
//
// The store's code is split by concern (see mmap_store_internal.h): this
// class and commits in mmap_segment_store.cc, segment files and the bounds
// marker in mmap_segment_files.cc, syncs and the sticky error in
// mmap_syncer.cc, spare files in mmap_prefaulter.cc; recovery in
// mmap_recovery.cc and mmap_scan.cc, the frame format in batch_format.h.
//
// Recovery (`RecoverShard()`) lists a shard's segment files in order, maps
// them and walks their frames, checking lengths against the file's bounds,
// positions for continuity and, after an unclean shutdown, each frame's CRC.
// The indexes (`Segment::batches`) are rebuilt from the frames alone. A bad
// frame is a torn tail when no valid frame follows it; it is then zeroed on
// disk and reported. Otherwise it is data loss. The full rules are in
// SEGMENT_FORMAT.md.
//
// Sync errors are sticky (LevelDB's bg_error_): Linux reports a failed
// writeback once and may then mark the pages clean, so a later sync can
// succeed for bytes that never reached the disk. The first failed sync of any
// kind (a segment's msync by the background syncer, by a commit under
// kAlways or `group_commit_bytes`, by `SyncShard()`, `SyncAll()` or
// `Close()`; a directory sync when a segment is created or removed or a shard
// added) becomes the store's one background error, with the failed call's code
// and a message naming the file and saying that the stream must be reopened.
// From then on `CreateSegment()`, `Commit()`, `SyncShard()`, `SyncAll()`,
// `WaitSynced()`, `PrepareShard()` and `Close()` return it, nothing more is
// synced, and `SyncedPosition()` stays where the last successful sync left it:
// it never covers a byte that no successful sync covered. `Close()` returning
// it keeps the stream from marking the directory clean, so the reopen checks
// every frame and decides what survived.
//
// Thread safety: thread-safe. `Commit()` for a shard is serialised by the
// shard's appender; syncs of a shard are serialised by the store and never
// block a `Commit()` for longer than a few field updates.
// Lock order: a shard's sync_mu, then `shards_mu_` or a shard's mu (any
// shard's), then `error_mu_`.
// Page faults: a background thread prepares each shard's next segment file
// (fallocate, map, fault every page in; under a syncing durability only
// fallocate and map, since faulting in for writing dirties every page, which
// the syncs would then write out) while the current one fills, so a
// roll takes a ready map; a dropped segment's file and map are reused the
// same way. Only when neither is ready does the appender (under kNone)
// fault pages in itself, 1 MiB at a time (MADV_POPULATE_WRITE), not one
// fault per page.
// Lifetime: a segment's map lives until the last `shared_ptr<Segment>` goes,
// even after `Remove()` unlinked its file. A dropped file is then reused for a
// new segment of the same shard (its pages are already in memory) unless a
// read-only stream holds READERS (see `ReadersLockPath()`).

#ifndef BROOK_LIB_STORE_MMAP_SEGMENT_STORE_H_
#define BROOK_LIB_STORE_MMAP_SEGMENT_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "brook/env.h"
#include "brook/options.h"
#include "brook/recovery.h"

#include "store/follow_file.h"
#include "store/mmap_recovery.h"
#include "store/segment_store.h"
#include "util/mutex.h"

namespace brook {
namespace internal {

class MmapBacking;

struct MmapStoreOptions {
  std::string dir;     // the stream directory
  Env* env = nullptr;  // not owned
  int shard_count = 0;
  int64_t segment_bytes = 0;  // the standard segment size
  Durability durability = Durability::kNone;
  int64_t group_commit_bytes = 0;
  int64_t group_commit_millis = 0;
  bool read_only = false;
};

// A shard's log as recovery found it.
struct RecoveredShard {
  std::vector<std::shared_ptr<Segment>> segments;  // oldest first
  // One past the last record; where the next append starts.
  uint64_t end_position = 0;
};

// <dir>/READERS: read-only streams hold a shared lock on it while they map
// segment files; the writer reuses a dropped segment file only when it can
// take the lock exclusively, else it unlinks the file.
std::string ReadersLockPath(absl::string_view dir);

class MmapSegmentStore final : public SegmentStore {
 public:
  explicit MmapSegmentStore(MmapStoreOptions options);
  ~MmapSegmentStore() override;

  // Makes room for shards up to `shard_number` (a reshard adds shards).
  // Idempotent.
  void AddShard(uint32_t shard_number);
  // AddShard() for a shard a reshard creates: also makes its directory,
  // durably. Returns an I/O error, or kFailedPrecondition when read-only.
  absl::Status PrepareShard(uint32_t shard_number);
  // PrepareShard() for shards [first, first + count), syncing the directory
  // once for all of them.
  absl::Status PrepareShards(uint32_t first, uint32_t count);

  // The directory of shard `shard_number`.
  std::string ShardDir(uint32_t shard_number) const;

  // Recovers shard `shard_number`, which STREAM describes as `expect`: adopts
  // its segment files (see RecoverShardLog() in mmap_recovery.h). With
  // `verify_crc` every frame's CRC is checked; without, only frame headers
  // (for a directory closed cleanly), plus the CRC of the shard's last frame.
  // A torn tail is truncated on disk (not when read-only) and added to
  // `report`. Damage before the tail, and positions that STREAM or the
  // shard's bounds marker say exist but no file holds (a missing shard
  // directory, first, middle or newest segment, a closed shard whose files
  // end early), are added to `report` with `data_loss` set, and the shard
  // keeps what precedes them; returns kDataLoss naming the file and the
  // positions unless read-only. Read-only, a writer's appends, rolls and
  // retention meanwhile are not reported (the shard is listed and scanned
  // again while a problem shows), and an append in progress at the end of the
  // shard's last segment ends the log.
  // With `lazy_index` (read-only only) only the shard's last segment file
  // is opened and walked (and the ones before it while the last holds no
  // committed batch): every older one comes back unopened and unindexed
  // (`Segment::opened`, `Segment::indexed`, see segment.h), known by its
  // name and the next file's, and is opened by `OpenSegment()` and walked
  // by `IndexSegment()` when a reader needs it; `report` counts only what
  // was walked. Damage in them is then found by those.
  // REQUIRES: called once per shard, before any other use of that shard.
  absl::StatusOr<RecoveredShard> RecoverShard(uint32_t shard_number,
                                              const ShardExpectation& expect,
                                              bool verify_crc,
                                              RecoveryReport* report,
                                              bool lazy_index = false);
  // Walks the frames of an unindexed segment (see RecoverShard()), checking
  // each frame's CRC if the shard's recovery did, and fills in its index,
  // `end_offset` and arrival times; adds what it checked to `report`. If
  // the frames stop before `segment.end_position` (the next segment's base)
  // or a frame is bad, adds the damage to `report` (data_loss set), leaves
  // the segment indexed up to the damage (`end_position` moved back to
  // there) and returns kDataLoss naming the file, offset and reason; the
  // shard then ends its log there, as a read-only recovery that walked every
  // segment would have. REQUIRES: the caller holds the shard's lock.
  absl::Status IndexSegment(Segment& segment, RecoveryReport* report) override;
  // Maps an unopened segment's file (see SegmentStore::OpenSegment()) and
  // checks its first frame header against its name. A file that is gone was
  // dropped by retention (kNotFound) if the shard's bounds marker says so
  // (its trim is at or past the segment's end), or if there is no marker;
  // else it is lost (kDataLoss); so is one that cannot be opened or mapped.
  // REQUIRES: the caller holds the shard's lock.
  absl::Status OpenSegment(Segment& segment, RecoveryReport* report) override;
  // Segments walked by recovery and IndexSegment() so far (for tests).
  int64_t IndexedSegmentsForTesting() const {
    return indexed_segments_.load(std::memory_order_relaxed);
  }
  // Segments opened by OpenSegment() so far (for tests).
  // Returns once the preparer thread has done what it was asked before
  // (spare files, and under kNone the bounds markers' moves after rolls).
  void WaitForPreparerForTesting();
  int64_t OpenedSegmentsForTesting() const {
    return opened_segments_.load(std::memory_order_relaxed);
  }

  absl::StatusOr<std::shared_ptr<Segment>> CreateSegment(
      uint32_t shard_number, uint64_t base_position,
      size_t min_capacity) override;
  // Under Durability::kNone, the map. Under a syncing durability, for an
  // append of at least kWriteThroughMinBytes (16 KiB) of frames, a buffer
  // of the shard's that `Commit()` writes to the file with pwrite(2): a
  // write through the map dirties its whole (2 MiB) page, which every sync
  // then writes out again, where write(2) dirties only the blocks it wrote.
  // Readers see the same bytes through their maps either way.
  char* FrameTarget(Segment& segment, size_t offset, size_t bytes) override;
  absl::Status Commit(Segment& segment, size_t end_offset) override;
  // Zeroes the header at the published end (synced if the frames may have
  // been; best effort) and rolls the shard's committed and synced positions
  // back.
  void Abort(Segment& segment) override;
  // Deletes the segment's file, or, if it took the name of the shard's empty
  // marker (see `Remove()`), makes it an empty marker again. A file that
  // cannot be deleted is deleted by the next `CreateSegment()` of the shard,
  // which fails while it exists, so that no later segment follows it.
  void Discard(std::shared_ptr<Segment> segment) override;
  void Remove(std::shared_ptr<Segment> segment) override;
  // Unmaps and removes the shard's recycled and spare segment files, and
  // recycles none of its segments from now on.
  void RetireShard(uint32_t shard_number) override;

  // Makes the shard's committed frames durable if records below
  // `end_position` are not yet. Returns the sticky error (see above) if a
  // sync fails or failed before, and kFailedPrecondition when read-only or
  // closed.
  absl::Status SyncShard(uint32_t shard_number, uint64_t end_position);
  // Waits, issuing no sync itself, until records below `end_position` of the
  // shard are durable (synced by the group commit or anyone else), or the
  // Env's clock reaches `deadline_millis` (INT64_MAX: no deadline). Returns
  // OK, the sticky error, kFailedPrecondition when read-only or once closed
  // (Close() syncs first, so a record it synced returns OK), or
  // kDeadlineExceeded.
  absl::Status WaitSynced(uint32_t shard_number, uint64_t end_position,
                          int64_t deadline_millis);
  // One past the last durable position of the shard (0 if none synced yet).
  // Only a successful sync moves it forward.
  uint64_t SyncedPosition(uint32_t shard_number) const;
  // Syncs every shard; returns the sticky error if any sync failed.
  absl::Status SyncAll();
  // Stops the background syncer and syncs every shard; later commits fail
  // with kFailedPrecondition. Returns the sticky error if a sync ever failed
  // (the caller must then not mark the directory clean). Idempotent.
  absl::Status Close();
  // The sticky error, or OK if no sync has failed.
  absl::Status BackgroundError() const;

  // Following (mmap_follow.cc; FOLLOW in SEGMENT_FORMAT.md). The writer's
  // side: opens (or makes) FOLLOW with room for `shard_count` shards and
  // publishes every shard's durable end; from then on `Published()` and
  // every sync publish there. Call once the shards are recovered, before the
  // first append. Returns an I/O error naming the file.
  absl::Status StartPublishing(uint32_t shard_count);
  void Published(uint32_t shard_number, uint64_t end_position,
                 uint64_t trim_position) override;
  // The writer rewrote STREAM, which now lists `shard_count` shards: grows
  // FOLLOW and bumps its change counter.
  void StreamChanged(uint32_t shard_count);
  // A follower's side: FOLLOW as the writer keeps it, opened at the first
  // call that finds it (null until then, or if it is not of this layout).
  FollowFile* FollowForReading();
  // Maps segment file <base>.seg of the shard, read-only, as a segment
  // holding nothing yet (end_offset 0). kNotFound if there is none;
  // kUnavailable if it is shorter than a frame header (being made).
  absl::StatusOr<std::shared_ptr<Segment>> MapForFollowing(
      uint32_t shard_number, uint64_t base_position);
  // The bases of the shard's segment files, in increasing order.
  absl::StatusOr<std::vector<uint64_t>> ListSegmentBases(uint32_t shard_number);

 private:
  struct ShardState;
  class Syncer;
  class Preparer;
  absl::Status SyncShardState(ShardState& shard, uint64_t end_position);
  // Writes a staged append's frames, bytes [from, end) of `b`'s file, from
  // `frames` (FrameTarget()).
  absl::Status WriteStaged(MmapBacking& b, const char* frames, size_t from,
                           size_t end);
  // Undoes the creation of segment file `path` of `shard` for an append that
  // will not publish it: the shard's empty marker (`marker`) is emptied
  // again, any other file removed or else remembered in `stray_paths`.
  void DropCreated(ShardState& shard, const std::string& path, bool marker);
  // CreateSegment()'s two ways to a file, which `NewSegmentFile` names: a
  // ready one (a spare or recycled file of the shard; null if none), else a
  // fresh one.
  struct NewSegmentFile {
    std::string dir;
    std::string path;
    size_t capacity = 0;
    bool marker = false;  // the name is the shard's empty marker's
  };
  absl::StatusOr<std::unique_ptr<MmapBacking>> TakeReadyFile(
      ShardState& shard, const NewSegmentFile& f);
  absl::StatusOr<std::unique_ptr<MmapBacking>> CreateFreshFile(
      ShardState& shard, const NewSegmentFile& f);
  // Removes the files a failed `DropCreated()` left; returns the first
  // error and keeps what is still there.
  absl::Status RemoveStrays(ShardState& shard);
  // Makes `error` (a failed sync) the sticky error unless there is one
  // already, wakes WaitSynced(), and returns the sticky error.
  absl::Status SetBackgroundError(const absl::Status& error);
  // A region's or a directory's sync; a failure becomes the sticky error.
  absl::Status SyncRegion(MappedRegion& region, const std::string& path,
                          size_t offset, size_t length);
  absl::Status SyncDir(const std::string& dir);

  // Renames the shard's bounds marker to say `trim` (if `set_trim`) and
  // `head` (if `set_head`), creating it if it has none yet. `deferred`: the
  // preparer's move to the shard's pending head `head` (MoveHeadDeferred()),
  // dropped if Discard() cleared it meanwhile and never lowering the head.
  absl::Status MoveBounds(ShardState& state, bool set_trim, uint64_t trim,
                          bool set_head, uint64_t head, bool deferred = false);
  // Under kNone, on the preparer's thread: syncs the shard's directory and
  // moves the marker's head to the newest segment a roll left pending, so
  // that a roll does not wait for a directory sync.
  void MoveHeadDeferred(uint32_t shard_number);
  // Creates, maps and faults in a zero-filled spare segment file for the
  // shard's next roll, off the append path (the preparer's thread).
  void PrepareSpare(uint32_t shard_number, size_t capacity);
  // OpenSegment() of a file that is gone: dropped by retention, or lost.
  absl::Status Vanished(Segment& segment, RecoveryReport* report);
  // A segment none of whose records can be read: reports it and returns
  // kDataLoss naming the file; it then holds nothing.
  absl::Status Lost(Segment& segment, absl::string_view reason,
                    RecoveryReport* report);
  // The capacity of a segment of `segment_bytes`: only such files are reused.
  size_t StandardCapacity() const;

  ShardState& State(uint32_t shard_number) const;
  std::vector<ShardState*> States() const;

  const MmapStoreOptions options_;
  mutable Mutex shards_mu_;
  std::vector<std::unique_ptr<ShardState>> shards_ ABSL_GUARDED_BY(shards_mu_);
  std::atomic<uint64_t> spares_made_{0};
  std::atomic<int64_t> indexed_segments_{0};
  std::atomic<int64_t> opened_segments_{0};
  // The sticky error; `has_bg_error_` lets the append path check it without
  // the lock.
  mutable Mutex error_mu_;
  absl::Status bg_error_ ABSL_GUARDED_BY(error_mu_);
  std::atomic<bool> has_bg_error_{false};
  std::unique_ptr<Syncer> syncer_;
  std::unique_ptr<Preparer> preparer_;  // writable stores only
  // FOLLOW: the writer's (set by StartPublishing()) or a follower's (by
  // FollowForReading()); `follow_` is read without a lock on hot paths.
  Mutex follow_mu_;
  std::unique_ptr<FollowFile> follow_owner_ ABSL_GUARDED_BY(follow_mu_);
  std::atomic<FollowFile*> follow_{nullptr};
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_MMAP_SEGMENT_STORE_H_
