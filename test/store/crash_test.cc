// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Kill -9 loops (RocksDB's and Kafka's crash tests): a child process puts
// records of several keys into a durable stream, resharding it now and then,
// and reports every acknowledged record; the parent kills it with SIGKILL,
// reopens the directory read-only and then for writing, and checks every
// acknowledged record with the oracle of crash_oracle.h (per key, in order,
// nothing missing unless retention removed it, nothing twice, no garbage).
// The next child carries on in the same directory, so recovery runs on the
// result of every earlier crash. The stream keeps 1 MiB and drops its oldest
// segments beyond that (reused segment files), rolls segments by age on a
// manual clock, and some records are larger than a segment.
//
// One loop kills at random moments; the other kills deterministically inside
// the creation of the Nth segment file (after creating it, after allocating
// it, or after renaming a reused file to its name).
//
// The seed is printed; BROOK_CRASH_SEED=<n> replays a run. A SIGKILL loses no
// page-cache bytes, so every acknowledged record must survive whatever the
// durability policy; power loss is covered by fault_injection_test.cc.

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "store/crash_oracle.h"
#include "store/store_testing.h"
#include "stream/sequence.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

using testing::CrashAck;
using testing::CrashData;
using testing::CrashKey;
using testing::CrashLog;
using testing::CrashModel;
using testing::kCrashKeys;
using testing::TempDir;

// The manual clock of iteration `i` starts here. A child advances it by up
// to 20 ms a batch, and a segment rolls after a second: a reopen mostly finds
// its last segment still open, as a quick restart would.
int64_t ClockAt(int iteration) {
  return int64_t{1'000'000'000'000} + int64_t{iteration} * 50;
}

// The stored options are set when the stream is created (the first child);
// later opens take them as stored (the children reshard), and this open's
// durability.
StreamOptions CrashOptions(Durability durability, Env* env) {
  StreamOptions options;
  options.accept_stored_options = true;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 1 << 20;
  options.on_full = RetentionFullPolicy::kDropOldest;
  // Age retention stays out of the way: the oracle allows prefixes dropped
  // by the byte bound only.
  options.retention_period =
      absl::Milliseconds(int64_t{365} * 24 * 60 * 60 * 1000);
  options.segment_roll_age = absl::Milliseconds(1000);
  options.durability = durability;
  options.group_commit_bytes = 32 << 10;
  options.group_commit_interval = absl::Milliseconds(2);
  options.env = env;
  return options;
}

// Kills its process (SIGKILL) inside the creation of the `countdown`th
// segment file: right after the file is created (`allocate` false) or after
// it is allocated to a segment's size, or after a reused file is renamed to
// a segment's name.
class KillInSegmentCreationEnv final : public EnvWrapper {
 public:
  KillInSegmentCreationEnv(Env* target, int countdown, bool allocate)
      : EnvWrapper(target), countdown_(countdown), allocate_(allocate) {}

  absl::StatusOr<std::unique_ptr<File>> OpenFile(absl::string_view path,
                                                 FileOpenMode mode) override {
    absl::StatusOr<std::unique_ptr<File>> f = target()->OpenFile(path, mode);
    if (mode == FileOpenMode::kCreate && absl::EndsWith(path, ".seg") &&
        --countdown_ == 0) {
      if (allocate_ && f.ok()) (*f)->Allocate(64 << 10).IgnoreError();
      ::raise(SIGKILL);
    }
    return f;
  }
  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    absl::Status s = target()->RenameFile(from, to);
    if (absl::EndsWith(to, ".seg") && --countdown_ == 0) ::raise(SIGKILL);
    return s;
  }

 private:
  int countdown_;  // the appender's thread only: creates segment files
  const bool allocate_;
};

struct ChildPlan {
  Durability durability;
  int iteration;
  uint32_t seed;
  bool reshard;
  int kill_countdown;  // 0: none (killed by the parent)
  bool kill_after_allocate;
  int max_batches;  // then exits 0
};

