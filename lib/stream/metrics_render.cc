// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The renderings of metrics.h: Prometheus text exposition format 0.0.4 and
// JSON. Pure functions of the snapshots.

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "brook/metrics.h"

namespace brook {
namespace {

// `n` millionths as an exact decimal ("0.000016", "1.048576", "3").
std::string Millionths(int64_t n) {
  const bool negative = n < 0;
  const uint64_t u =
      negative ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string out = absl::StrCat(negative ? "-" : "", u / 1000000);
  uint64_t frac = u % 1000000;
  if (frac == 0) return out;
  std::string digits = absl::StrCat(frac);
  digits.insert(0, 6 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return absl::StrCat(out, ".", digits);
}

// Prometheus label values: backslash, double quote and line feed escaped.
void AppendLabelValue(std::string* out, absl::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

// `{stream="...",shard_id="..."` without the closing brace, so that a
// histogram can add `le`.
std::string Labels(absl::string_view stream, absl::string_view key,
                   absl::string_view value) {
  std::string out = "{stream=\"";
  AppendLabelValue(&out, stream);
  out.push_back('"');
  if (!key.empty()) {
    absl::StrAppend(&out, ",", key, "=\"");
    AppendLabelValue(&out, value);
    out.push_back('"');
  }
  return out;
}

void Family(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type,
                  "\n");
}

void Sample(std::string* out, absl::string_view name, const std::string& labels,
            absl::string_view value) {
  absl::StrAppend(out, name, labels, "} ", value, "\n");
}

enum class Scale { kOne, kMicros };

void HistogramSamples(std::string* out, absl::string_view name,
                      const std::string& labels, const HistogramSnapshot& h,
                      Scale scale) {
  int64_t cumulative = 0;
  for (int i = 0; i < kHistogramBuckets; ++i) {
    cumulative += h.buckets[i];
    std::string le;
    if (i == kHistogramBuckets - 1) {
      le = "+Inf";
    } else if (scale == Scale::kMicros) {
      le = Millionths(HistogramSnapshot::upper_bound(i));
    } else {
      le = absl::StrCat(HistogramSnapshot::upper_bound(i));
    }
    absl::StrAppend(out, name, "_bucket", labels, ",le=\"", le, "\"} ",
                    cumulative, "\n");
  }
  absl::StrAppend(
      out, name, "_sum", labels, "} ",
      scale == Scale::kMicros ? Millionths(h.sum) : absl::StrCat(h.sum), "\n");
  absl::StrAppend(out, name, "_count", labels, "} ", h.count, "\n");
}

struct CounterFamily {
  const char* name;
  const char* help;
  int64_t ShardMetricsSnapshot::*field;
};

constexpr CounterFamily kCounters[] = {
    {"brook_records_in_total", "Records appended to the shard.",
     &ShardMetricsSnapshot::records_in},
    {"brook_bytes_in_total",
     "Partition key and data bytes appended to the shard.",
     &ShardMetricsSnapshot::bytes_in},
    {"brook_records_out_total", "Records GetRecords returned from the shard.",
     &ShardMetricsSnapshot::records_out},
    {"brook_bytes_out_total",
     "Partition key and data bytes GetRecords returned from the shard.",
     &ShardMetricsSnapshot::bytes_out},
    {"brook_throttled_calls_total",
     "Calls refused by the shard's throughput limit.",
     &ShardMetricsSnapshot::throttled_calls},
};

struct HistogramFamily {
  const char* name;
  const char* help;
  HistogramSnapshot ShardMetricsSnapshot::*field;
  Scale scale;
};

constexpr HistogramFamily kHistograms[] = {
    {"brook_put_latency_seconds", "Duration of an append call to the shard.",
     &ShardMetricsSnapshot::put_latency_micros, Scale::kMicros},
    {"brook_put_batch_records", "Records per append call to the shard.",
     &ShardMetricsSnapshot::batch_records, Scale::kOne},
    {"brook_aggregation_records",
     "User records per KPL aggregate expanded by de-aggregating readers.",
     &ShardMetricsSnapshot::aggregation_records, Scale::kOne},
};

constexpr CounterFamily kStoredGauges[] = {
    {"brook_stored_records", "Records the shard's kept segments hold.",
     &ShardMetricsSnapshot::stored_records},
    {"brook_stored_bytes", "Bytes of the frames in the shard's segments.",
     &ShardMetricsSnapshot::stored_bytes},
    {"brook_segments", "Segments the shard keeps.",
     &ShardMetricsSnapshot::segments},
};

struct ProducerFamily {
  const char* name;
  const char* type;
  const char* help;
  int64_t ProducerMetrics::*field;
};

constexpr ProducerFamily kProducer[] = {
    {"brook_producer_records_put_total", "counter",
     "Records the async producer accepted.", &ProducerMetrics::records_put},
    {"brook_producer_records_stored_total", "counter",
     "Records the async producer stored.", &ProducerMetrics::records_stored},
    {"brook_producer_records_failed_total", "counter",
     "Records the async producer failed.", &ProducerMetrics::records_failed},
    {"brook_producer_batches_appended_total", "counter",
     "Batches the async producer appended.",
     &ProducerMetrics::batches_appended},
    {"brook_producer_retries_total", "counter",
     "Appends the async producer retried.", &ProducerMetrics::retries},
    {"brook_producer_buffered_records", "gauge",
     "Records accepted by the async producer and not yet completed.",
     &ProducerMetrics::records_buffered},
    {"brook_producer_buffered_bytes", "gauge",
     "Bytes accepted by the async producer and not yet completed.",
     &ProducerMetrics::bytes_buffered},
};

// JSON.
void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"') {
      out->append("\\\"");
    } else if (c == '\\') {
      out->append("\\\\");
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 15]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendJsonHistogram(std::string* out, const HistogramSnapshot& h) {
  absl::StrAppend(out, "{\"count\":", h.count, ",\"sum\":", h.sum,
                  ",\"buckets\":[");
  bool first = true;
  for (int i = 0; i < kHistogramBuckets; ++i) {
    if (h.buckets[i] == 0) continue;
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"le\":");
    if (i == kHistogramBuckets - 1) {
      out->append("null");
    } else {
      absl::StrAppend(out, HistogramSnapshot::upper_bound(i));
    }
    absl::StrAppend(out, ",\"count\":", h.buckets[i], "}");
  }
  out->append("]}");
}

void AppendJsonShard(std::string* out, const ShardMetricsSnapshot& s,
                     bool live) {
  out->push_back('{');
  if (!s.shard_id.empty()) {
    out->append("\"shard_id\":");
    AppendJsonString(out, s.shard_id);
    absl::StrAppend(out, ",\"open\":", s.open ? "true" : "false", ",");
  }
  if (live) {
    absl::StrAppend(
        out, "\"records_in\":", s.records_in, ",\"bytes_in\":", s.bytes_in,
        ",\"records_out\":", s.records_out, ",\"bytes_out\":", s.bytes_out,
        ",\"throttled_calls\":", s.throttled_calls, ",\"put_latency_micros\":");
    AppendJsonHistogram(out, s.put_latency_micros);
    out->append(",\"batch_records\":");
    AppendJsonHistogram(out, s.batch_records);
    out->append(",\"aggregation_records\":");
    AppendJsonHistogram(out, s.aggregation_records);
    absl::StrAppend(out, ",\"iterator_age_millis\":", s.iterator_age_millis,
                    ",\"last_read_millis\":", s.last_read_millis,
                    ",\"readers\":[");
    for (size_t i = 0; i < s.readers.size(); ++i) {
      out->append(i == 0 ? "{\"reader\":" : ",{\"reader\":");
      AppendJsonString(out, s.readers[i].reader);
      absl::StrAppend(
          out, ",\"iterator_age_millis\":", s.readers[i].iterator_age_millis,
          ",\"last_read_millis\":", s.readers[i].last_read_millis, "}");
    }
    out->append("],");
  }
  absl::StrAppend(out, "\"stored_known\":", s.stored_known ? "true" : "false");
  if (s.stored_known) {
    absl::StrAppend(out, ",\"stored_records\":", s.stored_records,
                    ",\"stored_bytes\":", s.stored_bytes,
                    ",\"segments\":", s.segments,
                    ",\"newest_arrival_millis\":", s.newest_arrival_millis);
  }
  out->push_back('}');
}

}  // namespace

