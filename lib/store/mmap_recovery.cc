// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "store/mmap_recovery.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "store/record_format.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

constexpr size_t kPositionDigits = 20;
// A read-only recovery lists and scans a shard up to this many times while
// it finds a problem that a writer working meanwhile may have caused.
constexpr int kReadOnlyAttempts = 4;

bool HasSuffix(absl::string_view name, absl::string_view suffix) {
  return name.size() > suffix.size() &&
         name.substr(name.size() - suffix.size()) == suffix;
}

// Parses exactly kPositionDigits decimal digits.
bool ParsePosition(absl::string_view digits, uint64_t* out) {
  if (digits.size() != kPositionDigits) return false;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (~uint64_t{0} - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

// What checking one frame found.
enum class FrameKind { kEnd, kValid, kBad };

// Checks the frame at `off` of `data[0, size)`, expected to hold position
// `expected` (any position if `expected` is 0). Never reads past `size`.
// The end of the log is a zero header, or an old checksummed frame of a
// recycled file (position below `expected`).
FrameKind CheckFrame(const char* data, size_t size, size_t off,
                     uint64_t expected, bool verify_crc, BatchHeader* h,
                     std::string* reason) {
  const size_t left = size - off;
  if (left < kBatchHeaderBytes) {
    if (AllZero(data + off, left)) return FrameKind::kEnd;
    *reason = "truncated batch header";
    return FrameKind::kBad;
  }
  // The writer sets kBatchHasCrc last (after a release fence): once it is
  // seen, the rest of the frame is final.
  const uint32_t flags = DecodeFixed<uint32_t>(data + off + 28);
  std::atomic_thread_fence(std::memory_order_acquire);
  *h = DecodeBatchHeader(data + off);
  h->flags = flags;
  if (h->frame_bytes == 0) {
    if (AllZero(data + off, kBatchHeaderBytes)) return FrameKind::kEnd;
    *reason = "torn batch header";
    return FrameKind::kBad;
  }
  if (h->frame_bytes < kBatchHeaderBytes + kRecordHeaderBytes ||
      h->frame_bytes > left) {
    *reason = absl::StrCat("frame length ", h->frame_bytes, " out of bounds (",
                           left, " bytes left)");
    return FrameKind::kBad;
  }
  if (h->record_count == 0) {
    *reason = "batch of no records";
    return FrameKind::kBad;
  }
  if (expected != 0 && h->first_position != expected) {
    // A recycled segment file holds old frames past the end of the log:
    // checksummed, and older than anything this segment can hold. A damaged
    // position fails the checksum instead.
    if (h->first_position < expected && (h->flags & kBatchHasCrc) != 0 &&
        Crc32c(data + off + 8, h->frame_bytes - size_t{8}) == h->crc) {
      return FrameKind::kEnd;
    }
    *reason = absl::StrCat("batch starts at position ", h->first_position,
                           ", expected ", expected);
    return FrameKind::kBad;
  }
  if ((h->flags & kBatchHasCrc) == 0) {
    *reason = "batch never committed (no crc)";
    return FrameKind::kBad;
  }
  if (!verify_crc) return FrameKind::kValid;
  const uint32_t crc = Crc32c(data + off + 8, h->frame_bytes - size_t{8});
  if (crc != h->crc) {
    *reason = absl::StrFormat("crc mismatch (stored %08x, computed %08x)",
                              h->crc, crc);
    return FrameKind::kBad;
  }
  // The records must fill the frame exactly.
  const char* p = data + off + kBatchHeaderBytes;
  size_t rest = h->frame_bytes - kBatchHeaderBytes;
  for (uint32_t i = 0; i < h->record_count; ++i) {
    if (rest < kRecordHeaderBytes) {
      *reason = absl::StrCat("record ", i, " overruns its batch");
      return FrameKind::kBad;
    }
    const size_t n = kRecordHeaderBytes + DecodeFixed<uint16_t>(p + 4) +
                     size_t{DecodeFixed<uint32_t>(p)};
    if (n > rest) {
      *reason = absl::StrCat("record ", i, " overruns its batch");
      return FrameKind::kBad;
    }
    p += n;
    rest -= n;
  }
  if (rest != 0) {
    *reason = absl::StrCat(rest, " bytes after the batch's last record");
    return FrameKind::kBad;
  }
  return FrameKind::kValid;
}

// A cheap look at the header at `off` (at least a header's bytes before
// `size`) before any checksum: could a committed frame start there?
bool PlausibleHeader(const char* data, size_t size, size_t off) {
  const uint32_t frame_bytes = DecodeFixed<uint32_t>(data + off);
  return frame_bytes >= kBatchHeaderBytes + kRecordHeaderBytes &&
         frame_bytes <= size - off &&
         DecodeFixed<uint32_t>(data + off + 28) == kBatchHasCrc &&
         DecodeFixed<uint32_t>(data + off + 24) != 0;
}

// The listing of a shard directory.
struct Listing {
  bool found = false;
  std::vector<ScannedSegment> files;  // by base
  std::vector<std::string> bounds;    // names of bounds markers
  std::vector<std::string> recycle;   // names of *.recycle files
};

absl::StatusOr<Listing> ListShard(Env* env, const std::string& dir) {
  Listing out;
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir);
  if (!names.ok()) {
    if (absl::IsNotFound(names.status())) return out;
    return names.status();
  }
  out.found = true;
  for (const std::string& name : *names) {
    uint64_t base, trim, head;
    if (HasSuffix(name, kRecycleSuffix)) {
      out.recycle.push_back(name);
    } else if (ParseBoundsName(name, &trim, &head)) {
      out.bounds.push_back(name);
    } else if (ParseSegmentName(name, &base)) {
      ScannedSegment s;
      s.path = absl::StrCat(dir, "/", name);
      s.base = base;
      out.files.push_back(std::move(s));
    }
  }
  std::sort(out.files.begin(), out.files.end(),
            [](const ScannedSegment& a, const ScannedSegment& b) {
              return a.base < b.base;
            });
  std::sort(out.bounds.begin(), out.bounds.end());
  return out;
}

// Maps and scans every file. Read-only, files the writer's retention removed
// since the listing (the oldest go first) are dropped from `files`; sets
// `*vanished` (and stops) if any other file is gone: a read-only recovery
// then lists again.
absl::Status MapAndScan(const ShardRecoveryOptions& o,
                        std::vector<ScannedSegment>& files, bool* vanished) {
  size_t dropped = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    ScannedSegment& s = files[i];
    absl::StatusOr<std::unique_ptr<File>> file =
        o.env->OpenFile(s.path, o.writable ? FileOpenMode::kReadWrite
                                           : FileOpenMode::kReadOnly);
    if (!o.writable && absl::IsNotFound(file.status())) {
      if (i != dropped || i + 1 == files.size()) {
        *vanished = true;
        return absl::OkStatus();
      }
      ++dropped;
      continue;
    }
    if (!file.ok()) return file.status();
    BROOK_ASSIGN_OR_RETURN(const uint64_t size, (*file)->Size());
    s.size = static_cast<size_t>(size);
    if (s.size > 0) {
      BROOK_ASSIGN_OR_RETURN(s.region, (*file)->Map(s.size, o.writable));
    }
    ScanFrames(s, o.verify_crc);
  }
  files.erase(files.begin(), files.begin() + static_cast<long>(dropped));
  return absl::OkStatus();
}

