// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer with KPL aggregation: what is read back de-aggregated is what
// was put, in per-key order, with the (sequence, subsequence) numbers the
// callbacks gave; no aggregate straddles a shard boundary, reshards included;
// the count and size limits; a record too big to aggregate goes alone.

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
#include "brook/async_producer.h"
#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "produce/fault_stream.h"
#include "produce/outcomes.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::MemoryStream;
using testing::Outcomes;

// A record as put, and where its callback said it went.
struct Put {
  std::string key;
  std::string data;
  HashKey hash_key;
};

// A record as read back from a shard.
struct Read {
  std::string shard_id;
  HashKeyRange range;
  SequenceNumber seq;
  uint64_t subseq;
  std::string key;
  std::string data;
  HashKey hash_key;
};

// Every record of every shard, from TRIM_HORIZON, de-aggregated or as stored.
std::vector<Read> ReadShards(Stream* stream, bool deaggregate) {
  Consumer consumer(stream);
  GetRecordsOptions options;
  options.deaggregate = deaggregate;
  std::vector<Read> out;
  for (const ShardDescription& d : consumer.ListShards()) {
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(d.shard_id, StartingPosition::TrimHorizon());
    REQUIRE(it.ok());
    while (it->valid()) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, options);
      REQUIRE(r.ok());
      if (r->records().empty()) break;
      for (const Record& rec : r->records()) {
        CHECK_FALSE(rec.damaged_aggregate);
        out.push_back({d.shard_id, d.hash_key_range, rec.sequence_number,
                       rec.subsequence_number, std::string(rec.partition_key),
                       std::string(rec.data), rec.hash_key});
      }
      *it = r->next_shard_iterator();
    }
  }
  std::sort(out.begin(), out.end(), [](const Read& a, const Read& b) {
    return std::tie(a.seq, a.subseq) < std::tie(b.seq, b.subseq);
  });
  return out;
}

// Checks every stored record: an aggregate holds only records of its shard's
// range (and within the limits), a plain record is in its shard's range.
// Returns the number of aggregates.
int CheckStored(Stream* stream, int64_t max_count, int64_t max_bytes) {
  int aggregates = 0;
  for (const Read& r : ReadShards(stream, /*deaggregate=*/false)) {
    INFO("shard " << r.shard_id);
    if (!IsAggregatedRecord(r.data)) {
      CHECK(r.range.Contains(r.hash_key));
      continue;
    }
    ++aggregates;
    BROOK_CHECK_OK(CheckAggregateInRange(r.data, r.range));
    CHECK(static_cast<int64_t>(r.key.size() + r.data.size()) <= max_bytes);
    Record record;
    record.data = r.data;
    std::vector<Record> users;
    BROOK_REQUIRE_OK(Deaggregate(record, &users));
    CHECK(users.size() >= 2);  // a lone record is stored as it is
    CHECK(static_cast<int64_t>(users.size()) <= max_count);
  }
  return aggregates;
}

// Puts `puts` (one thread), each with a callback, then checks what was read
// back de-aggregated against them and the callbacks.
void CheckReadBack(Stream* stream, AsyncProducer* p,
                   const std::vector<Put>& puts, Outcomes* out) {
  BROOK_REQUIRE_OK(p->Flush());
  out->WaitFor(static_cast<int>(puts.size()));
  const std::vector<Read> read = ReadShards(stream, /*deaggregate=*/true);
  REQUIRE(read.size() == puts.size());
  // Per key (partition key and hash key: records of one partition key with
  // different explicit hash keys may go to different shards), in the order
  // put; and each where its callback said.
  using Key = std::pair<std::string, HashKey>;
  std::map<Key, std::vector<std::string>> put_by_key, read_by_key;
  for (const Put& x : puts) put_by_key[{x.key, x.hash_key}].push_back(x.data);
  for (const Read& r : read) read_by_key[{r.key, r.hash_key}].push_back(r.data);
  CHECK(read_by_key == put_by_key);
  std::map<std::tuple<SequenceNumber, uint64_t>, const Read*> at;
  for (const Read& r : read) at[{r.seq, r.subseq}] = &r;
  REQUIRE(at.size() == read.size());  // (seq, subseq) identifies a record
  for (size_t i = 0; i < puts.size(); ++i) {
    absl::StatusOr<AsyncPutResult> result = out->at(static_cast<int>(i));
    BROOK_REQUIRE_OK(result);
    auto it = at.find({result->sequence_number, result->subsequence_number});
    REQUIRE(it != at.end());
    CHECK(it->second->key == puts[i].key);
    CHECK(it->second->data == puts[i].data);
    CHECK(it->second->hash_key == puts[i].hash_key);
    CHECK(it->second->shard_id == result->shard_id);
    CHECK(it->second->range.Contains(puts[i].hash_key));
  }
}

