// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The exporter's rate limits (`ExporterOptions::max_records_per_second`,
// `max_bytes_per_second`): a token bucket each, holding one second's worth,
// on the exporter's Env clock. A request larger than a whole bucket goes
// through a full one, into debt that later requests wait out.
//
// Thread safety: none; the exporting thread owns it.

#ifndef BROOK_LIB_REMOTE_EXPORT_RATE_LIMIT_H_
#define BROOK_LIB_REMOTE_EXPORT_RATE_LIMIT_H_

#include <algorithm>
#include <cstdint>
#include <optional>

#include "util/token_bucket.h"

namespace brook {
namespace internal {

class ExportRateLimit {
 public:
  // A rate of 0 is no limit. REQUIRES: rates in 0..2^40.
  ExportRateLimit(int64_t records_per_second, int64_t bytes_per_second,
                  int64_t now_millis) {
    if (records_per_second > 0) {
      records_.emplace(records_per_second, records_per_second, now_millis);
    }
    if (bytes_per_second > 0) {
      bytes_.emplace(bytes_per_second, bytes_per_second, now_millis);
    }
  }

  // Milliseconds until a request of `records` and `bytes` may be sent; 0 if
  // it may be now.
  int64_t MillisUntilAdmitted(int64_t records, int64_t bytes,
                              int64_t now_millis) {
    return std::max(Wait(records_, records, now_millis),
                    Wait(bytes_, bytes, now_millis));
  }

  // Charges a request that is being sent.
  void Take(int64_t records, int64_t bytes) {
    if (records_.has_value()) records_->Take(records);
    if (bytes_.has_value()) bytes_->Take(bytes);
  }

 private:
  static int64_t Wait(std::optional<TokenBucket>& bucket, int64_t tokens,
                      int64_t now_millis) {
    if (!bucket.has_value()) return 0;
    bucket->Refill(now_millis);
    if (bucket->Admits(tokens)) return 0;
    // Until it holds `tokens` or is full, whichever comes first.
    const int64_t missing =
        std::min(tokens, bucket->capacity()) - bucket->tokens();
    return std::max<int64_t>(missing, 0) * 1000 / bucket->rate() + 1;
  }

  std::optional<TokenBucket> records_;
  std::optional<TokenBucket> bytes_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_EXPORT_RATE_LIMIT_H_
