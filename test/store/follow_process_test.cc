// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Followers in other processes (issue 10): a writer process appends batches
// of random sizes to a durable stream with small segments (they roll), a
// byte bound with kDropOldest (retention drops segments under the readers)
// and splits and merges at random points; two follower processes open the
// directory read-only and read every shard in lineage order (parents to their
// end, then children: tools/brook/lineage_reader.h). The writer is SIGKILLed
// and a new writer process reopens the directory (recovery) several times
// while the followers stay open; the last writer closes cleanly. Follower 1
// pauses after its first records until ~2.3 MB more were written past the
// 1 MiB bound, so retention drops what it was reading and its reads report
// `skipped_records()` (checked to have happened).
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
// The seed is printed; BROOK_FOLLOW_SEED=<n> replays the writers' choices
// (the kill moments depend on timing).

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "stream/sequence.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include "tools/brook/lineage_reader.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

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

constexpr int kFollowers = 2;
constexpr size_t kMaxShards = 4096;

struct Shared {
  // Set by the parent once the last writer closed and `final_end` holds,
  // per shard number, the position after the last record there is (0 for
  // no such shard); `final_shards` is the number of shards.
  std::atomic<int> done;
  // Follower 1 stops after its first records (1) until the parent, once
  // retention has dropped what it was reading, lets it go on (2): so a
  // follower's iterator falls behind the trim and `skipped_records()` runs.
  std::atomic<int> hold;
  std::atomic<uint64_t> final_shards;
  std::atomic<uint64_t> final_end[kMaxShards];
  Report writer;
  Report followers[kFollowers];
};

uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t h = 14695981039346656037u;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211u;
  }
  return h;
}

// The bytes of record `id`: "r<id>:" and a body of 20 to 400 bytes.
std::string RecordData(uint64_t id) {
  uint64_t x = id * 0x9E3779B97F4A7C15u + 7;
  const size_t n = 20 + static_cast<size_t>((x >> 20) % 381);
  std::string d = absl::StrCat("r", id, ":");
  for (size_t i = 0; i < n; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    d.push_back(static_cast<char>('a' + (x * 0x2545F4914F6CDD1Du >> 59)));
  }
  return d;
}

bool ParseId(absl::string_view data, uint64_t* id) {
  const size_t colon = data.find(':');
  return !data.empty() && data[0] == 'r' && colon != absl::string_view::npos &&
         absl::SimpleAtoi(data.substr(1, colon - 1), id);
}

StreamOptions WriterOptions() {
  StreamOptions options;
  options.accept_stored_options = true;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 1 << 20;
  options.on_full = RetentionFullPolicy::kDropOldest;
  options.retention_period =
      absl::Milliseconds(int64_t{365} * 24 * 60 * 60 * 1000);
  return options;
}

// Splits a random open shard at a random key, or merges two neighbours,
// keeping 1 to 4 open shards. Returns false on an error.
bool Reshard(Stream& stream, std::mt19937_64& rng) {
  std::vector<ShardDescription> open;
  for (ShardDescription& d : stream.ListShards()) {
    if (d.is_open()) open.push_back(std::move(d));
  }
  std::sort(open.begin(), open.end(), [](const auto& a, const auto& b) {
    return a.hash_key_range.starting_hash_key <
           b.hash_key_range.starting_hash_key;
  });
  const bool split = open.size() == 1 || (open.size() < 4 && rng() % 2 == 0);
  if (split) {
    const ShardDescription& s = open[rng() % open.size()];
    const HashKey start = s.hash_key_range.starting_hash_key;
    const HashKey end = s.hash_key_range.ending_hash_key;
    if (end - start < 4) return true;
    const HashKey span = end - start - 2;  // k in (start + 1, end)
    const HashKey k = start + 2 + absl::MakeUint128(rng(), rng()) % span;
    return stream.SplitShard(s.shard_id, HashKeyToString(k)).ok();
  }
  const size_t i = rng() % (open.size() - 1);
  return stream.MergeShards(open[i].shard_id, open[i + 1].shard_id).ok();
}

