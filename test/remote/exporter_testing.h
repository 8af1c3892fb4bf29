// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What the exporter tests share: a client, a durable local stream, and the
// exporter options they start from.

#ifndef BROOK_TEST_REMOTE_EXPORTER_TESTING_H_
#define BROOK_TEST_REMOTE_EXPORTER_TESTING_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include <catch2/catch.hpp>

#include "brook/exporter.h"
#include "brook/kinesis_client.h"
#include "brook/stream.h"

#include "remote/kinesalite.h"

namespace brook {
namespace testing {

// A durable stream "local" of `shards` shards in `dir`.
inline std::unique_ptr<Stream> OpenStream(const std::string& dir,
                                          int shards = 2) {
  StreamOptions options;
  options.name = "local";
  options.shard_count = shards;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  REQUIRE(s.status() == absl::OkStatus());
  return std::move(*s);
}

// Options for remote stream "remote", checkpoint in the stream directory,
// short back-offs.
inline ExporterOptions BaseOptions(const std::string& stream_dir) {
  ExporterOptions options;
  options.remote_stream_name = "remote";
  options.checkpoint_path = DefaultExportCheckpointPath(stream_dir, "remote");
  options.initial_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(50);
  return options;
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_REMOTE_EXPORTER_TESTING_H_
