// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "store/mmap_segment_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "store/mmap_recovery.h"
#include "store/record_format.h"
#include "util/crc32c.h"
#include "util/shard_id.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

// The writer keeps this much of its segment faulted in ahead of itself.
constexpr size_t kPrefaultAhead = size_t{1} << 20;
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

  char* data() override { return region_->data(); }
  size_t capacity() const override { return region_->size(); }
  MappedRegion& region() { return *region_; }

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
  // Set by CreateSegment() for Discard(): the shard's newest base before this
  // segment, and whether this file took the name of the shard's empty marker.
  uint64_t previous_latest_base = 0;
  bool replaced_marker = false;

 private:
  std::unique_ptr<MappedRegion> region_;
  std::shared_ptr<RecyclePool> pool_;  // set by RecycleTo()
  std::string recycle_path_;
};

// The CRC of the frame at `frame` (bytes [8, frame_bytes)) as it reads once
// its flags are `flags`.
uint32_t CrcWithFlags(const char* frame, uint32_t flags) {
  const uint32_t frame_bytes = DecodeFixed<uint32_t>(frame);
  char encoded[4];
  EncodeFixed<uint32_t>(encoded, flags);
  uint32_t crc = Crc32cExtend(0, frame + 8, 20);
  crc = Crc32cExtend(crc, encoded, 4);
  return Crc32cExtend(crc, frame + kBatchHeaderBytes,
                      frame_bytes - kBatchHeaderBytes);
}

MmapBacking& BackingOf(const Segment& segment) {
  return *static_cast<MmapBacking*>(segment.backing());
}

}  // namespace

std::string ReadersLockPath(absl::string_view dir) {
  return absl::StrCat(dir, "/READERS");
}

struct MmapSegmentStore::ShardState {
  ShardState(uint32_t n, std::shared_ptr<RecyclePool> p)
      : number(n), pool(std::move(p)) {}
  const uint32_t number;
  const std::shared_ptr<RecyclePool> pool;  // null when read-only
  Mutex sync_mu ABSL_ACQUIRED_BEFORE(mu);   // one sync at a time
  Mutex mu;
  // Segments that may hold committed but unsynced bytes, oldest first. Weak:
  // a segment retention dropped needs no sync, and its map must go.
  std::vector<std::weak_ptr<Segment>> dirty ABSL_GUARDED_BY(mu);
  uint64_t committed_position ABSL_GUARDED_BY(mu) = 0;
  uint64_t synced_position ABSL_GUARDED_BY(mu) = 0;
  int64_t unsynced_bytes ABSL_GUARDED_BY(mu) = 0;
  int64_t unsynced_since_millis ABSL_GUARDED_BY(mu) = 0;
  uint64_t latest_base ABSL_GUARDED_BY(mu) = 0;
  // A segment file was created since the shard's directory was last synced.
  bool dir_unsynced ABSL_GUARDED_BY(mu) = false;
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

  void Run() {
    Env* const env = store_->options_.env;
    const int64_t millis = store_->options_.group_commit_millis;
    for (;;) {
      const int64_t now = env->NowMillis();
      int64_t next = SaturatingAdd(now, millis);
      if (store_->has_bg_error_.load(std::memory_order_acquire)) {
        next = std::numeric_limits<int64_t>::max();
      } else {
        for (ShardState* shard : store_->States()) {
          uint64_t target = 0;
          {
            MutexLock lock(&shard->mu);
            if (shard->unsynced_bytes == 0) continue;
            const int64_t due =
                SaturatingAdd(shard->unsynced_since_millis, millis);
            if (now < due) {
              next = std::min(next, due);
              continue;
            }
            target = shard->committed_position;
          }
          // A failure becomes the store's sticky error: every later append,
          // sync and wait returns it, and the next pass only waits.
          store_->SyncShardState(*shard, target).IgnoreError();
        }
      }
      MutexLock lock(&mu_);
      while (!stop_ && !wake_.WaitUntil(&mu_, env, next)) {
      }
      if (stop_) return;
    }
  }