// A writer process: appends until killed or `batches` batches are done, then
// closes the stream. Exit codes: 0 done, 2 open failed, 3 append failed,
// 4 report full, 5 reshard failed.
[[noreturn]] void RunWriter(const std::string& dir, uint32_t incarnation,
                            uint64_t seed, int batches, Shared* shared,
                            int ready_fd) {
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, WriterOptions(), OpenMode::kCreateIfMissing);
  if (!stream.ok()) _exit(2);
  if (::write(ready_fd, "R", 1) != 1) _exit(2);
  ::close(ready_fd);
  Producer producer(stream->get());
  std::mt19937_64 rng(seed);
  uint64_t counter = 0;
  std::vector<std::string> datas;
  std::vector<std::string> keys;
  std::vector<PutRecordsEntry> entries;
  for (int batch = 0; batch < batches; ++batch) {
    if (rng() % 40 == 0 && !Reshard(**stream, rng)) _exit(5);
    const int count = 1 + static_cast<int>(rng() % 40);
    datas.clear();
    keys.clear();
    entries.clear();
    for (int i = 0; i < count; ++i) {
      datas.push_back(RecordData((uint64_t{incarnation} << 32) | counter++));
      keys.push_back(absl::StrCat("key-", rng() % 64));
    }
    for (int i = 0; i < count; ++i) entries.push_back({keys[i], datas[i], {}});
    absl::StatusOr<PutRecordsResult> put = producer.PutRecords(entries);
    if (!put.ok() || put->failed_record_count != 0) _exit(3);
    for (int i = 0; i < count; ++i) {
      const SequenceNumber n = put->records[i].sequence_number;
      uint64_t id = 0;
      ParseId(datas[i], &id);
      if (!shared->writer.Add(
              {kRecord, static_cast<uint32_t>(internal::ShardNumberOf(n)),
               internal::PositionOf(n), id, 0})) {
        _exit(4);
      }
    }
  }
  if (!(*stream)->Close().ok()) _exit(3);
  _exit(0);
}

// Reads the position of an iterator (the stream's own number for it, which
// for brook's streams is the position of the next record to read).
struct IteratorAccess : Stream {
  using Stream::ShardIteratorPosition;
};

// Adds what a GetRecords result of shard `shard_id` gave to `report`: its
// skip, then its records; sets `(*next)[shard number]` past the last record
// and `*full` if the report is full. False if the shard is unknown.
bool ReportResult(const Stream& stream, const std::string& shard_id,
                  const GetRecordsResult& r, Report* report,
                  std::map<uint64_t, uint64_t>* next, bool* full) {
  absl::StatusOr<Shard*> shard = stream.GetShard(shard_id);
  if (!shard.ok()) return false;
  const ShardDescription d = (*shard)->Describe();
  const uint32_t number = static_cast<uint32_t>(
      internal::ShardNumberOf(d.starting_sequence_number));
  if (r.skipped_records() != 0) {
    // Where the read went on after the skip: its first record, else its
    // next iterator, else (the end of a closed shard) the shard's end.
    uint64_t after;
    if (!r.records().empty()) {
      after = internal::PositionOf(r.records().front().sequence_number);
    } else if (r.next_shard_iterator().valid()) {
      after = IteratorAccess::ShardIteratorPosition(r.next_shard_iterator());
    } else if (d.ending_sequence_number.has_value()) {
      after = internal::PositionOf(*d.ending_sequence_number) + 1;
    } else {
      return false;
    }
    *full |= !report->Add({kSkip, number, after, r.skipped_records(), 0});
  }
  for (const Record& rec : r.records()) {
    uint64_t id = ~uint64_t{0};
    ParseId(rec.data, &id);
    const uint64_t position = internal::PositionOf(rec.sequence_number);
    *full |= !report->Add({kRecord, number, position, id, Fnv1a(rec.data)});
    (*next)[number] = position + 1;
  }
  return true;
}

