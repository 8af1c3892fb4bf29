// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// brook beside RocksDB, LMDB and LevelDB in the same run (issue 13): the
// same records (keys: a counter as 16 hex digits, brook storing the same
// 16 bytes as the partition key; values of 100 B or 1 KiB of fixed random
// bytes; no compression anywhere), the same count, the same batching (one
// write call per batch: `Shard::Append`, a WriteBatch, an LMDB transaction)
// and the same durability (log_store.h, `Sync`). Every benchmark runs brook
// and the peer alternately inside each iteration, so both see the same load:
// the manual time and items/s are the peer's; counter `brook` is brook's
// rec/s (or ms) over the same iterations and `brook_over_peer` the ratio of
// their speeds (> 1: brook is faster). The label is the 1-minute load
// average when the benchmark started. See bench/README.md, "Issue 13".
//
// Workloads:
// - BM_Peers_Append/<peer>/<sync>/record_bytes:B/batch:N: append the
//   workload's records to a fresh, empty store (opened and closed outside
//   the timing; the final sync is timed). brook: the durable (mmap) stream;
//   counter `brook_memory` is the memory stream, where the peer does not sync.
//   Counters `brook_recycled` and `brook_memory_recycled` (not like with
//   like: context only) append the same records to a brook stream held at a
//   64 MiB retention bound, whose dropped segments are reused, so no new
//   page is touched. Counter `fresh_memcpy` copies the same bytes into a
//   fresh anonymous mapping: what first-touching the pages costs here.
//   Counter `write_floor` is the floor for the peers at the row's
//   durability: the same records (16-byte key plus value each, no framing)
//   written to a fresh file in a fresh directory, one buffered write(2) per
//   batch, fdatasync by the peers' rule for sync1MiB (after the batch that
//   brings the unsynced bytes to 1 MiB, and at the end), closed without sync
//   for nosync (log_store.h, `kWriteFloor`). `floor_over_peer` is its rate
//   over the peer's: the most a store writing these bytes through write(2)
//   could beat the peer by, so a target ratio above it cannot be met that
//   way at this durability on this machine. `brook_over_floor` is brook's
//   rate over the floor's. brook, the peer and the floor take turns going
//   first, second and third from one iteration to the next.
// - BM_Peers_Scan/<peer>/record_bytes:B: read every record in order, summing
//   key and value lengths, from stores filled (batches of 10,000, no sync)
//   before the timing; RocksDB and LevelDB compacted first. brook reads
//   through `Consumer::ScanRecords`, 10,000 records a call (`brook`,
//   `brook_over_peer`, `brook_memory`), and through `Consumer::GetRecords`
//   (`brook_getrecords`, `getrecords_over_peer`), which collects them.
//   `read_floor` (rec/s) loads one word at each record's start in a buffer
//   laid out as brook's records are, prefetched ahead: what the memory
//   allows a scan that reads each record's header (`brook_over_floor`).
// - BM_Peers_Recover/<peer>/record_bytes:B: a child process appends batches
//   of 100 (no sync) and is killed with SIGKILL mid-append once the
//   workload's records are in; the timing is the reopen (brook: the unclean
//   open that checks every frame's CRC; RocksDB and LevelDB: WAL replay;
//   LMDB: nothing to replay). items/s is records recovered per second;
//   `brook_open_faults` and `peer_open_faults` count the page faults of the
//   whole process during each open.
//
// The binary re-runs itself as that child: `--peers_child KIND BYTES
// RECORDS DIR` (not for users).

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <benchmark/benchmark.h>

