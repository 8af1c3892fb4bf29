// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Durable store benchmarks, each beside its baseline in the same binary so
// that ratios hold on a noisy machine. Directories go under $TMPDIR (or /tmp)
// and are removed afterwards. Figures and commands: bench/README.md.

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <benchmark/benchmark.h>

#include "brook/partitioner.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "bench_dir.h"
#include "store/batch_format.h"
#include "stream/sequence.h"
#include "stream/stream_impl.h"
#include "util/crc32c.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace brook {
namespace {

constexpr int kBatch = 500;                      // records per append
constexpr int64_t kKeep = int64_t{256} << 20;    // bytes kept on disk
constexpr int64_t kSegment = int64_t{32} << 20;  // segment / file size
constexpr int64_t kRecoverBytes = int64_t{512} << 20;

std::vector<RoutedRecord> Batch(const std::string& data) {
  return std::vector<RoutedRecord>(kBatch,
                                   RoutedRecord{"k", data, 12345, true});
}

std::unique_ptr<Stream> OpenBenchStream(const std::string& dir,
                                        Durability durability) {
  StreamOptions options;
  options.segment_bytes = kSegment;
  options.retention_bytes = kKeep;
  options.on_full = RetentionFullPolicy::kDropOldest;
  options.durability = durability;
  options.group_commit_bytes = 1 << 20;
  options.group_commit_interval = absl::Milliseconds(0);
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  if (!s.ok()) std::abort();
  return *std::move(s);
}

void Append(benchmark::State& state, Durability durability) {
  const size_t size = static_cast<size_t>(state.range(0));
  BenchDir dir;
  std::unique_ptr<Stream> stream = OpenBenchStream(dir.path(), durability);
  Shard* shard = *stream->GetShard("shardId-000000000000");
  const std::string data(size, 'd');
  const std::vector<RoutedRecord> batch = Batch(data);
  // Warm up as a stream at its retention bound runs: the oldest segments are
  // dropped and their files reused.
  for (int64_t bytes = 0; bytes < kKeep + 2 * kSegment;
       bytes += kBatch * static_cast<int64_t>(size + 25)) {
    if (!shard->Append(batch).ok()) state.SkipWithError("append failed");
  }
  for (auto _ : state) {
    absl::StatusOr<SequenceNumber> n = shard->Append(batch);
    if (!n.ok()) state.SkipWithError("append failed");
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
}

// Durability::kNone: frames are written into the mapped segment and
// checksummed; nothing is synced.
void BM_Append_Mmap(benchmark::State& state) {
  Append(state, Durability::kNone);
}
BENCHMARK(BM_Append_Mmap)->Arg(100)->Arg(1024)->ArgName("record_bytes");

// Durability::kNone on fresh files only (no retention, so nothing is reused):
// every segment is a new file, prepared and faulted in by the store's
// background thread while the previous one fills. Up to 2 GiB on disk.
void BM_Append_MmapFresh(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  BenchDir dir;
  StreamOptions options;
  options.segment_bytes = kSegment;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir.path(), options, OpenMode::kCreateIfMissing);
  if (!stream.ok()) std::abort();
  Shard* shard = *(*stream)->GetShard("shardId-000000000000");
  const std::string data(size, 'd');
  const std::vector<RoutedRecord> batch = Batch(data);
  int64_t bytes = 0;
  for (auto _ : state) {
    if (bytes > (int64_t{2} << 30)) {
      state.SkipWithError("2 GiB written; use a shorter --benchmark_min_time");
      break;
    }
    absl::StatusOr<SequenceNumber> n = shard->Append(batch);
    if (!n.ok()) state.SkipWithError("append failed");
    bytes += kBatch * static_cast<int64_t>(size + 25);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
}
BENCHMARK(BM_Append_MmapFresh)
    ->Arg(100)
    ->Arg(1024)
    ->ArgName("record_bytes")
    ->UseRealTime();

// The floor for BM_Append_MmapFresh on this machine: what the kernel takes
// to give a new file's pages to a shared writable mapping, with no record
// written. Each iteration creates a segment-sized file (posix_fallocate, as
// the store's File::Allocate), maps it,
// and faults every 4 KiB page in, either by writing one byte per page only
// (populate:0, as an append that finds no prepared page does) or first with one
// MADV_POPULATE_WRITE over the file (populate:1), or with MADV_HUGEPAGE and
// then MADV_POPULATE_WRITE (populate:2, as the store's background preparation
// does: the POSIX Env asks for huge pages on every writable map of 2 MiB or
// more), then writes one byte per page and unmaps and closes it. The files are kept (up to
// 2 GiB), as BM_Append_MmapFresh keeps its segments, so the kernel needs new
// pages throughout rather than the ones a removed file just freed (which,
// in a VM, the host already backs). Counters: ns_per_page, and
// records_per_second_max:
// the append rate of 100 B records (125 bytes framed) if faulting pages in
// were the only cost, on one core.
void BM_Baseline_FreshFilePages(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const bool populate = mode >= 1;
  BenchDir dir;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t size = static_cast<size_t>(kSegment);
  int64_t pages = 0;
  int n = 0;
  for (auto _ : state) {
    const std::string path = absl::StrCat(dir.path(), "/f", n++);
    const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0 || ::posix_fallocate(fd, 0, static_cast<off_t>(size)) != 0) {
      if (fd >= 0) ::close(fd);
      state.SkipWithError("open or posix_fallocate failed");
      break;
    }
    char* p = static_cast<char*>(
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    if (p == MAP_FAILED) {
      ::close(fd);
      state.SkipWithError("mmap failed");
      break;
    }
    if (mode == 2) (void)::madvise(p, size, MADV_HUGEPAGE);
    if (populate) {
      if (::madvise(p, size, MADV_POPULATE_WRITE) != 0) {
        state.SkipWithError("MADV_POPULATE_WRITE failed (Linux < 5.14?)");
      }
    }
    // The first write to each page, as the appender's: where a hypervisor
    // tracks guest page tables in software, this is where a 4 KiB page costs.
    for (size_t off = 0; off < size; off += page) p[off] = 1;
    ::munmap(p, size);
    ::close(fd);
    pages += static_cast<int64_t>(size / page);
    if (pages * static_cast<int64_t>(page) > (int64_t{2} << 30)) {
      state.SkipWithError("2 GiB written; use a shorter --benchmark_min_time");
      break;
    }
  }
  state.SetBytesProcessed(pages * static_cast<int64_t>(page));
  state.counters["ns_per_page"] = benchmark::Counter(
      static_cast<double>(pages) * 1e-9,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["records_per_second_max"] = benchmark::Counter(
      static_cast<double>(pages) * static_cast<double>(page) / 125.0,
      benchmark::Counter::kIsRate);
  state.SetLabel(mode == 2  ? "MADV_HUGEPAGE, MADV_POPULATE_WRITE"
                 : populate ? "MADV_POPULATE_WRITE"
                            : "one write per page");
}
BENCHMARK(BM_Baseline_FreshFilePages)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("populate")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Group commit: a sync (msync) every 1 MiB of frames.
void BM_Append_MmapGroupCommit(benchmark::State& state) {
  Append(state, Durability::kGroupCommit);
}
BENCHMARK(BM_Append_MmapGroupCommit)
    ->Arg(100)
    ->Arg(1024)
    ->ArgName("record_bytes")
    ->UseRealTime();

// The same record bytes (frame header per batch, record headers, key, data)
// through a 64 KiB buffer and write(2), in files of the segment size, the
// oldest removed beyond the same 1 GiB; fdatasync every `sync_bytes` if set.
void Baseline(benchmark::State& state, int64_t sync_bytes,
              bool keep_all = false) {
  const size_t size = static_cast<size_t>(state.range(0));
  BenchDir dir;
  const std::string data(size, 'd');
  const std::vector<RoutedRecord> batch = Batch(data);
  std::vector<char> buffer(64 << 10);
  size_t used = 0;
  int fd = -1;
  int64_t file_bytes = kSegment;
  int64_t unsynced = 0;
  int files = 0;
  std::deque<std::string> paths;
  const auto flush = [&] {
    if (::write(fd, buffer.data(), used) != static_cast<ssize_t>(used)) {
      state.SkipWithError("write failed");
    }
    file_bytes += static_cast<int64_t>(used);
    unsynced += static_cast<int64_t>(used);
    used = 0;
    if (sync_bytes > 0 && unsynced >= sync_bytes) {
      if (::fdatasync(fd) != 0) state.SkipWithError("fdatasync failed");
      unsynced = 0;
    }
  };
  for (auto _ : state) {
    for (size_t i = 0; i < batch.size(); ++i) {
      const size_t n = internal::EncodedRecordBytes(batch[i]) +
                       (i == 0 ? internal::kBatchHeaderBytes : 0);
      if (used + n > buffer.size()) flush();
      if (file_bytes >= kSegment) {
        if (fd >= 0) ::close(fd);
        paths.push_back(absl::StrCat(dir.path(), "/", files++, ".log"));
        fd = ::open(paths.back().c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0) state.SkipWithError("open failed");
        file_bytes = 0;
        if (keep_all && static_cast<int64_t>(paths.size()) * kSegment >
                            (int64_t{2} << 30)) {
          state.SkipWithError(
              "2 GiB written; use a shorter --benchmark_min_time");
          break;
        }
        if (!keep_all &&
            static_cast<int64_t>(paths.size()) * kSegment > kKeep) {
          ::unlink(paths.front().c_str());
          paths.pop_front();
        }
      }
      char* p = buffer.data() + used;
      if (i == 0) {
        internal::BatchHeader h;
        h.frame_bytes = 1;
        internal::EncodeBatchHeader(p, h);
        p += internal::kBatchHeaderBytes;
      }
      internal::EncodeRecord(p, batch[i]);
      used += n;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
  if (fd >= 0) ::close(fd);
}

void BM_Baseline_WriteBuffered(benchmark::State& state) { Baseline(state, 0); }
BENCHMARK(BM_Baseline_WriteBuffered)
    ->Arg(100)
    ->Arg(1024)
    ->ArgName("record_bytes");

// The same, keeping every file (up to 2 GiB), as BM_Append_MmapFresh keeps
// its segments: write(2) then needs page-cache pages the guest has not used
// before too, where the 256 MiB kept above reuses the pages of the files it
// removed. The fair floor for BM_Append_MmapFresh on a VM.
void BM_Baseline_WriteBufferedKeepAll(benchmark::State& state) {
  Baseline(state, 0, /*keep_all=*/true);
}
BENCHMARK(BM_Baseline_WriteBufferedKeepAll)
    ->Arg(100)  // 1 KiB records pass 2 GiB within Google Benchmark's run
    ->ArgName("record_bytes")
    ->UseRealTime();

void BM_Baseline_WriteFdatasync1MiB(benchmark::State& state) {
  Baseline(state, 1 << 20);
}
BENCHMARK(BM_Baseline_WriteFdatasync1MiB)
    ->Arg(100)
    ->Arg(1024)
    ->ArgName("record_bytes")
    ->UseRealTime();

// A directory of at least 512 MiB of 1 KiB records (4 MiB segments), left
// either as a crash leaves it or cleanly closed.
void Fill(const std::string& dir, bool clean) {
  StreamOptions options;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  if (!s.ok()) std::abort();
  Shard* shard = *(*s)->GetShard("shardId-000000000000");
  const std::string data(1024, 'd');
  const std::vector<RoutedRecord> batch = Batch(data);
  for (int64_t bytes = 0; bytes < kRecoverBytes + (8 << 20);
       bytes += kBatch * (1024 + 25)) {
    if (!shard->Append(batch).ok()) std::abort();
  }
  if (clean) {
    if (!(*s)->Close().ok()) std::abort();
  } else {
    static_cast<internal::StreamImpl*>(s->get())->SimulateCrashForTesting();
  }
}

// Opening after an unclean shutdown (a killed process: the bytes are in the
// page cache): every frame's CRC is checked. Each iteration leaves the
// directory unclean again.
void BM_Recover_Mmap(benchmark::State& state) {
  BenchDir dir;
  Fill(dir.path(), /*clean=*/false);
  int64_t scanned = 0;
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir.path(), StreamOptions(), OpenMode::kMustExist);
    if (!s.ok() || (*s)->recovery_report().clean_shutdown) {
      state.SkipWithError("open failed or was clean");
      break;
    }
    scanned += (*s)->recovery_report().scanned_bytes;
    state.PauseTiming();
    static_cast<internal::StreamImpl*>(s->get())->SimulateCrashForTesting();
    s->reset();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(scanned);
  state.counters["scanned_MiB"] = benchmark::Counter(
      static_cast<double>(scanned) / state.iterations() / (1 << 20));
}
BENCHMARK(BM_Recover_Mmap)->Unit(benchmark::kMillisecond)->UseRealTime();

// The floor for BM_Recover_Mmap: one CRC-32C pass (the hardware one, as
// recovery uses where the CPU has it) over the same kind of directory's
// segment files, each opened, mapped, read whole and unmapped, in base
// order, as recovery reads them; nothing else (no frame headers, no index).
// Its bytes/s against BM_Recover_Mmap's is issue 13's recovery ratio. The
// files' whole size counts (the newest one is part full, so this reads at
// most one segment more than recovery: under 1% here).
void BM_Baseline_Crc32cScan(benchmark::State& state) {
  if (!internal::Crc32cHardwareAvailable()) {
    state.SkipWithError("no SSE4.2 on this CPU");
    return;
  }
  BenchDir dir;
  Fill(dir.path(), /*clean=*/false);
  std::vector<std::string> files;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(dir.path())) {
    if (e.is_regular_file() && e.path().extension() == ".seg") {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());  // one shard: names sort by base
  int64_t scanned = 0;
  for (auto _ : state) {
    uint32_t crc = 0;
    for (const std::string& file : files) {
      const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st {};
      if (fd < 0 || ::fstat(fd, &st) != 0) {
        if (fd >= 0) ::close(fd);
        state.SkipWithError("open failed");
        return;
      }
      const size_t size = static_cast<size_t>(st.st_size);
      if (size > 0) {
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
          state.SkipWithError("mmap failed");
          ::close(fd);
          return;
        }
        crc = internal::Crc32cExtendHardware(crc, static_cast<const char*>(p),
                                             size);
        ::munmap(p, size);
      }
      ::close(fd);
      scanned += static_cast<int64_t>(size);
    }
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(scanned);
  state.counters["scanned_MiB"] = benchmark::Counter(
      static_cast<double>(scanned) / state.iterations() / (1 << 20));
}
BENCHMARK(BM_Baseline_Crc32cScan)->Unit(benchmark::kMillisecond)->UseRealTime();

// Opening a cleanly closed directory of the same size: frame headers only.
void BM_Reopen_Clean(benchmark::State& state) {
  BenchDir dir;
  Fill(dir.path(), /*clean=*/true);
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir.path(), StreamOptions(), OpenMode::kMustExist);
    if (!s.ok() || !(*s)->recovery_report().clean_shutdown) {
      state.SkipWithError("open failed or was not clean");
      break;
    }
    state.PauseTiming();
    if (!(*s)->Close().ok()) state.SkipWithError("close failed");
    s->reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_Reopen_Clean)->Unit(benchmark::kMillisecond)->UseRealTime();

// CRC-32C of 1 MiB by each implementation (state.range(0): 0 portable,
// 1 SSE4.2), beside a plain loop summing the same bytes 8 at a time: what a
// recovery scan costs on a CPU without SSE4.2 (BROOK_CRC32C=portable).
void BM_Crc32c(benchmark::State& state) {
  const bool hardware = state.range(0) == 1;
  if (hardware && !internal::Crc32cHardwareAvailable()) {
    state.SkipWithError("no SSE4.2 on this CPU");
    return;
  }
  std::vector<char> data(size_t{1} << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  for (auto _ : state) {
    uint32_t crc =
        hardware ? internal::Crc32cExtendHardware(0, data.data(), data.size())
                 : internal::Crc32cExtendPortable(0, data.data(), data.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(data.size()));
  state.SetLabel(hardware ? "sse4.2" : "portable");
}
BENCHMARK(BM_Crc32c)->Arg(0)->Arg(1)->ArgName("hardware");

void BM_Baseline_Sum64(benchmark::State& state) {
  std::vector<char> data(size_t{1} << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  for (auto _ : state) {
    uint64_t sum = 0;
    for (size_t i = 0; i < data.size(); i += 8) {
      uint64_t v;
      std::memcpy(&v, data.data() + i, 8);
      sum += v;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(data.size()));
}
BENCHMARK(BM_Baseline_Sum64);

// A read-only open of the cleanly closed directory, then DescribeStream()
// (what `brook describe-stream-summary` and `list-shards` need): metadata
// only. Baseline, in the same run: the same open plus recovery_report(),
// which recovers every shard as every read-only open used to.
void BM_ReadOnly_Describe(benchmark::State& state) {
  const bool full_scan = state.range(0) != 0;
  BenchDir dir;
  Fill(dir.path(), /*clean=*/true);
  int64_t stored = 0;
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir.path(), StreamOptions(), OpenMode::kReadOnly);
    if (!s.ok()) {
      state.SkipWithError("open failed");
      break;
    }
    if (full_scan) {
      benchmark::DoNotOptimize((*s)->recovery_report().scanned_bytes);
    }
    stored = (*s)->DescribeStream().stored_bytes;
    benchmark::DoNotOptimize(stored);
  }
  state.counters["stored_MiB"] =
      benchmark::Counter(static_cast<double>(stored) / (1 << 20));
}
BENCHMARK(BM_ReadOnly_Describe)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("full_scan")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace brook
