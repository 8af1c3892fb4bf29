// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "store/mmap_recovery.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "store/batch_format.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

// A read-only recovery lists and scans a shard up to this many times while
// it finds a problem that a writer working meanwhile may have caused.
constexpr int kReadOnlyAttempts = 4;

bool HasSuffix(absl::string_view name, absl::string_view suffix) {
  return name.size() > suffix.size() &&
         name.substr(name.size() - suffix.size()) == suffix;
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

// Opens and maps the file of `s` (sets `*gone` instead if it does not exist
// and `o` is read-only).
absl::Status MapFile(const ShardRecoveryOptions& o, ScannedSegment& s,
                     bool* gone) {
  absl::StatusOr<std::unique_ptr<File>> file = o.env->OpenFile(
      s.path, o.writable ? FileOpenMode::kReadWrite : FileOpenMode::kReadOnly);
  if (!o.writable && absl::IsNotFound(file.status())) {
    *gone = true;
    return absl::OkStatus();
  }
  if (!file.ok()) return file.status();
  BROOK_ASSIGN_OR_RETURN(const uint64_t size, (*file)->Size());
  s.size = static_cast<size_t>(size);
  if (s.size > 0) {
    BROOK_ASSIGN_OR_RETURN(s.region, (*file)->Map(s.size, o.writable));
  }
  return absl::OkStatus();
}

// Lazy: walks files from the last back to the first that starts with a
// committed frame at its base (usually the last), and leaves every older
// one unopened (`ScannedSegment::lazy`), known by its name and the next
// file's. That frame is the evidence that damage found in an older file
// later is data loss before valid records, as a full scan would say, never
// a torn tail or a writer's append in progress. Sets `*vanished` if a file
// to walk is gone.
void MapAndScanTail(const ShardRecoveryOptions& o,
                    std::vector<ScannedSegment>& files, bool* vanished,
                    absl::Status* error) {
  size_t first_walked = files.size();
  while (first_walked > 0) {
    ScannedSegment& s = files[--first_walked];
    *error = MapFile(o, s, vanished);
    if (!error->ok() || *vanished) return;
    ScanFrames(s, o.verify_crc);
    if (!s.batches.empty()) break;
  }
  for (size_t i = 0; i < first_walked; ++i) {
    files[i].lazy = true;
    files[i].end_position = files[i + 1].base;
  }
}

// Maps and scans every file (the tail only, if lazy). Read-only, files the
// writer's retention removed since the listing (the oldest go first) are
// dropped from `files`; sets `*vanished` (and stops) if any other file is
// gone: a read-only recovery then lists again.
absl::Status MapAndScan(const ShardRecoveryOptions& o,
                        std::vector<ScannedSegment>& files, bool* vanished) {
  if (o.lazy_index && !o.writable) {
    absl::Status error;
    MapAndScanTail(o, files, vanished, &error);
    return error;
  }
  size_t dropped = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    ScannedSegment& s = files[i];
    bool gone = false;
    BROOK_RETURN_IF_ERROR(MapFile(o, s, &gone));
    if (gone) {
      if (i != dropped || i + 1 == files.size()) {
        *vanished = true;
        return absl::OkStatus();
      }
      ++dropped;
      continue;
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
  for (ScannedSegment& s : files) {
    if (!s.lazy) ScanFrames(s, /*verify_crc=*/true);  // else when indexed
  }
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
// when read-only, and reported, unless `writer_may_be_live` (read-only of a
// directory a writer may have open): then it is the writer's roll in
// progress (a segment created, its first batch not yet committed), ignored
// quietly like an append in progress. A lone empty segment stays: it is the
// marker retention leaves when it drops a shard's every segment. Returns how
// many of `files[0, keep)` hold the log.
absl::StatusOr<size_t> DropStrayTail(Env* env, bool writable,
                                     bool writer_may_be_live,
                                     std::vector<ScannedSegment>& files,
                                     size_t keep, RecoveryReport* report) {
  if (keep < 2 || !files[keep - 1].batches.empty() || files[keep - 1].bad) {
    return keep;
  }
  ScannedSegment& stray = files[keep - 1];
  if (!writable && writer_may_be_live) return keep - 1;
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

// The shard's bounds marker, as read from the directory.
struct Bounds {
  bool known = false;
  uint64_t trim = 0;
  uint64_t head = 0;
};

// Listing: the directory (a missing one is data loss unless nothing can be
// lost), its bounds marker, and leftovers (deleted when writable): recycled
// files, stale markers, segments below the trim. Sets `*done` when the shard
// has no directory and `log` is complete.
absl::Status ReadListing(const ShardRecoveryOptions& o, RecoveryReport* report,
                         Listing* listing, Bounds* bounds, ShardLog* log,
                         bool* done) {
  Env* const env = o.env;
  const ShardExpectation& ex = o.expect;
  BROOK_ASSIGN_OR_RETURN(*listing, ListShard(env, o.dir));
  if (!listing->found) {
    log->end_position = ex.start_position;
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
      *done = true;
      return o.writable ? MissingError(p) : absl::OkStatus();
    }
    if (o.writable) BROOK_RETURN_IF_ERROR(env->CreateDir(o.dir));
    listing->found = true;
  }
  if (!listing->bounds.empty()) {
    bounds->known =
        ParseBoundsName(listing->bounds.back(), &bounds->trim, &bounds->head);
    log->bounds_name = listing->bounds.back();
  }
  if (o.writable) {
    // Dropped segments waiting for reuse and stale markers: nothing to keep.
    for (const std::string& name : listing->recycle) {
      BROOK_RETURN_IF_ERROR(env->RemoveFile(absl::StrCat(o.dir, "/", name)));
    }
    for (size_t i = 0; i + 1 < listing->bounds.size(); ++i) {
      BROOK_RETURN_IF_ERROR(
          env->RemoveFile(absl::StrCat(o.dir, "/", listing->bounds[i])));
    }
  }
  std::vector<ScannedSegment>& files = listing->files;
  if (bounds->known) {
    // Segments below the trim position were dropped by retention, which
    // moves the marker before it removes the file.
    size_t below = 0;
    while (below < files.size() && files[below].base < bounds->trim) {
      if (o.writable) BROOK_RETURN_IF_ERROR(env->RemoveFile(files[below].path));
      ++below;
    }
    files.erase(files.begin(), files.begin() + static_cast<long>(below));
  }
  return absl::OkStatus();
}

// Scanning: maps and walks every file, settles a clean scan's doubt and the
// last segment's end, and counts what it checked. Returns whether every
// frame's CRC was checked.
absl::StatusOr<bool> ScanShard(const ShardRecoveryOptions& o,
                               std::vector<ScannedSegment>& files,
                               RecoveryReport* report, bool* relist) {
  bool vanished = false;
  BROOK_RETURN_IF_ERROR(MapAndScan(o, files, &vanished));
  if (vanished) {
    *relist = true;
    return absl::UnavailableError(
        absl::StrCat(o.dir, ": segment files changed while being read"));
  }
  const bool verified = o.verify_crc || SettleCleanScan(files);
  for (const ScannedSegment& s : files) {
    if (s.lazy) continue;  // counted when walked
    report->scanned_bytes += static_cast<int64_t>(s.end_offset);
    report->checksummed_bytes += static_cast<int64_t>(s.checksummed);
    report->scanned_segments += 1;
    report->scanned_batches += static_cast<int64_t>(s.batches.size());
    report->scanned_records += static_cast<int64_t>(s.end_position - s.base);
  }
  if (verified && !files.empty()) {
    ScannedSegment& last = files.back();
    const size_t before = last.end_offset;
    const uint64_t records_before = last.end_position;
    SettleLastSegment(last, o.writable || !o.expect.writer_may_be_live);
    report->scanned_bytes += static_cast<int64_t>(last.end_offset - before);
    report->checksummed_bytes += static_cast<int64_t>(last.end_offset - before);
    report->scanned_records +=
        static_cast<int64_t>(last.end_position - records_before);
  }
  return verified;
}

// Finding the end: the index of the first file with a bad frame or followed
// by a segment that does not start where it ends; `files.size()` if none.
size_t FindStop(const std::vector<ScannedSegment>& files) {
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].bad ||
        (i + 1 < files.size() && files[i + 1].base != files[i].end_position)) {
      return i;
    }
  }
  return files.size();
}

