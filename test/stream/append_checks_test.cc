// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `Shard::Append()` checks a plain batch while it sizes and writes it (issue
// 13): a bad record anywhere in a batch, of any kind, still fails the whole
// batch with the error the record-by-record checks give, stores nothing, and
// leaves the shard to take the next batch as if the failed one never came.
// In memory and durable, in one frame and in a batch that rolls segments.

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/partitioner.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

constexpr int kRecords = 500;

std::unique_ptr<Stream> OpenStream(bool durable, int64_t segment_bytes,
                                   testing::TempDir* tmp) {
  StreamOptions o;
  o.shard_count = 2;
  o.segment_bytes = segment_bytes;
  o.max_record_bytes = 1000;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      durable ? Stream::Open(tmp->Sub("s"), o, OpenMode::kCreateIfMissing)
              : Stream::Create(o);
  REQUIRE(s.ok());
  return *std::move(s);
}

// Every record of `shard_id`: (partition key, data) pairs.
std::vector<std::pair<std::string, std::string>> ReadAll(
    Stream* stream, const std::string& shard_id) {
  Consumer consumer(stream);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(shard_id, StartingPosition::TrimHorizon());
  REQUIRE(it.ok());
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
    REQUIRE(r.ok());
    if (r->records().empty()) break;
    for (const Record& rec : r->records()) {
      out.emplace_back(std::string(rec.partition_key), std::string(rec.data));
    }
    *it = r->next_shard_iterator();
  }
  return out;
}

// A batch of kRecords plain records for `shard`, keys and data owned by
// `keys` and `data`, each distinct (tagged with `tag`).
std::vector<RoutedRecord> Batch(const Shard& shard, const std::string& tag,
                                std::vector<std::string>* keys,
                                std::vector<std::string>* data) {
  keys->clear();
  data->clear();
  for (int i = 0; i < kRecords; ++i) {
    keys->push_back(absl::StrCat("key-", i % 37, std::string(i % 29, 'k')));
    data->push_back(absl::StrCat(tag, "-", i, std::string(100 + i % 97, 'd')));
  }
  const HashKey start = shard.hash_key_range().starting_hash_key;
  const HashKey span = shard.hash_key_range().ending_hash_key - start;
  std::vector<RoutedRecord> batch;
  for (int i = 0; i < kRecords; ++i) {
    const HashKey key = i == 0 ? start : i == 1 ? start + span : start + i;
    batch.push_back({(*keys)[i], (*data)[i], key, true});
  }
  return batch;
}

TEST_CASE("Shard: a bad record anywhere fails the batch, stores nothing",
          "[shard][append]") {
  testing::TempDir tmp;
  const bool durable = GENERATE(false, true);
  // A batch takes about 100 KB: in 1 MiB segments most batches are one
  // frame, in 64 KiB ones every batch rolls segments.
  const int64_t segment_bytes = GENERATE(int64_t{1} << 20, int64_t{64} << 10);
  INFO("durable " << durable << ", segment bytes " << segment_bytes);
  std::unique_ptr<Stream> stream = OpenStream(durable, segment_bytes, &tmp);
  Shard* shard = *stream->GetShard("shardId-000000000001");
  const HashKeyRange range = shard->hash_key_range();
  std::vector<std::pair<std::string, std::string>> stored;
  std::vector<std::string> keys, data;
  int round = 0;
  auto append_good = [&] {
    const std::vector<RoutedRecord> batch =
        Batch(*shard, absl::StrCat("good", round++), &keys, &data);
    BROOK_REQUIRE_OK(shard->Append(batch));
    for (int i = 0; i < kRecords; ++i) stored.emplace_back(keys[i], data[i]);
  };
  append_good();

  const std::string too_long(kMaxPartitionKeyChars + 1, 'x');
  const std::string big(1000, 'b');
  struct Fault {
    const char* name;
    const char* message;  // part of the error
  };
  const Fault faults[] = {
      {"hash key below the range", "outside the shard's range"},
      {"hash key above the range", "outside the shard's range"},
      {"record too big", "exceed the max record size"},
      {"empty key", "record"},
      {"key of 257 characters", "record"},
      {"key not UTF-8", "record"},
  };
  for (int f = 0; f < 6; ++f) {
    for (int at : {0, 1, 17, kRecords - 1}) {
      INFO(faults[f].name << " at record " << at);
      std::vector<RoutedRecord> batch =
          Batch(*shard, absl::StrCat("bad", round++), &keys, &data);
      RoutedRecord& r = batch[at];
      switch (f) {
        case 0:
          r.hash_key = range.starting_hash_key - 1;
          break;
        case 1:
          r.hash_key = range.ending_hash_key + 1;
          break;
        case 2:
          r.data = big;
          break;
        case 3:
          r.partition_key = "";
          break;
        case 4:
          r.partition_key = too_long;
          break;
        case 5:
          r.partition_key = "ab\xff";
          break;
      }
      absl::StatusOr<SequenceNumber> s = shard->Append(batch);
      BROOK_CHECK_CODE(s, kInvalidArgument);
      CHECK(s.status().message().find(absl::StrCat("record ", at, ":")) !=
            absl::string_view::npos);
      CHECK(s.status().message().find(faults[f].message) !=
            absl::string_view::npos);
      append_good();
    }
  }
  CHECK(ReadAll(stream.get(), shard->id()) == stored);
}