  MmapSegmentStore* const store_;
  Mutex mu_;
  CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Prepares spare segment files on request, one at a time.
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
    requests_.push_back({shard_number, capacity});
    wake_.Signal();
  }

 private:
  struct Job {
    uint32_t shard;
    size_t capacity;
  };
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !requests_.empty();
  }
  void Run() {
    for (;;) {
      Job job;
      {
        MutexLock lock(&mu_);
        while (!Ready()) wake_.Wait(&mu_);
        if (stop_) return;
        job = requests_.front();
        requests_.erase(requests_.begin());
      }
      store_->PrepareSpare(job.shard, job.capacity);
    }
  }

  MmapSegmentStore* const store_;
  Mutex mu_;
  CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Job> requests_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

MmapSegmentStore::MmapSegmentStore(MmapStoreOptions options)
    : options_(std::move(options)) {
  for (int i = 0; i < options_.shard_count; ++i) {
    AddShard(static_cast<uint32_t>(i));
  }
  if (!options_.read_only && options_.durability == Durability::kGroupCommit &&
      options_.group_commit_millis > 0) {
    syncer_ = std::make_unique<Syncer>(this);
  }
  if (!options_.read_only) preparer_ = std::make_unique<Preparer>(this);
}

MmapSegmentStore::~MmapSegmentStore() {
  preparer_.reset();
  syncer_.reset();
}

void MmapSegmentStore::PrepareSpare(uint32_t shard_number, size_t capacity) {
  ShardState& state = State(shard_number);
  if (!state.pool->HasRoom() || state.pool->Has(capacity)) return;
  Env* const env = options_.env;
  const std::string path = absl::StrCat(
      ShardDir(shard_number), "/spare-",
      spares_made_.fetch_add(1, std::memory_order_relaxed), kRecycleSuffix);
  absl::StatusOr<std::unique_ptr<File>> file =
      env->OpenFile(path, FileOpenMode::kCreate);
  if (!file.ok()) return;  // the appender creates its segment itself
  absl::Status s = (*file)->Allocate(capacity);
  absl::StatusOr<std::unique_ptr<MappedRegion>> region =
      s.ok() ? (*file)->Map(capacity, /*writable=*/true)
             : absl::StatusOr<std::unique_ptr<MappedRegion>>(s);
  file->reset();
  if (!region.ok()) {
    env->RemoveFile(path).IgnoreError();  // as above; recovery removes it too
    return;
  }
  (*region)->Prefault(0, capacity);
  state.pool->Give({path, *std::move(region)});
}

size_t MmapSegmentStore::StandardCapacity() const {
  return (static_cast<size_t>(options_.segment_bytes) + kPageBytes - 1) /
         kPageBytes * kPageBytes;
}

std::string MmapSegmentStore::ShardDir(uint32_t shard_number) const {
  return absl::StrCat(options_.dir, "/", ShardIdFromNumber(shard_number));
}

absl::StatusOr<RecoveredShard> MmapSegmentStore::RecoverShard(
    uint32_t shard_number, const ShardExpectation& expect, bool verify_crc,
    RecoveryReport* report) {
  ShardState& state = State(shard_number);
  ShardRecoveryOptions o;
  o.env = options_.env;
  o.dir = ShardDir(shard_number);
  o.writable = !options_.read_only;
  o.verify_crc = verify_crc;
  o.expect = expect;
  BROOK_ASSIGN_OR_RETURN(ShardLog log, RecoverShardLog(o, report));

  RecoveredShard out;
  out.end_position = log.end_position;
  for (ScannedSegment& s : log.segments) {
    if (s.batches.empty()) {
      // An empty segment holds no records; only the last one may be, and it
      // stays on disk, telling where the next append starts, until an append
      // reuses it.
      continue;
    }
    auto backing = std::make_unique<MmapBacking>(s.path, shard_number,
                                                 std::move(s.region));
    backing->committed_offset = s.end_offset;
    backing->synced_offset = s.end_offset;
    backing->prefaulted_offset = s.end_offset;
    auto segment = std::make_shared<Segment>(s.base, std::move(backing));
    segment->end_offset = s.end_offset;
    segment->end_position = s.end_position;
    segment->first_arrival_millis = s.first_arrival_millis;
    segment->last_arrival_millis = s.last_arrival_millis;
    segment->batches = std::move(s.batches);
    out.segments.push_back(std::move(segment));
  }
  {
    MutexLock lock(&state.bounds_mu);
    state.bounds_name = log.bounds_name;
  }
  MutexLock lock(&state.mu);
  state.committed_position = out.end_position;
  state.synced_position = out.end_position;
  state.latest_base = log.latest_base;
  if (log.verified_crc && o.writable) {
    // After an unclean shutdown the frames may be only in the page cache:
    // they count as unsynced until the policy (or a caller) syncs them.
    for (const std::shared_ptr<Segment>& seg : out.segments) {
      BackingOf(*seg).synced_offset = 0;
      state.unsynced_bytes += static_cast<int64_t>(seg->end_offset);
      state.dirty.push_back(seg);
    }
    if (!out.segments.empty()) {
      state.synced_position = out.segments.front()->base_position();
      state.unsynced_since_millis = options_.env->NowMillis();
    }
  }
  return out;
}

