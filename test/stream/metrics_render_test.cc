// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The renderings of metrics.h: the Prometheus text exposition format 0.0.4,
// checked strictly by a small parser of the format (family names, HELP and
// TYPE once each and before their samples, counter and histogram suffixes,
// label syntax and escaping, cumulative buckets ending at +Inf equal to
// _count), and the JSON form, parsed back.

#include <cstdint>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"
#include "brook/metrics.h"

#include <nlohmann/json.hpp>

namespace brook {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  std::string value;
};

// Parses a label set `{a="x",b="y"}` at `text[*pos]`; false if malformed.
bool ParseLabels(const std::string& text, size_t* pos,
                 std::map<std::string, std::string>* labels) {
  static const std::regex kName("[a-zA-Z_][a-zA-Z0-9_]*");
  size_t i = *pos + 1;  // past '{'
  while (i < text.size() && text[i] != '}') {
    const size_t eq = text.find('=', i);
    if (eq == std::string::npos) return false;
    const std::string name = text.substr(i, eq - i);
    if (!std::regex_match(name, kName)) return false;
    if (eq + 1 >= text.size() || text[eq + 1] != '"') return false;
    std::string value;
    size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\') {
        ++j;
        if (j >= text.size()) return false;
        if (text[j] == 'n') {
          value.push_back('\n');
        } else if (text[j] == '\\' || text[j] == '"') {
          value.push_back(text[j]);
        } else {
          return false;  // no other escape exists
        }
      } else if (text[j] == '\n') {
        return false;
      } else {
        value.push_back(text[j]);
      }
    }
    if (j >= text.size()) return false;
    if (!labels->emplace(name, value).second) return false;  // repeated
    i = j + 1;
    if (i < text.size() && text[i] == ',') ++i;
  }
  if (i >= text.size()) return false;
  *pos = i + 1;
  return true;
}

// Checks `text` against the exposition format; returns the samples by
// family. Fails the test case on the first violation.
std::map<std::string, std::vector<Sample>> ParseExposition(
    const std::string& text) {
  static const std::regex kMetricName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kValue(
      R"(([-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN))");
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  std::map<std::string, std::vector<Sample>> families;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::string family, type, pending_help;
  for (absl::string_view view : absl::StrSplit(text, '\n')) {
    const std::string line(view);
    if (line.empty()) continue;  // the final newline
    INFO("line: " << line);
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string rest = line.substr(7);
      const std::string name = rest.substr(0, rest.find(' '));
      REQUIRE(std::regex_match(name, kMetricName));
      REQUIRE(helped.insert(name).second);     // once per family
      REQUIRE(rest.size() > name.size() + 1);  // some help text
      pending_help = name;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::vector<std::string> parts =
          absl::StrSplit(line.substr(7), ' ');
      REQUIRE(parts.size() == 2);
      REQUIRE(parts[0] == pending_help);  // HELP right before TYPE
      REQUIRE(types.count(parts[0]) == 0);
      REQUIRE((parts[1] == "counter" || parts[1] == "gauge" ||
               parts[1] == "histogram"));
      if (parts[1] == "counter") {
        REQUIRE(parts[0].size() > 6);
        REQUIRE(parts[0].substr(parts[0].size() - 6) == "_total");
      }
      family = parts[0];
      type = parts[1];
      types[family] = type;
      families[family];
      pending_help.clear();
      continue;
    }
    REQUIRE(line[0] != '#');
    Sample s;
    size_t pos = line.find_first_of("{ ");
    REQUIRE(pos != std::string::npos);
    s.name = line.substr(0, pos);
    REQUIRE(std::regex_match(s.name, kMetricName));
    if (line[pos] == '{') REQUIRE(ParseLabels(line, &pos, &s.labels));
    REQUIRE(pos < line.size());
    REQUIRE(line[pos] == ' ');
    s.value = line.substr(pos + 1);
    REQUIRE(std::regex_match(s.value, kValue));  // no timestamp
    // The sample belongs to the family last declared.
    if (type == "histogram") {
      REQUIRE((s.name == family + "_bucket" || s.name == family + "_sum" ||
               s.name == family + "_count"));
      REQUIRE((s.name == family + "_bucket") == (s.labels.count("le") == 1));
    } else {
      REQUIRE(s.name == family);
      REQUIRE(s.labels.count("le") == 0);
    }
    families[family].push_back(s);
  }
  // Histograms: per label set, buckets in increasing `le`, cumulative
  // (never decreasing), the last le="+Inf" and equal to _count.
  for (const auto& [name, samples] : families) {
    if (types[name] != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<Sample>> series;
    for (const Sample& s : samples) {
      std::map<std::string, std::string> key = s.labels;
      key.erase("le");
      series[key].push_back(s);
    }
    for (const auto& [labels, list] : series) {
      INFO("histogram " << name);
      double last_le = -1;
      double last_count = 0;
      std::string inf_count, count;
      for (const Sample& s : list) {
        if (s.name == name + "_bucket") {
          REQUIRE(inf_count.empty());  // +Inf is the last bucket
          const std::string& le = s.labels.at("le");
          const double c = std::stod(s.value);
          REQUIRE(c >= last_count);
          last_count = c;
          if (le == "+Inf") {
            inf_count = s.value;
          } else {
            const double v = std::stod(le);
            REQUIRE(v > last_le);
            last_le = v;
          }
        } else if (s.name == name + "_count") {
          count = s.value;
        }
      }
      REQUIRE(!inf_count.empty());
      REQUIRE(inf_count == count);
    }
  }
  return families;
}