// After a clean close only headers were read; the last frame of the shard
// is checksummed anyway, and any doubt sends the shard to a full scan.
// Returns whether every frame's CRC is now checked.
bool SettleCleanScan(std::vector<ScannedSegment>& files) {
  bool doubt = false;
  for (const ScannedSegment& s : files) doubt = doubt || s.bad;
  for (auto it = files.rbegin(); it != files.rend() && !doubt; ++it) {
    if (it->batches.empty()) continue;
    const BatchIndexEntry& last = it->batches.back();
    doubt = !ValidFrameAt(*it, last.offset, last.first_position);
    if (!doubt) it->checksummed += it->end_offset - last.offset;
    break;
  }
  if (!doubt) return false;
  for (ScannedSegment& s : files) ScanFrames(s, /*verify_crc=*/true);
  return true;
}

// The last segment of the shard: its end of log must not hide valid frames
// (a zeroed header in the middle of the log). Read-only, a writer may have
// committed at the end while this looked past it: then the walk goes on from
// there. A frame at the end that was never committed, with nothing valid
// after it, is the writer's append in progress (or one a crash cut short:
// never acknowledged either); read-only, it ends the log quietly.
void SettleLastSegment(ScannedSegment& last, bool writable) {
  bool follows = false;
  for (;;) {
    follows = ValidFrameFollows(last, last.end_offset, last.end_position);
    if (!follows) break;
    if (!writable) {
      const size_t before = last.end_offset;
      ContinueScan(last, /*verify_crc=*/true);
      if (last.end_offset != before) continue;
    }
    if (!last.bad) {
      last.bad = true;
      last.reason = "end of log before valid batches";
    }
    break;
  }
  if (!writable && !follows && last.bad && last.uncommitted) {
    last.bad = false;
    last.reason.clear();
  }
}

RecoveryReport::Problem Loss(std::string file, int64_t offset,
                             std::string reason) {
  RecoveryReport::Problem p;
  p.file = std::move(file);
  p.offset = offset;
  p.data_loss = true;
  p.reason = std::move(reason);
  return p;
}

// The error of a writable recovery that found positions no file holds.
absl::Status MissingError(const RecoveryReport::Problem& p) {
  return absl::DataLossError(
      absl::StrCat(p.file, ": ", p.reason,
                   "; open the stream read-only to read the records that "
                   "remain"));
}

std::string Positions(uint64_t from, uint64_t end) {
  return absl::StrCat("positions ", from, " to ", end - 1);
}

// A trailing segment of the log that holds no committed frame, after one
// that does, is stray: an append created it and failed, or the process died
// between creating it and committing to it. The segment before it already
// says where positions continue, and a later append may fill that one past
// the stray's base, so it is a torn tail: removed when `writable`, ignored
// when read-only, and reported either way. A lone empty segment stays: it is
// the marker retention leaves when it drops a shard's every segment. Returns
// how many of `files[0, keep)` hold the log.
absl::StatusOr<size_t> DropStrayTail(Env* env, bool writable,
                                     std::vector<ScannedSegment>& files,
                                     size_t keep, RecoveryReport* report) {
  if (keep < 2 || !files[keep - 1].batches.empty() || files[keep - 1].bad) {
    return keep;
  }
  ScannedSegment& stray = files[keep - 1];
  RecoveryReport::Problem p;
  p.file = stray.path;
  p.bytes = static_cast<int64_t>(stray.size);
  p.reason = "segment holds no committed batch (stray from a failed append)";
  report->problems.push_back(std::move(p));
  if (writable) {
    stray.region.reset();
    BROOK_RETURN_IF_ERROR(env->RemoveFile(stray.path));
  }
  return keep - 1;
}

