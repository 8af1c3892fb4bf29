// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include <cstdio>
#include <string>

#include "brook/brook.h"

int main() {
  brook::StreamOptions options;
  options.shard_count = 2;
  absl::StatusOr<std::unique_ptr<brook::Stream>> stream =
      brook::Stream::Create(options);
  if (!stream.ok()) return 1;
  brook::Producer producer(stream->get());
  absl::StatusOr<brook::PutRecordResult> put =
      producer.PutRecord("installed", "hello");
  if (!put.ok()) return 1;
  brook::Consumer consumer(stream->get());
  absl::StatusOr<brook::ShardIterator> it = consumer.GetShardIterator(
      std::string(put->shard_id), brook::StartingPosition::TrimHorizon());
  if (!it.ok()) return 1;
  absl::StatusOr<brook::GetRecordsResult> r = consumer.GetRecords(*it);
  if (!r.ok() || r->records().size() != 1 || r->records()[0].data != "hello") {
    return 1;
  }
  // The header-only event-time layer links too.
  brook::WindowOptions window;
  window.assigner =
      *brook::WindowAssigner::Tumbling(absl::Milliseconds(60'000));
  int64_t fired = 0;
  auto op = brook::MakeWindowOperator<std::string, int>(
      window, brook::CountAggregate<int>(),
      [&fired](const brook::WindowResult<std::string, int64_t>& r) {
        fired += r.value;
      });
  if (!op.ok() || !(*op)->ProcessElement("page", 1, 1'000).ok()) return 1;
  (*op)->AdvanceWatermark(brook::kMaxEventTime);
  if (fired != 1) return 1;
  std::printf("installed brook works: %s %s, window fired\n",
              std::string(put->shard_id).c_str(),
              put->sequence_number.ToString().c_str());
  return 0;
}