// A follower process: reads every shard in lineage order and reports what
// it read, until the parent says the last writer closed and it has read
// every shard to its end. Exit codes: 0 done, 2 open failed, 3 read failed,
// 4 report full, 7 timed out.
[[noreturn]] void RunFollower(const std::string& dir, Shared* shared,
                              Report* report, bool hold) {
  absl::StatusOr<std::unique_ptr<Stream>> opened =
      Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
  if (!opened.ok()) _exit(2);
  Stream* stream = opened->get();
  cli::LineageReader::Options options;
  options.start = StartingPosition::TrimHorizon();
  options.get.limit = 1 + static_cast<int>(::getpid() % 500);
  cli::LineageReader reader(stream, options);
  if (!reader.Start().ok()) _exit(3);
  std::map<uint64_t, uint64_t> next;  // shard number -> next position
  bool full = false;
  const cli::LineageReader::Sink sink = [&](const std::string& shard_id,
                                            const GetRecordsResult& r) {
    if (!ReportResult(*stream, shard_id, r, report, &next, &full)) _exit(3);
  };
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(40);
  for (;;) {
    absl::StatusOr<int64_t> n = reader.ReadAvailable(sink);
    if (!n.ok()) _exit(3);
    if (full) _exit(4);
    if (hold && *n > 0 && shared->hold.load() == 0) {
      shared->hold.store(1);
      while (shared->hold.load() != 2) {
        ::usleep(500);  // polls another process: nothing to block on
      }
    }
    if (shared->done.load(std::memory_order_acquire) != 0) {
      const std::vector<ShardDescription> shards = stream->ListShards();
      bool complete = shards.size() == shared->final_shards.load();
      for (const ShardDescription& d : shards) {
        if (!complete) break;
        if (!d.is_open()) {
          complete = reader.Ended(d.shard_id);
          continue;
        }
        const uint64_t number =
            internal::ShardNumberOf(d.starting_sequence_number);
        const uint64_t first = internal::PositionOf(d.starting_sequence_number);
        auto it = next.find(number);
        const uint64_t at = it == next.end() ? first : it->second;
        complete = number < kMaxShards && at >= shared->final_end[number];
      }
      if (complete) _exit(0);
    }
    if (std::chrono::steady_clock::now() > deadline) _exit(7);
    if (*n == 0) reader.Wait(absl::Milliseconds(20));
  }
}

// What one shard holds after the last writer closed.
struct FinalShard {
  ShardDescription description;
  uint64_t first_position = 0;       // of the first record kept (or the end)
  std::map<uint64_t, uint64_t> ids;  // position -> id
};

std::map<uint64_t, FinalShard> ReadFinal(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
  BROOK_REQUIRE_OK(stream);
  Consumer consumer(stream->get());
  std::map<uint64_t, FinalShard> shards;
  for (const ShardDescription& d : (*stream)->ListShards()) {
    FinalShard& f = shards[internal::ShardNumberOf(d.starting_sequence_number)];
    f.description = d;
    f.first_position =
        d.is_open() ? internal::PositionOf(d.starting_sequence_number)
                    : internal::PositionOf(*d.ending_sequence_number) + 1;
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(d.shard_id, StartingPosition::TrimHorizon());
    BROOK_REQUIRE_OK(it);
    for (;;) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
      BROOK_REQUIRE_OK(r);
      for (const Record& rec : r->records()) {
        const uint64_t position = internal::PositionOf(rec.sequence_number);
        if (f.ids.empty()) f.first_position = position;
        uint64_t id = 0;
        REQUIRE(ParseId(rec.data, &id));
        REQUIRE(rec.data == RecordData(id));
        f.ids[position] = id;
      }
      if (!r->next_shard_iterator().valid() || r->records().empty()) break;
      *it = r->next_shard_iterator();
    }
  }
  return shards;
}

// The end a follower must reach in each shard: after the last record of an
// open shard, after the ending position of a closed one.
uint64_t FinalEnd(const FinalShard& f) {
  if (!f.description.is_open()) {
    return internal::PositionOf(*f.description.ending_sequence_number) + 1;
  }
  if (f.ids.empty()) {
    return internal::PositionOf(f.description.starting_sequence_number);
  }
  return f.ids.rbegin()->first + 1;
}

// What a follower read: per shard, position -> id, the skipped ranges, and
// the index in its report of its first and last entry.
struct FollowerView {
  std::map<uint64_t, std::map<uint64_t, uint64_t>> ids;
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> skipped;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> span;  // first, last
  std::map<uint64_t, uint64_t> next;
};

