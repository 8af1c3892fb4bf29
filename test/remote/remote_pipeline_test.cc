// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The event-time pipeline (`WindowPipeline`) over a remote stream
// (`OpenRemoteStream()`) on kinesalite, through a split: it reads the parent
// to its end, then the children (found through ListShards, as kinesalite
// gives no ChildShards), and fires exactly the windows the records make.
// Skipped, with the reason printed, when Node.js or kinesalite is absent.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/pipeline.h"
#include "brook/producer.h"
#include "brook/remote_stream.h"

#include "remote/kinesalite.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::ClientFor;

// A record's data: "key,event_time".
struct Ev {
  std::string key;
  EventTime time = 0;
};

Ev ParseEv(const Record& r) {
  std::vector<absl::string_view> parts = absl::StrSplit(r.data, ',');
  Ev e;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &e.time)) {
    e.time = -1;
    return e;
  }
  e.key = std::string(parts[0]);
  return e;
}

TEST_CASE(
    "RemoteStream: the window pipeline reads across a split, parents "
    "first, and fires every window once",
    "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto admin = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(admin->CreateStream("pipeline", 1));
  RemoteStreamOptions options;
  options.reshard_timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      OpenRemoteStream("pipeline", ClientFor(server->endpoint()), options);
  BROOK_REQUIRE_OK(stream);

  // Event times rise by 1 ms a record across all keys, so no record is late
  // for a bounded-out-of-orderness watermark, before or after the split.
  Producer producer(stream->get());
  const std::vector<std::string> keys = {"alpha", "beta", "gamma", "delta",
                                         "epsilon"};
  std::map<std::pair<std::string, EventTime>, int64_t> expected;
  constexpr int64_t kWindow = 10;
  constexpr int kRecords = 120;
  auto put = [&](int i) {
    const std::string& key = keys[i % keys.size()];
    BROOK_REQUIRE_OK(producer.PutRecord(key, absl::StrCat(key, ",", i)));
    ++expected[{key, i / kWindow * kWindow}];
  };
  for (int i = 0; i < kRecords / 2; ++i) put(i);
  const std::string parent = (*stream)->ListShards().front().shard_id;
  BROOK_REQUIRE_OK((*stream)->SplitShard(
      parent, "170141183460469231731687303715884105728"));  // 2^127
  for (int i = kRecords / 2; i < kRecords; ++i) put(i);

  Consumer consumer(stream->get());
  PipelineOptions po;
  po.watermarks =
      *WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(5));
  po.watermarks.WithTimestampAssigner(
      [](const Record& r) { return ParseEv(r).time; });
  WindowOptions wo;
  wo.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(kWindow));
  using Pipeline = WindowPipeline<std::string, Ev, CountAggregate<Ev>>;
  Pipeline::Functions fns;
  fns.parse = &ParseEv;
  fns.key_selector = [](const Ev& e) { return e.key; };
  std::map<std::pair<std::string, EventTime>, int64_t> fired;
  int duplicates = 0;
  fns.sink = [&](const WindowResult<std::string, int64_t>& r) {
    const auto k = std::make_pair(r.key, r.window.start_millis);
    if (fired.count(k) > 0) ++duplicates;
    fired[k] += r.value;
  };
  int late = 0;
  fns.late_sink = [&](const std::string&, const Ev&, EventTime) { ++late; };
  absl::StatusOr<std::unique_ptr<Pipeline>> pipeline =
      Pipeline::Create(&consumer, po, wo, CountAggregate<Ev>(), std::move(fns));
  BROOK_REQUIRE_OK(pipeline);

  // Every record, the children's after the parent's end; a bounded number of
  // rounds (each reads every shard once).
  int64_t read = 0;
  for (int round = 0; round < 200 && read < kRecords; ++round) {
    absl::StatusOr<int64_t> n = (*pipeline)->RunOnce();
    BROOK_REQUIRE_OK(n);
    read += *n;
  }
  REQUIRE(read == kRecords);
  (*pipeline)->FinishAll();
  CHECK(late == 0);
  CHECK(duplicates == 0);
  CHECK(fired == expected);
}

}  // namespace
}  // namespace brook
