// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer: its options checked, each range named, and Create().

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "brook/async_producer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "produce/async_producer_impl.h"

namespace brook {
namespace {

absl::Status OutOfRange(absl::string_view option, absl::string_view value,
                        absl::string_view range) {
  return absl::InvalidArgumentError(absl::StrCat("async producer option ",
                                                 option, ": ", value,
                                                 " is out of range ", range));
}

absl::Status CheckDuration(absl::string_view option, absl::Duration value,
                           absl::Duration lo, absl::Duration hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return OutOfRange(option, absl::FormatDuration(value),
                    absl::StrCat("[", absl::FormatDuration(lo), ", ",
                                 absl::FormatDuration(hi), "]"));
}

absl::Status CheckInt(absl::string_view option, int64_t value, int64_t lo,
                      int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return OutOfRange(option, absl::StrCat(value),
                    absl::StrCat("[", lo, ", ", hi, "]"));
}

absl::Status CheckOptions(const AsyncProducerOptions& o,
                          int64_t max_record_bytes) {
  const absl::Duration hour = absl::Hours(1);
  const absl::Duration ms = absl::Milliseconds(1);
  absl::Status s =
      CheckDuration("linger", o.linger, absl::ZeroDuration(), hour);
  if (s.ok()) s = CheckInt("max_batch_records", o.max_batch_records, 1, 100000);
  if (s.ok()) {
    s = CheckInt("max_batch_bytes", o.max_batch_bytes, 1, int64_t{64} << 20);
  }
  if (s.ok()) {
    s = CheckInt("max_buffered_records", o.max_buffered_records, 1,
                 std::numeric_limits<int32_t>::max());
  }
  if (s.ok()) {
    const int64_t lo = std::max(o.max_batch_bytes, max_record_bytes);
    s = CheckInt("max_buffered_bytes", o.max_buffered_bytes, lo,
                 std::numeric_limits<int64_t>::max());
  }
  if (s.ok() && o.put_timeout < absl::ZeroDuration()) {
    s = OutOfRange("put_timeout", absl::FormatDuration(o.put_timeout),
                   "[0, inf]");
  }
  if (s.ok()) {
    s = CheckDuration("record_ttl", o.record_ttl, ms, absl::InfiniteDuration());
  }
  if (s.ok()) s = CheckDuration("min_backoff", o.min_backoff, ms, hour);
  if (s.ok()) {
    s = CheckDuration("max_backoff", o.max_backoff, o.min_backoff, hour);
  }
  if (s.ok()) {
    s = CheckInt("aggregation_max_count", o.aggregation_max_count, 1,
                 int64_t{4294967295});
  }
  if (s.ok()) {
    s = CheckInt("aggregation_max_bytes", o.aggregation_max_bytes, 64,
                 std::numeric_limits<int64_t>::max());
  }
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AsyncProducer>> AsyncProducer::Create(
    Stream* stream, const AsyncProducerOptions& options) {
  if (stream == nullptr) {
    return absl::InvalidArgumentError("async producer: stream is null");
  }
  const int64_t max_record_bytes = stream->options().max_record_bytes;
  absl::Status s = CheckOptions(options, max_record_bytes);
  if (!s.ok()) return s;
  if (stream->closed()) {
    return absl::FailedPreconditionError(
        "async producer: the stream is closed");
  }
  Env* env = options.env != nullptr ? options.env : Env::Default();
  auto impl = std::make_unique<Impl>(stream, options, env, max_record_bytes);
  s = impl->Start();
  if (!s.ok()) return s;
  return std::unique_ptr<AsyncProducer>(new AsyncProducer(std::move(impl)));
}

}  // namespace brook
