// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The hot-key report (metrics.h) against exact counts of a skewed (Zipf)
// stream, within the bound the header states; and the space-saving summary
// (lib/util/space_saving.h) on its own, through many counter take-overs.
// Randomized: the seed is printed with each failure; set BROOK_TEST_SEED to
// replay one.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/metrics.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/status_testing.h"
#include "util/space_saving.h"

namespace brook {
namespace {

uint64_t Seed() {
  if (const char* s = std::getenv("BROOK_TEST_SEED")) {
    return std::strtoull(s, nullptr, 10);
  }
  return std::random_device()();
}

// Keys "key-0" .. "key-(n-1)", key i drawn with probability ~ 1/(i+1)^s.
class Zipf {
 public:
  Zipf(int n, double s) {
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      sum += 1.0 / std::pow(i + 1, s);
      cdf_.push_back(sum);
    }
    for (double& c : cdf_) c /= sum;
  }
  int Next(std::mt19937_64& rng) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<int>(
        std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

TEST_CASE("Hot keys: Zipf stream within N/k of the exact counts",
          "[metrics][hotkeys]") {
  const uint64_t seed = Seed();
  INFO("seed " << seed << " (BROOK_TEST_SEED=" << seed << " replays it)");
  std::mt19937_64 rng(seed);
  const int k = GENERATE(8, 32);
  const int shards = GENERATE(1, 4);
  INFO("k " << k << ", shards " << shards);
  ManualClockEnv env(0);
  StreamOptions options;
  options.shard_count = shards;
  options.env = &env;
  options.hot_key_count = k;
  options.hot_key_sample_every = 1;
  std::unique_ptr<Stream> stream = *Stream::Create(options);
  Producer producer(stream.get());

  Zipf zipf(5000, 1.1);
  std::map<std::string, int64_t> exact;
  int64_t n = 0;
  std::vector<std::string> keys(500);
  std::vector<PutRecordsEntry> batch(500);
  for (int call = 0; call < 80; ++call) {
    for (size_t i = 0; i < batch.size(); ++i) {
      keys[i] = absl::StrCat("key-", zipf.Next(rng));
      batch[i] = {keys[i], "v", ""};
      ++exact[keys[i]];
    }
    absl::StatusOr<PutRecordsResult> r = producer.PutRecords(batch);
    BROOK_REQUIRE_OK(r);
    REQUIRE(r->failed_record_count == 0);
    n += static_cast<int64_t>(batch.size());
  }
  env.SetNowMillis(10'000);

  const StreamMetricsSnapshot m = stream->GetMetrics();
  CHECK(m.hot_key_sampled == n);
  CHECK(m.hot_key_sample_every == 1);
  REQUIRE(m.hot_keys.size() == static_cast<size_t>(k));
  std::set<std::string> reported;
  for (size_t i = 0; i < m.hot_keys.size(); ++i) {
    const HotKey& h = m.hot_keys[i];
    INFO("key " << h.partition_key << " count " << h.count << " error "
                << h.max_error << " exact " << exact[h.partition_key]);
    reported.insert(h.partition_key);
    // true <= count <= true + max_error, and max_error <= N/k.
    CHECK(h.count >= exact[h.partition_key]);
    CHECK(h.count - exact[h.partition_key] <= h.max_error);
    CHECK(h.max_error * k <= n);
    CHECK(h.records_per_second == Approx(h.count / 10.0));
    if (i > 0) CHECK(m.hot_keys[i - 1].count >= h.count);
  }
  // Every key with more than N/k records is reported.
  for (const auto& [key, count] : exact) {
    if (count * k > n) {
      INFO("key " << key << " exact " << count);
      CHECK(reported.count(key) == 1);
    }
  }
  // The hottest key is found whatever k.
  CHECK(m.hot_keys[0].partition_key == "key-0");
}

TEST_CASE("Hot keys: sampling counts every n-th record and scales by n",
          "[metrics][hotkeys]") {
  ManualClockEnv env(0);
  StreamOptions options;
  options.env = &env;
  options.hot_key_count = 4;
  options.hot_key_sample_every = 3;
  std::unique_ptr<Stream> stream = *Stream::Create(options);
  Producer producer(stream.get());
  // 7 appends of 5 records: 35 records, every third sampled across appends.
  for (int call = 0; call < 7; ++call) {
    std::vector<PutRecordsEntry> batch(5, PutRecordsEntry{"hot", "v", ""});
    BROOK_REQUIRE_OK(producer.PutRecords(batch));
  }
  const StreamMetricsSnapshot m = stream->GetMetrics();
  CHECK(m.hot_key_sampled == 12);  // records 0, 3, ..., 33
  CHECK(m.hot_key_sample_every == 3);
  REQUIRE(m.hot_keys.size() == 1);
  CHECK(m.hot_keys[0].partition_key == "hot");
  CHECK(m.hot_keys[0].count == 36);
  CHECK(m.hot_keys[0].max_error == 0);
}

TEST_CASE("Hot keys: off with hot_key_count 0", "[metrics][hotkeys]") {
  StreamOptions options;
  options.hot_key_count = 0;
  std::unique_ptr<Stream> stream = *Stream::Create(options);
  BROOK_REQUIRE_OK(Producer(stream.get()).PutRecord("k", "v"));
  const StreamMetricsSnapshot m = stream->GetMetrics();
  CHECK(m.hot_keys.empty());
  CHECK(m.hot_key_sampled == 0);
  CHECK(m.total.records_in == 1);
}

TEST_CASE("SpaceSaving: invariants through many take-overs", "[hotkeys]") {
  const uint64_t seed = Seed();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const size_t k = GENERATE(1, 2, 7, 64);
  INFO("k " << k);
  internal::SpaceSaving summary(k);
  std::map<std::string, int64_t> exact;
  // Mostly distinct keys (constant take-overs), some repeated; a weak hash
  // (few distinct values) makes long probe runs and collisions.
  for (int i = 0; i < 20000; ++i) {
    const std::string key =
        absl::StrCat("k", rng() % 4 == 0 ? rng() % 8 : rng() % 100000,
                     "-long-enough-to-heap");
    summary.Add(key, absl::Hash<std::string>()(key) % 13);
    ++exact[key];
  }
  CHECK(summary.total() == 20000);
  const std::vector<internal::SpaceSaving::Entry> entries = summary.Entries();
  REQUIRE(entries.size() == k);
  int64_t sum = 0;
  std::set<std::string> keys;
  int64_t min_count = INT64_MAX;
  for (const internal::SpaceSaving::Entry& e : entries) {
    INFO("key " << e.key << " count " << e.count << " error " << e.error);
    CHECK(keys.insert(e.key).second);  // each key monitored once
    CHECK(e.count >= exact[e.key]);
    CHECK(e.count - e.error <= exact[e.key]);
    CHECK(e.error * static_cast<int64_t>(k) <= summary.total());
    sum += e.count;
    min_count = std::min(min_count, e.count);
  }
  // Space-saving keeps the counts summing to N once every counter is used.
  CHECK(sum == summary.total());
  CHECK(summary.floor() == min_count);
  // A key counted again after all that is found, not taken over twice.
  const std::string again = entries[0].key;
  const int64_t before = entries[0].count;
  summary.Add(again, absl::Hash<std::string>()(again) % 13);
  for (const internal::SpaceSaving::Entry& e : summary.Entries()) {
    if (e.key == again) CHECK(e.count == before + 1);
  }
}

}  // namespace
}  // namespace brook
