// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/consumer.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/aggregation.h"
#include "brook/metrics.h"
#include "brook/stream.h"

#include "stream/scan_result.h"
#include "stream/shard_metrics.h"

namespace brook {
namespace {

constexpr absl::string_view kTypeNames[] = {
    "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
    "AT_TIMESTAMP"};

}  // namespace

absl::string_view ShardIteratorTypeName(ShardIteratorType type) {
  const int i = static_cast<int>(type);
  if (i < 0 || i >= static_cast<int>(std::size(kTypeNames))) return {};
  return kTypeNames[i];
}

absl::StatusOr<ShardIteratorType> ParseShardIteratorType(
    absl::string_view name) {
  for (size_t i = 0; i < std::size(kTypeNames); ++i) {
    if (kTypeNames[i] == name) return static_cast<ShardIteratorType>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("shard iterator type: \"", name.substr(0, 64),
                   "\" is none of TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, "
                   "AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP"));
}

const std::string& ShardIterator::shard_id() const {
  static const std::string* const kEmpty = new std::string();
  return shard_ != nullptr ? shard_->id() : *kEmpty;
}

GetRecordsResult::GetRecordsResult() = default;
GetRecordsResult::GetRecordsResult(GetRecordsResult&&) noexcept = default;
GetRecordsResult& GetRecordsResult::operator=(GetRecordsResult&&) noexcept =
    default;
GetRecordsResult::~GetRecordsResult() = default;

Consumer::Consumer(Stream* stream) : stream_(stream) {}

std::vector<ShardDescription> Consumer::ListShards() const {
  return stream_->ListShards();
}

absl::StatusOr<ShardIterator> Consumer::GetShardIterator(
    absl::string_view shard_id, const StartingPosition& start) const {
  return stream_->DoGetShardIterator(shard_id, start);
}

absl::Status Consumer::CheckIterator(const ShardIterator& iterator,
                                     absl::string_view call) const {
  if (!iterator.valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat(call,
                     ": invalid shard iterator (default-made, or past the end "
                     "of a closed shard)"));
  }
  if (iterator.stream_ != stream_) {
    return absl::InvalidArgumentError(
        absl::StrCat(call, ": the iterator for ", iterator.shard_id(),
                     " belongs to another stream"));
  }
  return absl::OkStatus();
}

absl::StatusOr<GetRecordsResult> Consumer::GetRecords(
    const ShardIterator& iterator, const GetRecordsOptions& options) const {
  if (absl::Status s = CheckIterator(iterator, "GetRecords"); !s.ok()) {
    return s;
  }
  absl::StatusOr<GetRecordsResult> result =
      stream_->DoGetRecords(iterator, options);
  if (result.ok() && options.deaggregate) {
    int64_t counts[kHistogramBuckets] = {};
    const int64_t user_records = ExpandAggregates(&*result, counts);
    if (user_records > 0) {
      stream_->DoCountAggregates(iterator, counts, user_records);
    }
  }
  return result;
}

int64_t Consumer::ExpandAggregates(GetRecordsResult* result,
                                   int64_t* size_counts) {
  std::vector<Record>& records = result->records_;
  size_t i = 0;
  while (i < records.size() && !IsAggregatedRecord(records[i].data)) ++i;
  if (i == records.size()) return 0;  // nothing to expand: no copy
  std::vector<Record> expanded(records.begin(), records.begin() + i);
  expanded.reserve(records.size());
  int64_t user_records = 0;
  for (; i < records.size(); ++i) {
    user_records += ExpandRecord(records[i], &expanded, size_counts);
  }
  records.swap(expanded);
  return user_records;
}

int64_t Consumer::ExpandRecord(const Record& record, std::vector<Record>* out,
                               int64_t* size_counts) {
  const bool aggregated = IsAggregatedRecord(record.data);
  const size_t before = out->size();
  if (!Deaggregate(record, out).ok()) {
    out->push_back(record);
    out->back().damaged_aggregate = true;
    return 0;
  }
  if (!aggregated) return 0;
  const size_t users = out->size() - before;
  ++size_counts[internal::HistogramBucket(users)];
  return static_cast<int64_t>(users);
}

absl::StatusOr<ScanRecordsResult> Consumer::ScanRecords(
    const ShardIterator& iterator, const GetRecordsOptions& options,
    absl::FunctionRef<void(const Record&)> visit) const {
  if (absl::Status s = CheckIterator(iterator, "ScanRecords"); !s.ok()) {
    return s;
  }
  if (!options.deaggregate) {
    return stream_->DoScanRecords(iterator, options, visit);
  }
  // As ExpandAggregates(), a stored record at a time.
  int64_t counts[kHistogramBuckets] = {};
  int64_t user_records = 0;
  int64_t visited = 0;
  std::vector<Record> users;
  absl::StatusOr<ScanRecordsResult> result =
      stream_->DoScanRecords(iterator, options, [&](const Record& r) {
        if (!IsAggregatedRecord(r.data)) {
          ++visited;
          visit(r);
          return;
        }
        users.clear();
        user_records += ExpandRecord(r, &users, counts);
        for (const Record& u : users) {
          ++visited;
          visit(u);
        }
      });
  if (!result.ok()) return result;
  result->records = visited;
  if (user_records > 0) {
    stream_->DoCountAggregates(iterator, counts, user_records);
  }
  return result;
}

absl::StatusOr<ScanRecordsResult> Stream::DoScanRecords(
    const ShardIterator& iterator, const GetRecordsOptions& options,
    absl::FunctionRef<void(const Record&)> visit) const {
  absl::StatusOr<GetRecordsResult> read = DoGetRecords(iterator, options);
  if (!read.ok()) return read.status();
  for (const Record& r : read->records()) visit(r);
  return internal::ScanResultOf(*read,
                                static_cast<int64_t>(read->records().size()));
}

bool Consumer::WaitForRecords(const ShardIterator& iterator,
                              absl::Duration timeout) const {
  if (!iterator.valid() || iterator.stream_ != stream_) return false;
  return stream_->DoWaitForRecords(iterator, timeout);
}

bool Consumer::WaitForRecords(const ShardIterator& iterator,
                              absl::Duration timeout,
                              WaitInterrupt* interrupt) const {
  if (interrupt == nullptr) return WaitForRecords(iterator, timeout);
  if (!iterator.valid() || iterator.stream_ != stream_) return false;
  return stream_->DoWaitForRecordsInterruptibly(iterator, timeout, interrupt);
}

WaitInterrupt::WaitInterrupt() = default;
WaitInterrupt::~WaitInterrupt() = default;

void WaitInterrupt::Interrupt() {
  std::lock_guard<std::mutex> lock(mu_);
  if (interrupted_.exchange(true, std::memory_order_acq_rel)) return;
  for (auto& [id, waker] : wakers_) waker();
}

uint64_t WaitInterrupt::AddWaker(std::function<void()> waker) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_id_++;
  if (!interrupted_.load(std::memory_order_relaxed)) {
    wakers_.emplace(id, std::move(waker));
  }
  return id;
}

void WaitInterrupt::RemoveWaker(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  wakers_.erase(id);
}

}  // namespace brook
