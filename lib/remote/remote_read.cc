// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// RemoteStream's reads. An iterator's cursor (`RemoteCursor`) is one
// position in a shard: the service iterator that reads from it, and once a
// GetRecords call through it returned records (or the shard's end), that
// batch, decoded, which every copy of the iterator shares; the iterator's
// `position` is an index into the batch, so `limit` and `max_bytes` slice a
// batch without another call. A call that returns no records moves the
// cursor's service iterator on in place (the position is the same). Waits
// poll through the cursor, so the batch a wait fetched is the next read's.
// A read fetches at most its `limit` records (so a one-record read such as a
// checkpoint check does not fetch 10,000). Memory: a cursor keeps its batch
// and the cursor after it, so an iterator kept while its successors are
// read keeps every batch from its position on; readers that move on to the
// next iterator (as `Consumer`'s loop does) keep only the current one.

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/partitioner.h"

#include "remote/remote_stream_impl.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

// Records a wait fetches at most (the service's largest batch); the reads
// that follow slice it by their own limits.
constexpr int kWaitFetchLimit = 10000;

// One GetRecords response, decoded; records' views point into `raw`.
struct FetchedBatch {
  std::vector<KinesisRecord> raw;
  std::vector<Record> records;
  std::string next_service_iterator;  // "" at a closed shard's end
  int64_t millis_behind_latest = 0;
  std::vector<std::string> child_shard_ids;
  bool at_end() const { return next_service_iterator.empty(); }
};

class RemoteCursor {
 public:
  RemoteCursor(std::string service_iterator, KinesisStartingPosition restart)
      : service_iterator_(std::move(service_iterator)),
        restart_(std::move(restart)) {}

  // The batch at this position: the one fetched before, or one of at most
  // `limit` records fetched now. A response without records at an open
  // shard's tip is not kept: it moves the service iterator on and is
  // returned (empty) for this call only.
  absl::StatusOr<std::shared_ptr<const FetchedBatch>> Fetch(
      const RemoteStream& stream, const std::string& shard_id,
      int limit) const {
    MutexLock lock(&mu_);
    if (fetched_ != nullptr) return fetched_;
    absl::StatusOr<KinesisGetRecordsResult> got =
        stream.client().GetRecords(service_iterator_, limit);
    if (!got.ok() && AwsErrorCode(got.status()) == "ExpiredIteratorException") {
      // Re-create it where it stood, and try once more.
      absl::StatusOr<std::string> again =
          stream.client().GetShardIterator(stream.name(), shard_id, restart_);
      if (!again.ok()) return again.status();
      service_iterator_ = std::move(*again);
      got = stream.client().GetRecords(service_iterator_, limit);
    }
    if (!got.ok()) return got.status();
    auto batch = std::make_shared<FetchedBatch>();
    batch->raw = std::move(got->records);
    batch->next_service_iterator = std::move(got->next_shard_iterator);
    batch->millis_behind_latest = got->millis_behind_latest;
    batch->child_shard_ids = std::move(got->child_shard_ids);
    batch->records.reserve(batch->raw.size());
    for (const KinesisRecord& k : batch->raw) {
      absl::StatusOr<SequenceNumber> seq =
          SequenceNumber::Parse(k.sequence_number);
      if (!seq.ok()) {
        return absl::InternalError(
            absl::StrCat("kinesis GetRecords: malformed response: ",
                         seq.status().message()));
      }
      Record r;
      r.sequence_number = *seq;
      r.approximate_arrival_timestamp_millis =
          k.approximate_arrival_timestamp_millis;
      // The service does not return explicit hash keys.
      r.hash_key = PartitionKeyHash(k.partition_key);
      r.partition_key = k.partition_key;
      r.data = k.data;
      batch->records.push_back(r);
    }
    if (batch->records.empty() && !batch->at_end()) {
      // Nothing yet: the next call asks from the service's next iterator.
      service_iterator_ = batch->next_service_iterator;
      return std::shared_ptr<const FetchedBatch>(std::move(batch));
    }
    fetched_ = std::move(batch);
    return fetched_;
  }

  // The cursor after `batch` (this cursor's, with records): from its next
  // service iterator, restarting after its last record if that expires.
  // Made once and shared, so copies of an iterator share what it fetches.
  std::shared_ptr<const RemoteCursor> Next(const FetchedBatch& batch) const {
    MutexLock lock(&mu_);
    if (next_ == nullptr) {
      KinesisStartingPosition after;
      after.type = KinesisIteratorType::kAfterSequenceNumber;
      after.sequence_number = batch.raw.back().sequence_number;
      next_ = std::make_shared<const RemoteCursor>(batch.next_service_iterator,
                                                   std::move(after));
    }
    return next_;
  }