// A test's setup: a seed (printed), a manual clock, a memory stream and an
// aggregating producer whose records wait for Flush() (`tune` may change its
// options).
struct Rig {
  explicit Rig(int shards,
               const std::function<void(AsyncProducerOptions*)>& tune = {})
      : seed(std::random_device()()), rng(seed) {
    std::printf("AsyncProducer aggregation: seed %llu\n",
                static_cast<unsigned long long>(seed));
    stream = MemoryStream(&clock, shards);
    options.env = &clock;
    options.linger = absl::Milliseconds(100);
    options.aggregation_enabled = true;
    if (tune) tune(&options);
    absl::StatusOr<std::unique_ptr<AsyncProducer>> p =
        AsyncProducer::Create(stream.get(), options);
    REQUIRE(p.ok());
    producer = std::move(*p);
  }
  const uint64_t seed;
  std::mt19937_64 rng;
  ManualClockEnv clock{1'700'000'000'000};
  std::unique_ptr<Stream> stream;
  AsyncProducerOptions options;
  std::unique_ptr<AsyncProducer> producer;
};

// Random keys, and explicit hash keys at and next to every shard's edges.
std::vector<Put> MixedRecords(Stream* stream, std::mt19937_64& rng, int n) {
  std::vector<HashKey> edges;
  for (const ShardDescription& d : stream->ListShards()) {
    const HashKeyRange& r = d.hash_key_range;
    edges.push_back(r.starting_hash_key);
    edges.push_back(r.ending_hash_key);
    if (r.starting_hash_key != 0) edges.push_back(r.starting_hash_key - 1);
    if (r.ending_hash_key != absl::Uint128Max()) {
      edges.push_back(r.ending_hash_key + 1);
    }
  }
  std::vector<Put> puts;
  for (int i = 0; i < n; ++i) {
    Put x;
    x.key = absl::StrCat("key-", rng() % 40);
    x.data = std::string(rng() % 200, static_cast<char>('a' + i % 26)) +
             absl::StrCat("#", i);
    x.hash_key =
        rng() % 3 == 0 ? edges[rng() % edges.size()] : PartitionKeyHash(x.key);
    puts.push_back(std::move(x));
  }
  return puts;
}

