// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "store/follow_file.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

#include "store/batch_format.h"
#include "util/status_macros.h"
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace brook {
namespace internal {
namespace {

// Header fields (SEGMENT_FORMAT.md, "FOLLOW").
constexpr size_t kVersionOffset = 8;
constexpr size_t kHeaderBytesOffset = 12;
constexpr size_t kSlotBytesOffset = 16;
constexpr size_t kSlotCountOffset = 20;
constexpr size_t kNotifyOffset = 24;
constexpr size_t kWaitersOffset = 28;
constexpr size_t kChangeOffset = 32;
constexpr size_t kGenerationOffset = 40;
// Slot fields.
constexpr size_t kPublishedOffset = 0;
constexpr size_t kDurableOffset = 8;
constexpr size_t kTrimOffset = 16;

constexpr uint32_t kMinSlots = 64;

size_t FileBytes(uint32_t slots) {
  return kFollowHeaderBytes + size_t{slots} * kFollowSlotBytes;
}

size_t SlotOffset(uint32_t shard) {
  return kFollowHeaderBytes + size_t{shard} * kFollowSlotBytes;
}

long Futex(uint32_t* addr, int op, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, addr, op, value, timeout, nullptr, 0);
}

}  // namespace

std::string FollowPath(absl::string_view dir) {
  return absl::StrCat(dir, "/FOLLOW");
}

FollowFile::FollowFile(std::string path, std::unique_ptr<File> file,
                       bool writable)
    : path_(std::move(path)), file_(std::move(file)), writable_(writable) {}

FollowFile::~FollowFile() = default;

absl::Status FollowFile::MapSize(size_t bytes) {
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<MappedRegion> region,
                         file_->Map(bytes, writable_));
  MutexLock lock(&map_mu_);
  base_.store(region->data(), std::memory_order_release);
  slots_.store(
      static_cast<uint32_t>((bytes - kFollowHeaderBytes) / kFollowSlotBytes),
      std::memory_order_release);
  regions_.push_back(std::move(region));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FollowFile>> FollowFile::OpenForWriter(
    Env* env, absl::string_view dir, uint32_t shard_count) {
  const std::string path = FollowPath(dir);
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         env->OpenFile(path, FileOpenMode::kCreate));
  BROOK_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  std::unique_ptr<FollowFile> f(
      new FollowFile(path, std::move(file), /*writable=*/true));
  // Read what is there first: a file of this layout keeps its counters (a
  // follower waits on them), anything else is made anew.
  char header[kFollowHeaderBytes] = {};
  bool ours = false;
  uint32_t slots = 0;
  if (size >= kFollowHeaderBytes) {
    BROOK_ASSIGN_OR_RETURN(
        const size_t got,
        f->file_->Read(0, absl::Span<char>(header, sizeof(header))));
    uint32_t version, header_bytes, slot_bytes;
    std::memcpy(&version, header + kVersionOffset, 4);
    std::memcpy(&header_bytes, header + kHeaderBytesOffset, 4);
    std::memcpy(&slot_bytes, header + kSlotBytesOffset, 4);
    std::memcpy(&slots, header + kSlotCountOffset, 4);
    ours = got == sizeof(header) &&
           std::memcmp(header, kFollowMagic, sizeof(kFollowMagic)) == 0 &&
           version == kFollowVersion && header_bytes == kFollowHeaderBytes &&
           slot_bytes == kFollowSlotBytes && FileBytes(slots) <= size;
  }
  if (!ours) slots = 0;
  const uint32_t want = std::max({kMinSlots, shard_count, slots});
  const size_t bytes = std::max<size_t>(FileBytes(want), size);
  BROOK_RETURN_IF_ERROR(f->file_->Allocate(bytes));
  BROOK_RETURN_IF_ERROR(f->MapSize(FileBytes(want)));
  if (!ours) {
    // Counters first, then the magic, so that a follower that checks the
    // magic finds a consistent header.
    char* h = f->base();
    std::memset(h + kVersionOffset, 0, FileBytes(want) - kVersionOffset);
    uint32_t v = kFollowVersion;
    std::memcpy(h + kVersionOffset, &v, 4);
    v = kFollowHeaderBytes;
    std::memcpy(h + kHeaderBytesOffset, &v, 4);
    v = kFollowSlotBytes;
    std::memcpy(h + kSlotBytesOffset, &v, 4);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    std::memcpy(h, kFollowMagic, sizeof(kFollowMagic));
  }
  __atomic_store_n(f->word(kSlotCountOffset), want, __ATOMIC_RELEASE);
  __atomic_fetch_add(f->dword(kGenerationOffset), 1, __ATOMIC_SEQ_CST);
  return f;
}

