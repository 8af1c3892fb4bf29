// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The parts of MmapSegmentStore (mmap_segment_store.h) that its files share:
// a shard's state, a segment's backing, the pool of dropped segment files kept
// for reuse, and the syncer and pre-faulter threads. The store is split by
// concern: mmap_segment_store.cc (shards, recovery's adoption, commit, close),
// mmap_segment_files.cc (creating, aborting, discarding and removing segment
// files; the bounds marker), mmap_syncer.cc (syncs, group commit, the sticky
// background error) and mmap_prefaulter.cc (spare segment files).
//
// Thread safety and lock order: as mmap_segment_store.h says.

#ifndef BROOK_LIB_STORE_MMAP_STORE_INTERNAL_H_
#define BROOK_LIB_STORE_MMAP_STORE_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"

#include "brook/env.h"

#include "store/mmap_segment_store.h"
#include "store/segment.h"
#include "util/mutex.h"

namespace brook {
namespace internal {

// The writer keeps this much of its segment faulted in ahead of itself.
constexpr size_t kPrefaultAhead = size_t{1} << 20;
// Under a syncing durability, an append of at least this many bytes of
// frames goes to its file by write(2), not through the map (FrameTarget()).
constexpr size_t kWriteThroughMinBytes = size_t{16} << 10;
// Dropped segment files a shard keeps mapped for reuse.
constexpr size_t kRecycledPerShard = 2;

// Segment files of one shard that retention dropped and no reader holds any
// more, still mapped, kept for reuse: their pages are in memory and mapped
// writable, so the next segment takes no page fault at all (a fresh file
// costs a fault and a kernel page clear per 4 KiB).
class RecyclePool {
 public:
  struct Entry {
    std::string path;  // renamed to <base>.recycle
    std::unique_ptr<MappedRegion> region;
  };
  RecyclePool(Env* env, size_t max_entries)
      : env_(env), max_entries_(max_entries) {}
  ~RecyclePool() {
    for (Entry& e : entries_) env_->RemoveFile(e.path).IgnoreError();
  }

  bool HasRoom() {
    MutexLock lock(&mu_);
    return entries_.size() < max_entries_;
  }
  // The shard will never take a segment again: unmaps and removes what is
  // pooled, and makes later Give()s remove their files.
  void Close() {
    std::vector<Entry> entries;
    {
      MutexLock lock(&mu_);
      max_entries_ = 0;
      entries.swap(entries_);
    }
    for (Entry& e : entries) {
      e.region.reset();
      env_->RemoveFile(e.path).IgnoreError();  // recovery removes it too
    }
  }
  void Give(Entry e) {
    {
      MutexLock lock(&mu_);
      if (entries_.size() < max_entries_) {
        entries_.push_back(std::move(e));
        return;
      }
    }
    e.region.reset();
    env_->RemoveFile(e.path)
        .IgnoreError();  // a stray .recycle file is harmless
  }
  bool Has(size_t capacity) {
    MutexLock lock(&mu_);
    for (const Entry& e : entries_) {
      if (e.region->size() == capacity) return true;
    }
    return false;
  }
  // An entry of exactly `capacity` bytes, if one is pooled.
  bool Take(size_t capacity, Entry* out) {
    MutexLock lock(&mu_);
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].region->size() == capacity) {
        *out = std::move(entries_[i]);
        entries_.erase(entries_.begin() + static_cast<long>(i));
        return true;
      }
    }
    return false;
  }

 private:
  Env* const env_;
  Mutex mu_;
  size_t max_entries_ ABSL_GUARDED_BY(mu_);
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

class MmapBacking final : public SegmentBacking {
 public:
  MmapBacking(std::string file_path, uint32_t shard_number,
              std::unique_ptr<MappedRegion> region)
      : path(std::move(file_path)),
        shard(shard_number),
        region_(std::move(region)) {}
  ~MmapBacking() override {
    if (pool_ != nullptr) pool_->Give({recycle_path_, std::move(region_)});
  }

  // Null and 0 while not mapped (see Segment::opened).
  char* data() override { return region_ ? region_->data() : nullptr; }
  size_t capacity() const override { return region_ ? region_->size() : 0; }
  MappedRegion& region() { return *region_; }
  // Maps a segment a lazy recovery left unopened (null: the file is empty).
  // REQUIRES: the shard's lock; not mapped yet.
  void Attach(std::unique_ptr<MappedRegion> region) {
    region_ = std::move(region);
  }

  // The file was renamed to `recycle_path`; when the last holder lets go of
  // the segment, its map goes to `pool`.
  void RecycleTo(std::shared_ptr<RecyclePool> pool, std::string recycle_path) {
    pool_ = std::move(pool);
    recycle_path_ = std::move(recycle_path);
  }

  const std::string path;
  const uint32_t shard;
  // Guarded by the ShardState's mutex: bytes [0, committed_offset) are
  // checksummed frames, [0, synced_offset) are durable.
  size_t committed_offset = 0;
  size_t synced_offset = 0;
  // Appender only: bytes below this have been prefaulted.
  size_t prefaulted_offset = 0;
  // Appender only: the current append's frames are in the shard's `staging`
  // and go to the file by write(2) (see MmapSegmentStore::FrameTarget()),
  // through `file`, opened by the first such append.
  bool staged = false;
  std::unique_ptr<File> file;
  // Set by CreateSegment() for Discard(): the shard's newest base before this
  // segment, and whether this file took the name of the shard's empty marker.
  uint64_t previous_latest_base = 0;
  bool replaced_marker = false;
  // An unindexed segment's frames are checked with their CRC when indexed.
  bool verify_on_index = false;