namespace {

// The name of a shard's bounds marker after a move from `current` (empty: no
// marker yet; `*had` says whether there was one).
std::string MovedBoundsName(const std::string& current, bool set_trim,
                            uint64_t trim, bool set_head, uint64_t head,
                            bool* had) {
  uint64_t old_trim = trim, old_head = head;
  *had = !current.empty() && ParseBoundsName(current, &old_trim, &old_head);
  if (!set_trim) trim = *had ? old_trim : head;
  if (!set_head) head = *had ? old_head : trim;
  return BoundsName(trim, head);
}

}  // namespace

absl::Status MmapSegmentStore::MoveBounds(ShardState& state, bool set_trim,
                                          uint64_t trim, bool set_head,
                                          uint64_t head) {
  const std::string dir = ShardDir(state.number);
  bool had;
  bool renames;
  {
    MutexLock lock(&state.bounds_mu);
    renames = MovedBoundsName(state.bounds_name, set_trim, trim, set_head, head,
                              &had) != state.bounds_name &&
              had;
  }
  // Across a power loss the marker must not outlive the segment files it
  // names, which kNone creates without a directory sync: sync those names
  // before the rename, or the next open reads the vanished segments as lost
  // records. A failure is sticky, as any sync's; the marker stays.
  bool unsynced = false;
  if (renames) {
    MutexLock lock(&state.mu);
    unsynced = state.dir_unsynced;
  }
  if (unsynced) {
    BROOK_RETURN_IF_ERROR(SyncDir(dir));
    MutexLock lock(&state.mu);
    state.dir_unsynced = false;
  }
  MutexLock lock(&state.bounds_mu);
  const std::string name =
      MovedBoundsName(state.bounds_name, set_trim, trim, set_head, head, &had);
  if (had && name == state.bounds_name) return absl::OkStatus();
  const std::string path = absl::StrCat(dir, "/", name);
  // A rename replaces the marker atomically: there is always exactly one.
  BROOK_RETURN_IF_ERROR(
      had ? options_.env->RenameFile(absl::StrCat(dir, "/", state.bounds_name),
                                     path)
          : options_.env->OpenFile(path, FileOpenMode::kCreate).status());
  state.bounds_name = name;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Segment>> MmapSegmentStore::CreateSegment(
    uint32_t shard_number, uint64_t base_position, size_t min_capacity) {
  ShardState& state = State(shard_number);
  uint64_t previous_latest_base;
  {
    MutexLock lock(&state.mu);
    if (options_.read_only || state.closed) {
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed or read-only"));
    }
    previous_latest_base = state.latest_base;
  }
  BROOK_RETURN_IF_ERROR(BackgroundError());
  BROOK_RETURN_IF_ERROR(RemoveStrays(state));
  // The name is taken by the shard's empty marker (what recovery or retention
  // leaves where the next append starts); if this append fails, it must stay.
  const bool marker = base_position == previous_latest_base;
  Env* const env = options_.env;
  const size_t capacity =
      (min_capacity + kPageBytes - 1) / kPageBytes * kPageBytes;
  const std::string dir = ShardDir(shard_number);
  const std::string path = absl::StrCat(dir, "/", SegmentName(base_position));
  // Have the next segment of the standard size ready before this one fills.
  if (preparer_ != nullptr && capacity == StandardCapacity()) {
    preparer_->Request(shard_number, capacity);
  }
  RecyclePool::Entry reused;
  while (state.pool->Take(capacity, &reused)) {
    absl::Status renamed = env->RenameFile(reused.path, path);
    if (!renamed.ok()) {
      reused.region.reset();
      env->RemoveFile(reused.path).IgnoreError();  // ignored at recovery
      continue;
    }
    // Old frames follow; a zero header ends the log before them.
    std::memset(reused.region->data(), 0, kBatchHeaderBytes);
    if (options_.durability != Durability::kNone) {
      absl::Status synced = SyncDir(dir);
      if (!synced.ok()) {
        reused.region.reset();
        DropCreated(state, path, marker);
        return synced;
      }
    }
    auto backing = std::make_unique<MmapBacking>(path, shard_number,
                                                 std::move(reused.region));
    backing->prefaulted_offset = capacity;
    backing->previous_latest_base = previous_latest_base;
    backing->replaced_marker = marker;
    {
      MutexLock lock(&state.mu);
      state.latest_base = base_position;
      if (options_.durability == Durability::kNone) state.dir_unsynced = true;
    }
    // After the file exists: the marker's head is a lower bound, and a stale
    // one is harmless.
    MoveBounds(state, false, 0, true, base_position).IgnoreError();
    return std::make_shared<Segment>(base_position, std::move(backing));
  }
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         env->OpenFile(path, FileOpenMode::kCreate));
  // The name may be taken by an empty segment left by recovery or retention;
  // it holds no records, so start it afresh.
  absl::Status s = file->Truncate(0);
  if (s.ok()) s = file->Allocate(capacity);
  std::unique_ptr<MappedRegion> region;
  if (s.ok()) {
    absl::StatusOr<std::unique_ptr<MappedRegion>> mapped =
        file->Map(capacity, /*writable=*/true);
    if (mapped.ok()) {
      region = *std::move(mapped);
    } else {
      s = mapped.status();
    }
  }
  // Durable policies sync the new name before any record in it is synced.
  if (s.ok() && options_.durability != Durability::kNone) {
    s = SyncDir(dir);
  }
  if (!s.ok()) {
    file.reset();
    region.reset();
    // The file holds nothing; leave no full-size empty file behind.
    DropCreated(state, path, marker);
    return s;
  }
  region->Prefault(0, std::min(capacity, kPrefaultAhead));
  auto backing =
      std::make_unique<MmapBacking>(path, shard_number, std::move(region));
  backing->prefaulted_offset = std::min(capacity, kPrefaultAhead);
  backing->previous_latest_base = previous_latest_base;
  backing->replaced_marker = marker;
  {
    MutexLock lock(&state.mu);
    state.latest_base = base_position;
    if (options_.durability == Durability::kNone) state.dir_unsynced = true;
  }
  MoveBounds(state, false, 0, true, base_position).IgnoreError();  // as above
  return std::make_shared<Segment>(base_position, std::move(backing));
}