TEST_CASE("Shard: a bad record is reported before a full stream",
          "[shard][append]") {
  // As before the checks moved into the append: a batch with a bad record
  // gets kInvalidArgument naming it even where a good batch gets
  // kResourceExhausted.
  StreamOptions o;
  o.segment_bytes = 64 << 10;
  o.retention_bytes = 128 << 10;  // kRejectWrites by default
  std::unique_ptr<Stream> stream = *Stream::Create(o);
  Shard* shard = *stream->GetShard("shardId-000000000000");
  const std::string data(1000, 'd');
  std::vector<RoutedRecord> good(10, RoutedRecord{"k", data, 7, true});
  absl::StatusOr<SequenceNumber> s;
  for (int i = 0; i < 100 && (s = shard->Append(good)).ok(); ++i) {
  }
  REQUIRE(absl::IsResourceExhausted(s.status()));
  std::vector<RoutedRecord> bad = good;
  bad[3].partition_key = "";
  s = shard->Append(bad);
  BROOK_CHECK_CODE(s, kInvalidArgument);
  CHECK(s.status().message().find("record 3:") != absl::string_view::npos);
  // A bad key character is found after the stream refused the bytes.
  bad = good;
  bad[4].partition_key = "ab\xff";
  s = shard->Append(bad);
  BROOK_CHECK_CODE(s, kInvalidArgument);
  CHECK(s.status().message().find("record 4:") != absl::string_view::npos);
  // A valid key the fast checks do not take (not ASCII): full, not bad.
  std::vector<RoutedRecord> utf8 = good;
  utf8[5].partition_key = "caf\xc3\xa9";
  BROOK_CHECK_CODE(shard->Append(utf8), kResourceExhausted);
  BROOK_CHECK_CODE(shard->Append(good), kResourceExhausted);
}

TEST_CASE("Shard: a non-ASCII byte at any place of a key is seen",
          "[shard][append]") {
  std::unique_ptr<Stream> stream = OpenStream(false, 1 << 20, nullptr);
  Shard* shard = *stream->GetShard("shardId-000000000000");
  std::vector<std::pair<std::string, std::string>> stored;
  // Keys of every length up to 64 bytes (the copy reads them in words of
  // 1, 4, 8 and 16 bytes, overlapping): a lone 0xff anywhere is refused,
  // a two-byte UTF-8 character anywhere is accepted.
  for (size_t len = 1; len <= 64; ++len) {
    for (size_t at = 0; at < len; ++at) {
      INFO("key of " << len << " bytes, non-ASCII at " << at);
      std::string bad(len, 'a');
      bad[at] = '\xff';
      const std::vector<RoutedRecord> refused = {
          {"ok", "0", 0, true}, {bad, "1", 0, true}, {"ok", "2", 0, true}};
      absl::StatusOr<SequenceNumber> s = shard->Append(refused);
      BROOK_CHECK_CODE(s, kInvalidArgument);
      CHECK(s.status().message().find("record 1:") != absl::string_view::npos);
      if (at + 1 < len) {
        std::string good(len, 'a');
        good[at] = '\xc3';  // U+00E9
        good[at + 1] = '\xa9';
        const std::string d = absl::StrCat(len, "/", at);
        BROOK_REQUIRE_OK(
            shard->Append({{"ok", d, 0, true}, {good, d, 0, true}}));
        stored.emplace_back("ok", d);
        stored.emplace_back(good, d);
      }
    }
  }
  CHECK(ReadAll(stream.get(), shard->id()) == stored);
}

TEST_CASE("Shard: random batches are stored or refused as checked one by one",
          "[shard][append]") {
  const uint64_t seed = std::random_device()();
  std::printf("Shard random append checks: seed %llu\n",
              static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::unique_ptr<Stream> stream = OpenStream(false, 64 << 10, nullptr);
  Shard* shard = *stream->GetShard("shardId-000000000001");
  const HashKeyRange range = shard->hash_key_range();
  std::vector<std::pair<std::string, std::string>> stored;
  for (int round = 0; round < 300; ++round) {
    const size_t n = 1 + rng() % 200;
    std::vector<std::string> keys(n), data(n);
    std::vector<RoutedRecord> batch(n);
    bool valid = true;
    for (size_t i = 0; i < n; ++i) {
      // Mostly good records; now and then one of each kind of fault.
      const int kind = rng() % 400 == 0 ? 1 + static_cast<int>(rng() % 4) : 0;
      keys[i] = std::string(kind == 1 ? 0 : 1 + rng() % 40, 'k');
      for (char& c : keys[i]) c = static_cast<char>('a' + rng() % 26);
      if (kind == 2) keys[i][rng() % keys[i].size()] = '\x80';
      data[i] = std::string(kind == 3 ? 1000 : rng() % 300, 'd');
      HashKey hash = range.starting_hash_key + rng();
      if (kind == 4) hash = range.starting_hash_key - 1 - rng() % 1000;
      batch[i] = {keys[i], data[i], hash, true};
      const bool ok = range.Contains(hash) &&
                      keys[i].size() + data[i].size() <= 1000 &&
                      ValidatePartitionKey(keys[i]).ok();
      valid = valid && ok;
    }
    INFO("round " << round);
    absl::StatusOr<SequenceNumber> s = shard->Append(batch);
    CHECK(s.ok() == valid);
    if (s.ok()) {
      for (size_t i = 0; i < n; ++i) stored.emplace_back(keys[i], data[i]);
    } else {
      BROOK_CHECK_CODE(s, kInvalidArgument);
    }
  }
  CHECK(ReadAll(stream.get(), shard->id()) == stored);
}

}  // namespace
}  // namespace brook
