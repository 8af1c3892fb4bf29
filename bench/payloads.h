// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Realistic record payloads, generated deterministically from a seed, for
// the compression benchmarks and tests: JSON sensor events and log lines.
// Header-only; used by bench/ and test/store/.

#ifndef BROOK_BENCH_PAYLOADS_H_
#define BROOK_BENCH_PAYLOADS_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/str_format.h"

namespace brook {
namespace bench {

// A JSON sensor event, ~150-200 bytes: a few hundred devices in a dozen
// sites, readings that drift, a timestamp that advances.
inline std::string SensorEvent(std::mt19937_64& rng, int64_t i) {
  static const char* const kSites[] = {
      "berlin-1", "berlin-2", "paris-3",  "oslo-1",   "lisbon-2", "rome-4",
      "madrid-1", "vienna-2", "prague-1", "dublin-3", "zurich-1", "athens-2"};
  static const char* const kKinds[] = {"temperature", "humidity", "pressure",
                                       "co2"};
  const uint64_t r = rng();
  const int device = static_cast<int>(r % 400);
  const char* kind = kKinds[(r >> 12) % 4];
  const double value = 20.0 + static_cast<double>((r >> 16) % 2000) / 100.0;
  return absl::StrFormat(
      "{\"device_id\":\"dev-%05d\",\"site\":\"%s\",\"kind\":\"%s\","
      "\"value\":%.2f,\"unit\":\"%s\",\"battery\":%d,\"ts\":%d,"
      "\"firmware\":\"v2.%d.%d\",\"status\":\"%s\"}",
      device, kSites[device % 12], kind, value,
      kind[0] == 't'   ? "celsius"
      : kind[0] == 'h' ? "percent"
                       : "ppm",
      static_cast<int>(50 + (r >> 32) % 50), 1764547200000 + i * 37, device % 3,
      device % 7, ((r >> 40) % 50) == 0 ? "degraded" : "ok");
}

// A web server log line, ~120-180 bytes.
inline std::string LogLine(std::mt19937_64& rng, int64_t i) {
  static const char* const kPaths[] = {
      "/api/v1/orders",       "/api/v1/orders/",    "/api/v1/users/",
      "/static/app.js?v=",    "/static/app.css?v=", "/healthz?n=",
      "/api/v1/search?q=item"};
  static const char* const kAgents[] = {
      "Mozilla/5.0 (X11; Linux x86_64)", "curl/7.88.1",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1)", "okhttp/4.12.0"};
  const uint64_t r = rng();
  const int status = (r % 20) == 0 ? 500 : (r % 7) == 0 ? 404 : 200;
  const std::string path = absl::StrFormat(
      "%s%d", kPaths[(r >> 8) % 7], static_cast<int>((r >> 20) % 100000));
  return absl::StrFormat(
      "10.%d.%d.%d - - [01/Dec/2026:06:%02d:%02d +0000] \"GET %s HTTP/1.1\" "
      "%d %d \"-\" \"%s\" rt=%.3f",
      static_cast<int>((r >> 24) % 4), static_cast<int>((r >> 28) % 256),
      static_cast<int>((r >> 36) % 256), static_cast<int>((i / 60) % 60),
      static_cast<int>(i % 60), path, status,
      static_cast<int>(200 + (r >> 44) % 5000), kAgents[(r >> 52) % 4],
      static_cast<double>((r >> 56) % 250) / 1000.0);
}

}  // namespace bench
}  // namespace brook

#endif  // BROOK_BENCH_PAYLOADS_H_