absl::Status MmapSegmentStore::Commit(Segment& segment, size_t end_offset) {
  MmapBacking& b = BackingOf(segment);
  ShardState& state = State(b.shard);
  // Frames [from, end_offset) are new: only this appender touches them.
  const size_t from = segment.end_offset;
  char* const data = segment.data();
  uint64_t first_position = 0;
  uint64_t end_position = 0;
  for (size_t off = from; off < end_offset;) {
    BatchHeader h = DecodeBatchHeader(data + off);
    h.flags |= kBatchHasCrc;
    // The CRC covers the flags; it is stored before them, so that a reader
    // (a read-only stream, maybe another process) that sees kBatchHasCrc sees
    // a complete frame: a frame without the flag is an append in progress.
    EncodeFixed<uint32_t>(data + off + 4, CrcWithFlags(data + off, h.flags));
    std::atomic_thread_fence(std::memory_order_release);
    EncodeFixed<uint32_t>(data + off + 28, h.flags);
    if (off == from) first_position = h.first_position;
    end_position = h.first_position + h.record_count;
    off += h.frame_bytes;
  }
  // An explicit end of log: the file may hold old frames (recycled) or an
  // earlier torn append's bytes past this point.
  std::memset(data + end_offset, 0,
              std::min(kBatchHeaderBytes, segment.capacity() - end_offset));
  if (b.prefaulted_offset < end_offset + kPrefaultAhead / 2 &&
      b.prefaulted_offset < segment.capacity()) {
    const size_t to = std::min(segment.capacity(), end_offset + kPrefaultAhead);
    b.region().Prefault(b.prefaulted_offset, to - b.prefaulted_offset);
    b.prefaulted_offset = to;
  }

  bool sync_now = false;
  {
    MutexLock lock(&state.mu);
    if (state.closed) {
      std::memset(data + from, 0, kBatchHeaderBytes);  // not part of the log
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed"));
    }
    if (has_bg_error_.load(std::memory_order_acquire)) {
      std::memset(data + from, 0, kBatchHeaderBytes);  // as above
      return BackgroundError();
    }
    // A failed append may have committed frames it never published; they are
    // being overwritten now.
    if (from < b.committed_offset) {
      b.committed_offset = from;
      b.synced_offset = std::min(b.synced_offset, from);
      state.synced_position = std::min(state.synced_position, first_position);
    }
    state.unsynced_bytes += static_cast<int64_t>(end_offset - from);
    b.committed_offset = end_offset;
    state.committed_position = end_position;
    if (state.dirty.empty() || state.dirty.back().lock().get() != &segment) {
      // Forget dropped segments first, so the list stays short under kNone.
      state.dirty.erase(std::remove_if(state.dirty.begin(), state.dirty.end(),
                                       [](const std::weak_ptr<Segment>& w) {
                                         return w.expired();
                                       }),
                        state.dirty.end());
      state.dirty.push_back(segment.weak_from_this());
    }
    switch (options_.durability) {
      case Durability::kNone:
        break;
      case Durability::kAlways:
        sync_now = true;
        break;
      case Durability::kGroupCommit:
        sync_now = options_.group_commit_bytes > 0 &&
                   state.unsynced_bytes >= options_.group_commit_bytes;
        if (!sync_now && state.unsynced_since_millis == 0) {
          state.unsynced_since_millis = options_.env->NowMillis();
        }
        break;
    }
  }
  if (!sync_now) return absl::OkStatus();
  absl::Status s = SyncShardState(state, end_position);
  if (!s.ok()) Abort(segment);  // not acknowledged, so not part of the log
  return s;
}

