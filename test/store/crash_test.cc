// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Kill -9 loop (RocksDB's and Kafka's crash tests): a child process appends
// numbered records to a durable stream and reports over a pipe what was
// acknowledged and what WaitForDurable() confirmed; the parent kills it with
// SIGKILL at a random moment, reopens the directory and checks that every
// acknowledged record is there, intact and in order, with no duplicate and no
// garbage. The next child carries on in the same directory, so recovery runs
// on the result of every earlier crash. The stream keeps 1 MiB and drops its
// oldest segments beyond that, so "every acknowledged record" means every one
// at or after the oldest record kept, and reused segment files are exercised.
//
// The seed is printed; BROOK_CRASH_SEED=<n> replays a run. A SIGKILL loses no
// page-cache bytes, so every acknowledged record must survive whatever the
// durability policy; power loss is covered by fault_injection_test.cc.

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/stream.h"

#include "store/store_testing.h"
#include "stream/sequence.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

using testing::OwnedRecord;
using testing::ReadShard;
using testing::TempDir;

constexpr char kShard[] = "shardId-000000000000";

// What a child tells its parent: 'R' ready, 'A' records [0, value) are
// acknowledged, 'S' records [0, value) are durable.
struct Message {
  char type;
  int64_t value;
};

// The data of record `i`: its number and a deterministic body of varying
// size, so a record from the wrong place or a torn one is noticed.
std::string DataOf(int64_t i) {
  std::string d = absl::StrCat("#", i, ":");
  const size_t n = static_cast<size_t>((i * 7919) % 300);
  uint64_t x = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15u + 1;
  for (size_t k = 0; k < n; ++k) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    d.push_back(static_cast<char>('a' + (x * 0x2545F4914F6CDD1Du >> 59)));
  }
  return d;
}
std::string KeyOf(int64_t i) { return absl::StrCat("pk-", i % 97); }

// Options are fixed when the stream is created (the first iteration); later
// opens keep them. Dropping the oldest segments beyond 1 MiB makes the writer
// reuse segment files, so recovery also meets old frames of reused files.
StreamOptions CrashOptions(Durability durability) {
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 1 << 20;
  options.on_full = RetentionFullPolicy::kDropOldest;
  options.durability = durability;
  options.group_commit_bytes = 32 << 10;
  options.group_commit_millis = 2;
  return options;
}

// The number a record's data starts with ("#<n>:").
int64_t NumberOf(const std::string& data) {
  return std::strtoll(data.c_str() + 1, nullptr, 10);
}

void Send(int fd, char type, int64_t value) {
  const Message m{type, value};
  if (::write(fd, &m, sizeof(m)) != static_cast<ssize_t>(sizeof(m))) _exit(4);
}

// The child: appends records `next`, `next + 1`, ... until killed.
[[noreturn]] void RunChild(const std::string& dir, Durability durability,
                           int64_t next, uint32_t seed, int fd) {
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, CrashOptions(durability), OpenMode::kCreateIfMissing);
  if (!stream.ok()) _exit(2);
  absl::StatusOr<Shard*> shard = (*stream)->GetShard(kShard);
  if (!shard.ok()) _exit(2);
  Send(fd, 'R', next);
  std::mt19937 rng(seed);
  std::vector<std::string> keys, datas;
  std::vector<RoutedRecord> batch;
  for (int round = 0; round < 1'000'000; ++round) {
    const int count = 1 + static_cast<int>(rng() % 40);
    keys.clear();
    datas.clear();
    batch.clear();
    for (int k = 0; k < count; ++k) {
      keys.push_back(KeyOf(next + k));
      datas.push_back(DataOf(next + k));
    }
    for (int k = 0; k < count; ++k) {
      RoutedRecord r;
      r.partition_key = keys[k];
      r.data = datas[k];
      r.hash_key = static_cast<uint64_t>(next + k);
      r.has_explicit_hash_key = (next + k) % 2 == 0;
      batch.push_back(r);
    }
    absl::StatusOr<SequenceNumber> first = (*shard)->Append(batch);
    if (!first.ok()) _exit(3);
    next += count;
    Send(fd, 'A', next);
    if (rng() % 8 == 0) {
      const SequenceNumber last = internal::MakeSequenceNumber(
          internal::PositionOf(*first) + static_cast<uint64_t>(count) - 1, 0);
      if (!(*stream)->WaitForDurable(kShard, last, absl::Seconds(10)).ok()) {
        _exit(5);
      }
      Send(fd, 'S', next);
    }
  }
  _exit(0);
}