 private:
  mutable Mutex mu_;
  mutable std::string service_iterator_ ABSL_GUARDED_BY(mu_);
  const KinesisStartingPosition restart_;
  mutable std::shared_ptr<const FetchedBatch> fetched_ ABSL_GUARDED_BY(mu_);
  mutable std::shared_ptr<const RemoteCursor> next_ ABSL_GUARDED_BY(mu_);
};

const RemoteCursor* CursorOf(const std::shared_ptr<const void>& c) {
  return static_cast<const RemoteCursor*>(c.get());
}

absl::StatusOr<KinesisStartingPosition> ToKinesis(absl::string_view shard_id,
                                                  const StartingPosition& s) {
  KinesisStartingPosition k;
  bool wants_sequence = false;
  bool wants_timestamp = false;
  switch (s.type) {
    case ShardIteratorType::kTrimHorizon:
      k.type = KinesisIteratorType::kTrimHorizon;
      break;
    case ShardIteratorType::kLatest:
      k.type = KinesisIteratorType::kLatest;
      break;
    case ShardIteratorType::kAtSequenceNumber:
      k.type = KinesisIteratorType::kAtSequenceNumber;
      wants_sequence = true;
      break;
    case ShardIteratorType::kAfterSequenceNumber:
      k.type = KinesisIteratorType::kAfterSequenceNumber;
      wants_sequence = true;
      break;
    case ShardIteratorType::kAtTimestamp:
      k.type = KinesisIteratorType::kAtTimestamp;
      wants_timestamp = true;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(shard_id, ": unknown shard iterator type ",
                       static_cast<int>(s.type)));
  }
  const absl::string_view name = ShardIteratorTypeName(s.type);
  if (wants_sequence != s.sequence_number.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(shard_id, ": ", name,
                     wants_sequence ? " needs a starting sequence number"
                                    : " takes no starting sequence number"));
  }
  if (wants_timestamp != s.timestamp_millis.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        shard_id, ": ", name,
        wants_timestamp ? " needs a timestamp" : " takes no timestamp"));
  }
  if (wants_sequence) k.sequence_number = s.sequence_number->ToString();
  if (wants_timestamp) k.timestamp_millis = *s.timestamp_millis;
  return k;
}

