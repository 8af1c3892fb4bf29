// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The oracle of the follower tests (follow_process_test.cc): what writers
// acknowledged and followers read, reported into memory the test's processes
// share, and the checks that compare those reports with each other and with
// what the stream holds once the last writer closed.
//
// Every process reports into memory shared with the parent (mapped before
// the forks): the writers every acknowledged record (shard, position, id),
// the followers every record they read (shard, position, id, digest of the
// bytes) and every `skipped_records()` count with the position the read
// went on from. The oracle, per follower:
//   1. per shard, positions run from the shard's first position without a
//      gap or a repeat, except for skips, each of exactly the count
//      `skipped_records()` gave, from where the reader was (retention
//      removed those before the read), and a gap before the first iterator's
//      position (TRIM_HORIZON starts at the oldest record kept, counting
//      nothing); the final files hold no record of any gap;
//   2. every record's bytes are those its writer made for its id, and no id
//      appears twice;
//   3. every acknowledged record was read at its shard and position, or lies
//      in a skipped range;
//   4. a record read but never acknowledged (its writer was killed before the
//      ack) is in the files at that position after the last writer closed,
//      unless retention removed it (its position is below the first one
//      the shard still holds): no follower saw a record that recovery then
//      truncated;
//   5. the two followers agree on every position both read, and each read
//      every shard to its end (the last writer's, or the closed shard's);
//   6. a child shard's first record comes after its parents' last ones.
//
// Thread safety: a `Report` has one writer (its process) and is read by the
// parent (acquire on `count`); the checks run in the parent once every
// process is done.

#ifndef BROOK_TEST_STORE_FOLLOW_ORACLE_H_
#define BROOK_TEST_STORE_FOLLOW_ORACLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

#include "brook/consumer.h"
#include "brook/shard.h"
#include "brook/stream.h"

namespace brook {
namespace testing {

// One line of a report: a record (acknowledged or read) or a skip.
struct Entry {
  uint32_t kind;  // kRecord or kSkip
  uint32_t shard;
  // kRecord: the record's. kSkip: the position after the records skipped
  // (of the first record the read returned, or of its next iterator).
  uint64_t position;
  uint64_t id;      // kRecord: (writer incarnation << 32) | counter;
                    // kSkip: the count skipped
  uint64_t digest;  // of the bytes read (followers only)
};
constexpr uint32_t kRecord = 0;
constexpr uint32_t kSkip = 1;

// Entries [0, count) are published; a writer fills entries, then raises
// `count` (release).
struct Report {
  static constexpr size_t kCapacity = size_t{1} << 18;
  std::atomic<uint64_t> count;
  Entry entries[kCapacity];

  bool Add(const Entry& e) {
    const uint64_t at = count.load(std::memory_order_relaxed);
    if (at >= kCapacity) return false;
    entries[at] = e;
    count.store(at + 1, std::memory_order_release);
    return true;
  }
};

uint64_t Fnv1a(absl::string_view bytes);
// The bytes of record `id`: "r<id>:" and a body of 20 to 400 bytes.
std::string RecordData(uint64_t id);
// The id of the record whose bytes are `data` (as RecordData() made them).
bool ParseId(absl::string_view data, uint64_t* id);

// Adds what a GetRecords result of shard `shard_id` gave to `report`: its
// skip, then its records; sets `(*next)[shard number]` past the last record
// and `*full` if the report is full. False if the shard is unknown.
bool ReportResult(const Stream& stream, const std::string& shard_id,
                  const GetRecordsResult& r, Report* report,
                  std::map<uint64_t, uint64_t>* next, bool* full);

// What one shard holds after the last writer closed.
struct FinalShard {
  ShardDescription description;
  uint64_t first_position = 0;       // of the first record kept (or the end)
  std::map<uint64_t, uint64_t> ids;  // position -> id
};

// Reads every shard of the stream in `dir` from TRIM_HORIZON (REQUIREs
// every record to be one RecordData() made).
std::map<uint64_t, FinalShard> ReadFinal(const std::string& dir);

// The end a follower must reach in each shard: after the last record of an
// open shard, after the ending position of a closed one.
uint64_t FinalEnd(const FinalShard& f);

// What a follower read: per shard, position -> id, the skipped ranges, and
// the index in its report of its first and last entry.
struct FollowerView {
  std::map<uint64_t, std::map<uint64_t, uint64_t>> ids;
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> skipped;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> span;  // first, last
  std::map<uint64_t, uint64_t> next;
};

// Checks 1, 2, 4 and (its own half) 5 and 6 of the oracle for the report
// of one follower; returns what it read.
FollowerView CheckFollower(const Report& report,
                           const std::map<uint64_t, FinalShard>& final);

// 3. Every record in `writer` (acknowledged) was read by each follower at
// its shard and position, or lies in a range it skipped. Returns how many
// (record, follower) pairs were skipped.
uint64_t CheckAcknowledged(const Report& writer,
                           const std::vector<FollowerView>& views);

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_STORE_FOLLOW_ORACLE_H_