#include "../bench_dir.h"
#include "log_store.h"
#include "store/batch_format.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace bench {
namespace {

constexpr StoreKind kPeers[] = {StoreKind::kRocksDb, StoreKind::kLmdb,
                                StoreKind::kLevelDb};

// Records per run: ~108 MB of records at 100 B, ~208 MB at 1 KiB.
int64_t Records(size_t record_bytes) {
  return record_bytes <= 100 ? 1000000 : 200000;
}

std::string Payload(size_t size) {
  std::mt19937_64 rng(13);
  std::string s(size, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string LoadLabel() {
  char buf[64] = {0};
  FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "load ?";
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* space = std::strchr(buf, ' ');
  return absl::StrCat(
      "load ", std::string(buf, space ? static_cast<size_t>(space - buf) : n));
}

std::unique_ptr<LogStore> Open(StoreKind kind, Sync sync,
                               const std::string& dir) {
  std::string error;
  std::unique_ptr<LogStore> store = OpenLogStore(kind, sync, dir, &error);
  if (store == nullptr) {
    std::fprintf(stderr, "%s: %s\n", StoreName(kind), error.c_str());
  }
  return store;
}

bool Fill(LogStore* store, const std::string& data, int64_t records,
          int batch) {
  for (int64_t i = 0; i < records; i += batch) {
    const int n = static_cast<int>(std::min<int64_t>(batch, records - i));
    if (!store->Append(static_cast<uint64_t>(i), n, data)) return false;
  }
  return store->Finish();
}

// Seconds to append `records` to a fresh store of `kind`, or -1.
double TimedFill(StoreKind kind, Sync sync, const std::string& data,
                 int64_t records, int batch) {
  BenchDir dir;
  std::unique_ptr<LogStore> store = Open(kind, sync, dir.path());
  if (store == nullptr) return -1;
  const double start = Now();
  if (!Fill(store.get(), data, records, batch)) return -1;
  return Now() - start;
}

void SetCounters(benchmark::State& state, int64_t items, double brook_s,
                 double peer_s, double memory_s) {
  state.SetItemsProcessed(items);
  state.counters["brook"] = static_cast<double>(items) / brook_s;
  state.counters["brook_over_peer"] = peer_s / brook_s;
  if (memory_s > 0) {
    state.counters["brook_memory"] = static_cast<double>(items) / memory_s;
  }
}

// A brook stream at its retention bound (64 MiB, oldest segments dropped and
// their memory or files reused), filled twice over before the timing: what a
// long-running stream pays per append, without the first touch of new pages.
constexpr int64_t kRetention = int64_t{64} << 20;

std::unique_ptr<LogStore> OpenRecycled(StoreKind kind, Sync sync,
                                       const std::string& dir,
                                       const std::string& data, int batch) {
  std::string error;
  std::unique_ptr<LogStore> store =
      OpenLogStore(kind, sync, dir, &error, kRetention);
  const int64_t warm =
      2 * kRetention / static_cast<int64_t>(16 + data.size() + 25);
  if (store == nullptr || !Fill(store.get(), data, warm, batch)) return nullptr;
  return store;
}

// Seconds to copy `records` records of `data` (with a 16-byte key and 25
// bytes of framing each, as brook stores them) into a fresh anonymous
// mapping, touching every page for the first time: the floor for any store
// that writes through new mapped pages, on this machine, now.
double TimedFreshMemcpy(const std::string& data, int64_t records) {
  const size_t record = 16 + data.size() + 25;
  const size_t bytes = record * static_cast<size_t>(records);
  const double start = Now();
  void* map = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return -1;
  char* p = static_cast<char*>(map);
  for (int64_t i = 0; i < records; ++i, p += record) {
    std::memcpy(p + 41, data.data(), data.size());
  }
  benchmark::DoNotOptimize(map);
  const double seconds = Now() - start;
  ::munmap(map, bytes);
  return seconds;
}

double TimedAppend(LogStore* store, const std::string& data, int64_t records,
                   int batch) {
  const double start = Now();
  if (!Fill(store, data, records, batch)) return -1;
  return Now() - start;
}

void Append(benchmark::State& state, StoreKind peer, Sync sync, size_t size,
            int batch) {
  const std::string label = LoadLabel();
  const std::string data = Payload(size);
  const int64_t records = Records(size);
  BenchDir recycled_dir;
  std::unique_ptr<LogStore> recycled = OpenRecycled(
      StoreKind::kBrookMmap, sync, recycled_dir.path(), data, batch);
  std::unique_ptr<LogStore> recycled_memory =
      OpenRecycled(StoreKind::kBrookMemory, sync, "", data, batch);
  if (recycled == nullptr || recycled_memory == nullptr) {
    state.SkipWithError("warm-up failed");
    return;
  }
  double brook_s = 0, peer_s = 0, memory_s = 0, recycled_s = 0,
         recycled_memory_s = 0, fresh_s = 0, floor_s = 0;
  int64_t round = 0;
  for (auto _ : state) {
    // Rotate the order (brook, peer, floor): each goes first, second and
    // third once in three rounds, so none always follows another's
    // writeback.
    double b = -1, p = -1, m = 0, r = -1, rm = 0, f = -1, w = -1;
    const auto run_brook = [&] {
      b = TimedFill(StoreKind::kBrookMmap, sync, data, records, batch);
      r = TimedAppend(recycled.get(), data, records, batch);
      f = TimedFreshMemcpy(data, records);
      if (sync == Sync::kNone) {
        m = TimedFill(StoreKind::kBrookMemory, sync, data, records, batch);
        rm = TimedAppend(recycled_memory.get(), data, records, batch);
      }
    };
    const auto run_peer = [&] {
      p = TimedFill(peer, sync, data, records, batch);
    };
    const auto run_floor = [&] {
      w = TimedFill(StoreKind::kWriteFloor, sync, data, records, batch);
    };
    const std::function<void()> runs[3] = {run_brook, run_peer, run_floor};
    const int first = static_cast<int>(round++ % 3);
    for (int i = 0; i < 3; ++i) runs[(first + i) % 3]();
    if (b < 0 || p < 0 || m < 0 || r < 0 || rm < 0 || f < 0 || w < 0) {
      state.SkipWithError("append failed");
      return;
    }
    state.SetIterationTime(p);
    brook_s += b;
    peer_s += p;
    memory_s += m;
    recycled_s += r;
    recycled_memory_s += rm;
    fresh_s += f;
    floor_s += w;
  }
  const int64_t items = state.iterations() * records;
  SetCounters(state, items, brook_s, peer_s, memory_s);
  state.counters["brook_recycled"] = static_cast<double>(items) / recycled_s;
  state.counters["fresh_memcpy"] = static_cast<double>(items) / fresh_s;
  state.counters["write_floor"] = static_cast<double>(items) / floor_s;
  state.counters["floor_over_peer"] = peer_s / floor_s;
  state.counters["brook_over_floor"] = floor_s / brook_s;
  if (recycled_memory_s > 0) {
    state.counters["brook_memory_recycled"] =
        static_cast<double>(items) / recycled_memory_s;
  }
  state.SetLabel(label);
}

// The machine's floor for a scan of records not in cache: one load at each
// record's start in a buffer of `stride`-byte records (as brook's: each a
// 24-byte header, a 16-byte key and the data), the loads asked for as far
// ahead as brook's reader asks (ScanPrefetchDistance()). Nothing is decoded.
// Returns the seconds taken.
double TouchHeaders(const std::vector<char>& bytes, size_t stride,
                    int64_t* sum) {
  const double start = Now();
  const char* p = bytes.data();
  const size_t ahead = internal::ScanPrefetchDistance(stride, 1);
  int64_t s = 0;
  for (size_t i = 0; i < bytes.size(); i += stride) {
    __builtin_prefetch(p + i + ahead);
    s += p[i];
  }
  *sum += s;
  return Now() - start;
}

void Scan(benchmark::State& state, StoreKind peer, size_t size) {
  const std::string label = LoadLabel();
  const std::string data = Payload(size);
  const int64_t records = Records(size);
  BenchDir brook_dir;
  BenchDir peer_dir;
  std::unique_ptr<LogStore> brook =
      Open(StoreKind::kBrookMmap, Sync::kNone, brook_dir.path());
  std::unique_ptr<LogStore> memory =
      Open(StoreKind::kBrookMemory, Sync::kNone, "");
  std::unique_ptr<LogStore> other = Open(peer, Sync::kNone, peer_dir.path());
  if (brook == nullptr || memory == nullptr || other == nullptr ||
      !Fill(brook.get(), data, records, 10000) ||
      !Fill(memory.get(), data, records, 10000) ||
      !Fill(other.get(), data, records, 10000) || !other->Compact()) {
    state.SkipWithError("fill failed");
    return;
  }
  const size_t stride = 24 + 16 + size;
  const std::vector<char> lines(static_cast<size_t>(records) * stride, 1);
  double brook_s = 0, peer_s = 0, memory_s = 0, collected_s = 0, floor_s = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    floor_s += TouchHeaders(lines, stride, &bytes);
    double start = Now();
    const int64_t b = brook->Scan(&bytes);
    brook_s += Now() - start;
    start = Now();
    const int64_t g = brook->ScanCollected(&bytes);
    collected_s += Now() - start;
    start = Now();
    const int64_t m = memory->Scan(&bytes);
    memory_s += Now() - start;
    start = Now();
    const int64_t p = other->Scan(&bytes);
    const double peer_time = Now() - start;
    if (b != records || g != records || m != records || p != records) {
      state.SkipWithError("a scan missed records");
      return;
    }
    state.SetIterationTime(peer_time);
    peer_s += peer_time;
  }
  benchmark::DoNotOptimize(bytes);
  SetCounters(state, state.iterations() * records, brook_s, peer_s, memory_s);
  state.counters["brook_getrecords"] =
      static_cast<double>(state.iterations() * records) / collected_s;
  state.counters["getrecords_over_peer"] = peer_s / collected_s;
  state.counters["read_floor"] =
      static_cast<double>(state.iterations() * records) / floor_s;
  state.counters["brook_over_floor"] = floor_s / brook_s;
  state.SetBytesProcessed(state.iterations() * records *
                          static_cast<int64_t>(16 + size));
  state.SetLabel(label);
}

// Page faults of the whole process so far (all threads).
int64_t ProcessFaults() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt + u.ru_majflt;
}

std::string SelfPath() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

// Runs the child that appends to a `kind` store in `dir` until it has put
// `records` in, kills it with SIGKILL while it goes on appending, and reaps
// it. False if the child failed first.
bool CrashFill(StoreKind kind, size_t size, int64_t records,
               const std::string& dir) {
  const std::string self = SelfPath();
  const std::string kind_arg = std::to_string(static_cast<int>(kind));
  const std::string size_arg = std::to_string(size);
  const std::string records_arg = std::to_string(records);
  std::vector<char*> argv = {const_cast<char*>(self.c_str()),
                             const_cast<char*>("--peers_child"),
                             const_cast<char*>(kind_arg.c_str()),
                             const_cast<char*>(size_arg.c_str()),
                             const_cast<char*>(records_arg.c_str()),
                             const_cast<char*>(dir.c_str()),
                             nullptr};
  int fds[2];
  if (::pipe(fds) != 0) return false;
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char c = 0;
  const bool reached = ::read(fds[0], &c, 1) == 1;
  ::close(fds[0]);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return reached;
}

void Recover(benchmark::State& state, StoreKind peer, size_t size) {
  const std::string label = LoadLabel();
  const int64_t records = Records(size);
  double brook_s = 0, peer_s = 0;
  int64_t recovered_brook = 0, recovered_peer = 0;
  int64_t faults[2] = {0, 0};
  for (auto _ : state) {
    double seconds[2] = {0, 0};
    int64_t found[2] = {0, 0};
    const StoreKind kinds[2] = {StoreKind::kBrookMmap, peer};
    for (int i = 0; i < 2; ++i) {
      BenchDir dir;
      if (!CrashFill(kinds[i], size, records, dir.path())) {
        state.SkipWithError("the appending child failed");
        return;
      }
      const int64_t faults_before = ProcessFaults();
      const double start = Now();
      std::unique_ptr<LogStore> store = Open(kinds[i], Sync::kNone, dir.path());
      seconds[i] = Now() - start;
      faults[i] += ProcessFaults() - faults_before;
      int64_t bytes = 0;
      found[i] = store == nullptr ? -1 : store->Scan(&bytes);
      if (found[i] < records) {
        state.SkipWithError("reopen failed or lost acknowledged records");
        return;
      }
    }
    state.SetIterationTime(seconds[1]);
    brook_s += seconds[0];
    peer_s += seconds[1];
    recovered_brook += found[0];
    recovered_peer += found[1];
  }
  const double n = static_cast<double>(state.iterations());
  state.SetItemsProcessed(recovered_peer);
  state.counters["brook"] = static_cast<double>(recovered_brook) / brook_s;
  state.counters["brook_over_peer"] =
      (static_cast<double>(recovered_brook) / brook_s) /
      (static_cast<double>(recovered_peer) / peer_s);
  state.counters["brook_ms"] = 1e3 * brook_s / n;
  state.counters["peer_ms"] = 1e3 * peer_s / n;
  state.counters["recovered"] = static_cast<double>(recovered_peer) / n;
  state.counters["brook_open_faults"] = static_cast<double>(faults[0]) / n;
  state.counters["peer_open_faults"] = static_cast<double>(faults[1]) / n;
  state.SetLabel(label);
}

// The child of `CrashFill()`: appends batches of 100 without syncing, says
// on stdout when `records` are in, and keeps appending (up to twice as many,
// then waits) until it is killed.
int ChildMain(int argc, char** argv) {
  if (argc != 6) return 2;
  const auto kind = static_cast<StoreKind>(std::atoi(argv[2]));
  const std::string data = Payload(static_cast<size_t>(std::atol(argv[3])));
  const int64_t records = std::atoll(argv[4]);
  std::unique_ptr<LogStore> store = Open(kind, Sync::kNone, argv[5]);
  if (store == nullptr) return 1;
  for (int64_t i = 0; i < 2 * records; i += 100) {
    if (!store->Append(static_cast<uint64_t>(i), 100, data)) return 1;
    if (i + 100 == records && ::write(STDOUT_FILENO, "r", 1) != 1) return 1;
  }
  for (;;) ::pause();
}

void Register() {
  const char* const kSyncNames[] = {"nosync", "sync1MiB"};
  for (StoreKind peer : kPeers) {
    for (Sync sync : {Sync::kNone, Sync::kEvery1MiB}) {
      for (size_t size : {size_t{100}, size_t{1024}}) {
        for (int batch : {100, 10000}) {
          benchmark::RegisterBenchmark(
              absl::StrCat("BM_Peers_Append/", StoreName(peer), "/",
                           kSyncNames[static_cast<int>(sync)],
                           "/record_bytes:", size, "/batch:", batch)
                  .c_str(),
              [=](benchmark::State& state) {
                Append(state, peer, sync, size, batch);
              })
              ->UseManualTime()
              ->Unit(benchmark::kMillisecond);
        }
      }
    }
  }
  for (StoreKind peer : kPeers) {
    for (size_t size : {size_t{100}, size_t{1024}}) {
      benchmark::RegisterBenchmark(
          absl::StrCat("BM_Peers_Scan/", StoreName(peer),
                       "/record_bytes:", size)
              .c_str(),
          [=](benchmark::State& state) { Scan(state, peer, size); })
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (StoreKind peer : kPeers) {
    for (size_t size : {size_t{100}, size_t{1024}}) {
      benchmark::RegisterBenchmark(
          absl::StrCat("BM_Peers_Recover/", StoreName(peer),
                       "/record_bytes:", size)
              .c_str(),
          [=](benchmark::State& state) { Recover(state, peer, size); })
          // A fixed count: each iteration fills two stores (seconds), while
          // LMDB's open takes milliseconds.
          ->Iterations(3)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace
}  // namespace bench
}  // namespace brook

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--peers_child") == 0) {
    return brook::bench::ChildMain(argc, argv);
  }
  brook::bench::Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