// Sleeps `d` on `env`'s clock, or until `interrupt` (may be null) is
// interrupted.
void Sleep(Env* env, absl::Duration d, WaitInterrupt* interrupt) {
  if (interrupt == nullptr) {
    env->SleepFor(d);
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;
  const uint64_t id = interrupt->AddWaker([&] {
    std::lock_guard<std::mutex> l(mu);
    woken = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    const int64_t deadline = DeadlineAfter(env, d);
    while (!woken && !interrupt->interrupted()) {
      if (env->WaitUntil(cv, lock, deadline)) break;
    }
  }
  interrupt->RemoveWaker(id);
}

}  // namespace

absl::StatusOr<ShardIterator> RemoteStream::DoGetShardIterator(
    absl::string_view shard_id, const StartingPosition& start) const {
  RemoteShard* shard = FindShard(shard_id);
  if (shard == nullptr) {
    return absl::NotFoundError(absl::StrCat("GetShardIterator: stream ", name_,
                                            ": no shard ", shard_id));
  }
  BROOK_ASSIGN_OR_RETURN(KinesisStartingPosition position,
                         ToKinesis(shard_id, start));
  BROOK_ASSIGN_OR_RETURN(
      std::string service_iterator,
      client_->GetShardIterator(name_, shard->id(), position));
  return MakeShardIterator(
      shard, 0,
      std::make_shared<const RemoteCursor>(std::move(service_iterator),
                                           std::move(position)));
}

absl::StatusOr<GetRecordsResult> RemoteStream::DoGetRecords(
    const ShardIterator& iterator, const GetRecordsOptions& options) const {
  if (options.limit < 1 || options.limit > 10000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GetRecords: limit ", options.limit, " is not in 1..10000"));
  }
  if (options.max_bytes < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GetRecords: max_bytes ", options.max_bytes, " is not positive"));
  }
  // `durable_only` needs nothing: what the service returns is durable.
  const std::shared_ptr<const void>& cursor = ShardIteratorCursor(iterator);
  const Shard* shard = ShardIteratorShard(iterator);
  if (cursor == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GetRecords: the iterator for ", shard->id(), " has no cursor"));
  }
  const RemoteCursor* c = CursorOf(cursor);
  BROOK_ASSIGN_OR_RETURN(std::shared_ptr<const FetchedBatch> batch,
                         c->Fetch(*this, shard->id(), options.limit));
  const absl::Duration behind = absl::Milliseconds(batch->millis_behind_latest);
  if (batch->records.empty()) {
    if (!batch->at_end()) {
      // No records yet; the same position reads on.
      return MakeGetRecordsResult({}, iterator, behind, {}, 0, nullptr);
    }
    return MakeGetRecordsResult({}, ShardIterator(), behind,
                                ChildrenOf(shard->id(), batch->child_shard_ids),
                                0, nullptr);
  }
  const size_t begin =
      std::min<size_t>(ShardIteratorPosition(iterator), batch->records.size());
  size_t end = begin;
  int64_t bytes = 0;
  while (end < batch->records.size() &&
         end - begin < static_cast<size_t>(options.limit)) {
    const Record& r = batch->records[end];
    const int64_t size =
        static_cast<int64_t>(r.partition_key.size() + r.data.size());
    if (end > begin && bytes + size > options.max_bytes) break;
    bytes += size;
    ++end;
  }
  std::vector<Record> records(batch->records.begin() + begin,
                              batch->records.begin() + end);
  ShardIterator next;
  std::vector<ChildShard> children;
  if (end < batch->records.size()) {
    next = MakeShardIterator(shard, end, cursor);
  } else if (!batch->at_end()) {
    std::shared_ptr<const RemoteCursor> after = c->Next(*batch);
    // At a closed shard, look one batch ahead (kept for the next read):
    // kinesalite, unlike Kinesis, ends a shard only on the call after its
    // last records, and `Stream` ends it with them.
    std::shared_ptr<const FetchedBatch> ahead;
    if (!static_cast<const RemoteShard*>(shard)->is_open()) {
      absl::StatusOr<std::shared_ptr<const FetchedBatch>> peek =
          after->Fetch(*this, shard->id(), options.limit);
      // An error: the next read returns it.
      if (peek.ok() && (*peek)->records.empty() && (*peek)->at_end()) {
        ahead = *std::move(peek);
      }
    }
    if (ahead == nullptr) {
      next = MakeShardIterator(shard, 0, std::move(after));
    } else {
      children = ChildrenOf(shard->id(), ahead->child_shard_ids);
    }
  } else {
    children = ChildrenOf(shard->id(), batch->child_shard_ids);
  }
  return MakeGetRecordsResult(std::move(records), next, behind,
                              std::move(children), 0, std::move(batch));
}

bool RemoteStream::Wait(const ShardIterator& iterator, absl::Duration timeout,
                        WaitInterrupt* interrupt) const {
  const std::shared_ptr<const void>& cursor = ShardIteratorCursor(iterator);
  if (cursor == nullptr) return false;
  const RemoteCursor* c = CursorOf(cursor);
  const std::string& shard_id = ShardIteratorShard(iterator)->id();
  const int64_t deadline = DeadlineAfter(env_, timeout);
  absl::Duration interval = options_.poll_initial_interval;
  for (;;) {
    absl::StatusOr<std::shared_ptr<const FetchedBatch>> batch =
        c->Fetch(*this, shard_id, kWaitFetchLimit);
    // An error: a read now would return it, so do not hide it behind a wait.
    if (!batch.ok()) return true;
    if (!(*batch)->records.empty() || (*batch)->at_end()) return true;
    if (interrupt != nullptr && interrupt->interrupted()) return false;
    const int64_t now = env_->NowMillis();
    if (now >= deadline) return false;
    Sleep(env_, std::min(interval, absl::Milliseconds(deadline - now)),
          interrupt);
    interval = std::min(interval * 2, options_.poll_max_interval);
  }
}

std::vector<ChildShard> RemoteStream::ChildrenOf(
    const std::string& parent, const std::vector<std::string>& ids) const {
  std::vector<ChildShard> out;
  auto collect = [&]() {
    out.clear();
    MutexLock lock(&mu_);
    for (const auto& [id, shard] : shards_) {
      ShardDescription d = shard->Describe();
      const bool named = std::find(ids.begin(), ids.end(), id) != ids.end();
      const bool lineage =
          d.parent_shard_id == parent || d.adjacent_parent_shard_id == parent;
      if (ids.empty() ? !lineage : !named) continue;
      ChildShard child;
      child.shard_id = id;
      if (!d.parent_shard_id.empty()) {
        child.parent_shards.push_back(d.parent_shard_id);
      }
      if (!d.adjacent_parent_shard_id.empty()) {
        child.parent_shards.push_back(d.adjacent_parent_shard_id);
      }
      child.hash_key_range = d.hash_key_range;
      out.push_back(std::move(child));
    }
    return ids.empty() ? !out.empty() : out.size() == ids.size();
  };
  if (!collect()) {
    // A reshard the cache has not seen yet.
    if (Refresh().ok()) collect();
  }
  return out;
}

}  // namespace internal
}  // namespace brook