StreamMetricsSnapshot Example(const std::string& name) {
  StreamMetricsSnapshot m;
  m.stream = name;
  m.live = true;
  m.since_millis = 1000;
  m.now_millis = 3000;
  for (int i = 0; i < 2; ++i) {
    ShardMetricsSnapshot& s = m.shards.emplace_back();
    s.shard_id = "shardId-00000000000" + std::to_string(i);
    s.records_in = 7 + i;
    s.bytes_in = 700;
    s.throttled_calls = i;
    s.put_latency_micros.buckets[0] = 1;                      // <= 1 us
    s.put_latency_micros.buckets[4] = 2;                      // (8, 16] us
    s.put_latency_micros.buckets[kHistogramBuckets - 1] = 1;  // > ~1 s
    s.put_latency_micros.count = 4;
    s.put_latency_micros.sum = 2'000'031;
    s.batch_records.buckets[3] = 3;
    s.batch_records.count = 3;
    s.batch_records.sum = 20;
    s.iterator_age_millis = 1500;
    s.readers.push_back({"worker \"1\"", 250, 2900});
    s.stored_records = 7;
    s.stored_known = i == 0;
  }
  m.hot_keys.push_back({"a\"b\\c\nd", 12, 3, 6.0});
  m.hot_keys.push_back({"plain", 5, 0, 2.5});
  return m;
}

TEST_CASE("MetricsToPrometheus: strict exposition format 0.0.4",
          "[metrics][prometheus]") {
  StreamMetricsSnapshot first = Example("orders \"eu\"\\west\n");
  StreamMetricsSnapshot second = Example("clicks");
  second.live = false;  // a read-only view: gauges of what it stores only
  AsyncProducerStats stats;
  stats.records_put = 10;
  stats.records_buffered = 4;
  first.producer = ProducerMetricsFrom(stats);
  const std::string text = MetricsToPrometheus({first, second});
  INFO(text);
  const auto families = ParseExposition(text);

  // Exact lines: label escaping, units, cumulative buckets.
  const std::string labels0 =
      R"({stream="orders \"eu\"\\west\n",shard_id="shardId-000000000000")";
  for (
      const std::string& line : std::vector<std::string>{
          "brook_records_in_total" + labels0 + "} 7",
          "brook_throttled_calls_total" + labels0 + "} 0",
          "brook_put_latency_seconds_bucket" + labels0 + R"(,le="0.000001"} 1)",
          "brook_put_latency_seconds_bucket" + labels0 + R"(,le="0.000008"} 1)",
          "brook_put_latency_seconds_bucket" + labels0 + R"(,le="0.000016"} 3)",
          "brook_put_latency_seconds_bucket" + labels0 + R"(,le="1.048576"} 3)",
          "brook_put_latency_seconds_bucket" + labels0 + R"(,le="+Inf"} 4)",
          "brook_put_latency_seconds_sum" + labels0 + "} 2.000031",
          "brook_put_latency_seconds_count" + labels0 + "} 4",
          "brook_put_batch_records_bucket" + labels0 + R"(,le="8"} 3)",
          "brook_iterator_age_seconds" + labels0 + "} 1.5",
          "brook_reader_iterator_age_seconds" + labels0 +
              R"(,reader="worker \"1\""} 0.25)",
          "brook_stored_records" + labels0 + "} 7",
          R"(brook_hot_key_records{stream="clicks",partition_key="a\"b\\c\nd"} 12)",
          R"(brook_hot_key_max_error{stream="clicks",partition_key="plain"} 0)",
          R"(brook_producer_buffered_records{stream="orders \"eu\"\\west\n"} 4)",
          R"(brook_producer_records_put_total{stream="orders \"eu\"\\west\n"} 10)",
          "# TYPE brook_put_latency_seconds histogram",
          "# TYPE brook_records_in_total counter",
          "# TYPE brook_stored_records gauge",
      }) {
    INFO("expected line: " << line);
    CHECK(text.find("\n" + line + "\n") != std::string::npos);
  }
  // Counters of the live stream only, both its shards.
  CHECK(families.at("brook_records_in_total").size() == 2);
  for (const Sample& s : families.at("brook_records_in_total")) {
    CHECK(s.labels.at("stream") == "orders \"eu\"\\west\n");
  }
  // Stored gauges only where known: shard 0 of each stream.
  CHECK(families.at("brook_stored_records").size() == 2);
  // Hot keys of both, the escaped key read back as it was.
  CHECK(families.at("brook_hot_key_records").size() == 4);
  CHECK(families.at("brook_hot_key_records")[0].labels.at("partition_key") ==
        "a\"b\\c\nd");
  // The le values are the documented bounds: 2^i microseconds in seconds.
  std::vector<std::string> les;
  for (const Sample& s : families.at("brook_put_latency_seconds")) {
    if (s.name == "brook_put_latency_seconds_bucket" &&
        s.labels.at("shard_id") == "shardId-000000000000") {
      les.push_back(s.labels.at("le"));
    }
  }
  REQUIRE(les.size() == kHistogramBuckets);
  for (int i = 0; i + 1 < kHistogramBuckets; ++i) {
    CHECK(std::stod(les[i]) * 1e6 ==
          Approx(static_cast<double>(HistogramSnapshot::upper_bound(i))));
  }
}