absl::StatusOr<std::unique_ptr<FollowFile>> FollowFile::OpenForReader(
    Env* env, absl::string_view dir) {
  const std::string path = FollowPath(dir);
  bool writable = true;
  absl::StatusOr<std::unique_ptr<File>> file =
      env->OpenFile(path, FileOpenMode::kReadWrite);
  if (!file.ok() && !absl::IsNotFound(file.status())) {
    writable = false;
    file = env->OpenFile(path, FileOpenMode::kReadOnly);
  }
  if (!file.ok()) return file.status();
  BROOK_ASSIGN_OR_RETURN(const uint64_t size, (*file)->Size());
  if (size < FileBytes(0)) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", size, " bytes, too short for its header"));
  }
  std::unique_ptr<FollowFile> f(
      new FollowFile(path, *std::move(file), writable));
  BROOK_RETURN_IF_ERROR(f->MapSize(static_cast<size_t>(
      std::min<uint64_t>(size, FileBytes(0) + (uint64_t{1} << 24)))));
  const char* h = f->base();
  if (std::memcmp(h, kFollowMagic, sizeof(kFollowMagic)) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": bad magic"));
  }
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  uint32_t version, header_bytes, slot_bytes;
  std::memcpy(&version, h + kVersionOffset, 4);
  std::memcpy(&header_bytes, h + kHeaderBytesOffset, 4);
  std::memcpy(&slot_bytes, h + kSlotBytesOffset, 4);
  if (version != kFollowVersion || header_bytes != kFollowHeaderBytes ||
      slot_bytes != kFollowSlotBytes) {
    return absl::DataLossError(
        absl::StrCat(path, ": version ", version, " (header ", header_bytes,
                     " bytes, slots ", slot_bytes,
                     " bytes) is not one this build reads (1)"));
  }
  return f;
}

absl::Status FollowFile::Reserve(uint32_t shard_count) {
  if (shard_count <= slots_.load(std::memory_order_acquire)) {
    return absl::OkStatus();
  }
  const uint32_t want =
      std::max(shard_count, 2 * slots_.load(std::memory_order_acquire));
  BROOK_RETURN_IF_ERROR(file_->Allocate(FileBytes(want)));
  BROOK_RETURN_IF_ERROR(MapSize(FileBytes(want)));
  __atomic_store_n(word(kSlotCountOffset), want, __ATOMIC_RELEASE);
  return absl::OkStatus();
}

void FollowFile::Wake() {
  __atomic_fetch_add(word(kNotifyOffset), 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(word(kWaitersOffset), __ATOMIC_SEQ_CST) != 0) {
    Futex(word(kNotifyOffset), FUTEX_WAKE, INT_MAX, nullptr);
  }
}

void FollowFile::Publish(uint32_t shard, uint64_t published_end,
                         uint64_t trim) {
  if (shard >= slots_.load(std::memory_order_acquire)) {
    if (!Reserve(shard + 1).ok()) return;  // followers then see nothing new
  }
  const size_t slot = SlotOffset(shard);
  // Release suffices (plain stores on x86, where sequentially consistent
  // ones are locked exchanges): a follower that reads the new end (Read(),
  // end first) then reads this trim or a later one; Wake()'s locked add
  // orders both before the notify word.
  __atomic_store_n(dword(slot + kTrimOffset), trim, __ATOMIC_RELEASE);
  __atomic_store_n(dword(slot + kPublishedOffset), published_end,
                   __ATOMIC_RELEASE);
  Wake();
}

