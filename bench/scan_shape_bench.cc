// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What bounds a scan (BM_Scan_Memory, and brook's side of BM_Peers_Scan):
// the same stored frames read in several shapes, from the plain read of their
// bytes to GetRecords' own, in one run. See bench/README.md, "Issue 13: what
// bounds a scan".

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include <benchmark/benchmark.h>

#include "brook/record.h"

#include "core_bench_util.h"
#include "store/batch_format.h"
#include "stream/sequence.h"
#include <sys/mman.h>

namespace brook {
namespace {

using core_bench::kBatch;
using core_bench::kRing;

// kRing bytes of frames of kBatch records of `size` bytes (key "k"), encoded
// as a memory stream stores them, in anonymous memory on 2 MiB pages where
// the kernel gives them (as the memory store's segments are).
class StoredFrames {
 public:
  explicit StoredFrames(size_t size) {
    const std::string data(size, 'd');
    const RoutedRecord record{"k", data, 1, true};
    frame_bytes_ = core_bench::FrameBytesOf(record);
    frames_ = kRing / frame_bytes_;
    bytes_ = frames_ * frame_bytes_;
    constexpr size_t kHuge = size_t{2} << 20;
    mapped_ = bytes_ + kHuge;
    void* m = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return;
    map_ = static_cast<char*>(m);
    base_ = reinterpret_cast<char*>(
        (reinterpret_cast<uintptr_t>(map_) + kHuge - 1) & ~(kHuge - 1));
    ::madvise(base_, bytes_, MADV_HUGEPAGE);
    core_bench::EncodeFrames(record, frames_, base_);
  }
  StoredFrames(const StoredFrames&) = delete;
  StoredFrames& operator=(const StoredFrames&) = delete;
  ~StoredFrames() {
    if (map_ != nullptr) ::munmap(map_, mapped_);
  }

  bool ok() const { return map_ != nullptr; }
  const char* frame(size_t f) const { return base_ + f * frame_bytes_; }
  size_t frames() const { return frames_; }
  size_t bytes() const { return bytes_; }
  const char* data() const { return base_; }

 private:
  char* map_ = nullptr;
  char* base_ = nullptr;
  size_t mapped_ = 0;
  size_t frame_bytes_ = 0;
  size_t frames_ = 0;
  size_t bytes_ = 0;
};

// Reads the frames' records, kReadRecords an iteration as GetRecords' default
// limit does, in one of these shapes (each a floor or a model of a reader):
//   shape:0  one 8-byte load per 64-byte line of the frames' bytes, records'
//            worth counted (no decoding): how fast this machine reads them;
//   shape:1  BM_Baseline_FrameWalk's loop: each record's lengths, summed;
//   shape:2  GetRecords' shape: each record decoded (BatchReader::Next())
//            into a `Record` appended to a vector of kReadRecords (reserved
//            once), then a second loop over the vector sums key and data;
//   shape:3  the same, a run of 64 at a time into a reused vector, each run
//            summed before the next (a reader handed spans of records);
//   shape:4  each record decoded into one `Record` and summed at once (a
//            reader called per record, inlined: ScanRecords' shape);
//   shape:5  the same through an `absl::FunctionRef` called per record (a
//            reader called per record across a library boundary).
// Shapes 2-4 set each record's sequence number and arrival time as the
// stream's reader does.
constexpr int kReadRecords = 10000;

// A record with every field given, as ScanRecords makes it (`Record r;`
// would be cleared by a `rep stos` first where it escapes).
Record FreshRecord(uint64_t position, int64_t arrival_millis) {
  return Record{internal::MakeSequenceNumber(position, 0),
                0,
                arrival_millis,
                false,
                false,
                0,
                {},
                {}};
}

void BM_Baseline_ScanShape(benchmark::State& state) {
  const int shape = static_cast<int>(state.range(0));
  const size_t size = static_cast<size_t>(state.range(1));
  StoredFrames stored(size);
  if (!stored.ok()) {
    state.SkipWithError("mmap failed");
    return;
  }
  std::vector<Record> out;
  out.reserve(shape == 3 ? 64 : kReadRecords);
  uint64_t sum = 0;
  size_t f = 0;
  size_t line = 0;
  const size_t record_bytes = stored.bytes() / (stored.frames() * kBatch);
  const auto sum_of = [&sum](const Record& r) {
    sum += r.partition_key.size() + r.data.size();
  };
  const absl::FunctionRef<void(const Record&)> visit = sum_of;
  for (auto _ : state) {
    if (shape == 0) {
      const size_t lines = kReadRecords * record_bytes / 64;
      for (size_t i = 0; i < lines; ++i) {
        if (line * 64 + 8 > stored.bytes()) line = 0;
        uint64_t v;
        std::memcpy(&v, stored.data() + line * 64, 8);
        sum += v;
        ++line;
      }
      continue;
    }
    out.clear();
    for (int read = 0; read < kReadRecords; read += kBatch) {
      if (f == stored.frames()) f = 0;
      const char* frame = stored.frame(f++);
      const internal::BatchHeader h = internal::DecodeBatchHeader(frame);
      if (shape == 1) {
        const char* p = frame + internal::kBatchHeaderBytes;
        for (uint32_t i = 0; i < h.record_count; ++i) {
          const size_t n = internal::RecordBytesAt(p);
          sum += n;
          p += n;
        }
        continue;
      }
      internal::BatchReader reader(frame, h);
      while (!reader.done()) {
        __builtin_prefetch(reader.next_bytes() + 1024);
        const uint64_t position = reader.position();
        if (shape == 5) {
          Record r = FreshRecord(position, h.arrival_millis);
          if (!reader.Next(&r)) state.SkipWithError("bad record");
          visit(r);
          continue;
        }
        if (shape == 4) {
          Record r = FreshRecord(position, h.arrival_millis);
          if (!reader.Next(&r)) state.SkipWithError("bad record");
          sum += r.partition_key.size() + r.data.size();
          benchmark::DoNotOptimize(r);
          continue;
        }
        Record& r = out.emplace_back();
        if (!reader.Next(&r)) state.SkipWithError("bad record");
        r.sequence_number = internal::MakeSequenceNumber(position, 0);
        r.approximate_arrival_timestamp_millis = h.arrival_millis;
        if (shape == 3 && out.size() == 64) {
          for (const Record& x : out)
            sum += x.partition_key.size() + x.data.size();
          out.clear();
        }
      }
    }
    for (const Record& x : out) sum += x.partition_key.size() + x.data.size();
    benchmark::DoNotOptimize(sum);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kReadRecords);
  state.SetBytesProcessed(state.iterations() * kReadRecords *
                          static_cast<int64_t>(size));
}
BENCHMARK(BM_Baseline_ScanShape)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5}, {100}})
    ->ArgNames({"shape", "record_bytes"});

}  // namespace
}  // namespace brook
