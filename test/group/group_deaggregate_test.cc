// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Consumer groups with `WorkerOptions::deaggregate` (issue 12): processors get
// user records with subsequence numbers, a damaged aggregate comes whole and
// flagged, a checkpoint inside an aggregate resumes at the next user record
// after failover or restart (nothing lost or repeated), and a checkpoint at a
// subsequence that was not delivered is refused.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
#include "brook/consumer_group.h"
#include "brook/producer.h"

#include "testing/status_testing.h"
#include "worker_testing.h"

namespace brook {
namespace {

using testing::Delivery;
using testing::Shard;
using testing::TestGroup;

// One user record as the group must deliver it.
struct Expected {
  std::string data;
  SequenceNumber sequence_number;
  uint64_t subsequence_number = 0;
  bool damaged = false;
};

// Puts `n` user records "<prefix><i>" as one aggregate; appends them.
SequenceNumber PutAggregate(TestGroup& group, const std::string& prefix, int n,
                            std::vector<Expected>* expected) {
  AggregateBuilder builder;
  for (int i = 0; i < n; ++i) {
    REQUIRE(*builder.Add(absl::StrCat(prefix, "-key", i), "",
                         absl::StrCat(prefix, i)));
  }
  absl::StatusOr<AggregateBuilder::Aggregate> aggregate = builder.Finish();
  BROOK_REQUIRE_OK(aggregate);
  Producer producer(group.stream());
  absl::StatusOr<PutRecordResult> put = producer.PutRecord(
      aggregate->partition_key, aggregate->data, aggregate->explicit_hash_key);
  BROOK_REQUIRE_OK(put);
  for (int i = 0; i < n; ++i) {
    expected->push_back({absl::StrCat(prefix, i), put->sequence_number,
                         static_cast<uint64_t>(i)});
  }
  return put->sequence_number;
}

// A plain record, a 5-record aggregate "a", a plain record, a damaged
// aggregate, a 3-record aggregate "b". Returns the sequence number of "a".
SequenceNumber PutMixed(TestGroup& group, std::vector<Expected>* expected) {
  expected->push_back({"p0", group.Put("k0", "p0")});
  const SequenceNumber a = PutAggregate(group, "a", 5, expected);
  expected->push_back({"p1", group.Put("k1", "p1")});
  AggregateBuilder builder;
  REQUIRE(*builder.Add("d-key", "", "d0"));
  REQUIRE(*builder.Add("d-key", "", "d1"));
  std::string damaged = builder.Finish()->data;
  damaged.back() = static_cast<char>(damaged.back() ^ 1);  // MD5 trailer
  expected->push_back({damaged, group.Put("d-key", damaged), 0, true});
  PutAggregate(group, "b", 3, expected);
  return a;
}

void CheckDelivered(const std::vector<Delivery>& got,
                    const std::vector<Expected>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("record " << i);
    CHECK(got[i].data == want[i].data);
    CHECK(got[i].sequence_number == want[i].sequence_number);
    CHECK(got[i].subsequence_number == want[i].subsequence_number);
    CHECK(got[i].damaged_aggregate == want[i].damaged);
  }
}

TEST_CASE(
    "Worker deaggregate: a checkpoint inside an aggregate resumes at the next "
    "user record after failover or restart, nothing lost or repeated",
    "[group][aggregation]") {
  // Where in aggregate "a" (5 user records) the first worker checkpoints.
  const uint64_t subsequence = GENERATE(0, 2, 4);
  // Who resumes: another worker after the failover time, or the first one
  // restarted under its id (it takes its lease back at once).
  const bool restart = GENERATE(false, true);
  INFO("checkpoint at subsequence " << subsequence
                                    << (restart ? ", restart" : ", failover"));
  TestGroup group(1);
  std::vector<Expected> expected;
  const SequenceNumber a = PutMixed(group, &expected);
  group.log().behaviour().checkpoint_each_batch = false;
  std::vector<absl::Status> checkpoints;
  group.log().behaviour().on_batch = [&](const std::string&,
                                         const ProcessRecordsInput& in) {
    if (checkpoints.empty()) {
      checkpoints.push_back(in.checkpointer->Checkpoint(a, subsequence));
    }
    return absl::OkStatus();
  };
  WorkerOptions options = group.Options("w1");
  options.deaggregate = true;
  std::unique_ptr<Worker> first = group.NewWorker(options);
  group.Round({first.get()});
  REQUIRE(checkpoints.size() == 1);
  BROOK_REQUIRE_OK(checkpoints[0]);
  // Every user record, with its subsequence; the damaged one whole, flagged.
  CheckDelivered(group.log().deliveries(), expected);
  CHECK(group.GetLease(Shard(0)).checkpoint ==
        ExtendedSequenceNumber::At(a, subsequence));
  first->Abort();  // as if killed after the checkpoint

  options.worker_id = restart ? "w1" : "w2";
  std::unique_ptr<Worker> next = group.NewWorker(options);
  const size_t before = group.log().deliveries().size();
  for (int i = 0; i < 30 && group.log().deliveries().size() == before; ++i) {
    group.Round({next.get()});
  }
  CHECK(group.log().HasEvent(
      absl::StrCat("init ", options.worker_id, " ", Shard(0), " ",
                   ExtendedSequenceNumber::At(a, subsequence).DebugString())));
  // The first worker's records up to its checkpoint, then the next owner's:
  // each user record once, in order.
  const std::vector<Delivery> all = group.log().deliveries();
  REQUIRE(before == expected.size());
  // p0, then "a" up to the checkpoint.
  std::vector<Delivery> resumed(all.begin(), all.begin() + 2 + subsequence);
  resumed.insert(resumed.end(), all.begin() + before, all.end());
  CheckDelivered(resumed, expected);
  BROOK_CHECK_OK(next->Shutdown());
}

TEST_CASE(
    "Worker deaggregate: checkpointing a subsequence that was not delivered "
    "is kInvalidArgument naming it",
    "[group][aggregation]") {
  const bool deaggregate = GENERATE(false, true);
  INFO("deaggregate " << deaggregate);
  TestGroup group(1);
  std::vector<Expected> expected;
  const SequenceNumber a = PutMixed(group, &expected);
  const SequenceNumber p1 = expected[6].sequence_number;
  group.log().behaviour().checkpoint_each_batch = false;
  std::vector<std::pair<std::string, absl::Status>> results;
  group.log().behaviour().on_batch = [&](const std::string&,
                                         const ProcessRecordsInput& in) {
    Checkpointer& c = *in.checkpointer;
    results.emplace_back("a/7", c.Checkpoint(a, 7));    // beyond "a"
    results.emplace_back("p1/1", c.Checkpoint(p1, 1));  // a plain record
    // Inside "a": delivered only when de-aggregated.
    results.emplace_back("a/3", c.Checkpoint(a, 3));
    return absl::OkStatus();
  };
  WorkerOptions options = group.Options("w");
  options.deaggregate = deaggregate;
  std::unique_ptr<Worker> worker = group.NewWorker(options);
  group.Round({worker.get()});
  REQUIRE(results.size() == 3);
  for (const auto& [name, status] : results) {
    INFO(name << ": " << status);
    if (name == "a/3" && deaggregate) {
      CHECK(status.ok());
      continue;
    }
    CHECK(absl::IsInvalidArgument(status));
    CHECK(absl::StrContains(status.message(), "names no record"));
    CHECK(absl::StrContains(status.message(), Shard(0)));
  }
  BROOK_CHECK_OK(worker->Shutdown());
}

}  // namespace
}  // namespace brook
