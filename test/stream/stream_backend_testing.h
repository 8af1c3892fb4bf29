// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The streams the stream contract tests (stream_contract_test.cc) run
// against: brook's memory stream, its durable stream on a temporary
// directory, and a remote stream (`OpenRemoteStream()`) on kinesalite. That
// file is compiled into brook_core_tests for the memory and durable kinds,
// and into brook_remote_tests with BROOK_STREAM_TEST_KINESALITE for the
// remote kind, its test names prefixed apart. The remote streams are new,
// uniquely named streams of one kinesalite server shared by the test binary
// (test/remote/kinesalite.h); when Node.js or kinesalite is absent the remote
// test cases print why and pass (a skip).
//
// Thread safety: not thread-safe; use from the test's thread.

#ifndef BROOK_TEST_STREAM_STREAM_BACKEND_TESTING_H_
#define BROOK_TEST_STREAM_STREAM_BACKEND_TESTING_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/open_mode.h"
#include "brook/stream.h"

#include "stream/shard_read_testing.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

#ifdef BROOK_STREAM_TEST_KINESALITE
#include "brook/remote_stream.h"

#include "remote/kinesalite.h"
#endif

namespace brook {
namespace testing {

enum class StreamKind { kMemory, kDurable, kRemote };

inline const char* StreamKindName(StreamKind kind) {
  switch (kind) {
    case StreamKind::kMemory:
      return "memory";
    case StreamKind::kDurable:
      return "durable";
    case StreamKind::kRemote:
      return "remote (kinesalite)";
  }
  return "?";
}

#ifdef BROOK_STREAM_TEST_KINESALITE
#define BROOK_STREAM_KINDS ::brook::testing::StreamKind::kRemote
#define BROOK_STREAM_TEST_NAME(name) "RemoteStream contract: " name
#else
#define BROOK_STREAM_KINDS \
  ::brook::testing::StreamKind::kMemory, ::brook::testing::StreamKind::kDurable
#define BROOK_STREAM_TEST_NAME(name) name
#endif

// Makes streams of one kind for one test case. Local streams get the
// options a test asks for; a remote stream gets only the shard count (its
// name is made unique on the shared server, its clock is the real one).
class TestStreams {
 public:
  explicit TestStreams(StreamKind kind) : kind_(kind) {}
  // Deletes the remote streams it made (the shared server's shard limit is
  // 50). REQUIRES: they are no longer used.
  ~TestStreams() {
#ifdef BROOK_STREAM_TEST_KINESALITE
    std::string why;
    Kinesalite* server = SharedKinesalite(&why);
    for (const std::string& name : remote_names_) {
      ClientFor(server->endpoint())->DeleteStream(name).IgnoreError();
    }
#endif
  }
  TestStreams(const TestStreams&) = delete;
  TestStreams& operator=(const TestStreams&) = delete;

  StreamKind kind() const { return kind_; }
  bool remote() const { return kind_ == StreamKind::kRemote; }

  // False, with `*why`, when streams of this kind cannot be had here
  // (kinesalite not installed): the test case is then skipped.
  bool Available(std::string* why) {
#ifdef BROOK_STREAM_TEST_KINESALITE
    if (remote()) return SharedKinesalite(why) != nullptr;
#endif
    (void)why;
    return true;
  }

  // A new stream with `options.shard_count` shards. A local stream uses
  // `options` whole (a durable one in a new directory); a remote one is
  // created on the server named `options.name` plus a unique suffix.
  std::unique_ptr<Stream> New(StreamOptions options) {
    ++count_;
#ifdef BROOK_STREAM_TEST_KINESALITE
    if (remote()) return NewRemote(options);
#endif
    absl::StatusOr<std::unique_ptr<Stream>> s =
        kind_ == StreamKind::kDurable
            ? Stream::Open(dir_.Sub(absl::StrCat("s", count_)), options,
                           OpenMode::kCreateIfMissing)
            : Stream::Create(options);
    BROOK_REQUIRE_OK(s);
    return *std::move(s);
  }
  std::unique_ptr<Stream> New(int shards, Env* env = nullptr) {
    StreamOptions options;
    options.shard_count = shards;
    options.env = env;
    return New(options);
  }

 private:
#ifdef BROOK_STREAM_TEST_KINESALITE
  std::unique_ptr<Stream> NewRemote(const StreamOptions& options) {
    std::string why;
    Kinesalite* server = SharedKinesalite(&why);
    REQUIRE(server != nullptr);
    const std::string name = absl::StrCat(options.name, "-", NextRemoteId());
    BROOK_REQUIRE_OK(
        ClientFor(server->endpoint())->CreateStream(name, options.shard_count));
    remote_names_.push_back(name);
    RemoteStreamOptions remote;
    remote.reshard_timeout = absl::Seconds(10);
    remote.poll_initial_interval = absl::Milliseconds(10);
    remote.poll_max_interval = absl::Milliseconds(50);
    absl::StatusOr<std::unique_ptr<Stream>> s =
        OpenRemoteStream(name, ClientFor(server->endpoint()), remote);
    BROOK_REQUIRE_OK(s);
    return *std::move(s);
  }
  static int NextRemoteId() {
    static int next = 0;
    return ++next;
  }

  std::vector<std::string> remote_names_;
#endif

  const StreamKind kind_;
  TempDir dir_;
  int count_ = 0;
};

}  // namespace testing
}  // namespace brook

// Declares `var`, a `TestStreams` of `kind`, or prints why that kind is not
// available and leaves the test case (a skip).
#define BROOK_TEST_STREAMS_OR_SKIP(var, kind)   \
  ::brook::testing::TestStreams var(kind);      \
  INFO(::brook::testing::StreamKindName(kind)); \
  {                                             \
    std::string var##_why;                      \
    if (!var.Available(&var##_why)) {           \
      WARN("SKIPPED: " << var##_why);           \
      return;                                   \
    }                                           \
  }

#endif  // BROOK_TEST_STREAM_STREAM_BACKEND_TESTING_H_
