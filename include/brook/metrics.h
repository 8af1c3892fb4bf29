// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A stream's metrics: what went in and out of each shard, how long appends
// took, how records were batched, how far readers are behind, which
// partition keys are hot; as a snapshot (`Stream::GetMetrics()`), rendered as
// JSON (`MetricsToJson()`, what `brook stats` prints) or in the Prometheus
// text exposition format 0.0.4 (`MetricsToPrometheus()`), which an
// application serves on its own /metrics endpoint.
//
// Where the numbers come from: each shard keeps relaxed atomic counters
// (CloudWatch's per-shard "enhanced" metrics, kept in the process), updated
// once per append call and once per GetRecords call, never per record and
// never under a lock of their own; the hot-key summary is updated under the
// shard's append lock, which the append holds anyway. Counters start at zero
// when the `Stream` object is created or opened: they count what this
// process did, not what the directory holds (the `stored_*` fields do that).
//
// Thread safety: `Stream::GetMetrics()` may be called from any thread at any
// time; a snapshot reads each counter once, so counters of one snapshot may
// come from slightly different moments (a record may be counted in
// `records_in` and not yet in the batch histogram). Snapshots and the
// rendering functions are plain values and pure functions.
//
// Example (an HTTP handler of the application's own server):
//   brook::StreamMetricsSnapshot m = stream->GetMetrics();
//   m.producer = brook::ProducerMetricsFrom(async_producer->stats());
//   response.body = brook::MetricsToPrometheus({m});
//   response.content_type = brook::kPrometheusContentType;

#ifndef BROOK_METRICS_H_
#define BROOK_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/optional.h"
#include "absl/types/span.h"

#include "brook/export.h"

namespace brook {

struct AsyncProducerStats;

// Histogram buckets. Bucket i (0 <= i < kHistogramBuckets - 1) counts the
// values v with 2^(i-1) < v <= 2^i (bucket 0: v <= 1); the last bucket counts
// the values above 2^(kHistogramBuckets - 2). Fixed at build time, so the
// counters are plain arrays and the bucket of a value is one bit scan.
inline constexpr int kHistogramBuckets = 22;

// A histogram's state. `buckets[i]` is the number of values in bucket i (not
// cumulative; the Prometheus rendering makes them cumulative); `upper_bound(i)`
// gives its inclusive upper bound, INT64_MAX for the last. `count` is the sum
// of `buckets`, `sum` the sum of the values, in the histogram's unit.
struct HistogramSnapshot {
  std::vector<int64_t> buckets = std::vector<int64_t>(kHistogramBuckets, 0);
  int64_t count = 0;
  int64_t sum = 0;

  static int64_t upper_bound(int i);
};

// Most reader names (`GetRecordsOptions::reader`) a shard keeps an iterator
// age for; the names after these count only in the shard-wide figure.
inline constexpr int kMaxNamedReaders = 64;

// How far behind one named reader was at its latest GetRecords call on a
// shard (KCL's MillisBehindLatest, per worker and shard).
struct ReaderIteratorAge {
  std::string reader;  // GetRecordsOptions::reader
  int64_t iterator_age_millis = 0;
  int64_t last_read_millis = 0;  // Env clock, ms since the epoch
};

// One shard's metrics.
struct ShardMetricsSnapshot {
  std::string shard_id;
  bool open = true;  // false once a reshard closed it

  // Records and bytes (partition key plus data, as `max_record_bytes`
  // counts them) appended to the shard by this `Stream` object (Kinesis's
  // IncomingRecords / IncomingBytes), and returned to readers by its
  // GetRecords calls (OutgoingRecords / OutgoingBytes; stored records, before
  // any de-aggregation). Failed appends count nowhere.
  int64_t records_in = 0;
  int64_t bytes_in = 0;
  int64_t records_out = 0;
  int64_t bytes_out = 0;
  // Calls refused by the shard's throughput limit (Kinesis's
  // WriteProvisionedThroughputExceeded and ReadProvisionedThroughputExceeded,
  // together). Zero for a stream without limits.
  int64_t throttled_calls = 0;

