// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// brook's own API (`Producer`, `Consumer`, `Worker`) over a remote stream
// (`OpenRemoteStream()`) on kinesalite on loopback; skipped, with the reason
// printed, when Node.js or kinesalite is absent. kinesalite has no
// UpdateShardCount, no ChildShards in GetRecords (the children come from
// ListShards) and no SubscribeToShard; iterator expiry, partial PutRecords
// failures and ChildShards are covered on a scripted transport
// (remote_stream_scripted_test.cc). What every stream must do (iterator
// types, routing, resharding, retention periods, subscriptions) runs here
// too, from the contract tests of test/stream/ (*_contract_test.cc); this
// file keeps what is the remote stream's own.

#include "brook/remote_stream.h"

#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"
#include "brook/consumer.h"
#include "brook/consumer_group.h"
#include "brook/dynamodb_lease_store.h"
#include "brook/partitioner.h"
#include "brook/producer.h"

#include "group/worker_testing.h"
#include "remote/dynalite.h"
#include "remote/kinesalite.h"
#include "stream/shard_read_testing.h"
#include "testing/status_testing.h"
#include "util/decimal.h"

namespace brook {
namespace {

using testing::ClientFor;

// A kinesalite stream of `shards` shards, opened as a brook `Stream`.
std::unique_ptr<Stream> OpenNew(const testing::Kinesalite& server,
                                const std::string& name, int shards) {
  auto admin = ClientFor(server.endpoint());
  BROOK_REQUIRE_OK(admin->CreateStream(name, shards));
  RemoteStreamOptions options;
  options.reshard_timeout = absl::Seconds(10);
  options.poll_initial_interval = absl::Milliseconds(20);
  options.poll_max_interval = absl::Milliseconds(50);
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      OpenRemoteStream(name, ClientFor(server.endpoint()), options);
  BROOK_REQUIRE_OK(stream);
  return *std::move(stream);
}

using testing::ShardRead;

std::string OpenShardFor(const Stream& stream, HashKey key) {
  for (const ShardDescription& d : stream.ListShards()) {
    if (d.is_open() && d.hash_key_range.Contains(key)) return d.shard_id;
  }
  return "";
}

TEST_CASE("RemoteStream: puts route as brook does and read back in order",
          "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  std::unique_ptr<Stream> stream = OpenNew(*server, "order", 3);
  CHECK(stream->options().shard_count == 3);
  CHECK(stream->options().name == "order");
  CHECK(stream->ListShards().size() == 3);

  Producer producer(stream.get());
  std::vector<PutRecordsEntry> batch;
  std::vector<std::string> keys, data;
  for (int i = 0; i < 60; ++i) {
    keys.push_back(absl::StrCat("key", i % 7));
    data.push_back(absl::StrCat("v", i));
  }
  for (int i = 0; i < 60; ++i) batch.push_back({keys[i], data[i], {}});
  absl::StatusOr<PutRecordsResult> put = producer.PutRecords(batch);
  BROOK_REQUIRE_OK(put);
  CHECK(put->failed_record_count == 0);
  REQUIRE(put->records.size() == 60);
  std::map<std::string, SequenceNumber> seq_of;
  for (int i = 0; i < 60; ++i) {
    INFO(i);
    BROOK_CHECK_OK(put->records[i].status);
    CHECK(put->records[i].shard_id ==
          OpenShardFor(*stream, PartitionKeyHash(keys[i])));
    CHECK(put->records[i].sequence_number.high() != 0);  // a service number
    seq_of[data[i]] = put->records[i].sequence_number;
  }
  // An explicit hash key at each shard's first key lands in that shard.
  for (const ShardDescription& d : stream->ListShards()) {
    absl::StatusOr<PutRecordResult> one = producer.PutRecord(
        "any", "explicit",
        internal::FormatDecimalUint128(d.hash_key_range.starting_hash_key));
    BROOK_REQUIRE_OK(one);
    CHECK(one->shard_id == d.shard_id);
  }

  // Read every shard: each record once, in put order per key, with its
  // sequence number and partition key.
  std::map<std::string, std::vector<int>> order;
  int total = 0;
  for (const ShardDescription& d : stream->ListShards()) {
    ShardRead read = testing::ReadShard(stream.get(), d.shard_id);
    CHECK_FALSE(read.ended);
    for (const Record& r : read.records) {
      if (r.data == "explicit") continue;
      ++total;
      CHECK(seq_of[std::string(r.data)] == r.sequence_number);
      CHECK(r.hash_key == PartitionKeyHash(r.partition_key));
      order[std::string(r.partition_key)].push_back(
          std::stoi(std::string(r.data.substr(1))));
    }
  }
  CHECK(total == 60);
  for (const auto& [key, values] : order) {
    INFO(key);
    CHECK(std::is_sorted(values.begin(), values.end()));
  }
}

TEST_CASE(
    "RemoteStream: the async producer gives each record the service's number",
    "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  std::unique_ptr<Stream> stream = OpenNew(*server, "async", 2);
  for (const bool aggregate : {false, true}) {
    INFO("aggregation " << aggregate);
    AsyncProducerOptions options;
    options.linger = absl::Milliseconds(1);
    options.aggregation_enabled = aggregate;
    absl::StatusOr<std::unique_ptr<AsyncProducer>> producer =
        AsyncProducer::Create(stream.get(), options);
    BROOK_REQUIRE_OK(producer);
    const std::string tag = aggregate ? "agg" : "plain";
    std::vector<std::future<absl::StatusOr<AsyncPutResult>>> futures;
    std::vector<std::string> keys, data;
    for (int i = 0; i < 40; ++i) {
      keys.push_back(absl::StrCat("key", i % 5));
      data.push_back(absl::StrCat(tag, "-", i));
    }
    for (int i = 0; i < 40; ++i) {
      futures.push_back((*producer)->PutFuture(keys[i], data[i]));
    }
    BROOK_REQUIRE_OK((*producer)->Close());
    std::map<std::string, AsyncPutResult> result_of;
    for (int i = 0; i < 40; ++i) {
      absl::StatusOr<AsyncPutResult> r = futures[i].get();
      BROOK_REQUIRE_OK(r);
      result_of[data[i]] = *r;
    }
    // Read back (de-aggregated): each record carries the number and
    // subsequence number its future gave, and sits in the shard it named.
    Consumer consumer(stream.get());
    GetRecordsOptions read_options;
    read_options.deaggregate = true;
    int seen = 0;
    for (const ShardDescription& d : stream->ListShards()) {
      absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
          d.shard_id, StartingPosition::TrimHorizon());
      BROOK_REQUIRE_OK(it);
      absl::StatusOr<GetRecordsResult> r =
          consumer.GetRecords(*it, read_options);
      BROOK_REQUIRE_OK(r);
      for (const Record& rec : r->records()) {
        const std::string value(rec.data);
        if (!absl::StartsWith(value, tag + "-")) continue;
        INFO(value);
        auto found = result_of.find(value);
        REQUIRE(found != result_of.end());
        CHECK(found->second.shard_id == d.shard_id);
        CHECK(found->second.sequence_number == rec.sequence_number);
        CHECK(found->second.subsequence_number == rec.subsequence_number);
        ++seen;
      }
    }
    CHECK(seen == 40);
  }
}

TEST_CASE(
    "RemoteStream: a wait fetches a batch that limited reads slice, and an "
    "interrupted wait returns at once",
    "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  std::unique_ptr<Stream> stream = OpenNew(*server, "iters", 1);
  const std::string shard = "shardId-000000000000";
  Producer producer(stream.get());
  for (int i = 0; i < 5; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("k", absl::StrCat("r", i)));
  }
  Consumer consumer(stream.get());
  using V = std::vector<std::string>;
  // A limit of 2 reads 2 at a time.
  GetRecordsOptions two;
  two.limit = 2;
  CHECK(testing::ReadShard(stream.get(), shard, StartingPosition::TrimHorizon(),
                           two)
            .data == V{"r0", "r1", "r2", "r3", "r4"});
  // A wait fetches the whole batch; reads with a limit slice it.
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(shard, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  REQUIRE(consumer.WaitForRecords(*it, absl::Seconds(10)));
  std::vector<size_t> sizes;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, two);
    BROOK_REQUIRE_OK(r);
    sizes.push_back(r->records().size());
    if (i == 2) CHECK(r->records()[0].data == "r4");
    *it = r->next_shard_iterator();
  }
  CHECK(sizes == std::vector<size_t>{2, 2, 1});
  // A wait at the tip polls until the timeout; an interrupted one returns at
  // once.
  CHECK_FALSE(consumer.WaitForRecords(*it, absl::Milliseconds(60)));
  WaitInterrupt interrupt;
  interrupt.Interrupt();
  CHECK_FALSE(consumer.WaitForRecords(*it, absl::Seconds(30), &interrupt));
  // A bad start says what was wrong.
  StartingPosition missing;
  missing.type = ShardIteratorType::kAtSequenceNumber;
  absl::StatusOr<ShardIterator> bad = consumer.GetShardIterator(shard, missing);
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(bad.status().message(), "needs a starting sequence"));
}