absl::StatusOr<ShardLog> RecoverOnce(const ShardRecoveryOptions& o,
                                     RecoveryReport* report, bool* relist) {
  Env* const env = o.env;
  const ShardExpectation& ex = o.expect;
  ShardLog log;
  BROOK_ASSIGN_OR_RETURN(Listing listing, ListShard(env, o.dir));

  // Listing: the directory, its bounds marker and leftovers.
  if (!listing.found) {
    log.end_position = ex.start_position;
    const bool held_nothing = ex.closed && ex.end_position == ex.start_position;
    if (!ex.creating && !held_nothing) {
      RecoveryReport::Problem p =
          Loss(o.dir, 0,
               ex.closed
                   ? absl::StrCat("shard directory missing: ",
                                  Positions(ex.start_position, ex.end_position),
                                  " are lost")
                   : absl::StrCat("shard directory missing: positions from ",
                                  ex.start_position, " on are lost"));
      report->problems.push_back(p);
      if (o.writable) return MissingError(p);
      return log;
    }
    if (o.writable) BROOK_RETURN_IF_ERROR(env->CreateDir(o.dir));
    listing.found = true;
  }
  bool has_bounds = false;
  uint64_t trim = 0, head = 0;
  if (!listing.bounds.empty()) {
    has_bounds = ParseBoundsName(listing.bounds.back(), &trim, &head);
    log.bounds_name = listing.bounds.back();
  }
  if (o.writable) {
    // Dropped segments waiting for reuse and stale markers: nothing to keep.
    for (const std::string& name : listing.recycle) {
      BROOK_RETURN_IF_ERROR(env->RemoveFile(absl::StrCat(o.dir, "/", name)));
    }
    for (size_t i = 0; i + 1 < listing.bounds.size(); ++i) {
      BROOK_RETURN_IF_ERROR(
          env->RemoveFile(absl::StrCat(o.dir, "/", listing.bounds[i])));
    }
  }
  std::vector<ScannedSegment>& files = listing.files;
  if (has_bounds) {
    // Segments below the trim position were dropped by retention, which
    // moves the marker before it removes the file.
    size_t below = 0;
    while (below < files.size() && files[below].base < trim) {
      if (o.writable) BROOK_RETURN_IF_ERROR(env->RemoveFile(files[below].path));
      ++below;
    }
    files.erase(files.begin(), files.begin() + static_cast<long>(below));
  }

  // Scanning.
  bool vanished = false;
  BROOK_RETURN_IF_ERROR(MapAndScan(o, files, &vanished));
  if (vanished) {
    *relist = true;
    return absl::UnavailableError(
        absl::StrCat(o.dir, ": segment files changed while being read"));
  }
  log.verified_crc = o.verify_crc || SettleCleanScan(files);
  for (const ScannedSegment& s : files) {
    report->scanned_bytes += static_cast<int64_t>(s.end_offset);
    report->checksummed_bytes += static_cast<int64_t>(s.checksummed);
    report->scanned_segments += 1;
    report->scanned_batches += static_cast<int64_t>(s.batches.size());
    report->scanned_records += static_cast<int64_t>(s.end_position - s.base);
  }
  if (log.verified_crc && !files.empty()) {
    ScannedSegment& last = files.back();
    const size_t before = last.end_offset;
    const uint64_t records_before = last.end_position;
    SettleLastSegment(last, o.writable);
    report->scanned_bytes += static_cast<int64_t>(last.end_offset - before);
    report->checksummed_bytes += static_cast<int64_t>(last.end_offset - before);
    report->scanned_records +=
        static_cast<int64_t>(last.end_position - records_before);
  }

  // Finding the end: a bad frame, or a segment that does not start where
  // the one before it ended.
  size_t stop = files.size();
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].bad ||
        (i + 1 < files.size() && files[i + 1].base != files[i].end_position)) {
      stop = i;
      break;
    }
  }
  const uint64_t listed_end =
      files.empty()
          ? (has_bounds ? std::max(trim, ex.start_position) : ex.start_position)
          : files[std::min(stop, files.size() - 1)].end_position;

  // What the files hold against what the marker and STREAM say they must.
  if (!o.writable && has_bounds && !files.empty() &&
      files.front().base > trim) {
    // Retention may have dropped files since the listing; it moved the
    // marker first, so a fresh look at the marker says how far it got.
    absl::StatusOr<Listing> again = ListShard(env, o.dir);
    uint64_t new_trim, new_head;
    if (again.ok() && !again->bounds.empty() &&
        ParseBoundsName(again->bounds.back(), &new_trim, &new_head)) {
      trim = std::max(trim, new_trim);
    }
  }
  std::vector<RecoveryReport::Problem> missing;
  if (has_bounds && !files.empty() && files.front().base > trim) {
    missing.push_back(
        Loss(absl::StrCat(o.dir, "/", SegmentName(trim)), 0,
             absl::StrCat(
                 "first segment missing: ", Positions(trim, files.front().base),
                 " are lost (retention had dropped only positions "
                 "before ",
                 trim, ")")));
  }
  if (has_bounds && (files.empty() ? head > trim : files.back().base < head)) {
    missing.push_back(
        Loss(absl::StrCat(o.dir, "/", SegmentName(head)), 0,
             absl::StrCat("newest segment missing: positions from ", head,
                          " on are lost")));
  }
  if (ex.closed && listed_end < ex.end_position) {
    missing.push_back(Loss(
        files.empty() ? o.dir : files[std::min(stop, files.size() - 1)].path,
        files.empty() ? 0
                      : static_cast<int64_t>(
                            files[std::min(stop, files.size() - 1)].end_offset),
        absl::StrCat("closed shard ends at position ", ex.end_position,
                     " but its segments end at ", listed_end, ": ",
                     Positions(listed_end, ex.end_position), " are lost")));
  }
  for (const RecoveryReport::Problem& p : missing) {
    report->problems.push_back(p);
  }
  if (o.writable && !missing.empty()) return MissingError(missing.front());

  // Repairing: a torn tail is zeroed and later segments dropped; damage
  // before the tail is data loss.
  size_t keep = files.size();  // files [0, keep) hold the log
  if (stop < files.size()) {
    ScannedSegment& s = files[stop];
    // A torn tail has no valid frame after it, in its segment or the start of
    // a later one.
    bool valid_after =
        s.bad && ValidFrameFollows(s, s.end_offset, s.end_position);
    for (size_t j = stop + 1; j < files.size() && !valid_after; ++j) {
      valid_after = ValidFrameAt(files[j], 0, files[j].base);
    }
    keep = stop + 1;
    if (!o.writable && !valid_after && s.bad && s.uncommitted) {
      // The writer's append in progress, which may span into the segments
      // after this one: the live end, as in SettleLastSegment().
      s.bad = false;
    } else if (valid_after) {
      RecoveryReport::Problem p =
          Loss(s.path, static_cast<int64_t>(s.end_offset),
               s.bad ? s.reason
                     : absl::StrCat("the next segment starts at position ",
                                    files[stop + 1].base, ", expected ",
                                    s.end_position));
      for (size_t j = stop; j < files.size(); ++j) {
        p.bytes += static_cast<int64_t>(files[j].size);
      }
      p.bytes -= static_cast<int64_t>(s.end_offset);
      report->problems.push_back(p);
      if (o.writable) {
        return absl::DataLossError(absl::StrCat(
            "segment ", p.file, " offset ", p.offset, ": ", p.reason,
            ", and valid records follow; open the stream read-only to read "
            "the records before it"));
      }
    } else {
      if (s.bad) {
        RecoveryReport::Problem p;
        p.file = s.path;
        p.offset = static_cast<int64_t>(s.end_offset);
        p.reason = s.reason;
        size_t last_nonzero = s.end_offset;
        for (size_t page = s.end_offset; page < s.size;) {
          const size_t next =
              std::min(s.size, (page / kPageBytes + 1) * kPageBytes);
          if (!AllZero(s.data() + page, next - page)) {
            last_nonzero = next;
            if (o.writable) {
              std::memset(s.region->data() + page, 0, next - page);
            }
          }
          page = next;
        }
        p.bytes = static_cast<int64_t>(last_nonzero - s.end_offset);
        if (o.writable && last_nonzero > s.end_offset) {
          BROOK_RETURN_IF_ERROR(
              s.region->Sync(s.end_offset, last_nonzero - s.end_offset));
        }
        report->problems.push_back(std::move(p));
        s.bad = false;
      }
      for (size_t j = keep; j < files.size(); ++j) {
        ScannedSegment& later = files[j];
        const bool empty =
            later.region == nullptr || AllZero(later.data(), later.size);
        if (!empty) {
          RecoveryReport::Problem p;
          p.file = later.path;
          p.reason = "segment after the end of the log";
          p.bytes = static_cast<int64_t>(later.size);
          report->problems.push_back(std::move(p));
        }
        if (o.writable) {
          later.region.reset();
          BROOK_RETURN_IF_ERROR(env->RemoveFile(later.path));
        }
      }
    }
  }
  if (keep > files.size()) keep = files.size();
  BROOK_ASSIGN_OR_RETURN(keep,
                         DropStrayTail(env, o.writable, files, keep, report));
  files.resize(keep);

  log.end_position = files.empty() ? listed_end : files.back().end_position;
  log.latest_base = files.empty() ? 0 : files.back().base;
  if (o.writable) {
    // The marker now says what the log holds.
    const uint64_t new_trim =
        files.empty() ? log.end_position : files.front().base;
    const uint64_t new_head = files.empty() ? new_trim : files.back().base;
    const std::string name = BoundsName(new_trim, new_head);
    if (name != log.bounds_name) {
      const std::string path = absl::StrCat(o.dir, "/", name);
      if (log.bounds_name.empty()) {
        BROOK_RETURN_IF_ERROR(
            env->OpenFile(path, FileOpenMode::kCreate).status());
      } else {
        BROOK_RETURN_IF_ERROR(
            env->RenameFile(absl::StrCat(o.dir, "/", log.bounds_name), path));
      }
      log.bounds_name = name;
    }
  }
  log.segments = std::move(files);
  return log;
}

}  // namespace