// What the files hold, up to `stop`, against what the marker and STREAM say
// they must: the gaps, as data loss.
std::vector<RecoveryReport::Problem> FindMissing(
    const ShardRecoveryOptions& o, const std::vector<ScannedSegment>& files,
    size_t stop, Bounds bounds, uint64_t listed_end) {
  const ShardExpectation& ex = o.expect;
  if (!o.writable && bounds.known && !files.empty() &&
      files.front().base > bounds.trim) {
    // Retention may have dropped files since the listing; it moved the
    // marker first, so a fresh look at the marker says how far it got.
    absl::StatusOr<Listing> again = ListShard(o.env, o.dir);
    uint64_t new_trim, new_head;
    if (again.ok() && !again->bounds.empty() &&
        ParseBoundsName(again->bounds.back(), &new_trim, &new_head)) {
      bounds.trim = std::max(bounds.trim, new_trim);
    }
  }
  std::vector<RecoveryReport::Problem> missing;
  if (bounds.known && !files.empty() && files.front().base > bounds.trim) {
    missing.push_back(
        Loss(absl::StrCat(o.dir, "/", SegmentName(bounds.trim)), 0,
             absl::StrCat("first segment missing: ",
                          Positions(bounds.trim, files.front().base),
                          " are lost (retention had dropped only positions "
                          "before ",
                          bounds.trim, ")")));
  }
  if (bounds.known && (files.empty() ? bounds.head > bounds.trim
                                     : files.back().base < bounds.head)) {
    missing.push_back(
        Loss(absl::StrCat(o.dir, "/", SegmentName(bounds.head)), 0,
             absl::StrCat("newest segment missing: positions from ",
                          bounds.head, " on are lost")));
  }
  if (ex.closed && listed_end < ex.end_position) {
    const ScannedSegment* end =
        files.empty() ? nullptr : &files[std::min(stop, files.size() - 1)];
    missing.push_back(Loss(
        end == nullptr ? o.dir : end->path,
        end == nullptr ? 0 : static_cast<int64_t>(end->end_offset),
        absl::StrCat("closed shard ends at position ", ex.end_position,
                     " but its segments end at ", listed_end, ": ",
                     Positions(listed_end, ex.end_position), " are lost")));
  }
  return missing;
}