void RunCrashLoop(int iterations, Durability durability) {
  uint32_t seed = std::random_device()();
  if (const char* env = std::getenv("BROOK_CRASH_SEED")) {
    seed = static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
  }
  std::printf(
      "crash test: durability %d, seed %u (replay with "
      "BROOK_CRASH_SEED=%u)\n",
      static_cast<int>(durability), seed, seed);
  INFO("seed " << seed << ", durability " << static_cast<int>(durability));
  std::mt19937 rng(seed);
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  int64_t next = 0;  // one past the number of the stream's last record
  int64_t total_killed_acks = 0;
  for (int iteration = 0; iteration < iterations; ++iteration) {
    INFO("iteration " << iteration);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const uint32_t child_seed = static_cast<uint32_t>(rng());
    const int kill_after_micros = static_cast<int>(rng() % 30000);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(dir, durability, next, child_seed, fds[1]);
    }
    ::close(fds[1]);
    Message m{};
    REQUIRE(::read(fds[0], &m, sizeof(m)) == static_cast<ssize_t>(sizeof(m)));
    REQUIRE(m.type == 'R');
    ::usleep(static_cast<useconds_t>(kill_after_micros));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    int64_t acknowledged = next, synced = next;
    while (::read(fds[0], &m, sizeof(m)) == static_cast<ssize_t>(sizeof(m))) {
      if (m.type == 'A') acknowledged = m.value;
      if (m.type == 'S') synced = m.value;
    }
    ::close(fds[0]);
    REQUIRE(synced <= acknowledged);
    total_killed_acks += acknowledged - next;

    absl::StatusOr<std::unique_ptr<Stream>> stream =
        Stream::Open(dir, CrashOptions(durability), OpenMode::kMustExist);
    BROOK_REQUIRE_OK(stream);
    for (const RecoveryReport::Problem& p :
         (*stream)->recovery_report().problems) {
      CHECK_FALSE(p.data_loss);
    }
    absl::StatusOr<std::vector<OwnedRecord>> records =
        ReadShard(stream->get(), kShard);
    BROOK_REQUIRE_OK(records);
    // Retention drops the oldest records; the rest run on without a gap.
    // Empty only if the first child was killed before its first append.
    if (records->empty()) {
      REQUIRE(next == 0);
      REQUIRE(acknowledged == 0);
    }
    const int64_t first =
        records->empty() ? 0 : NumberOf(records->front().data);
    const int64_t end = first + static_cast<int64_t>(records->size());
    INFO("acknowledged " << acknowledged << ", synced " << synced << ", found "
                         << first << ".." << end);
    REQUIRE(end >= acknowledged);
    for (size_t i = 0; i < records->size(); ++i) {
      const OwnedRecord& r = (*records)[i];
      const int64_t n = first + static_cast<int64_t>(i);
      if (r.data != DataOf(n) || r.partition_key != KeyOf(n) ||
          r.hash_key != static_cast<uint64_t>(n) ||
          r.explicit_hash_key != (n % 2 == 0) ||
          (i > 0 && !((*records)[i - 1].sequence_number < r.sequence_number)) ||
          (i > 0 && (*records)[i - 1].arrival > r.arrival)) {
        FAIL("record " << i << " is wrong: data " << r.data.substr(0, 24));
      }
    }
    next = end;
    // Leave it unclean half of the time, so both kinds of open are exercised.
    if (iteration % 2 == 0) {
      BROOK_REQUIRE_OK((*stream)->Close());
    } else {
      testing::Crash(*std::move(stream));
    }
  }
  std::printf(
      "crash test: %d kills, %lld records appended, %lld acknowledged "
      "by killed children\n",
      iterations, static_cast<long long>(next),
      static_cast<long long>(total_killed_acks));
  CHECK(next > 0);
}

TEST_CASE("Crash: SIGKILL at random moments loses no acknowledged record",
          "[store][crash]") {
  const Durability durability = GENERATE(
      Durability::kNone, Durability::kGroupCommit, Durability::kAlways);
  RunCrashLoop(8, durability);
}

TEST_CASE("Crash: long SIGKILL loop", "[.][slow][crash]") {
  const Durability durability = GENERATE(
      Durability::kNone, Durability::kGroupCommit, Durability::kAlways);
  RunCrashLoop(200, durability);
}

}  // namespace
}  // namespace brook