void MmapSegmentStore::Abort(Segment& segment) {
  MmapBacking& b = BackingOf(segment);
  ShardState& state = State(b.shard);
  const size_t from = segment.end_offset;
  if (from >= segment.capacity()) return;
  const uint64_t first_position =
      DecodeFixed<uint64_t>(segment.data() + from + 8);
  std::memset(segment.data() + from, 0,
              std::min(kBatchHeaderBytes, segment.capacity() - from));
  bool was_synced;
  {
    MutexLock lock(&state.mu);
    was_synced = b.synced_offset > from;
    b.committed_offset = std::min(b.committed_offset, from);
    b.synced_offset = std::min(b.synced_offset, from);
    state.committed_position =
        std::min(state.committed_position, first_position);
    state.synced_position = std::min(state.synced_position, first_position);
  }
  if (was_synced) {
    // Best effort: if this fails too, the frames may come back after a power
    // loss, complete and checksummed, as records of a failed append. The
    // failure is recorded as the sticky error all the same.
    SyncRegion(b.region(), b.path, from, kBatchHeaderBytes).IgnoreError();
  }
}

void MmapSegmentStore::Discard(std::shared_ptr<Segment> segment) {
  MmapBacking& b = BackingOf(*segment);
  ShardState& state = State(b.shard);
  {
    MutexLock lock(&state.mu);
    state.latest_base = b.previous_latest_base;
  }
  // No committed frame: a marker kept after a failed truncate stays empty.
  std::memset(segment->data(), 0,
              std::min(kBatchHeaderBytes, segment->capacity()));
  const std::string path = b.path;
  bool marker = b.replaced_marker;
  // The bounds marker's head moved to this segment when it was created: move
  // it back before the file goes, or the next open would find the newest
  // segment missing. If that fails, the file stays as an empty segment (a
  // stray torn tail to recovery) instead.
  if (!marker &&
      !MoveBounds(state, false, 0, true, b.previous_latest_base).ok()) {
    marker = true;
  }
  segment.reset();  // the last holder: unmaps the file
  DropCreated(state, path, marker);
}