std::string MetricsToPrometheus(
    absl::Span<const StreamMetricsSnapshot> streams) {
  std::string out;
  for (const CounterFamily& f : kCounters) {
    Family(&out, f.name, "counter", f.help);
    for (const StreamMetricsSnapshot& m : streams) {
      if (!m.live) continue;
      for (const ShardMetricsSnapshot& s : m.shards) {
        Sample(&out, f.name, Labels(m.stream, "shard_id", s.shard_id),
               absl::StrCat(s.*f.field));
      }
    }
  }
  for (const HistogramFamily& f : kHistograms) {
    Family(&out, f.name, "histogram", f.help);
    for (const StreamMetricsSnapshot& m : streams) {
      if (!m.live) continue;
      for (const ShardMetricsSnapshot& s : m.shards) {
        HistogramSamples(&out, f.name, Labels(m.stream, "shard_id", s.shard_id),
                         s.*f.field, f.scale);
      }
    }
  }
  Family(&out, "brook_iterator_age_seconds", "gauge",
         "How far behind the shard's newest record its latest GetRecords "
         "call was.");
  for (const StreamMetricsSnapshot& m : streams) {
    if (!m.live) continue;
    for (const ShardMetricsSnapshot& s : m.shards) {
      Sample(&out, "brook_iterator_age_seconds",
             Labels(m.stream, "shard_id", s.shard_id),
             Millionths(s.iterator_age_millis * 1000));
    }
  }
  Family(&out, "brook_reader_iterator_age_seconds", "gauge",
         "How far behind the shard's newest record a named reader's latest "
         "GetRecords call on the shard was.");
  for (const StreamMetricsSnapshot& m : streams) {
    if (!m.live) continue;
    for (const ShardMetricsSnapshot& s : m.shards) {
      for (const ReaderIteratorAge& r : s.readers) {
        std::string labels = Labels(m.stream, "shard_id", s.shard_id);
        labels.append(",reader=\"");
        AppendLabelValue(&labels, r.reader);
        labels.push_back('"');
        Sample(&out, "brook_reader_iterator_age_seconds", labels,
               Millionths(r.iterator_age_millis * 1000));
      }
    }
  }
  for (const CounterFamily& f : kStoredGauges) {
    Family(&out, f.name, "gauge", f.help);
    for (const StreamMetricsSnapshot& m : streams) {
      for (const ShardMetricsSnapshot& s : m.shards) {
        if (!s.stored_known) continue;
        Sample(&out, f.name, Labels(m.stream, "shard_id", s.shard_id),
               absl::StrCat(s.*f.field));
      }
    }
  }
  struct HotKeyFamily {
    const char* name;
    const char* help;
    int64_t HotKey::*field;
  };
  static constexpr HotKeyFamily kHotKeyFamilies[] = {
      {"brook_hot_key_records",
       "Estimated records of a hot partition key since the stream was "
       "opened (an over-estimate by at most brook_hot_key_max_error).",
       &HotKey::count},
      {"brook_hot_key_max_error",
       "Most by which brook_hot_key_records over-estimates the key's "
       "records.",
       &HotKey::max_error},
  };
  for (const HotKeyFamily& f : kHotKeyFamilies) {
    Family(&out, f.name, "gauge", f.help);
    for (const StreamMetricsSnapshot& m : streams) {
      for (const HotKey& k : m.hot_keys) {
        Sample(&out, f.name, Labels(m.stream, "partition_key", k.partition_key),
               absl::StrCat(k.*f.field));
      }
    }
  }
  bool producer = false;
  for (const StreamMetricsSnapshot& m : streams) {
    producer = producer || m.producer.has_value();
  }
  if (producer) {
    for (const ProducerFamily& f : kProducer) {
      Family(&out, f.name, f.type, f.help);
      for (const StreamMetricsSnapshot& m : streams) {
        if (!m.producer.has_value()) continue;
        Sample(&out, f.name, Labels(m.stream, "", ""),
               absl::StrCat((*m.producer).*f.field));
      }
    }
  }
  return out;
}