FollowerView CheckFollower(const Report& report,
                           const std::map<uint64_t, FinalShard>& final) {
  FollowerView v;
  std::set<uint64_t> seen;
  const uint64_t count = report.count.load(std::memory_order_acquire);
  for (uint64_t i = 0; i < count; ++i) {
    const Entry& e = report.entries[i];
    INFO("report entry " << i << ": shard " << e.shard << " position "
                         << e.position << " id " << e.id);
    auto f = final.find(e.shard);
    REQUIRE(f != final.end());
    if (v.next.count(e.shard) == 0) {
      const uint64_t start =
          internal::PositionOf(f->second.description.starting_sequence_number);
      v.next[e.shard] = start;
      v.span[e.shard].first = i;
      // A shard's first iterator (TRIM_HORIZON) starts at the oldest record
      // kept then, counting nothing skipped: what retention had dropped
      // before is a gap at the front. If retention dropped more before the
      // first read, that read counts the skip from where the iterator
      // started, not from the shard's start.
      REQUIRE((e.kind == kRecord || e.position >= e.id));
      const uint64_t began = e.kind == kRecord ? e.position : e.position - e.id;
      if (began > start) {
        v.skipped[e.shard].push_back({start, began});
        v.next[e.shard] = began;
      }
    }
    v.span[e.shard].second = i;
    uint64_t& next = v.next[e.shard];
    if (e.kind == kSkip) {  // 1.
      // Exactly the records from where the reader was to where it went on.
      REQUIRE(e.id > 0);
      REQUIRE(e.position >= next);
      REQUIRE(e.position - next == e.id);
      v.skipped[e.shard].push_back({next, e.position});
      next = e.position;
      continue;
    }
    REQUIRE(e.position == next);  // 1.
    ++next;
    REQUIRE(e.digest == Fnv1a(RecordData(e.id)));  // 2.
    REQUIRE(seen.insert(e.id).second);
    v.ids[e.shard][e.position] = e.id;
    // 4.
    const FinalShard& shard = f->second;
    if (e.position >= shard.first_position) {
      auto kept = shard.ids.find(e.position);
      REQUIRE(kept != shard.ids.end());
      REQUIRE(kept->second == e.id);
    }
  }
  for (const auto& [number, shard] : final) {  // 5.
    INFO("shard " << shard.description.shard_id);
    if (v.next.count(number) == 0) {
      // Nothing read: retention had dropped all it had, if anything.
      const uint64_t start =
          internal::PositionOf(shard.description.starting_sequence_number);
      v.skipped[number].push_back({start, shard.first_position});
      v.next[number] = shard.first_position;
    }
    const uint64_t reached = v.next[number];
    CHECK(reached == FinalEnd(shard));
    // Gaps only where retention dropped records: the final files hold none
    // of a skipped range (retention only moves forward).
    for (const auto& [from, to] : v.skipped[number]) {
      INFO("skipped positions " << from << " to " << to);
      auto kept = shard.ids.lower_bound(from);
      CHECK((kept == shard.ids.end() || kept->first >= to));
    }
    // 6.
    for (const std::string* parent :
         {&shard.description.parent_shard_id,
          &shard.description.adjacent_parent_shard_id}) {
      if (parent->empty() || v.span.count(number) == 0) continue;
      for (const auto& [p, ps] : final) {
        if (ps.description.shard_id != *parent || v.span.count(p) == 0) {
          continue;
        }
        CHECK(v.span[p].second < v.span[number].first);
      }
    }
  }
  return v;
}

bool InSkipped(const FollowerView& v, uint64_t shard, uint64_t position) {
  auto it = v.skipped.find(shard);
  if (it == v.skipped.end()) return false;
  for (const auto& [from, to] : it->second) {
    if (position >= from && position < to) return true;
  }
  return false;
}

// 3. Every record in `writer` (acknowledged) was read by each follower at
// its shard and position, or lies in a range it skipped. Returns how many
// (record, follower) pairs were skipped.
uint64_t CheckAcknowledged(const Report& writer,
                           const std::vector<FollowerView>& views) {
  const uint64_t acks = writer.count.load(std::memory_order_acquire);
  uint64_t skipped = 0;
  for (uint64_t a = 0; a < acks; ++a) {
    const Entry& e = writer.entries[a];
    for (size_t i = 0; i < views.size(); ++i) {
      INFO("follower " << i << ", acknowledged shard " << e.shard
                       << " position " << e.position << " id " << e.id);
      auto shard = views[i].ids.find(e.shard);
      if (shard != views[i].ids.end()) {
        auto it = shard->second.find(e.position);
        if (it != shard->second.end()) {
          REQUIRE(it->second == e.id);
          continue;
        }
      }
      REQUIRE(InSkipped(views[i], e.shard, e.position));
      ++skipped;
    }
  }
  return skipped;
}