void MmapSegmentStore::DropCreated(ShardState& state, const std::string& path,
                                   bool marker) {
  Env* const env = options_.env;
  if (marker) {
    absl::StatusOr<std::unique_ptr<File>> file =
        env->OpenFile(path, FileOpenMode::kReadWrite);
    // Best effort: a marker of any size works, its first header is zero.
    if (file.ok()) (*file)->Truncate(0).IgnoreError();
    return;
  }
  absl::Status s = env->RemoveFile(path);
  if (s.ok() || absl::IsNotFound(s)) return;
  MutexLock lock(&state.mu);
  state.stray_paths.push_back(path);
}

absl::Status MmapSegmentStore::RemoveStrays(ShardState& state) {
  std::vector<std::string> strays;
  {
    MutexLock lock(&state.mu);
    if (state.stray_paths.empty()) return absl::OkStatus();
    strays.swap(state.stray_paths);
  }
  absl::Status first_error;
  std::vector<std::string> left;
  for (std::string& path : strays) {
    absl::Status s = options_.env->RemoveFile(path);
    if (s.ok() || absl::IsNotFound(s)) continue;
    if (first_error.ok()) {
      first_error = absl::Status(
          s.code(),
          absl::StrCat("segment ", path,
                       " of a failed append cannot be removed: ", s.message()));
    }
    left.push_back(std::move(path));
  }
  MutexLock lock(&state.mu);
  for (std::string& path : left) state.stray_paths.push_back(std::move(path));
  return first_error;
}

void MmapSegmentStore::RetireShard(uint32_t shard_number) {
  ShardState& state = State(shard_number);
  if (state.pool != nullptr) state.pool->Close();
}

void MmapSegmentStore::Remove(std::shared_ptr<Segment> segment) {
  if (options_.read_only) return;
  MmapBacking& b = BackingOf(*segment);
  ShardState& state = State(b.shard);
  bool last;
  {
    MutexLock lock(&state.mu);
    last = segment->base_position() == state.latest_base;
    if (last) state.latest_base = segment->end_position;
  }
  Env* const env = options_.env;
  const std::string dir = ShardDir(b.shard);
  bool made_marker = false;
  if (last) {
    // The shard's newest segment: leave an empty one where the next append
    // starts, so a reopen does not give out its positions again.
    if (segment->end_position == segment->base_position()) return;
    const std::string marker =
        absl::StrCat(dir, "/", SegmentName(segment->end_position));
    // Best effort: without it a reopen restarts at the shard's start.
    made_marker = env->OpenFile(marker, FileOpenMode::kCreate).ok();
  }
  // The bounds marker moves first, so that recovery never takes the missing
  // file for a lost one. If it cannot move, the file stays (and a reopen
  // adopts its records again).
  if (!MoveBounds(state, true, segment->end_position, made_marker,
                  segment->end_position)
           .ok()) {
    return;
  }
  // Readers still holding the segment keep its map; the file is reused (or
  // unlinked) once the last one lets go. A failed unlink leaves records past
  // retention on disk, which readers never return.
  const std::string recycle_path =
      absl::StrCat(dir, "/", segment->base_position(), kRecycleSuffix);
  // A read-only stream (another process) may have the file mapped; it holds
  // a shared lock on READERS meanwhile, and the file is then unlinked, not
  // reused. The rename comes first, so a reader that registers later never
  // finds the file.
  if (segment->capacity() == StandardCapacity() && state.pool->HasRoom() &&
      env->RenameFile(b.path, recycle_path).ok()) {
    if (env->LockFile(ReadersLockPath(options_.dir), /*shared=*/false).ok()) {
      b.RecycleTo(state.pool, recycle_path);
    } else {
      env->RemoveFile(recycle_path).IgnoreError();
    }
  } else {
    env->RemoveFile(b.path).IgnoreError();
  }
  if (options_.durability != Durability::kNone) {
    SyncDir(dir).IgnoreError();  // as above; a failure is sticky
  }
}