TEST_CASE("MetricsToPrometheus: no streams, and no producer, still valid",
          "[metrics][prometheus]") {
  const std::string empty = MetricsToPrometheus({});
  const auto families = ParseExposition(empty);
  CHECK(families.count("brook_records_in_total") == 1);
  CHECK(families.count("brook_producer_buffered_records") == 0);
  ParseExposition(MetricsToPrometheus({Example("s")}));
}

TEST_CASE("MetricsToJson: parses back with the documented fields",
          "[metrics][json]") {
  StreamMetricsSnapshot m = Example("orders \"eu\"\n");
  m.total.records_in = 15;
  m.total.stored_known = false;
  m.producer = ProducerMetrics{};
  m.producer->records_buffered = 4;
  const std::string text = MetricsToJson(m);
  INFO(text);
  const nlohmann::json j = nlohmann::json::parse(text);
  CHECK(j.at("stream") == "orders \"eu\"\n");
  CHECK(j.at("live") == true);
  CHECK(j.at("now_millis") == 3000);
  CHECK(j.at("total").at("records_in") == 15);
  CHECK(j.at("total").count("shard_id") == 0);
  CHECK(j.at("total").count("stored_records") == 0);  // not known
  const nlohmann::json& s0 = j.at("shards").at(0);
  CHECK(s0.at("shard_id") == "shardId-000000000000");
  CHECK(s0.at("records_in") == 7);
  CHECK(s0.at("stored_records") == 7);
  CHECK(s0.at("put_latency_micros").at("count") == 4);
  CHECK(s0.at("put_latency_micros").at("buckets").size() == 3);
  CHECK(s0.at("put_latency_micros").at("buckets").at(1).at("le") == 16);
  CHECK(s0.at("put_latency_micros").at("buckets").at(2).at("le") == nullptr);
  CHECK(j.at("shards").at(1).count("stored_records") == 0);
  CHECK(s0.at("readers").size() == 1);
  CHECK(s0.at("readers").at(0).at("reader") == "worker \"1\"");
  CHECK(s0.at("readers").at(0).at("iterator_age_millis") == 250);
  CHECK(s0.at("readers").at(0).at("last_read_millis") == 2900);
  CHECK(j.at("hot_keys").at(0).at("partition_key") == "a\"b\\c\nd");
  CHECK(j.at("hot_keys").at(0).at("max_error") == 3);
  CHECK(j.at("hot_keys").at(1).at("records_per_second") == 2.5);
  CHECK(j.at("producer").at("records_buffered") == 4);

  m.live = false;
  const nlohmann::json ro = nlohmann::json::parse(MetricsToJson(m));
  CHECK(ro.at("shards").at(0).count("records_in") == 0);
  CHECK(ro.at("shards").at(0).at("stored_records") == 7);
}

}  // namespace
}  // namespace brook