uint64_t FollowSeed() {
  uint64_t seed = std::random_device()();
  if (const char* env = std::getenv("BROOK_FOLLOW_SEED")) {
    seed = std::strtoull(env, nullptr, 10);
  }
  return seed;
}

class Processes {
 public:
  Processes() {
    void* p = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    shared_ = static_cast<Shared*>(p);  // zero-filled
  }
  ~Processes() {
    for (pid_t pid : pids_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    ::munmap(shared_, sizeof(Shared));
  }
  Processes(const Processes&) = delete;
  Processes& operator=(const Processes&) = delete;

  Shared* shared() const { return shared_; }

  // Starts a writer; returns once it opened the stream.
  pid_t StartWriter(const std::string& dir, uint32_t incarnation, uint64_t seed,
                    int batches) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunWriter(dir, incarnation, seed, batches, shared_, fds[1]);
    }
    pids_.push_back(pid);
    ::close(fds[1]);
    char ready = 0;
    const bool is_ready = ::read(fds[0], &ready, 1) == 1;
    ::close(fds[0]);
    if (!is_ready) REQUIRE(Wait(pid) == 0);  // reports its exit code
    return pid;
  }

  pid_t StartFollower(const std::string& dir, int i) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) RunFollower(dir, shared_, &shared_->followers[i], i == 1);
    pids_.push_back(pid);
    return pid;
  }

  // Reaps `pid`; its exit code, or 128 + the signal that ended it.
  int Wait(pid_t pid) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    pids_.erase(std::find(pids_.begin(), pids_.end(), pid));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Returns once the writers acknowledged `n` records, or `pid` exited.
  void WaitForAcks(uint64_t n, pid_t pid) {
    while (shared_->writer.count.load(std::memory_order_acquire) < n) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info,
                   WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        return;
      }
      ::usleep(200);  // polls another process: nothing to block on
    }
  }

 private:
  Shared* shared_ = nullptr;
  std::vector<pid_t> pids_;
};