std::string MetricsToJson(const StreamMetricsSnapshot& m) {
  std::string out = "{\"stream\":";
  AppendJsonString(&out, m.stream);
  absl::StrAppend(&out, ",\"live\":", m.live ? "true" : "false",
                  ",\"since_millis\":", m.since_millis,
                  ",\"now_millis\":", m.now_millis, ",\"total\":");
  AppendJsonShard(&out, m.total, m.live);
  out.append(",\"shards\":[");
  for (size_t i = 0; i < m.shards.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonShard(&out, m.shards[i], m.live);
  }
  absl::StrAppend(&out, "],\"hot_key_sampled\":", m.hot_key_sampled,
                  ",\"hot_key_sample_every\":", m.hot_key_sample_every,
                  ",\"hot_keys\":[");
  for (size_t i = 0; i < m.hot_keys.size(); ++i) {
    const HotKey& k = m.hot_keys[i];
    if (i > 0) out.push_back(',');
    out.append("{\"partition_key\":");
    AppendJsonString(&out, k.partition_key);
    absl::StrAppend(&out, ",\"count\":", k.count,
                    ",\"max_error\":", k.max_error,
                    ",\"records_per_second\":", k.records_per_second, "}");
  }
  out.push_back(']');
  if (m.producer.has_value()) {
    const ProducerMetrics& p = *m.producer;
    absl::StrAppend(&out, ",\"producer\":{\"records_put\":", p.records_put,
                    ",\"records_stored\":", p.records_stored,
                    ",\"records_failed\":", p.records_failed,
                    ",\"records_buffered\":", p.records_buffered,
                    ",\"bytes_buffered\":", p.bytes_buffered,
                    ",\"batches_appended\":", p.batches_appended,
                    ",\"retries\":", p.retries, "}");
  }
  out.push_back('}');
  return out;
}

}  // namespace brook