// Zeroes a torn tail of `s` from its end (writable only) and reports it.
absl::Status TruncateTornTail(const ShardRecoveryOptions& o, ScannedSegment& s,
                              RecoveryReport* report) {
  RecoveryReport::Problem p;
  p.file = s.path;
  p.offset = static_cast<int64_t>(s.end_offset);
  p.reason = s.reason;
  size_t last_nonzero = s.end_offset;
  for (size_t page = s.end_offset; page < s.size;) {
    const size_t next = std::min(s.size, (page / kPageBytes + 1) * kPageBytes);
    if (!AllZero(s.data() + page, next - page)) {
      last_nonzero = next;
      if (o.writable) std::memset(s.region->data() + page, 0, next - page);
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
  return absl::OkStatus();
}

// Repairing, where the log stops at `files[stop]`: damage before the tail
// is data loss (kDataLoss when writable); a torn tail is truncated and the
// segments after it dropped (deleted when writable); read-only, an append in
// progress is the live end. Returns how many files hold the log.
absl::StatusOr<size_t> Repair(const ShardRecoveryOptions& o,
                              std::vector<ScannedSegment>& files, size_t stop,
                              RecoveryReport* report) {
  if (stop >= files.size()) return files.size();
  ScannedSegment& s = files[stop];
  // A torn tail has no valid frame after it, in its segment or the start of
  // a later one.
  bool valid_after =
      s.bad && ValidFrameFollows(s, s.end_offset, s.end_position);
  for (size_t j = stop + 1; j < files.size() && !valid_after; ++j) {
    valid_after = ValidFrameAt(files[j], 0, files[j].base);
  }
  const size_t keep = stop + 1;
  if (!o.writable && o.expect.writer_may_be_live && !valid_after && s.bad &&
      s.uncommitted) {
    // The writer's append in progress, which may span into the segments
    // after this one: the live end, as in SettleLastSegment().
    s.bad = false;
    return keep;
  }
  if (valid_after) {
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
    return keep;
  }
  if (s.bad) BROOK_RETURN_IF_ERROR(TruncateTornTail(o, s, report));
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
      BROOK_RETURN_IF_ERROR(o.env->RemoveFile(later.path));
    }
  }
  return keep;
}