absl::Status MmapSegmentStore::SyncShardState(ShardState& state,
                                              uint64_t end_position) {
  MutexLock sync_lock(&state.sync_mu);
  struct Job {
    std::shared_ptr<Segment> segment;
    size_t from;
    size_t to;
  };
  std::vector<Job> jobs;
  uint64_t target;
  bool sync_dir;
  {
    MutexLock lock(&state.mu);
    // Nothing is durable after a failed sync, however it was made later.
    BROOK_RETURN_IF_ERROR(BackgroundError());
    if (state.synced_position >= end_position && end_position != 0) {
      return absl::OkStatus();
    }
    target = state.committed_position;
    sync_dir = state.dir_unsynced;
    state.dir_unsynced = false;
    for (const std::weak_ptr<Segment>& weak : state.dirty) {
      std::shared_ptr<Segment> seg = weak.lock();
      if (seg == nullptr) continue;
      MmapBacking& b = BackingOf(*seg);
      if (b.committed_offset > b.synced_offset) {
        jobs.push_back({std::move(seg), b.synced_offset, b.committed_offset});
      }
    }
  }
  if (sync_dir) {
    absl::Status s = SyncDir(ShardDir(state.number));
    if (!s.ok()) {
      MutexLock lock(&state.mu);
      state.dir_unsynced = true;
      return s;
    }
  }
  // Oldest first, so a durable frame is never preceded by a lost one.
  for (const Job& job : jobs) {
    MmapBacking& b = BackingOf(*job.segment);
    // With the zero header that ends the log.
    const size_t end = std::min(job.to + kBatchHeaderBytes, b.capacity());
    // On failure nothing moves: synced_position covers only what synced.
    BROOK_RETURN_IF_ERROR(
        SyncRegion(b.region(), b.path, job.from, end - job.from));
  }
  MutexLock lock(&state.mu);
  for (const Job& job : jobs) {
    MmapBacking& b = BackingOf(*job.segment);
    if (b.committed_offset >= job.to) {
      b.synced_offset = std::max(b.synced_offset, job.to);
    }
  }
  if (state.committed_position >= target && state.synced_position < target) {
    state.synced_position = target;
    state.synced_cv.SignalAll();
  }
  int64_t unsynced = 0;
  std::vector<std::weak_ptr<Segment>> still_dirty;
  for (size_t i = 0; i < state.dirty.size(); ++i) {
    std::shared_ptr<Segment> seg = state.dirty[i].lock();
    if (seg == nullptr) continue;
    MmapBacking& b = BackingOf(*seg);
    unsynced += static_cast<int64_t>(b.committed_offset - b.synced_offset);
    // The newest segment stays: it is still being appended to.
    if (b.committed_offset > b.synced_offset || i + 1 == state.dirty.size()) {
      still_dirty.push_back(std::move(state.dirty[i]));
    }
  }
  state.dirty = std::move(still_dirty);
  state.unsynced_bytes = unsynced;
  if (unsynced == 0) state.unsynced_since_millis = 0;
  return absl::OkStatus();
}

absl::Status MmapSegmentStore::SyncShard(uint32_t shard_number,
                                         uint64_t end_position) {
  ShardState& state = State(shard_number);
  {
    MutexLock lock(&state.mu);
    if (options_.read_only || state.closed) {
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed or read-only"));
    }
  }
  return SyncShardState(state, end_position);
}

uint64_t MmapSegmentStore::SyncedPosition(uint32_t shard_number) const {
  ShardState& state = State(shard_number);
  MutexLock lock(&state.mu);
  return state.synced_position;
}

void MmapSegmentStore::AddShard(uint32_t shard_number) {
  MutexLock lock(&shards_mu_);
  while (shards_.size() <= shard_number) {
    shards_.push_back(std::make_unique<ShardState>(
        static_cast<uint32_t>(shards_.size()),
        options_.read_only
            ? nullptr
            : std::make_shared<RecyclePool>(options_.env, kRecycledPerShard)));
  }
}

absl::Status MmapSegmentStore::PrepareShard(uint32_t shard_number) {
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", options_.dir, ": read-only"));
  }
  AddShard(shard_number);
  BROOK_RETURN_IF_ERROR(BackgroundError());
  BROOK_RETURN_IF_ERROR(options_.env->CreateDir(ShardDir(shard_number)));
  return SyncDir(options_.dir);
}

