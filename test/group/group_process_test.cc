// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A consumer group across processes (issue 11): a writer process appends
// keyed sequences (partition key k, data k's counter) to a durable stream and
// splits and merges it at random points; three worker processes open the
// stream read-only (followers) and the group with `OpenDurableLeaseStore()`,
// each running a `Worker` on its own threads. Worker 2 is SIGKILLed and
// restarted again and again, half the times under its old id (it takes its
// entry back), half under a new one (its leases expire after the failover
// time). At the end every worker shuts down gracefully.
//
// Each processor appends what it does to its process's log file: each
// record delivered, where it was initialized, each checkpoint that returned
// OK, and its last call, each line with CLOCK_MONOTONIC nanoseconds (one
// clock for every process of the machine). The log is fdatasync'd before
// every checkpoint, so it holds every record a checkpoint covers. The logs
// of all processes, merged by time, go through the same oracle as the
// in-process test (group_testing.h, `CheckDelivery()`, not strict): per
// partition key the first deliveries are exactly the records produced, in
// order; each processor starts at a checkpoint stored (at least the last
// one logged before) and reads its shard on without a gap; a child's first
// record comes after its parents' last; nothing is lost.
//
// The seed is printed; BROOK_GROUP_SEED=<n> replays the writer's choices
// (kill moments depend on timing).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include <catch2/catch.hpp>

#include "brook/consumer_group.h"
#include "brook/lease.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "group/group_testing.h"
#include "testing/child_processes.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

namespace brook {
namespace {

using testing::CheckDelivery;
using testing::GroupEvent;

constexpr int kKeys = 32;

struct Shared {
  std::atomic<int> stop;   // 1: workers shut down gracefully and exit
  std::atomic<int> kills;  // worker kills so far (the parent counts them)
  std::atomic<int64_t> produced[kKeys];  // the writer's counters
};

int64_t MonotonicNanos() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

StreamOptions WriterOptions() {
  StreamOptions options;
  options.accept_stored_options = true;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  return options;
}

// The writer: `batches` PutRecords calls of 1 to 10 records with random
// keys, a random reshard every ~60 batches, ~1 ms apart; then closes the
// stream. Exit codes: 0 done, 2 open failed, 3 append failed, 5 reshard
// failed.
[[noreturn]] void RunWriter(const std::string& dir, uint64_t seed, int batches,
                            Shared* shared) {
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, WriterOptions(), OpenMode::kMustExist);
  if (!stream.ok()) _exit(2);
  Producer producer(stream->get());
  std::mt19937_64 rng(seed);
  std::vector<std::string> names, datas;
  std::vector<PutRecordsEntry> entries;
  for (int b = 0; b < batches; ++b) {
    // Wait for the parent's first kill a third of the way in and its second
    // two thirds in, so that every run kills a worker at least twice while
    // records are still being written, however slow the machine.
    const int kills_due = 3 * b / batches;
    while (shared->kills.load() < kills_due) ::usleep(1000);
    if (rng() % 60 == 0 && !testing::RandomReshard(**stream, rng).ok()) {
      _exit(5);
    }
    const int count = 1 + static_cast<int>(rng() % 10);
    names.clear();
    datas.clear();
    entries.clear();
    for (int i = 0; i < count; ++i) {
      const int key = static_cast<int>(rng() % kKeys);
      names.push_back(testing::KeyName(key));
      datas.push_back(testing::KeyedData(key, shared->produced[key]++));
    }
    for (int i = 0; i < count; ++i) entries.push_back({names[i], datas[i], {}});
    absl::StatusOr<PutRecordsResult> put = producer.PutRecords(entries);
    if (!put.ok() || put->failed_record_count != 0) _exit(3);
    ::usleep(1000);  // spreads the writing over the kills
  }
  if (!(*stream)->Close().ok()) _exit(3);
  _exit(0);
}

// Appends lines to a worker process's log; fdatasync'd by `Sync()`.
class Log {
 public:
  explicit Log(int fd) : fd_(fd) {}
  void Write(const std::string& lines) {
    if (::write(fd_, lines.data(), lines.size()) !=
        static_cast<ssize_t>(lines.size())) {
      _exit(6);
    }
  }
  void Sync() {
    if (::fdatasync(fd_) != 0) _exit(6);
  }

 private:
  const int fd_;
};

std::string CheckpointText(const ExtendedSequenceNumber& cp) {
  return cp.is_sequence_number() ? cp.sequence_number().ToString()
                                 : cp.ToString();
}

// Logs every call; checkpoints after ~1 batch in 4 (the log synced first),
// always at the shard's end, and in ShutdownRequested.
class LoggingProcessor : public RecordProcessor {
 public:
  LoggingProcessor(Log* log, std::string instance, uint64_t seed)
      : log_(log), instance_(std::move(instance)), rng_(seed) {}