// The child: puts records of random keys, in batches, until killed (or
// `max_batches`); reports each acknowledged record in `log`.
[[noreturn]] void RunChild(const std::string& dir, const ChildPlan& plan,
                           std::array<uint64_t, kCrashKeys> next, CrashLog* log,
                           int ready_fd) {
  ManualClockEnv clock(ClockAt(plan.iteration));
  std::unique_ptr<Env> killer;
  Env* env = &clock;
  if (plan.kill_countdown > 0) {
    killer = std::make_unique<KillInSegmentCreationEnv>(
        &clock, plan.kill_countdown, plan.kill_after_allocate);
    env = killer.get();
  }
  absl::StatusOr<std::unique_ptr<Stream>> stream = Stream::Open(
      dir, CrashOptions(plan.durability, env), OpenMode::kCreateIfMissing);
  if (!stream.ok()) _exit(2);
  if (::write(ready_fd, "R", 1) != 1) _exit(4);
  Producer producer(stream->get());
  std::mt19937 rng(plan.seed);
  std::vector<std::string> datas;
  std::vector<CrashAck> acks;
  std::vector<PutRecordsEntry> entries;
  std::vector<std::string> key_names;
  for (int k = 0; k < kCrashKeys; ++k) key_names.push_back(CrashKey(k));
  for (int batch = 0; batch < plan.max_batches; ++batch) {
    if (plan.reshard && rng() % 64 == 0) {
      // 1 to 4 open shards, within what one call may do (as in Kinesis: at
      // most double, at least halve the open shard count).
      int open = 0;
      for (const ShardDescription& d : (*stream)->ListShards()) {
        if (d.is_open()) ++open;
      }
      const int low = (open + 1) / 2;
      const int high = std::min(2 * open, 4);
      const int target = low + static_cast<int>(rng() % (high - low + 1));
      if (!(*stream)->UpdateShardCount(target).ok()) _exit(6);
    }
    clock.Advance(absl::Milliseconds(static_cast<int64_t>(rng() % 20)));
    const int count = 1 + static_cast<int>(rng() % 30);
    datas.clear();
    acks.clear();
    entries.clear();
    for (int i = 0; i < count; ++i) {
      const int key = static_cast<int>(rng() % kCrashKeys);
      acks.push_back({0, static_cast<uint32_t>(key), next[key]++, 0});
      datas.push_back(CrashData(key, acks.back().counter));
    }
    for (int i = 0; i < count; ++i) {
      entries.push_back({key_names[acks[i].key], datas[i], {}});
    }
    absl::StatusOr<PutRecordsResult> put = producer.PutRecords(entries);
    if (!put.ok() || put->failed_record_count != 0) _exit(3);
    const uint64_t at = log->count.load(std::memory_order_relaxed);
    if (at + static_cast<uint64_t>(count) > CrashLog::kCapacity) break;
    for (int i = 0; i < count; ++i) {
      const SequenceNumber n = put->records[i].sequence_number;
      acks[i].shard = static_cast<uint32_t>(internal::ShardNumberOf(n));
      acks[i].position = internal::PositionOf(n);
      log->entries[at + i] = acks[i];
    }
    log->count.store(at + static_cast<uint64_t>(count),
                     std::memory_order_release);
  }
  _exit(0);
}

class CrashLoop {
 public:
  CrashLoop() {
    void* p = ::mmap(nullptr, sizeof(CrashLog), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    log_ = static_cast<CrashLog*>(p);
  }
  ~CrashLoop() { ::munmap(log_, sizeof(CrashLog)); }
  CrashLoop(const CrashLoop&) = delete;
  CrashLoop& operator=(const CrashLoop&) = delete;

  // Runs one child; the parent kills it `kill_after_micros` after it is
  // ready unless it kills itself or exits first. Returns false if it exited
  // (0) before any kill; then nothing more is checked.
  // Kills the child `kill_after_micros` after it is ready, or with
  // `after_first_ack` after it acknowledged its first record (so that a
  // loaded machine, where a child may need longer than the delay to get going,
  // still kills children that acknowledged something).
  bool RunOnce(const ChildPlan& plan, int kill_after_micros,
               bool after_first_ack = false) {
    log_->count.store(0, std::memory_order_relaxed);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(dir_, plan, model_.next_counters(), log_, fds[1]);
    }
    ::close(fds[1]);
    char ready = 0;
    const bool is_ready = ::read(fds[0], &ready, 1) == 1 && ready == 'R';
    if (is_ready && kill_after_micros >= 0) {
      if (after_first_ack) WaitForFirstAck(pid);
      ::usleep(static_cast<useconds_t>(kill_after_micros));
      ::kill(pid, SIGKILL);  // may have died already
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    model_.AddAcks(*log_);
    acknowledged_ += static_cast<int64_t>(log_->count.load());
    if (WIFEXITED(status)) {
      INFO("child exit code " << WEXITSTATUS(status));
      REQUIRE(WEXITSTATUS(status) == 0);
    } else {
      REQUIRE(WIFSIGNALED(status));
      REQUIRE(WTERMSIG(status) == SIGKILL);
      ++kills_;
    }
    Check(plan);
    return !WIFEXITED(status);
  }

  // Returns once the child acknowledged a record or exited (not reaped).
  void WaitForFirstAck(pid_t pid) {
    while (log_->count.load(std::memory_order_acquire) == 0) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info,
                   WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        return;
      }
      ::usleep(100);  // polls another process: nothing to block on
    }
  }

  int kills() const { return kills_; }
  int64_t acknowledged() const { return acknowledged_; }
  const CrashModel& model() const { return model_; }

 private:
  // Read-only first (it repairs nothing), then writable; then closed cleanly
  // or left unclean, in turn.
  void Check(const ChildPlan& plan) {
    ManualClockEnv clock(ClockAt(plan.iteration + 1));
    const StreamOptions options = CrashOptions(plan.durability, &clock);
    for (const OpenMode mode : {OpenMode::kReadOnly, OpenMode::kMustExist}) {
      INFO((mode == OpenMode::kReadOnly ? "read-only" : "writable") << " open");
      absl::StatusOr<std::unique_ptr<Stream>> stream =
          Stream::Open(dir_, options, mode);
      BROOK_REQUIRE_OK(stream);
      for (const RecoveryReport::Problem& p :
           (*stream)->recovery_report().problems) {
        INFO(p.file << " offset " << p.offset << ": " << p.reason);
        CHECK_FALSE(p.data_loss);
      }
      model_.Verify(stream->get(), /*commit=*/mode == OpenMode::kMustExist);
      if (mode == OpenMode::kReadOnly) continue;
      if (plan.iteration % 2 == 0) {
        BROOK_REQUIRE_OK((*stream)->Close());
      } else {
        testing::Crash(*std::move(stream));
      }
    }
  }

  TempDir tmp_;
  const std::string dir_ = tmp_.Sub("s");
  CrashLog* log_ = nullptr;
  CrashModel model_;
  int kills_ = 0;
  int64_t acknowledged_ = 0;
};