void RunFollowTest(int kills) {
  const uint64_t seed = FollowSeed();
  std::printf(
      "follow process test: seed %llu (replay with "
      "BROOK_FOLLOW_SEED=%llu)\n",
      static_cast<unsigned long long>(seed),
      static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  Processes procs;
  Shared* shared = procs.shared();

  pid_t writer = procs.StartWriter(dir, 0, rng(), 1'000'000);
  pid_t followers[kFollowers];
  for (int i = 0; i < kFollowers; ++i) {
    followers[i] = procs.StartFollower(dir, i);
  }
  // Let follower 1 fall behind the trim: ~2.3 MB of records past a 1 MiB
  // bound drop the segments it was reading.
  while (shared->hold.load() == 0) ::usleep(500);  // polls the follower
  procs.WaitForAcks(shared->writer.count.load() + 10000, writer);
  shared->hold.store(2);
  for (int k = 0; k < kills; ++k) {
    INFO("kill " << k);
    // Sometimes at once, mostly after a few thousand more records.
    const uint64_t more = rng() % 4 == 0 ? rng() % 50 : 1000 + rng() % 3000;
    procs.WaitForAcks(shared->writer.count.load() + more, writer);
    ::kill(writer, SIGKILL);
    REQUIRE(procs.Wait(writer) == 128 + SIGKILL);
    writer = procs.StartWriter(dir, static_cast<uint32_t>(k + 1), rng(),
                               k + 1 == kills ? 300 : 1'000'000);
  }
  REQUIRE(procs.Wait(writer) == 0);  // the last one closes cleanly

  const std::map<uint64_t, FinalShard> final = ReadFinal(dir);
  for (const auto& [number, shard] : final) {
    REQUIRE(number < kMaxShards);
    shared->final_end[number].store(FinalEnd(shard));
  }
  shared->final_shards.store(final.size());
  shared->done.store(1, std::memory_order_release);
  for (int i = 0; i < kFollowers; ++i) {
    INFO("follower " << i << " exit code (7: did not reach the end in time)");
    REQUIRE(procs.Wait(followers[i]) == 0);
  }

  std::vector<FollowerView> views;
  for (int i = 0; i < kFollowers; ++i) {
    INFO("follower " << i);
    views.push_back(CheckFollower(shared->followers[i], final));
  }
  const uint64_t acks = shared->writer.count.load();
  const uint64_t skipped = CheckAcknowledged(shared->writer, views);
  // 5.
  for (const auto& [shard, ids] : views[0].ids) {
    auto other = views[1].ids.find(shard);
    if (other == views[1].ids.end()) continue;
    for (const auto& [position, id] : ids) {
      auto it = other->second.find(position);
      if (it != other->second.end()) REQUIRE(it->second == id);
    }
  }
  std::printf(
      "follow process test: %d kills, %llu records acknowledged, "
      "%zu shards, %llu acknowledged records skipped by followers\n",
      kills, static_cast<unsigned long long>(acks), final.size(),
      static_cast<unsigned long long>(skipped));
  CHECK(acks > 0);
  uint64_t skip_entries = 0;
  for (uint64_t i = 0; i < shared->followers[1].count.load(); ++i) {
    if (shared->followers[1].entries[i].kind == kSkip) ++skip_entries;
  }
  // Whether the held follower was skipped over depends on timing: if a
  // reshard it has not seen yet closed its shards during the hold, its
  // children start at the oldest record kept (TRIM_HORIZON counts nothing
  // skipped). Every record it missed was checked above to lie in a counted
  // or front gap; this says how often skipping was exercised.
  std::printf("follow process test: held follower saw %llu skip entries\n",
              static_cast<unsigned long long>(skip_entries));
}

TEST_CASE(
    "Follow: followers in other processes see every acknowledged record once, "
    "in order, across kills, rolls, retention and reshards",
    "[store][follow][process]") {
  RunFollowTest(/*kills=*/4);
}

// The interleaving behind the rare failures of the test above ("793 vs 528",
// 2-3% of runs): a shard's TRIM_HORIZON iterator starts past records
// retention had dropped already (position H, not the shard's first), and
// retention drops more before the first GetRecords, which then counts the
// records from H to the new trim in skipped_records(). Forced here in one
// process: a writer with a byte bound, a following read-only open.
TEST_CASE(
    "Follow: a follower's first read after retention passed its TRIM_HORIZON "
    "iterator counts the skip from where the iterator started",
    "[store][follow]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions options = WriterOptions();
  options.shard_count = 1;
  options.retention_bytes = 2 * options.segment_bytes;
  absl::StatusOr<std::unique_ptr<Stream>> writer =
      Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  BROOK_REQUIRE_OK(writer);
  auto acks = std::make_unique<Report>();
  uint64_t counter = 0;
  // ~250 bytes a record, ~260 a segment: 1000 records fill 4 segments, of
  // which the byte bound keeps the last 2.
  const auto put = [&](int records) {
    Producer producer(writer->get());
    for (int i = 0; i < records; ++i) {
      const uint64_t id = counter++;
      absl::StatusOr<PutRecordResult> r =
          producer.PutRecord(absl::StrCat("key-", id % 64), RecordData(id));
      BROOK_REQUIRE_OK(r);
      REQUIRE(acks->Add(
          {kRecord, 0, internal::PositionOf(r->sequence_number), id, 0}));
    }
  };
  put(1000);
  absl::StatusOr<std::unique_ptr<Stream>> follower =
      Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
  BROOK_REQUIRE_OK(follower);
  Consumer consumer(follower->get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  put(1000);  // retention passes the iterator

  auto report = std::make_unique<Report>();
  std::map<uint64_t, uint64_t> next;
  bool full = false;
  for (;;) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
    BROOK_REQUIRE_OK(r);
    if (r->records().empty() && r->skipped_records() == 0) break;
    REQUIRE(ReportResult(**follower, "shardId-000000000000", *r, report.get(),
                         &next, &full));
    *it = r->next_shard_iterator();
  }
  REQUIRE_FALSE(full);
  REQUIRE(report->count.load() > 0);
  CHECK(report->entries[0].kind == kSkip);  // the interleaving happened
  BROOK_REQUIRE_OK((*writer)->Close());

  const std::map<uint64_t, FinalShard> final = ReadFinal(dir);
  std::vector<FollowerView> views;
  views.push_back(CheckFollower(*report, final));
  CHECK(CheckAcknowledged(*acks, views) > 0);
}

TEST_CASE("Follow: long cross-process follower loop",
          "[.][slow][follow][process]") {
  RunFollowTest(/*kills=*/40);
}

}  // namespace
}  // namespace brook