std::string SegmentName(uint64_t base_position) {
  return absl::StrFormat("%020d%s", base_position, kSegmentSuffix);
}

bool ParseSegmentName(absl::string_view name, uint64_t* base) {
  return name.size() == kPositionDigits + kSegmentSuffix.size() &&
         name.substr(kPositionDigits) == kSegmentSuffix &&
         ParsePosition(name.substr(0, kPositionDigits), base);
}

std::string BoundsName(uint64_t trim, uint64_t head) {
  return absl::StrFormat("%020d-%020d%s", trim, head, kBoundsSuffix);
}

bool ParseBoundsName(absl::string_view name, uint64_t* trim, uint64_t* head) {
  return name.size() == 2 * kPositionDigits + 1 + kBoundsSuffix.size() &&
         name[kPositionDigits] == '-' &&
         name.substr(2 * kPositionDigits + 1) == kBoundsSuffix &&
         ParsePosition(name.substr(0, kPositionDigits), trim) &&
         ParsePosition(name.substr(kPositionDigits + 1, kPositionDigits), head);
}

bool AllZero(const char* p, size_t n) {
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    if (v != 0) return false;
  }
  for (; n > 0; --n, ++p) {
    if (*p != 0) return false;
  }
  return true;
}

void ContinueScan(ScannedSegment& s, bool verify_crc) {
  s.bad = false;
  s.uncommitted = false;
  s.reason.clear();
  const char* data = s.data();
  size_t off = s.end_offset;
  while (off < s.size) {
    BatchHeader h;
    std::string reason;
    const FrameKind kind =
        CheckFrame(data, s.size, off, s.end_position, verify_crc, &h, &reason);
    if (kind == FrameKind::kEnd) break;
    if (kind == FrameKind::kBad) {
      s.bad = true;
      s.uncommitted =
          s.size - off >= kBatchHeaderBytes && (h.flags & kBatchHasCrc) == 0;
      s.reason = std::move(reason);
      break;
    }
    if (s.batches.empty()) s.first_arrival_millis = h.arrival_millis;
    s.last_arrival_millis = h.arrival_millis;
    s.batches.push_back({h.first_position, static_cast<uint32_t>(off),
                         h.record_count, h.arrival_millis});
    off += h.frame_bytes;
    s.end_position = h.first_position + h.record_count;
    if (verify_crc) s.checksummed += h.frame_bytes;
  }
  s.end_offset = off;
}