absl::Status MmapSegmentStore::PrepareShards(uint32_t first, uint32_t count) {
  if (count == 0) return absl::OkStatus();
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", options_.dir, ": read-only"));
  }
  AddShard(first + count - 1);  // adds every number below it too
  BROOK_RETURN_IF_ERROR(BackgroundError());
  for (uint32_t n = first; n < first + count; ++n) {
    BROOK_RETURN_IF_ERROR(options_.env->CreateDir(ShardDir(n)));
  }
  return SyncDir(options_.dir);
}

MmapSegmentStore::ShardState& MmapSegmentStore::State(
    uint32_t shard_number) const {
  MutexLock lock(&shards_mu_);
  return *shards_[shard_number];
}

std::vector<MmapSegmentStore::ShardState*> MmapSegmentStore::States() const {
  MutexLock lock(&shards_mu_);
  std::vector<ShardState*> out;
  out.reserve(shards_.size());
  for (const auto& shard : shards_) out.push_back(shard.get());
  return out;
}

absl::Status MmapSegmentStore::SyncAll() {
  absl::Status first_error;
  for (ShardState* shard : States()) {
    uint64_t target;
    {
      MutexLock lock(&shard->mu);
      target = shard->committed_position;
    }
    absl::Status s = SyncShardState(*shard, target);
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

absl::Status MmapSegmentStore::Close() {
  preparer_.reset();
  syncer_.reset();
  if (options_.read_only) return absl::OkStatus();
  absl::Status s = SyncAll();
  if (s.ok()) s = BackgroundError();  // e.g. from a directory sync
  for (ShardState* shard : States()) {
    MutexLock lock(&shard->mu);
    shard->closed = true;
    shard->synced_cv.SignalAll();
  }
  return s;
}

absl::Status MmapSegmentStore::BackgroundError() const {
  if (!has_bg_error_.load(std::memory_order_acquire)) return absl::OkStatus();
  MutexLock lock(&error_mu_);
  return bg_error_;
}

absl::Status MmapSegmentStore::SetBackgroundError(const absl::Status& error) {
  absl::Status sticky;
  {
    MutexLock lock(&error_mu_);
    if (bg_error_.ok()) {
      bg_error_ = absl::Status(
          error.code(),
          absl::StrCat("stream directory ", options_.dir,
                       ": a sync failed, so nothing more is made durable "
                       "until the stream is closed and reopened (whose "
                       "recovery finds what survived): ",
                       error.message()));
      has_bg_error_.store(true, std::memory_order_release);
    }
    sticky = bg_error_;
  }
  for (ShardState* shard : States()) {
    MutexLock lock(&shard->mu);
    shard->synced_cv.SignalAll();
  }
  return sticky;
}

absl::Status MmapSegmentStore::SyncRegion(MappedRegion& region,
                                          const std::string& path,
                                          size_t offset, size_t length) {
  absl::Status s = region.Sync(offset, length);
  if (s.ok()) return s;
  return SetBackgroundError(absl::Status(
      s.code(),
      absl::StrCat("segment ", path, " offset ", offset, ": ", s.message())));
}

absl::Status MmapSegmentStore::SyncDir(const std::string& dir) {
  absl::Status s = options_.env->SyncDir(dir);
  if (s.ok()) return s;
  return SetBackgroundError(absl::Status(
      s.code(), absl::StrCat("directory ", dir, " sync: ", s.message())));
}

absl::Status MmapSegmentStore::WaitSynced(uint32_t shard_number,
                                          uint64_t end_position,
                                          int64_t deadline_millis) {
  ShardState& state = State(shard_number);
  Env* const env = options_.env;
  MutexLock lock(&state.mu);
  for (bool last_look = false;;) {
    BROOK_RETURN_IF_ERROR(BackgroundError());
    if (state.synced_position >= end_position) return absl::OkStatus();
    if (options_.read_only || state.closed) {
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed or read-only"));
    }
    if (last_look) break;
    last_look = state.synced_cv.WaitUntil(&state.mu, env, deadline_millis);
  }
  return absl::DeadlineExceededError(
      absl::StrCat(ShardIdFromNumber(shard_number), ": position ",
                   end_position - 1, " was not made durable in time"));
}

}  // namespace internal
}  // namespace brook
