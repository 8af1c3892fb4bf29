// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// <dir>/FOLLOW: what the writer of a stream directory publishes to the
// read-only opens that follow it (in this process or others), through a small
// file that both map MAP_SHARED. Per shard: the published end (one past the
// last record readers may see), the durable end (one past the last record a
// sync made durable) and the trim (below which retention dropped every
// record); stream-wide: a change counter, bumped after every rewrite of
// STREAM (a reshard, a retention change), and a 32-bit notify word that the
// writer bumps after publishing and that followers wait on with futex(2).
// The layout is in SEGMENT_FORMAT.md ("FOLLOW").
//
// Waiting: futex(2) without FUTEX_PRIVATE_FLAG on the notify word. The word
// lives in a file mapped MAP_SHARED, so the kernel keys the futex on the
// file's page and offset, and a wake in the writer's process reaches waiters
// in every process that maps the file, with no extra file descriptor, thread
// or syscall on the writer's path when nobody waits: a follower counts itself
// in `waiters` before it sleeps, and the writer calls FUTEX_WAKE only when
// that count is non-zero (one atomic increment and one load otherwise).
// Chosen over an eventfd (cannot be shared with an unrelated process that
// opens the directory later) and inotify (wakes on every page write-back, not
// on publication, and costs a descriptor per follower).
//
// Thread safety: thread-safe; every field of the mapping is read and written
// with atomic builtins, so writer and followers in any process may use it at
// once. Lifetime: the file is never shrunk or replaced once made (a follower
// may map it), only grown in place when a reshard needs more slots.

#ifndef BROOK_LIB_STORE_FOLLOW_FILE_H_
#define BROOK_LIB_STORE_FOLLOW_FILE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/env.h"

#include "store/segment.h"
#include "util/mutex.h"

namespace brook {
namespace internal {

// <dir>/FOLLOW
std::string FollowPath(absl::string_view dir);

inline constexpr char kFollowMagic[8] = {'B', 'R', 'K', 'F',
                                         'O', 'L', 'L', 'W'};
inline constexpr uint32_t kFollowVersion = 1;
inline constexpr size_t kFollowHeaderBytes = 64;
inline constexpr size_t kFollowSlotBytes = 32;

class FollowFile {
 public:
  // What the writer published for one shard.
  struct Slot {
    uint64_t published_end = 0;
    uint64_t durable_end = 0;
    uint64_t trim = 0;
  };

  // The writer's: opens or creates the file with room for at least
  // `shard_count` slots and bumps its generation. An existing file of another
  // layout (bad magic or size) is rewritten in place (a follower that mapped
  // it checked the magic and follows nothing of it).
  static absl::StatusOr<std::unique_ptr<FollowFile>> OpenForWriter(
      Env* env, absl::string_view dir, uint32_t shard_count);
  // A follower's: kNotFound if there is none (no writer of this version has
  // opened the directory), kDataLoss if it is not of this layout. Mapped
  // writable if the file can be opened so (to count waiters), else read-only:
  // waits then poll (see Wait()).
  static absl::StatusOr<std::unique_ptr<FollowFile>> OpenForReader(
      Env* env, absl::string_view dir);
  ~FollowFile();

  // Writer. Makes room for shards below `shard_count` (grows the file).
  absl::Status Reserve(uint32_t shard_count);
  // Publishes shard `shard`'s ends and wakes followers if any waits.
  void Publish(uint32_t shard, uint64_t published_end, uint64_t trim);
  void PublishDurable(uint32_t shard, uint64_t durable_end);
  // STREAM was rewritten: bumps the change counter and wakes followers.
  void BumpChange();

  // Follower. The shard's slot; all zero for a shard the file has no slot
  // for yet (a reshard's new shard before the writer published to it).
  Slot Read(uint32_t shard);
  uint64_t change_counter() const;
  uint32_t notify_value() const;
  // Sleeps until the notify word differs from `seen` or `max_wait` (real
  // time) passes; returns at once if it differs already. May return early.
  void Wait(uint32_t seen, absl::Duration max_wait);

 private:
  FollowFile(Env* env, std::string path, std::unique_ptr<File> file,
             bool writable);
  absl::Status MapSize(size_t bytes);
  char* base() const { return base_.load(std::memory_order_acquire); }
  uint32_t* word(size_t offset) const {
    return reinterpret_cast<uint32_t*>(base() + offset);
  }
  uint64_t* dword(size_t offset) const {
    return reinterpret_cast<uint64_t*>(base() + offset);
  }
  void Wake();

  Env* const env_;
  const std::string path_;
  const std::unique_ptr<File> file_;
  const bool writable_;
  Mutex map_mu_;
  // Regions mapped so far, newest last; older ones stay mapped (they show
  // the same pages) so that a concurrent reader of base_ never sees an unmap.
  std::vector<std::unique_ptr<MappedRegion>> regions_ ABSL_GUARDED_BY(map_mu_);
  std::atomic<char*> base_{nullptr};
  std::atomic<uint32_t> slots_{0};  // slots the newest region holds
};

// What ScanCommitted() found.
struct CommittedFrames {
  std::vector<BatchIndexEntry> batches;  // appended to
  size_t end_offset = 0;                 // past the last frame taken
  uint64_t end_position = 0;             // one past its last record
  int64_t first_arrival_millis = 0;      // of the first frame taken, if any
  int64_t last_arrival_millis = 0;
  // The walk stopped at a frame that is neither the end of the log nor
  // committed and valid (`reason` says why): a follower takes that for an
  // append in progress unless the writer published past it.
  bool bad = false;
  std::string reason;
};

// A follower's walk of a segment `data` of `size` bytes from byte `offset`,
// where position `position` starts, over the frames that CheckFrame() finds
// committed and valid (flag read with acquire semantics, then the header and
// the CRC), taking only frames that end at or before `cap`. Sets
// `out->end_offset` and `out->end_position` to where it stopped.
void ScanCommitted(const char* data, size_t size, size_t offset,
                   uint64_t position, uint64_t cap, CommittedFrames* out);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_FOLLOW_FILE_H_