 private:
  std::unique_ptr<MappedRegion> region_;
  std::shared_ptr<RecyclePool> pool_;  // set by RecycleTo()
  std::string recycle_path_;
};

inline MmapBacking& BackingOf(const Segment& segment) {
  return *static_cast<MmapBacking*>(segment.backing());
}

struct MmapSegmentStore::ShardState {
  ShardState(uint32_t n, std::shared_ptr<RecyclePool> p)
      : number(n), pool(std::move(p)) {}
  const uint32_t number;
  const std::shared_ptr<RecyclePool> pool;  // null when read-only
  Mutex sync_mu ABSL_ACQUIRED_BEFORE(mu);   // one sync at a time
  Mutex mu;
  // Appender only: where a staged append encodes its frames (FrameTarget()).
  std::vector<char> staging;
  // Segments that may hold committed but unsynced bytes, oldest first. Weak:
  // a segment retention dropped needs no sync, and its map must go.
  std::vector<std::weak_ptr<Segment>> dirty ABSL_GUARDED_BY(mu);
  uint64_t committed_position ABSL_GUARDED_BY(mu) = 0;
  uint64_t synced_position ABSL_GUARDED_BY(mu) = 0;
  int64_t unsynced_bytes ABSL_GUARDED_BY(mu) = 0;
  int64_t unsynced_since_millis ABSL_GUARDED_BY(mu) = 0;
  uint64_t latest_base ABSL_GUARDED_BY(mu) = 0;
  // Segment files created without a directory sync (kNone), counted; and
  // how many of them a completed directory sync covered (the count read
  // before it started). The names are synced when dir_synced == dir_created.
  // Counted, not a flag, so a sync that was already under way when a file
  // was created never marks that file's name synced.
  uint64_t dir_created ABSL_GUARDED_BY(mu) = 0;
  uint64_t dir_synced ABSL_GUARDED_BY(mu) = 0;
  // Files of discarded segments whose removal failed; no segment is created
  // while one is left (it would sit inside the log at the next open).
  std::vector<std::string> stray_paths ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;
  // Signalled when synced_position moves, when the store gets its sticky
  // error and when it closes (WaitSynced()).
  CondVar synced_cv;
  // Taken alone. The shard's bounds marker file (SEGMENT_FORMAT.md); empty
  // until recovery or the first segment makes one.
  Mutex bounds_mu;
  std::string bounds_name ABSL_GUARDED_BY(bounds_mu);
  // Under kNone, the newest segment's base that a roll left for the
  // preparer to move the marker's head to (MoveHeadDeferred()); cleared by
  // Discard(), which moves the head back itself.
  bool has_pending_head ABSL_GUARDED_BY(bounds_mu) = false;
  uint64_t pending_head ABSL_GUARDED_BY(bounds_mu) = 0;
};

// Group commit by time: syncs a shard once its oldest unsynced commit is
// `group_commit_millis` old on the Env's clock. Between passes it waits
// (Env::WaitUntil()) until the next shard falls due, or `group_commit_millis`
// when none is dirty, so that a commit made after a pass is due no earlier than
// that wait ends; a test clock (ManualClockEnv) moved past a due time thus
// always gets the shard synced. After the store's sticky error it only waits
// to be stopped.
class MmapSegmentStore::Syncer {
 public:
  explicit Syncer(MmapSegmentStore* store)
      : store_(store), thread_([this] { Run(); }) {}
  ~Syncer() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
      wake_.SignalAll();
    }
    thread_.join();
  }

 private:
  static int64_t SaturatingAdd(int64_t a, int64_t b) {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    return a > kMax - b ? kMax : a + b;
  }

  void Run();

  MmapSegmentStore* const store_;
  Mutex mu_;
  CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Prepares spare segment files on request, one at a time, and (under kNone)
// moves the bounds marker's head after a roll (MoveHeadDeferred()).
class MmapSegmentStore::Preparer {
 public:
  explicit Preparer(MmapSegmentStore* store)
      : store_(store), thread_([this] { Run(); }) {}
  ~Preparer() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
      wake_.SignalAll();
    }
    thread_.join();
  }
  void Request(uint32_t shard_number, size_t capacity) {
    MutexLock lock(&mu_);
    requests_.push_back({shard_number, capacity, false});
    wake_.Signal();
  }
  // Asks for the shard's pending head to be moved (ShardState::pending_head).
  void RequestHead(uint32_t shard_number) {
    MutexLock lock(&mu_);
    requests_.push_back({shard_number, 0, true});
    wake_.Signal();
  }
  // Returns once every request made before has been done.
  void WaitIdle() {
    MutexLock lock(&mu_);
    while (!requests_.empty() || busy_) idle_.Wait(&mu_);
  }

 private:
  struct Job {
    uint32_t shard;
    size_t capacity;
    bool head;  // MoveHeadDeferred(), not PrepareSpare()
  };
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !requests_.empty();
  }
  void Run();

  MmapSegmentStore* const store_;
  Mutex mu_;
  CondVar wake_;
  CondVar idle_;  // WaitIdle()
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // doing a job taken off requests_
  std::vector<Job> requests_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_MMAP_STORE_INTERNAL_H_