uint32_t CrashSeed() {
  uint32_t seed = std::random_device()();
  if (const char* env = std::getenv("BROOK_CRASH_SEED")) {
    seed = static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
  }
  return seed;
}

void RunRandomKills(int iterations, Durability durability) {
  const uint32_t seed = CrashSeed();
  std::printf(
      "crash test: durability %d, seed %u (replay with "
      "BROOK_CRASH_SEED=%u)\n",
      static_cast<int>(durability), seed, seed);
  INFO("seed " << seed << ", durability " << static_cast<int>(durability));
  std::mt19937 rng(seed);
  CrashLoop loop;
  for (int iteration = 0; iteration < iterations; ++iteration) {
    INFO("iteration " << iteration);
    ChildPlan plan{durability,       iteration, static_cast<uint32_t>(rng()),
                   /*reshard=*/true, 0,         false,
                   1'000'000};
    const int kill_after_micros = static_cast<int>(rng() % 30000);
    // Every other child from its first acknowledgment: at least those have
    // acknowledged records to check, however slow the machine is.
    REQUIRE(loop.RunOnce(plan, kill_after_micros,
                         /*after_first_ack=*/iteration % 2 == 1));
  }
  std::printf(
      "crash test: %d kills, %lld records acknowledged, %lld kept, %lld "
      "dropped by retention at the last open\n",
      loop.kills(), static_cast<long long>(loop.acknowledged()),
      static_cast<long long>(loop.model().known_records()),
      static_cast<long long>(loop.model().dropped()));
  CHECK(loop.acknowledged() > 0);
}

TEST_CASE("Crash: SIGKILL at random moments loses no acknowledged record",
          "[store][crash]") {
  const Durability durability = GENERATE(
      Durability::kNone, Durability::kGroupCommit, Durability::kAlways);
  RunRandomKills(6, durability);
}

TEST_CASE("Crash: long SIGKILL loop", "[.][slow][crash]") {
  const Durability durability = GENERATE(
      Durability::kNone, Durability::kGroupCommit, Durability::kAlways);
  RunRandomKills(200, durability);
}

// Kills the child at its first, second, ... `max_n`th segment file creation,
// one child after the other in the same directory; returns the kills.
int RunCreationKills(int max_n, Durability durability, bool allocate) {
  INFO("durability " << static_cast<int>(durability) << ", allocate "
                     << allocate);
  CrashLoop loop;
  for (int n = 1; n <= max_n; ++n) {
    INFO("killed at segment file creation " << n);
    // A fixed seed: the same batches each time, killed one creation later.
    ChildPlan plan{durability,         n, 7, /*reshard=*/false, n, allocate,
                   /*max_batches=*/400};
    if (!loop.RunOnce(plan, /*kill_after_micros=*/-1)) break;
  }
  return loop.kills();
}

TEST_CASE(
    "Crash: SIGKILL inside segment file creation loses no acknowledged "
    "record",
    "[store][crash]") {
  const Durability durability =
      GENERATE(Durability::kNone, Durability::kAlways);
  const bool allocate = GENERATE(false, true);
  CHECK(RunCreationKills(6, durability, allocate) == 6);
}

TEST_CASE("Crash: long SIGKILL inside segment file creation loop",
          "[.][slow][crash]") {
  const Durability durability = GENERATE(
      Durability::kNone, Durability::kGroupCommit, Durability::kAlways);
  const bool allocate = GENERATE(false, true);
  CHECK(RunCreationKills(40, durability, allocate) >= 10);
}

}  // namespace
}  // namespace brook