absl::Status PutAll(AsyncProducer* p, const std::vector<Put>& puts,
                    Outcomes* out) {
  for (size_t i = 0; i < puts.size(); ++i) {
    const Put& x = puts[i];
    const std::string explicit_key = x.hash_key == PartitionKeyHash(x.key)
                                         ? std::string()
                                         : HashKeyToString(x.hash_key);
    absl::Status s =
        p->Put(x.key, x.data, explicit_key, out->Slot(static_cast<int>(i)));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Puts `n` MixedRecords() and checks them read back; returns them.
std::vector<Put> PutMixedAndCheck(Rig* rig, int n, Outcomes* out) {
  const std::vector<Put> puts = MixedRecords(rig->stream.get(), rig->rng, n);
  BROOK_REQUIRE_OK(PutAll(rig->producer.get(), puts, out));
  CheckReadBack(rig->stream.get(), rig->producer.get(), puts, out);
  return puts;
}

TEST_CASE("AsyncProducer aggregation: read back equals what was put",
          "[produce][aggregation]") {
  Rig rig(4);
  INFO("seed " << rig.seed);
  Stream* stream = rig.stream.get();
  Outcomes out;
  const std::vector<Put> puts = PutMixedAndCheck(&rig, 2000, &out);
  // 2000 records of ~130 bytes in 4 shards: a few aggregates each.
  const int aggregates = CheckStored(stream, 4294967295, 51200);
  CHECK(aggregates >= 4);
  CHECK(aggregates <= 40);
  // Subsequence numbers were given, not all zero.
  bool some_inside = false;
  for (size_t i = 0; i < puts.size(); ++i) {
    some_inside |= out.at(static_cast<int>(i))->subsequence_number > 0;
  }
  CHECK(some_inside);
}

TEST_CASE("AsyncProducer aggregation: max count and max size are respected",
          "[produce][aggregation]") {
  Rig rig(2, [](AsyncProducerOptions* o) {
    o->aggregation_max_count = 7;
    o->aggregation_max_bytes = 1000;
  });
  INFO("seed " << rig.seed);
  Outcomes out;
  PutMixedAndCheck(&rig, 500, &out);
  CHECK(CheckStored(rig.stream.get(), 7, 1000) >= 500 / 7 / 2);
}

TEST_CASE("AsyncProducer aggregation: a record too big to aggregate goes alone",
          "[produce][aggregation]") {
  Rig rig(1, [](AsyncProducerOptions* o) { o->aggregation_max_bytes = 300; });
  Stream* stream = rig.stream.get();
  AsyncProducer* p = rig.producer.get();
  std::vector<Put> puts;
  for (int i = 0; i < 7; ++i) {
    const std::string key = absl::StrCat("k", i % 2);
    puts.push_back({key, std::string(i == 3 ? 400 : 20, 'x'), 0});
    puts.back().hash_key = PartitionKeyHash(key);
  }
  Outcomes out;
  BROOK_REQUIRE_OK(PutAll(p, puts, &out));
  CheckReadBack(stream, p, puts, &out);
  // Stored: an aggregate of records 0-2, record 3 as it is, an aggregate of
  // records 4-6.
  const std::vector<Read> stored = ReadShards(stream, false);
  REQUIRE(stored.size() == 3);
  CHECK(IsAggregatedRecord(stored[0].data));
  CHECK(stored[1].data == puts[3].data);
  CHECK(IsAggregatedRecord(stored[2].data));
  CHECK(out.at(3)->subsequence_number == 0);
  CHECK(out.at(3)->sequence_number == stored[1].seq);
  CHECK(out.at(2)->subsequence_number == 2);
  CHECK(out.at(6)->subsequence_number == 2);
}

TEST_CASE("AsyncProducer aggregation: a reshard while records are buffered",
          "[produce][aggregation]") {
  Rig rig(2);
  INFO("seed " << rig.seed);
  std::mt19937_64& rng = rig.rng;
  Stream* stream = rig.stream.get();
  AsyncProducer* p = rig.producer.get();
  // Edges of the children too: split both shards at a random key first
  // known to the test, after the producer read the map.
  std::vector<std::pair<std::string, HashKey>> splits;
  for (const ShardDescription& d : stream->ListShards()) {
    const HashKeyRange& r = d.hash_key_range;
    const HashKey at = r.starting_hash_key + 1 +
                       absl::MakeUint128(rng(), rng()) %
                           (r.ending_hash_key - r.starting_hash_key);
    splits.push_back({d.shard_id, at});
  }
  std::vector<Put> puts = MixedRecords(stream, rng, 1500);
  for (int i = 0; i < 200; ++i) {  // at and next to the split points
    const auto& [id, at] = splits[rng() % splits.size()];
    puts.push_back(
        {absl::StrCat("edge-", i), absl::StrCat("e", i), at - 1 + rng() % 3});
  }
  Outcomes out;
  BROOK_REQUIRE_OK(PutAll(p, puts, &out));
  CHECK(p->stats().records_buffered == static_cast<int64_t>(puts.size()));
  for (const auto& [id, at] : splits) {
    BROOK_REQUIRE_OK(stream->SplitShard(id, HashKeyToString(at)));
  }
  CheckReadBack(stream, p, puts, &out);
  CHECK(CheckStored(stream, 4294967295, 51200) >= 4);
  CHECK(p->stats().shard_map_refreshes > 0);
  // Nothing went to the parents: every record was buffered at the split.
  for (const Read& r : ReadShards(stream, false)) {
    CHECK(r.shard_id != splits[0].first);
    CHECK(r.shard_id != splits[1].first);
  }
}

}  // namespace
}  // namespace brook