  // Per successful append call (one `Shard::Append()`, or one shard's part
  // of a `PutRecords` call), not per record: its duration in microseconds,
  // waiting for the shard's lock included; empty when
  // `StreamOptions::metrics` is off. Timed on Abseil's clock
  // (`absl::GetCurrentTimeNanos()`, the real clock, not the `Env`'s, whose
  // unit is the millisecond), which costs under half a steady-clock read on
  // a virtual machine; a step of the system clock during a call distorts
  // that one sample (a step back counts as 0 us).
  HistogramSnapshot put_latency_micros;
  // Per successful append call: the records it appended.
  HistogramSnapshot batch_records;
  // Per KPL aggregate that a de-aggregating reader (`GetRecordsOptions::
  // deaggregate`) expanded: the user records it held. A damaged aggregate
  // counts nowhere.
  HistogramSnapshot aggregation_records;

  // Iterator age: how far behind the shard's newest record the latest
  // GetRecords call on the shard was, by any reader (Kinesis's
  // GetRecords.IteratorAgeMilliseconds: `GetRecordsResult::behind_latest()`,
  // in milliseconds of the `Env` clock); 0 at the tip, and before any read.
  // `last_read_millis` is when that call was made (Env clock; 0 for never).
  int64_t iterator_age_millis = 0;
  int64_t last_read_millis = 0;
  // The same per named reader (`GetRecordsOptions::reader`), by name: the
  // age at each reader's own latest call. In `StreamMetricsSnapshot::total`,
  // each reader's largest age over the shards and its latest read.
  std::vector<ReaderIteratorAge> readers;

  // What the shard holds now, whoever wrote it: records readers can reach
  // (retention's horizon to the end), the bytes of its frames, and its
  // segments. For a read-only stream these count only shards already read
  // (recovered; see `OpenMode::kReadOnly`): `stored_known` says which.
  bool stored_known = true;
  int64_t stored_records = 0;
  int64_t stored_bytes = 0;
  int64_t segments = 0;
  // Arrival time of the newest record (Env clock, ms); 0 if none.
  int64_t newest_arrival_millis = 0;
};

// One entry of the hot-key report.
struct HotKey {
  std::string partition_key;
  // Estimated records with this partition key since `since_millis`: at
  // least the true count, and at most `max_error` more (see
  // `StreamMetricsSnapshot::hot_keys`).
  int64_t count = 0;
  int64_t max_error = 0;
  // `count` per second of the Env clock since `since_millis`.
  double records_per_second = 0;
};

// The async producer's counters (`AsyncProducerStats`), for the renderings.
struct ProducerMetrics {
  int64_t records_put = 0;
  int64_t records_stored = 0;
  int64_t records_failed = 0;
  int64_t records_buffered = 0;  // accepted, not completed
  int64_t bytes_buffered = 0;
  int64_t batches_appended = 0;
  int64_t retries = 0;
};

// ProducerMetricsFrom()
//
// Copies an `AsyncProducer::stats()` into a `ProducerMetrics`, to put in
// `StreamMetricsSnapshot::producer` before rendering.
BROOK_EXPORT ProducerMetrics ProducerMetricsFrom(const AsyncProducerStats& s);

// A stream's metrics at one moment.
struct StreamMetricsSnapshot {
  std::string stream;  // StreamOptions::name
  // False when the snapshot has no live counters: a read-only `Stream`
  // (another process writes; its counters are in that process) or a
  // `Stream` subclass that does not keep them. Only the `stored_*` fields,
  // shard ids and `open` are then filled.
  bool live = false;
  // When the counters started (the stream's creation or open) and when the
  // snapshot was taken, on the `Env` clock (ms since the epoch).
  int64_t since_millis = 0;
  int64_t now_millis = 0;
  // Every shard, open and closed, in shard-id order.
  std::vector<ShardMetricsSnapshot> shards;
  // The per-stream view: the sums of the shards' counters and histograms,
  // the largest iterator age, the sum of the stored counts; `shard_id` is
  // empty.
  ShardMetricsSnapshot total;