TEST_CASE(
    "RemoteStream: split and merge keep lineage, and parents read to their end "
    "name their children",
    "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  std::unique_ptr<Stream> stream = OpenNew(*server, "reshard", 1);
  Producer producer(stream.get());
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i) keys.push_back(absl::StrCat("key", i));
  auto put_round = [&](const std::string& tag) {
    for (const std::string& k : keys) {
      BROOK_REQUIRE_OK(producer.PutRecord(k, absl::StrCat(tag, ":", k)));
    }
  };
  put_round("a");
  const HashKey mid = HashKey(1) << 127;
  BROOK_REQUIRE_OK(stream->SplitShard("shardId-000000000000",
                                      internal::FormatDecimalUint128(mid)));
  std::vector<ShardDescription> shards = stream->ListShards();
  REQUIRE(shards.size() == 3);
  CHECK_FALSE(shards[0].is_open());
  CHECK(shards[1].parent_shard_id == "shardId-000000000000");
  CHECK(shards[1].hash_key_range.ending_hash_key == mid - 1);
  CHECK(shards[2].hash_key_range.starting_hash_key == mid);
  CHECK(stream->options().shard_count == 2);
  put_round("b");  // routed to the children by the refreshed cache

  ShardRead parent = testing::ReadShard(stream.get(), "shardId-000000000000");
  CHECK(parent.data.size() == keys.size());
  REQUIRE(parent.ended);
  REQUIRE(parent.children.size() == 2);
  CHECK(parent.children[0].shard_id == "shardId-000000000001");
  CHECK(parent.children[0].parent_shards ==
        std::vector<std::string>{"shardId-000000000000"});
  CHECK(parent.children[1].hash_key_range.starting_hash_key == mid);
  int in_children = 0;
  for (const ChildShard& c : parent.children) {
    ShardRead child = testing::ReadShard(stream.get(), c.shard_id);
    for (const Record& r : child.records) {
      CHECK(absl::StartsWith(r.data, "b:"));
      CHECK(c.hash_key_range.Contains(r.hash_key));
      CHECK(r.sequence_number > parent.records.back().sequence_number);
      ++in_children;
    }
  }
  CHECK(in_children == static_cast<int>(keys.size()));

  BROOK_REQUIRE_OK(
      stream->MergeShards("shardId-000000000001", "shardId-000000000002"));
  shards = stream->ListShards();
  REQUIRE(shards.size() == 4);
  CHECK(shards[3].parent_shard_id == "shardId-000000000001");
  CHECK(shards[3].adjacent_parent_shard_id == "shardId-000000000002");
  put_round("c");
  ShardRead left = testing::ReadShard(stream.get(), "shardId-000000000001");
  REQUIRE(left.ended);
  REQUIRE(left.children.size() == 1);
  CHECK(left.children[0].shard_id == "shardId-000000000003");
  CHECK(
      left.children[0].parent_shards ==
      std::vector<std::string>{"shardId-000000000001", "shardId-000000000002"});
  CHECK(testing::ReadShard(stream.get(), "shardId-000000000003").data.size() ==
        keys.size());

  // A shard of the stream appends (non-atomic PutRecords) and refuses keys
  // outside its range and a closed shard.
  absl::StatusOr<Shard*> open = stream->GetShard("shardId-000000000003");
  BROOK_REQUIRE_OK(open);
  RoutedRecord rec{"k", "appended", PartitionKeyHash("k"), false};
  absl::StatusOr<SequenceNumber> first = (*open)->Append({&rec, 1});
  BROOK_REQUIRE_OK(first);
  absl::StatusOr<Shard*> closed = stream->GetShard("shardId-000000000000");
  BROOK_REQUIRE_OK(closed);
  CHECK((*closed)->Append({&rec, 1}).status().code() ==
        absl::StatusCode::kAborted);
  CHECK(stream->GetShard("shardId-000000000042").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("RemoteStream: administration maps to the service or says why not",
          "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  std::unique_ptr<Stream> stream = OpenNew(*server, "admin", 2);
  // UpdateShardCount and the retention period: reshard_contract_test.cc.
  absl::Status s = stream->UpdateRetentionBytes(1 << 30);
  CHECK(s.code() == absl::StatusCode::kUnimplemented);
  BROOK_CHECK_OK(stream->Sync());
  BROOK_CHECK_OK(stream->WaitForDurable("shardId-000000000000",
                                        SequenceNumber(), absl::Seconds(1)));
  CHECK(stream->TrimExpired() == 0);
  StreamDescription d = stream->DescribeStream();
  CHECK(d.open_shard_count == 2);
  CHECK(d.stream_status == "ACTIVE");

  BROOK_CHECK_OK(stream->Close());
  CHECK(stream->closed());
  Producer producer(stream.get());
  CHECK(producer.PutRecord("k", "v").status().code() ==
        absl::StatusCode::kFailedPrecondition);

  RemoteStreamOptions options;
  absl::StatusOr<std::unique_ptr<Stream>> missing = OpenRemoteStream(
      "no-such-stream", ClientFor(server->endpoint()), options);
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  options.poll_initial_interval = absl::ZeroDuration();
  missing = OpenRemoteStream("admin", ClientFor(server->endpoint()), options);
  CHECK(missing.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(missing.status().message(), "poll_initial_interval"));
}

// Two workers sharing `leases` read every record of a 2-shard stream once,
// through a split, per key in put order (parents before children).
void ReadThroughSplit(const testing::Kinesalite& server, LeaseStore* leases) {
  std::unique_ptr<Stream> stream = OpenNew(server, "group", 2);
  Producer producer(stream.get());
  std::vector<std::string> produced;
  auto put = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      produced.push_back(absl::StrCat("r", i));
      BROOK_REQUIRE_OK(
          producer.PutRecord(absl::StrCat("k", i % 11), produced.back()));
    }
  };
  put(0, 30);

  // Two workers on a manual clock for leases; the stream runs on the real
  // clock.
  testing::GroupLog log;
  ManualClockEnv clock(1'000'000);
  auto make = [&](const std::string& id) {
    WorkerOptions options;
    options.worker_id = id;
    options.failover_time = absl::Seconds(10);
    options.lease_renewal_interval = absl::Seconds(1);
    options.initial_position = ExtendedSequenceNumber::TrimHorizon();
    options.env = &clock;
    absl::StatusOr<std::unique_ptr<Worker>> w = Worker::Create(
        stream.get(), leases,
        [&log, id](absl::string_view) {
          return std::make_unique<testing::LoggingProcessor>(&log, id);
        },
        options);
    BROOK_REQUIRE_OK(w);
    return *std::move(w);
  };
  std::unique_ptr<Worker> a = make("a");
  std::unique_ptr<Worker> b = make("b");
  auto rounds = [&](int n) {
    for (int i = 0; i < n; ++i) {
      BROOK_REQUIRE_OK(a->RunOnce());
      BROOK_REQUIRE_OK(b->RunOnce());
      clock.Advance(absl::Seconds(1));
    }
  };
  rounds(3);
  BROOK_REQUIRE_OK(
      stream->SplitShard("shardId-000000000000",
                         internal::FormatDecimalUint128(HashKey(1) << 126)));
  put(30, 60);
  for (int i = 0; i < 40 && log.deliveries().size() < produced.size(); ++i) {
    rounds(1);
  }

  // Every record once, and per key in put order (parents before children).
  std::vector<std::string> got = log.Data();
  CHECK(got.size() == produced.size());
  CHECK(std::set<std::string>(got.begin(), got.end()) ==
        std::set<std::string>(produced.begin(), produced.end()));
  std::map<std::string, int> last;
  for (const testing::Delivery& d : log.deliveries()) {
    const int i = std::stoi(d.data.substr(1));
    const std::string key = absl::StrCat("k", i % 11);
    auto it = last.find(key);
    if (it != last.end()) CHECK(it->second < i);
    last[key] = i;
  }
  const bool parent_ended = log.HasEvent("ended a shardId-000000000000") ||
                            log.HasEvent("ended b shardId-000000000000");
  CHECK(parent_ended);
  a->Abort();
  b->Abort();
}

TEST_CASE(
    "RemoteStream: a consumer group (memory leases) reads every record once "
    "through a split",
    "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  std::unique_ptr<LeaseStore> leases = NewMemoryLeaseStore();
  ReadThroughSplit(*server, leases.get());
}

TEST_CASE(
    "RemoteStream: a consumer group (DynamoDB leases on dynalite) reads every "
    "record once through a split",
    "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  BROOK_START_DYNALITE_OR_SKIP(dynalite);
  absl::StatusOr<std::unique_ptr<LeaseStore>> leases =
      OpenDynamoDbLeaseStore(dynalite->StoreOptions());
  BROOK_REQUIRE_OK(leases);
  ReadThroughSplit(*server, leases->get());
}

}  // namespace
}  // namespace brook