void ScanFrames(ScannedSegment& s, bool verify_crc) {
  s.end_offset = 0;
  s.end_position = s.base;
  s.checksummed = 0;
  s.batches.clear();
  ContinueScan(s, verify_crc);
}

bool ValidFrameAt(const ScannedSegment& s, size_t off, uint64_t expected) {
  if (s.region == nullptr || off >= s.size) return false;
  BatchHeader h;
  std::string reason;
  return CheckFrame(s.data(), s.size, off, expected, /*verify_crc=*/true, &h,
                    &reason) == FrameKind::kValid;
}

bool ValidFrameFollows(const ScannedSegment& s, size_t end,
                       uint64_t min_position) {
  if (s.region == nullptr) return false;
  const char* data = s.data();
  const auto valid_at = [&](size_t off) {
    return off + kBatchHeaderBytes <= s.size &&
           PlausibleHeader(data, s.size, off) &&
           DecodeFixed<uint64_t>(data + off + 8) >= min_position &&
           ValidFrameAt(s, off, 0);
  };
  // The records of a frame at `end` whose header was lost: a frame may
  // follow each of them. Every record has a partition key.
  for (size_t off = end + kBatchHeaderBytes;
       off + kRecordHeaderBytes <= s.size;) {
    const size_t key_bytes = DecodeFixed<uint16_t>(data + off + 4);
    if (key_bytes == 0) break;
    const size_t n =
        kRecordHeaderBytes + key_bytes + DecodeFixed<uint32_t>(data + off);
    if (n > s.size - off) break;
    off += n;
    if (valid_at(off)) return true;
  }
  // Any offset, up to a whole page of zeros (no frame starts in one) or an
  // intact older frame of a recycled file (the writer's newer frames would
  // have overwritten it).
  for (size_t off = end + 1; off + kBatchHeaderBytes <= s.size; ++off) {
    if (off % kPageBytes == 0 &&
        AllZero(data + off, std::min(kPageBytes, s.size - off))) {
      return false;
    }
    if (!PlausibleHeader(data, s.size, off)) continue;
    if (DecodeFixed<uint64_t>(data + off + 8) >= min_position) {
      if (ValidFrameAt(s, off, 0)) return true;
    } else if (ValidFrameAt(s, off, 0)) {
      return false;
    }
  }
  return false;
}

absl::StatusOr<ShardLog> RecoverShardLog(const ShardRecoveryOptions& o,
                                         RecoveryReport* report) {
  const int attempts = o.writable ? 1 : kReadOnlyAttempts;
  for (int attempt = 1;; ++attempt) {
    RecoveryReport found;
    bool relist = false;
    absl::StatusOr<ShardLog> log = RecoverOnce(o, &found, &relist);
    if (attempt < attempts && (relist || !found.problems.empty())) {
      // Give a writer working meanwhile the time to finish its append, roll
      // or drop (a few milliseconds, only when a shard shows a problem).
      absl::SleepFor(absl::Milliseconds(1 << (attempt - 1)));
      continue;
    }
    report->scanned_segments += found.scanned_segments;
    report->scanned_batches += found.scanned_batches;
    report->scanned_records += found.scanned_records;
    report->scanned_bytes += found.scanned_bytes;
    report->checksummed_bytes += found.checksummed_bytes;
    for (RecoveryReport::Problem& p : found.problems) {
      report->problems.push_back(std::move(p));
    }
    return log;
  }
}

}  // namespace internal
}  // namespace brook