  // The hot-key report: the partition keys with the most records appended
  // since `since_millis`, most first (ties by key), at most
  // `StreamOptions::hot_key_count` of them. Each shard keeps a space-saving
  // summary (Metwally et al., 2005) of k = `hot_key_count` counters of the
  // records it samples (every `hot_key_sample_every`-th record of each of its
  // appends, cycling across appends), and the report merges them.
  // Error bound, with S = `hot_key_sampled` and n = `hot_key_sample_every`:
  // every key sampled more than S/k times is in the report; a key's `count`
  // is n times its sampled count, plus up to n*S/k: the sampled count is
  // never under-estimated, and over-estimated by at most `max_error`/n <=
  // S/k. With n = 1 (no sampling) this is the exact statement:
  //   true count <= count <= true count + max_error <= true count + N/k,
  // N the records appended. With n > 1 the sampled count is itself an
  // estimate of true count / n (exact when a key's records are spread evenly
  // over appends; a pattern that repeats with period n can bias it).
  std::vector<HotKey> hot_keys;
  int64_t hot_key_sampled = 0;       // S
  int64_t hot_key_sample_every = 1;  // n

  // Set by the application (`ProducerMetricsFrom()`); the stream never sets
  // it. Rendered with the stream's label.
  absl::optional<ProducerMetrics> producer;
};

// The Content-Type of `MetricsToPrometheus()`'s output.
inline constexpr char kPrometheusContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// MetricsToPrometheus()
//
// Renders `streams` in the Prometheus text exposition format 0.0.4: one
// `# HELP` and `# TYPE` line per metric family, then its samples, every
// family once whatever the number of streams. Labels: `stream` and
// `shard_id` (per-shard families; sum them for the stream), `reader`
// (per named reader), `partition_key` (hot keys); label values are escaped (`\\`, `\"`, `\n`). Families (times in
// seconds, Prometheus's base unit):
//   brook_records_in_total, brook_bytes_in_total, brook_records_out_total,
//   brook_bytes_out_total, brook_throttled_calls_total      counters
//   brook_put_latency_seconds, brook_put_batch_records,
//   brook_aggregation_records    histograms (`_bucket{le=...}` cumulative,
//                                ending with le="+Inf", `_sum`, `_count`)
//   brook_iterator_age_seconds, brook_stored_records, brook_stored_bytes,
//   brook_segments               gauges (stored_*: shards with
//                                `stored_known` only)
//   brook_reader_iterator_age_seconds   gauge per shard and named reader
//   brook_hot_key_records, brook_hot_key_max_error    gauges per hot key
//   brook_producer_*             the producer's, when set
// Counters and histograms are rendered only for `live` snapshots. No
// timestamps. Output ends with a newline.
BROOK_EXPORT std::string MetricsToPrometheus(
    absl::Span<const StreamMetricsSnapshot> streams);

// MetricsToJson()
//
// Renders one snapshot as a JSON object (what `brook stats` prints): the
// fields above under their names ("stream", "live", "since_millis",
// "now_millis", "total", "shards", "hot_key_sampled",
// "hot_key_sample_every", "hot_keys", "producer" when set); a shard's
// counters and histograms only when `live`, its `stored_*` fields only when
// `stored_known`; histograms as {"count", "sum", "buckets": [{"le",
// "count"}, ...]} with only the non-empty buckets (not cumulative; "le" is
// null for the last); strings escaped as RFC 8259 says. Compact (no
// indentation); valid UTF-8 given valid UTF-8 names and keys (partition keys
// are: the stream checks them).
BROOK_EXPORT std::string MetricsToJson(const StreamMetricsSnapshot& metrics);

}  // namespace brook

#endif  // BROOK_METRICS_H_