void FollowFile::PublishDurable(uint32_t shard, uint64_t durable_end) {
  if (shard >= slots_.load(std::memory_order_acquire)) {
    if (!Reserve(shard + 1).ok()) return;
  }
  __atomic_store_n(dword(SlotOffset(shard) + kDurableOffset), durable_end,
                   __ATOMIC_SEQ_CST);
  Wake();
}

void FollowFile::BumpChange() {
  __atomic_fetch_add(dword(kChangeOffset), 1, __ATOMIC_SEQ_CST);
  Wake();
}

FollowFile::Slot FollowFile::Read(uint32_t shard) {
  Slot s;
  if (shard >= slots_.load(std::memory_order_acquire)) {
    // The writer may have grown the file: map what its header says.
    const uint32_t slots =
        __atomic_load_n(word(kSlotCountOffset), __ATOMIC_ACQUIRE);
    if (shard >= slots) return s;
    absl::StatusOr<uint64_t> size = file_->Size();
    if (!size.ok() || *size < FileBytes(slots)) return s;
    if (!MapSize(FileBytes(slots)).ok()) return s;
  }
  const size_t slot = SlotOffset(shard);
  s.published_end =
      __atomic_load_n(dword(slot + kPublishedOffset), __ATOMIC_SEQ_CST);
  s.durable_end =
      __atomic_load_n(dword(slot + kDurableOffset), __ATOMIC_SEQ_CST);
  s.trim = __atomic_load_n(dword(slot + kTrimOffset), __ATOMIC_SEQ_CST);
  return s;
}

uint64_t FollowFile::change_counter() const {
  return __atomic_load_n(dword(kChangeOffset), __ATOMIC_SEQ_CST);
}

uint32_t FollowFile::notify_value() const {
  return __atomic_load_n(word(kNotifyOffset), __ATOMIC_SEQ_CST);
}

void FollowFile::Wait(uint32_t seen, absl::Duration max_wait) {
  if (max_wait <= absl::ZeroDuration()) return;
  if (!writable_) {
    // Cannot count itself as a waiter, so no writer would wake it: poll.
    max_wait = std::min(max_wait, absl::Milliseconds(1));
  }
  const timespec ts = absl::ToTimespec(max_wait);
  if (writable_) __atomic_fetch_add(word(kWaitersOffset), 1, __ATOMIC_SEQ_CST);
  if (notify_value() == seen) {
    // EAGAIN (changed meanwhile), EINTR and ETIMEDOUT all mean: look again.
    Futex(word(kNotifyOffset), FUTEX_WAIT, seen, &ts);
  }
  if (writable_) __atomic_fetch_sub(word(kWaitersOffset), 1, __ATOMIC_SEQ_CST);
}

void ScanCommitted(const char* data, size_t size, size_t offset,
                   uint64_t position, uint64_t cap, CommittedFrames* out) {
  out->end_offset = offset;
  out->end_position = position;
  out->bad = false;
  out->reason.clear();
  if (data == nullptr) return;
  while (out->end_offset < size && out->end_position < cap) {
    BatchHeader h;
    std::string reason;
    const FrameCheck kind =
        CheckFrame(data, size, out->end_offset, out->end_position,
                   /*verify_crc=*/true, &h, &reason);
    if (kind == FrameCheck::kEnd) break;
    if (kind == FrameCheck::kBad) {
      out->bad = true;
      out->reason = std::move(reason);
      break;
    }
    if (h.end_position() > cap) break;  // not published yet
    if (out->batches.empty()) out->first_arrival_millis = h.arrival_millis;
    out->last_arrival_millis = h.arrival_millis;
    out->batches.push_back({h.first_position,
                            static_cast<uint32_t>(out->end_offset),
                            h.record_count, h.arrival_millis});
    out->end_offset += h.frame_bytes;
    out->end_position = h.end_position();
  }
}

}  // namespace internal
}  // namespace brook
