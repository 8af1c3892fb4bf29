// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Fuzzes segment recovery: the input becomes the segment file(s) of shard 0
// of a one-shard stream directory, which is opened read-only and writable.
// Each open returns a status or a stream that reads, appends and closes
// without crashing or hanging. Oracles, after an unclean shutdown (after a
// clean one recovery trusts the frames' contents): a writable open serves
// the same records as a read-only one, and a record appended after it is
// read back, after the others, by the next open.
//
// Input: byte 0 is flags: bit 0 marks STREAM clean_shutdown; bit 1 splits
// the rest into two segments, at the offset in bytes 1-2 (little-endian,
// modulo the length), the second named for the position in bytes 3-4 (plus
// 1); bit 2 has the target set the CRC of every frame it can walk, so that
// mutations get past the checksum; bit 3 makes the stream a compressing one
// (compression_level 1, STREAM version 3), as the seeds with zstd frames
// need to reach the decompression. The rest is segment bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

#include "brook/producer.h"

#include "fuzz/stream_fuzz.h"
#include "proto/stream_meta.pb.h"
#include "store/batch_format.h"
#include "stream/stream_meta.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace {

std::string StreamBytes(bool clean, bool compressed) {
  brook::StreamOptions o;
  o.name = "fuzz";
  o.segment_bytes = 64 << 10;
  o.compression_level = compressed ? 1 : 0;
  brook::internal::proto::StreamMeta meta;
  brook::internal::OptionsToMeta(o, meta.mutable_options());
  meta.set_format_version(brook::internal::MetaVersionFor(meta));
  auto* shard = meta.add_shards();
  shard->set_number(0);
  shard->mutable_range()->set_ending_high(~uint64_t{0});
  shard->mutable_range()->set_ending_low(~uint64_t{0});
  shard->set_start_position(1);
  meta.set_clean_shutdown(clean);
  return meta.SerializeAsString();
}

// Sets the CRC of each frame of `seg` that the format's walk reaches.
void FixCrcs(std::string& seg) {
  using brook::internal::kBatchHeaderBytes;
  size_t off = 0;
  while (off + kBatchHeaderBytes <= seg.size()) {
    const uint32_t frame =
        brook::internal::DecodeFixed<uint32_t>(seg.data() + off);
    if (frame < kBatchHeaderBytes || frame > seg.size() - off) break;
    brook::internal::EncodeFixed<uint32_t>(
        &seg[off + brook::internal::batch_field::kCrc],
        brook::internal::ComputeFrameCrc(seg.data() + off, frame));
    off += frame;
  }
}

std::string SegmentName(uint64_t base) {
  return absl::StrFormat("%020d.seg", base);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const uint8_t flags = data[0];
  const bool clean = (flags & 1) != 0;
  const bool compressed = (flags & 8) != 0;
  std::string rest(reinterpret_cast<const char*>(data) + 5, size - 5);
  std::vector<std::pair<uint64_t, std::string>> segments;
  if ((flags & 2) != 0 && !rest.empty()) {
    const size_t split = (data[1] | (size_t{data[2]} << 8)) % rest.size();
    const uint64_t base2 = 1 + (data[3] | (uint64_t{data[4]} << 8));
    segments.emplace_back(1, rest.substr(0, split));
    segments.emplace_back(base2, rest.substr(split));
  } else {
    segments.emplace_back(1, rest);
  }
  if ((flags & 4) != 0) {
    for (auto& s : segments) FixCrcs(s.second);
  }
  const std::string dir = brook::fuzz::FreshDir("seg");
  const std::string shard_dir = dir + "/shardId-000000000000";
  std::filesystem::create_directories(shard_dir);
  brook::fuzz::WriteFile(dir + "/STREAM", StreamBytes(clean, compressed));
  for (const auto& [base, bytes] : segments) {
    brook::fuzz::WriteFile(shard_dir + "/" + SegmentName(base), bytes);
  }

  brook::StreamOptions options;
  options.compression_level = compressed ? 1 : 0;
  std::vector<std::string> read_only;
  bool read_only_ok = false;
  {
    auto stream = brook::Stream::Open(dir, options, brook::OpenMode::kReadOnly);
    if (stream.ok()) {
      read_only = brook::fuzz::DrainAll(stream->get(), 1 << 20);
      read_only_ok = true;
      (*stream)->Close().IgnoreError();  // the oracle is: no crash
    }
  }
  std::vector<std::string> writable;
  {
    auto stream =
        brook::Stream::Open(dir, options, brook::OpenMode::kMustExist);
    if (!stream.ok()) return 0;
    writable = brook::fuzz::DrainAll(stream->get(), 1 << 20);
    if (!clean && read_only_ok && writable != read_only) {
      brook::fuzz::Fail(
          absl::StrCat("writable open serves [", absl::StrJoin(writable, ","),
                       "], read-only [", absl::StrJoin(read_only, ","), "]"));
    }
    brook::Producer producer(stream->get());
    if (!producer.PutRecord("k", "appended-by-fuzzer").ok()) return 0;
    if (!(*stream)->Close().ok()) return 0;
  }
  // After a clean shutdown only headers were read (SEGMENT_FORMAT.md):
  // damage inside a frame is then found later, by reads, and may hide what
  // follows it.
  if (clean) return 0;
  auto stream = brook::Stream::Open(dir, options, brook::OpenMode::kReadOnly);
  if (!stream.ok()) {
    brook::fuzz::Fail(absl::StrCat("reopen after a clean close: ",
                                   stream.status().ToString()));
  }
  std::vector<std::string> after =
      brook::fuzz::DrainAll(stream->get(), 1 << 20);
  writable.push_back("appended-by-fuzzer");
  if (after != writable) {
    brook::fuzz::Fail(absl::StrCat("after append and reopen: [",
                                   absl::StrJoin(after, ","), "], expected [",
                                   absl::StrJoin(writable, ","), "]"));
  }
  return 0;
}
