// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/throughput_options.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "util/duration.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

constexpr int64_t kKiB = int64_t{1} << 10;
constexpr int64_t kGiB = int64_t{1} << 30;

absl::Status InRange(absl::string_view context, absl::string_view field,
                     int64_t value, int64_t low, int64_t high) {
  if (value >= low && value <= high) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(context, "throughput.", field,
                                                 " must be ", low, " to ", high,
                                                 ", got ", value));
}

absl::Status MillisInRange(absl::string_view context, absl::string_view field,
                           absl::Duration d, int64_t low, int64_t high) {
  BROOK_ASSIGN_OR_RETURN(
      const int64_t millis,
      WholeMillis(context, absl::StrCat("throughput.", field), d, low));
  if (millis <= high) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(context, "throughput.", field, " must be at most ",
                   absl::FormatDuration(absl::Milliseconds(high)), ", got ",
                   absl::FormatDuration(d)));
}

}  // namespace

absl::Status ValidateThroughputOptions(absl::string_view context,
                                       const ThroughputOptions& t) {
  BROOK_RETURN_IF_ERROR(InRange(context, "write_bytes_per_second",
                                t.write_bytes_per_second, kKiB, kGiB));
  BROOK_RETURN_IF_ERROR(InRange(context, "write_records_per_second",
                                t.write_records_per_second, 1, 1000000));
  BROOK_RETURN_IF_ERROR(InRange(context, "read_calls_per_second",
                                t.read_calls_per_second, 1, 10000));
  BROOK_RETURN_IF_ERROR(InRange(context, "read_bytes_per_second",
                                t.read_bytes_per_second, kKiB, kGiB));
  BROOK_RETURN_IF_ERROR(InRange(context, "subscriber_bytes_per_second",
                                t.subscriber_bytes_per_second, kKiB, kGiB));
  BROOK_RETURN_IF_ERROR(
      MillisInRange(context, "burst", t.burst, 1, 3600 * 1000));
  BROOK_RETURN_IF_ERROR(InRange(context, "split_bytes_per_second",
                                t.split_bytes_per_second, 1, kGiB));
  BROOK_RETURN_IF_ERROR(MillisInRange(context, "split_window", t.split_window,
                                      1, 24 * 3600 * 1000));
  return absl::OkStatus();
}

void ThroughputToMeta(const ThroughputOptions& t, proto::ThroughputMeta* m) {
  m->set_provisioned(t.provisioned);
  m->set_write_bytes_per_second(t.write_bytes_per_second);
  m->set_write_records_per_second(t.write_records_per_second);
  m->set_read_calls_per_second(t.read_calls_per_second);
  m->set_read_bytes_per_second(t.read_bytes_per_second);
  m->set_subscriber_bytes_per_second(t.subscriber_bytes_per_second);
  m->set_burst_millis(absl::ToInt64Milliseconds(t.burst));
  m->set_on_demand(t.on_demand);
  m->set_split_bytes_per_second(t.split_bytes_per_second);
  m->set_split_window_millis(absl::ToInt64Milliseconds(t.split_window));
}

ThroughputOptions ThroughputFromMeta(const proto::OptionsMeta& o) {
  ThroughputOptions t;
  if (!o.has_throughput()) return t;
  const proto::ThroughputMeta& m = o.throughput();
  t.provisioned = m.provisioned();
  t.write_bytes_per_second = m.write_bytes_per_second();
  t.write_records_per_second = m.write_records_per_second();
  t.read_calls_per_second = m.read_calls_per_second();
  t.read_bytes_per_second = m.read_bytes_per_second();
  t.subscriber_bytes_per_second = m.subscriber_bytes_per_second();
  t.burst = absl::Milliseconds(m.burst_millis());
  t.on_demand = m.on_demand();
  t.split_bytes_per_second = m.split_bytes_per_second();
  t.split_window = absl::Milliseconds(m.split_window_millis());
  return t;
}

absl::Status CompareThroughput(
    const ThroughputOptions& stored, const ThroughputOptions& passed,
    const std::function<absl::Status(absl::string_view, const std::string&,
                                     const std::string&)>& differs) {
  const auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  const auto dur = [](absl::Duration d) { return absl::FormatDuration(d); };
  const auto num = [](int64_t n) { return absl::StrCat(n); };
  // Each field shown both ways; distinct values show differently.
  struct Field {
    const char* name;
    std::string stored;
    std::string passed;
  };
  const ThroughputOptions& s = stored;
  const ThroughputOptions& p = passed;
  const Field fields[] = {
      {"provisioned", flag(s.provisioned), flag(p.provisioned)},
      {"write_bytes_per_second", num(s.write_bytes_per_second),
       num(p.write_bytes_per_second)},
      {"write_records_per_second", num(s.write_records_per_second),
       num(p.write_records_per_second)},
      {"read_calls_per_second", num(s.read_calls_per_second),
       num(p.read_calls_per_second)},
      {"read_bytes_per_second", num(s.read_bytes_per_second),
       num(p.read_bytes_per_second)},
      {"subscriber_bytes_per_second", num(s.subscriber_bytes_per_second),
       num(p.subscriber_bytes_per_second)},
      {"burst", dur(s.burst), dur(p.burst)},
      {"on_demand", flag(s.on_demand), flag(p.on_demand)},
      {"split_bytes_per_second", num(s.split_bytes_per_second),
       num(p.split_bytes_per_second)},
      {"split_window", dur(s.split_window), dur(p.split_window)},
  };
  for (const Field& f : fields) {
    if (f.stored != f.passed) {
      return differs(absl::StrCat("throughput.", f.name), f.stored, f.passed);
    }
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook
