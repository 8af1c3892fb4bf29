// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// RemoteStream's puts: records grouped by the cached shard ranges into
// PutRecords calls of at most 500 entries and 5 MiB, each entry carrying
// brook's hash key as its ExplicitHashKey; entries the service fails one by
// one (throttling, internal failure) retried with back-off until the put's
// deadline. And `RemoteShard::Append()` on top of it.

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "remote/remote_stream_impl.h"
#include "util/decimal.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

constexpr size_t kMaxEntriesPerCall = 500;
constexpr int64_t kMaxBytesPerCall = int64_t{5} << 20;

absl::Duration Jittered(absl::Duration cap) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int64_t us = std::max<int64_t>(1, absl::ToInt64Microseconds(cap));
  std::uniform_int_distribution<int64_t> pick(us / 2, us);
  return absl::Microseconds(pick(rng));
}

// Entry error codes worth retrying, and the status each ends in when the
// deadline passes.
bool RetryableEntryError(absl::string_view code) {
  return code == "ProvisionedThroughputExceededException" ||
         code == "InternalFailure" || code == "ServiceUnavailable";
}

absl::StatusCode EntryErrorCode(absl::string_view code) {
  if (code == "ProvisionedThroughputExceededException") {
    return absl::StatusCode::kResourceExhausted;
  }
  if (code == "InternalFailure" || code == "ServiceUnavailable") {
    return absl::StatusCode::kUnavailable;
  }
  if (code == "KMSThrottlingException") {
    return absl::StatusCode::kResourceExhausted;
  }
  if (code == "ValidationException" || code == "InvalidArgumentException") {
    return absl::StatusCode::kInvalidArgument;
  }
  return absl::StatusCode::kUnknown;
}

// Whole-call failures the put retries as it does failed entries: the
// client has retried throttling and 5xx to its own deadline already, so
// these are only retried while the put's deadline is later.
bool RetryableCallError(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsResourceExhausted(s);
}

}  // namespace

void RemoteStream::Put(absl::Span<const RoutedRecord> records,
                       absl::Span<PutRecordsResultEntry> results) {
  const size_t n = records.size();
  const bool stream_closed = closed();
  std::vector<uint32_t> pending;
  pending.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!results[i].status.ok()) continue;
    if (stream_closed) {
      results[i].status = absl::FailedPreconditionError(
          absl::StrCat("PutRecords: stream ", name_, " is closed"));
      continue;
    }
    pending.push_back(static_cast<uint32_t>(i));
  }
  if (pending.empty()) return;

  // The decimal hash keys, in one buffer (no allocation per record).
  std::string keys;
  keys.reserve(pending.size() * 40);
  std::vector<std::pair<uint32_t, uint32_t>> key_at(n);
  for (uint32_t i : pending) {
    const size_t begin = keys.size();
    AppendDecimalUint128(records[i].hash_key, &keys);
    key_at[i] = {static_cast<uint32_t>(begin),
                 static_cast<uint32_t>(keys.size() - begin)};
  }

  const int64_t deadline = env_->NowMillis() + absl::ToInt64Milliseconds(
                                                   options_.put_retry_deadline);
  absl::Duration backoff = options_.put_initial_backoff;
  std::vector<uint32_t> order, retry, call;
  std::vector<RemoteShard*> route(n, nullptr);
  std::vector<absl::Status> last_error(n);
  std::vector<KinesisPutRecordsEntry> entries;
  entries.reserve(std::min(pending.size(), kMaxEntriesPerCall));

  while (!pending.empty()) {
    // Group by the cached shard of each key, keeping input order within a
    // shard (a stable sort by shard).
    std::shared_ptr<const RemoteRouting> routing = this->routing();
    for (uint32_t i : pending) route[i] = routing->Route(records[i].hash_key);
    order = pending;
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return route[a]->hash_key_range().starting_hash_key <
             route[b]->hash_key_range().starting_hash_key;
    });
    retry.clear();
    for (size_t begin = 0; begin < order.size();) {
      // One call: entries of one shard, up to the count and byte limits.
      RemoteShard* shard = route[order[begin]];
      call.clear();
      entries.clear();
      int64_t bytes = 0;
      size_t end = begin;
      while (end < order.size() && route[order[end]] == shard &&
             call.size() < kMaxEntriesPerCall) {
        const RoutedRecord& r = records[order[end]];
        const int64_t size =
            static_cast<int64_t>(r.partition_key.size() + r.data.size());
        if (!call.empty() && bytes + size > kMaxBytesPerCall) break;
        bytes += size;
        const auto [at, len] = key_at[order[end]];
        entries.push_back(KinesisPutRecordsEntry{
            r.partition_key, r.data, absl::string_view(keys).substr(at, len)});
        call.push_back(order[end]);
        ++end;
      }
      begin = end;

      absl::StatusOr<KinesisPutRecordsResult> put =
          client_->PutRecords(name_, entries);
      if (put.ok() && put->records.size() != call.size()) {
        put = absl::InternalError(absl::StrCat(
            "kinesis PutRecords: malformed response: ", put->records.size(),
            " results for ", call.size(), " entries"));
      }
      if (!put.ok()) {
        for (uint32_t i : call) {
          if (RetryableCallError(put.status())) {
            last_error[i] = put.status();
            retry.push_back(i);
          } else {
            results[i].status = put.status();
          }
        }
        continue;
      }
      for (size_t j = 0; j < call.size(); ++j) {
        const uint32_t i = call[j];
        const KinesisPutRecordsResultEntry& e = put->records[j];
        if (!e.ok()) {
          absl::Status s(EntryErrorCode(e.error_code),
                         absl::StrCat("kinesis PutRecords: entry failed: ",
                                      e.error_code, ": ", e.error_message));
          if (RetryableEntryError(e.error_code)) {
            last_error[i] = std::move(s);
            retry.push_back(i);
          } else {
            results[i].status = std::move(s);
          }
          continue;
        }
        absl::StatusOr<SequenceNumber> seq =
            SequenceNumber::Parse(e.sequence_number);
        if (!seq.ok()) {
          results[i].status = absl::InternalError(
              absl::StrCat("kinesis PutRecords: malformed response: ",
                           seq.status().message()));
          continue;
        }
        // Another shard than the cached routing's took it after a reshard:
        // if the cache does not know that shard, FindShard() reloads it.
        RemoteShard* stored =
            e.shard_id == shard->id() ? shard : FindShard(e.shard_id);
        if (stored == nullptr) {
          results[i].status = absl::InternalError(absl::StrCat(
              "kinesis PutRecords: the record was stored in shard ", e.shard_id,
              ", which ListShards does not list"));
          continue;
        }
        results[i].shard_id = stored->id();
        results[i].sequence_number = *seq;
      }
    }
    if (retry.empty()) break;
    const int64_t now = env_->NowMillis();
    if (now >= deadline) {
      for (uint32_t i : retry) {
        results[i].status = absl::Status(
            last_error[i].code(),
            absl::StrCat(last_error[i].message(), " (retried for ",
                         absl::FormatDuration(options_.put_retry_deadline),
                         ")"));
      }
      break;
    }
    // Retry in input order, so that a key's retried entries keep theirs.
    std::sort(retry.begin(), retry.end());
    pending.swap(retry);
    env_->SleepFor(
        std::min(Jittered(backoff), absl::Milliseconds(deadline - now)));
    backoff = std::min(backoff * 2, options_.put_max_backoff);
  }
}

absl::StatusOr<SequenceNumber> RemoteShard::Append(
    absl::Span<const RoutedRecord> records) {
  std::vector<PutRecordsResultEntry> results;
  BROOK_RETURN_IF_ERROR(Put(records, &results));
  return results.front().sequence_number;
}

absl::Status RemoteShard::AppendWithSequenceNumbers(
    absl::Span<const RoutedRecord> records,
    absl::Span<SequenceNumber> sequence_numbers) {
  if (sequence_numbers.size() != records.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard ", id_, ": AppendWithSequenceNumbers: ", sequence_numbers.size(),
        " sequence numbers for ", records.size(), " records"));
  }
  std::vector<PutRecordsResultEntry> results;
  BROOK_RETURN_IF_ERROR(Put(records, &results));
  for (size_t g = 0; g < records.size(); ++g) {
    sequence_numbers[g] = results[g].sequence_number;
  }
  return absl::OkStatus();
}

absl::Status RemoteShard::Put(absl::Span<const RoutedRecord> records,
                              std::vector<PutRecordsResultEntry>* results) {
  if (records.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("shard ", id_, ": Append of no records"));
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const RoutedRecord& r = records[i];
    if (!range_.Contains(r.hash_key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shard ", id_, ": record ", i, "'s hash key ",
          FormatDecimalUint128(r.hash_key), " is outside the shard's range"));
    }
    const int64_t size =
        static_cast<int64_t>(r.partition_key.size() + r.data.size());
    if (size > stream_->remote_options().max_record_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard ", id_, ": record ", i, " is ", size,
                       " bytes, over the max record size ",
                       stream_->remote_options().max_record_bytes));
    }
  }
  if (stream_->closed()) {
    return absl::FailedPreconditionError(
        absl::StrCat("shard ", id_, ": the stream is closed"));
  }
  if (!is_open()) {
    return absl::AbortedError(absl::StrCat(
        "shard ", id_, " is closed by a reshard: route the records again"));
  }
  results->assign(records.size(), PutRecordsResultEntry());
  stream_->Put(records, absl::MakeSpan(*results));
  size_t stored = 0;
  const absl::Status* first_error = nullptr;
  absl::string_view elsewhere;
  for (const PutRecordsResultEntry& e : *results) {
    if (!e.status.ok()) {
      if (first_error == nullptr) first_error = &e.status;
      continue;
    }
    ++stored;
    if (e.shard_id != id_ && elsewhere.empty()) elsewhere = e.shard_id;
  }
  if (first_error != nullptr) {
    return absl::Status(
        first_error->code(),
        absl::StrCat("shard ", id_, ": ", stored, " of ", records.size(),
                     " records stored (not atomic); first failure: ",
                     first_error->message()));
  }
  if (!elsewhere.empty()) {
    return absl::AbortedError(
        absl::StrCat("shard ", id_,
                     " was closed by a reshard: the service stored the "
                     "records in its child ",
                     elsewhere, " (a retry stores them again)"));
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook
