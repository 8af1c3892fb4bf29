// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The STREAM file is bytes from disk (issue 7): whatever it holds, an open
// returns kDataLoss naming the file, never kInvalidArgument as if the caller
// had passed bad options.

#include <string>

#include <catch2/catch.hpp>

#include "brook/stream.h"

#include "proto/stream_meta.pb.h"
#include "store/store_testing.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::OpenOrDie;
using testing::ReadFileBytes;
using testing::TempDir;

TEST_CASE("STREAM: options out of range on disk are kDataLoss",
          "[store][meta]") {
  TempDir dir;
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  BROOK_REQUIRE_OK(OpenOrDie(dir.path(), options)->Close());
  const std::string path = dir.Sub("STREAM");
  internal::proto::StreamMeta meta;
  REQUIRE(meta.ParseFromString(ReadFileBytes(path)));
  auto mutation = GENERATE(0, 1, 2);
  CAPTURE(mutation);
  switch (mutation) {
    case 0:
      meta.mutable_options()->set_segment_bytes(1);
      break;
    case 1:
      meta.mutable_options()->set_durability(77);
      break;
    default:
      meta.mutable_options()->set_name("");
      break;
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << meta.SerializeAsString();
  }
  for (OpenMode mode : {OpenMode::kMustExist, OpenMode::kReadOnly}) {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir.path(), options, mode);
    BROOK_CHECK_CODE(s.status(), kDataLoss);
    CHECK_THAT(std::string(s.status().message()),
               Catch::StartsWith(path + ": bad options: "));
  }
}

}  // namespace
}  // namespace brook
