// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Fuzzes the STREAM metadata of a stream directory: the input is written as
// <dir>/STREAM (no segments) and the directory opened read-only, then
// writable. Each open returns a status or a stream whose shards read and
// close without crashing or hanging. Writable opens are skipped for metadata
// that would preallocate more than 64 MiB of segments (a resource limit of
// the harness, not of brook).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "google/protobuf/stubs/logging.h"

#include "fuzz/stream_fuzz.h"
#include "proto/stream_meta.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Protobuf logs every malformed string it parses: silence it.
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string dir = brook::fuzz::FreshDir("meta");
  brook::fuzz::WriteFile(dir + "/STREAM", bytes);
  brook::StreamOptions options;
  {
    auto stream = brook::Stream::Open(dir, options, brook::OpenMode::kReadOnly);
    if (stream.ok()) {
      brook::fuzz::DrainAll(stream->get());
      (*stream)->Close().IgnoreError();  // the oracle is: no crash
    }
  }
  brook::internal::proto::StreamMeta meta;
  if (!meta.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (meta.shards_size() > 64 ||
      meta.options().segment_bytes() > (int64_t{1} << 20)) {
    return 0;
  }
  auto stream = brook::Stream::Open(dir, options, brook::OpenMode::kMustExist);
  if (stream.ok()) {
    brook::fuzz::DrainAll(stream->get());
    (*stream)->Close().IgnoreError();
  }
  return 0;
}
