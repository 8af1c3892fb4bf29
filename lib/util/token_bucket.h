// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A token bucket on a millisecond clock the caller supplies (an `Env`'s):
// it refills at `rate` tokens per second up to `capacity` tokens, and starts
// full. Integer arithmetic in thousandths of a token, so a refill of one
// millisecond adds exactly `rate` thousandths and nothing is lost to
// rounding.
//
// Debt: `Take()` may take more than the bucket holds (the level goes
// negative); later takes then wait until the debt is repaid. That is how a
// call whose size is known only afterwards (a GetRecords result) is charged,
// and how an item larger than the whole bucket gets through (`Admits()`
// admits anything into a full bucket).
//
// Thread safety: none; the owner serialises calls.

#ifndef BROOK_LIB_UTIL_TOKEN_BUCKET_H_
#define BROOK_LIB_UTIL_TOKEN_BUCKET_H_

#include <algorithm>
#include <cstdint>
#include <limits>

namespace brook {
namespace internal {

class TokenBucket {
 public:
  // REQUIRES: 1 <= rate <= 2^40, 1 <= capacity <= 2^50 (so that no
  // thousandth overflows).
  TokenBucket(int64_t rate, int64_t capacity, int64_t now_millis)
      : rate_(rate),
        capacity_milli_(capacity * 1000),
        level_milli_(capacity_milli_),
        last_millis_(now_millis) {}

  int64_t rate() const { return rate_; }
  int64_t capacity() const { return capacity_milli_ / 1000; }

  // Adds what accrued since the last refill. A clock that went back adds
  // nothing (and the bucket waits for it to pass the last time again).
  void Refill(int64_t now_millis) {
    if (now_millis <= last_millis_) return;
    const int64_t elapsed = now_millis - last_millis_;
    last_millis_ = now_millis;
    // Past this, the bucket is full whatever the level was.
    const int64_t to_full = (capacity_milli_ - level_milli_) / rate_ + 1;
    level_milli_ =
        elapsed >= to_full
            ? capacity_milli_
            : std::min(capacity_milli_, level_milli_ + elapsed * rate_);
  }

  // True if `tokens` may be taken now: the bucket holds them, or it is full
  // (an item larger than the whole bucket goes through a full one, into
  // debt).
  bool Admits(int64_t tokens) const {
    return level_milli_ >= tokens * 1000 || level_milli_ == capacity_milli_;
  }
  // True if the bucket is not in debt (holds more than nothing).
  bool Positive() const { return level_milli_ > 0; }

  // Takes `tokens`; the level may go negative (debt), down to
  // -2^62 thousandths.
  void Take(int64_t tokens) {
    constexpr int64_t kFloor = -(int64_t{1} << 62);
    level_milli_ = std::max(kFloor, level_milli_ - tokens * 1000);
  }
  // Gives back `tokens` taken by a call that then failed, up to capacity.
  void Give(int64_t tokens) {
    level_milli_ = std::min(capacity_milli_, level_milli_ + tokens * 1000);
  }

  // Whole tokens held now (negative in debt), rounded towards zero.
  int64_t tokens() const { return level_milli_ / 1000; }

  // Milliseconds from the last refill until the bucket holds more than
  // nothing (0 if it does now).
  int64_t MillisUntilPositive() const {
    if (level_milli_ > 0) return 0;
    return (-level_milli_) / rate_ + 1;
  }

 private:
  const int64_t rate_;  // tokens per second = thousandths per millisecond
  const int64_t capacity_milli_;
  int64_t level_milli_;
  int64_t last_millis_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_TOKEN_BUCKET_H_