// Writable: makes the bounds marker say what the log holds.
absl::Status WriteBounds(const ShardRecoveryOptions& o,
                         const std::vector<ScannedSegment>& files,
                         ShardLog* log) {
  const uint64_t trim = files.empty() ? log->end_position : files.front().base;
  const uint64_t head = files.empty() ? trim : files.back().base;
  const std::string name = BoundsName(trim, head);
  if (name == log->bounds_name) return absl::OkStatus();
  const std::string path = absl::StrCat(o.dir, "/", name);
  BROOK_RETURN_IF_ERROR(
      log->bounds_name.empty()
          ? o.env->OpenFile(path, FileOpenMode::kCreate).status()
          : o.env->RenameFile(absl::StrCat(o.dir, "/", log->bounds_name),
                              path));
  log->bounds_name = name;
  return absl::OkStatus();
}

absl::StatusOr<ShardLog> RecoverOnce(const ShardRecoveryOptions& o,
                                     RecoveryReport* report, bool* relist) {
  ShardLog log;
  Listing listing;
  Bounds bounds;
  bool done = false;
  BROOK_RETURN_IF_ERROR(ReadListing(o, report, &listing, &bounds, &log, &done));
  if (done) return log;
  std::vector<ScannedSegment>& files = listing.files;
  BROOK_ASSIGN_OR_RETURN(log.verified_crc, ScanShard(o, files, report, relist));

  const size_t stop = FindStop(files);
  const uint64_t start = o.expect.start_position;
  const uint64_t listed_end =
      files.empty() ? (bounds.known ? std::max(bounds.trim, start) : start)
                    : files[std::min(stop, files.size() - 1)].end_position;
  const std::vector<RecoveryReport::Problem> missing =
      FindMissing(o, files, stop, bounds, listed_end);
  for (const RecoveryReport::Problem& p : missing) {
    report->problems.push_back(p);
  }
  // Refused before anything is changed.
  if (o.writable && !missing.empty()) return MissingError(missing.front());

  BROOK_ASSIGN_OR_RETURN(size_t keep, Repair(o, files, stop, report));
  BROOK_ASSIGN_OR_RETURN(
      keep, DropStrayTail(o.env, o.writable, o.expect.writer_may_be_live, files,
                          keep, report));
  files.resize(keep);

  log.end_position = files.empty() ? listed_end : files.back().end_position;
  log.latest_base = files.empty() ? 0 : files.back().base;
  if (o.writable) BROOK_RETURN_IF_ERROR(WriteBounds(o, files, &log));
  log.segments = std::move(files);
  return log;
}

}  // namespace

absl::StatusOr<ShardLog> RecoverShardLog(const ShardRecoveryOptions& o,
                                         RecoveryReport* report) {
  const int attempts = o.writable ? 1 : kReadOnlyAttempts;
  for (int attempt = 1;; ++attempt) {
    RecoveryReport found;
    bool relist = false;
    absl::StatusOr<ShardLog> log = RecoverOnce(o, &found, &relist);
    if (attempt < attempts && (relist || !found.problems.empty())) {
      // Give a writer working meanwhile the time to finish its append, roll
      // or drop (a few milliseconds, only when a shard shows a problem); on
      // the Env's clock, as every wait of the library.
      o.env->SleepFor(absl::Microseconds(int64_t{1000} << (attempt - 1)));
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