  void Initialize(const InitializationInput& input) override {
    log_->Write(absl::StrCat("I ", instance_, " ", input.shard_id, " ",
                             CheckpointText(input.checkpoint), " ",
                             MonotonicNanos(), "\n"));
  }
  absl::Status ProcessRecords(const ProcessRecordsInput& input) override {
    const int64_t now = MonotonicNanos();
    std::string lines;
    for (const Record& r : input.records) {
      absl::StrAppend(&lines, "D ", instance_, " ",
                      r.sequence_number.ToString(), " ", std::string(r.data),
                      " ", now, "\n");
    }
    log_->Write(lines);
    last_ = input.records.back().sequence_number;
    delivered_ = true;
    if (rng_() % 4 == 0) Checkpoint(*input.checkpointer, false);
    return absl::OkStatus();
  }
  void LeaseLost() override { End("L"); }
  void ShardEnded(Checkpointer& checkpointer) override {
    End("E");
    Checkpoint(checkpointer, true);
  }
  void ShutdownRequested(Checkpointer& checkpointer) override {
    End("S");
    if (delivered_) Checkpoint(checkpointer, false);
  }

 private:
  void End(const char* what) {
    log_->Write(
        absl::StrCat(what, " ", instance_, " ", MonotonicNanos(), "\n"));
  }
  void Checkpoint(Checkpointer& checkpointer, bool shard_end) {
    log_->Sync();
    if (!checkpointer.Checkpoint().ok()) return;
    const std::string at =
        shard_end ? "SHARD_END" : absl::StrCat(last_.ToString());
    log_->Write(
        absl::StrCat("C ", instance_, " ", at, " ", MonotonicNanos(), "\n"));
  }

  Log* const log_;
  const std::string instance_;
  std::mt19937_64 rng_;
  SequenceNumber last_;
  bool delivered_ = false;
};

// A worker process. Exit codes: 0 shut down gracefully, 2 open failed,
// 3 store failed, 4 worker failed to start, 5 shutdown failed, 6 log write
// failed, 7 no stop within two minutes.
[[noreturn]] void RunWorker(const std::string& dir, const std::string& id,
                            const std::string& log_path, uint64_t seed,
                            Shared* shared) {
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
  if (!stream.ok()) _exit(2);
  DurableLeaseStoreOptions store_options;
  store_options.sync = false;  // process crashes only
  absl::StatusOr<std::unique_ptr<LeaseStore>> store =
      OpenDurableLeaseStore(dir, "app", store_options);
  if (!store.ok()) _exit(3);
  const int fd =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) _exit(6);
  Log log(fd);
  std::atomic<int> instances{0};
  WorkerOptions options;
  options.worker_id = id;
  options.failover_time = absl::Seconds(1);
  options.lease_renewal_interval = absl::Milliseconds(200);
  options.graceful_handoff_timeout = absl::Seconds(2);
  options.idle_time_between_reads = absl::Milliseconds(50);
  options.initial_position = ExtendedSequenceNumber::TrimHorizon();
  options.max_records = 50;
  // Uniform: every worker, worker 2 too, holds its share of the key space,
  // so that most kills hit a worker that holds shards.
  options.assignment = AssignmentStrategy::kUniform;
  absl::StatusOr<std::unique_ptr<Worker>> worker = Worker::Create(
      stream->get(), store->get(),
      [&](absl::string_view) {
        const int n = instances++;
        return std::make_unique<LoggingProcessor>(
            &log,
            absl::StrCat(log_path.substr(log_path.rfind('/') + 1), ".", n),
            seed * 7919 + static_cast<uint64_t>(n));
      },
      options);
  if (!worker.ok() || !(*worker)->Start().ok()) _exit(4);
  for (int i = 0; shared->stop.load() == 0; ++i) {
    if (i > 12000) _exit(7);
    ::usleep(10'000);  // polls the parent's flag: nothing to block on
  }
  if (!(*worker)->Shutdown(absl::Seconds(30)).ok()) _exit(5);
  worker->reset();
  _exit(0);
}

// The events of every log in `dir`, merged by time (stable: lines of one
// file keep their order). Instances are numbered in order of first sight.
// A killed process's last line may be torn: a line without its newline is
// left out.
std::vector<GroupEvent> ReadLogs(const std::vector<std::string>& paths) {
  std::vector<std::pair<int64_t, GroupEvent>> timed;
  std::map<std::string, int> numbers;
  std::map<int, std::string> shard_of;
  for (const std::string& path : paths) {
    std::string text = testing::ReadFileBytes(path);
    const size_t end = text.rfind('\n');
    text.resize(end == std::string::npos ? 0 : end + 1);
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (line.empty()) continue;
      INFO(path << ": " << std::string(line));
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      REQUIRE(f.size() >= 3);
      auto [it, added] =
          numbers.emplace(f[1], static_cast<int>(numbers.size()));
      GroupEvent e;
      e.instance = it->second;
      e.worker = path;
      int64_t ns = 0;
      REQUIRE(absl::SimpleAtoi(f.back(), &ns));
      if (f[0] == "I") {
        REQUIRE(f.size() == 5);
        e.kind = GroupEvent::kInit;
        e.shard = f[2];
        shard_of[e.instance] = e.shard;
        if (f[3] == "TRIM_HORIZON" || f[3] == "LATEST" || f[3] == "SHARD_END" ||
            f[3] == "AT_TIMESTAMP") {
          absl::StatusOr<ExtendedSequenceNumber> cp =
              ExtendedSequenceNumber::Parse(f[3]);
          BROOK_REQUIRE_OK(cp);
          e.checkpoint = *cp;
        } else {
          absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(f[3]);
          BROOK_REQUIRE_OK(n);
          e.checkpoint = ExtendedSequenceNumber::At(*n);
        }
      } else {
        REQUIRE(shard_of.count(e.instance) == 1);
        e.shard = shard_of[e.instance];
        if (f[0] == "D") {
          REQUIRE(f.size() == 5);
          e.kind = GroupEvent::kDeliver;
          absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(f[2]);
          BROOK_REQUIRE_OK(n);
          e.sequence_number = *n;
          REQUIRE(testing::ParseKeyed(f[3], &e.key, &e.counter));
        } else if (f[0] == "C") {
          REQUIRE(f.size() == 4);
          e.kind = GroupEvent::kCheckpoint;
          if (f[2] == "SHARD_END") {
            e.checkpoint = ExtendedSequenceNumber::ShardEnd();
          } else {
            absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(f[2]);
            BROOK_REQUIRE_OK(n);
            e.checkpoint = ExtendedSequenceNumber::At(*n);
          }
        } else {
          REQUIRE(f.size() == 3);
          REQUIRE((f[0] == "E" || f[0] == "S" || f[0] == "L"));
          e.kind = f[0] == "E"   ? GroupEvent::kEnded
                   : f[0] == "S" ? GroupEvent::kShutdown
                                 : GroupEvent::kLost;
        }
      }
      timed.push_back({ns, std::move(e)});
    }
  }
  std::stable_sort(
      timed.begin(), timed.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<GroupEvent> events;
  for (auto& [ns, e] : timed) events.push_back(std::move(e));
  return events;
}

// Whether worker `id` holds a shard lease it has not finished.
bool HoldsUnfinished(LeaseStore& store, const std::string& id) {
  absl::StatusOr<std::vector<Lease>> leases = store.ListLeases();
  if (!leases.ok()) return false;  // e.g. a lease deleted while listed
  for (const Lease& l : *leases) {
    if (IsShardLeaseKey(l.lease_key) && l.lease_owner == id &&
        !l.checkpoint.is_shard_end()) {
      return true;
    }
  }
  return false;
}

// The workers' and writer's processes, and the memory they share.
class Processes {
 public:
  Shared* shared() const { return shared_.get(); }

  pid_t StartWriter(const std::string& dir, uint64_t seed, int batches) {
    return children_.Fork(
        [&] { RunWriter(dir, seed, batches, shared_.get()); });
  }
  pid_t StartWorker(const std::string& dir, const std::string& id,
                    const std::string& log_path, uint64_t seed) {
    return children_.Fork(
        [&] { RunWorker(dir, id, log_path, seed, shared_.get()); });
  }
  // Reaps `pid`; its exit code, or 128 + the signal that ended it.
  int Wait(pid_t pid) { return children_.Wait(pid); }
  bool Exited(pid_t pid) { return testing::ChildProcesses::Exited(pid); }

 private:
  testing::SharedMapping<Shared> shared_;
  testing::ChildProcesses children_;  // killed before shared_ is unmapped
};

TEST_CASE(
    "Consumer group across processes: three worker processes, one SIGKILLed "
    "and restarted repeatedly, deliver every key in order, nothing lost",
    "[group][worker][process]") {
  const uint64_t seed = testing::GroupSeed("group process test");
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  {
    absl::StatusOr<std::unique_ptr<Stream>> stream =
        Stream::Open(dir, WriterOptions(), OpenMode::kCreateIfMissing);
    BROOK_REQUIRE_OK(stream);
    BROOK_REQUIRE_OK((*stream)->Close());
  }
  Processes procs;
  Shared* shared = procs.shared();
  std::vector<std::string> logs;
  auto log_path = [&](const std::string& id) {
    logs.push_back(tmp.Sub(absl::StrCat(id, "-", logs.size(), ".log")));
    return logs.back();
  };
  const pid_t writer = procs.StartWriter(dir, rng(), 1500);
  std::vector<pid_t> workers;
  for (int w = 0; w < 3; ++w) {
    const std::string id = absl::StrCat("w", w);
    workers.push_back(procs.StartWorker(dir, id, log_path(id), rng()));
  }
  int kills = 0;
  size_t log_of_2 = 2;
  std::string id_of_2 = "w2";
  // The parent reads the group's leases (never changes them) to time kills.
  DurableLeaseStoreOptions observer_options;
  observer_options.sync = false;
  absl::StatusOr<std::unique_ptr<LeaseStore>> observer =
      OpenDurableLeaseStore(dir, "app", observer_options);
  BROOK_REQUIRE_OK(observer);
  while (!procs.Exited(writer)) {
    // Kill worker 2 once it has processed records and holds a shard it has
    // not finished (up to 5 s), at a random moment after that.
    ::usleep(static_cast<useconds_t>(rng() % 200'000));
    for (int i = 0; i < 500; ++i) {
      if (testing::ReadFileBytes(logs[log_of_2]).find("\nD ") !=
              std::string::npos &&
          HoldsUnfinished(**observer, id_of_2)) {
        break;
      }
      ::usleep(10'000);  // polls another process's log and the store
    }
    ::usleep(static_cast<useconds_t>(rng() % 100'000));
    REQUIRE(::kill(workers[2], SIGKILL) == 0);
    REQUIRE(procs.Wait(workers[2]) == 128 + SIGKILL);
    ++kills;
    shared->kills.store(kills);
    const std::string id =
        rng() % 2 == 0 ? std::string("w2") : absl::StrCat("w2-", kills);
    workers[2] = procs.StartWorker(dir, id, log_path(id), rng());
    log_of_2 = logs.size() - 1;
    id_of_2 = id;
  }
  REQUIRE(procs.Wait(writer) == 0);
  std::printf("group process test: %d kills\n", kills);
  CHECK(kills >= 2);

  std::map<int, int64_t> produced;
  for (int k = 0; k < kKeys; ++k) produced[k] = shared->produced[k].load();
  std::map<std::string, testing::ShardRecords> shards;
  {
    absl::StatusOr<std::unique_ptr<Stream>> stream =
        Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
    BROOK_REQUIRE_OK(stream);
    shards = testing::ReadAllShards(stream->get());
  }
  size_t total = 0;
  for (const auto& [id, s] : shards) total += s.sequence_numbers.size();
  // The group goes on until every record was delivered.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    std::set<std::pair<std::string, absl::uint128>> seen;
    for (const GroupEvent& e : ReadLogs(logs)) {
      if (e.kind == GroupEvent::kDeliver) {
        seen.insert({e.shard, e.sequence_number.value()});
      }
    }
    if (seen.size() >= total) break;
    INFO("delivered " << seen.size() << " of " << total);
    if (std::chrono::steady_clock::now() >= deadline) {
      absl::StatusOr<std::unique_ptr<Stream>> stream =
          Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
      BROOK_REQUIRE_OK(stream);
      std::printf("stalled:\n%s", testing::DescribeStall(
                                      **observer, stream->get(), ReadLogs(logs))
                                      .c_str());
    }
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    ::usleep(100'000);  // polls other processes' logs
  }
  shared->stop.store(1);
  for (pid_t pid : workers) {
    INFO("worker exit code (5: shutdown failed, 7: no stop)");
    CHECK(procs.Wait(pid) == 0);
  }
  const std::vector<GroupEvent> events = ReadLogs(logs);
  std::printf("group process test: %zu records, %zu shards, %s\n", total,
              shards.size(), testing::Summary(events).c_str());
  std::map<std::string, int> per_log;
  for (const GroupEvent& e : events) {
    if (e.kind == GroupEvent::kInit) {
      ++per_log[e.worker.substr(e.worker.rfind('/') + 1)];
    }
  }
  std::string described;
  for (const auto& [log, n] : per_log)
    absl::StrAppend(&described, log, ":", n, " ");
  std::printf("group process test: processors per worker process: %s\n",
              described.c_str());
  CheckDelivery(events, shards, produced, /*strict=*/false);
}

}  // namespace
}  // namespace brook
