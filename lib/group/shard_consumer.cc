// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "group/shard_consumer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/env.h"
#include "brook/stream.h"

#include "util/status_macros.h"

namespace brook {

Checkpointer::~Checkpointer() = default;
RecordProcessor::~RecordProcessor() = default;

namespace internal {
namespace {

// Whether processing resumes AT the checkpoint's record, skipping the user
// records up to it: inside an aggregate (subsequence > 0), and whenever
// records are de-aggregated (a checkpoint at subsequence 0 of an aggregate
// resumes at its subsequence 1), as KCL does.
bool ResumesInside(const ExtendedSequenceNumber& checkpoint, bool deaggregate) {
  return checkpoint.is_sequence_number() &&
         (deaggregate || checkpoint.subsequence_number() > 0);
}

// The iterator that resumes after `checkpoint` (at it for an initial
// position; at its record if `ResumesInside()`, the caller skipping the
// user records already done).
StartingPosition ResumePosition(const ExtendedSequenceNumber& checkpoint,
                                bool deaggregate) {
  switch (checkpoint.kind()) {
    case ExtendedSequenceNumber::Kind::kLatest:
      return StartingPosition::Latest();
    case ExtendedSequenceNumber::Kind::kAtTimestamp:
      return StartingPosition::AtTimestamp(checkpoint.timestamp_millis());
    case ExtendedSequenceNumber::Kind::kSequenceNumber:
      if (ResumesInside(checkpoint, deaggregate)) {
        return StartingPosition::AtSequenceNumber(checkpoint.sequence_number());
      }
      return StartingPosition::AfterSequenceNumber(
          checkpoint.sequence_number());
    case ExtendedSequenceNumber::Kind::kTrimHorizon:
    case ExtendedSequenceNumber::Kind::kShardEnd:
      break;
  }
  return StartingPosition::TrimHorizon();
}

}  // namespace

class ShardConsumer::ShardCheckpointer : public Checkpointer {
 public:
  explicit ShardCheckpointer(ShardConsumer* consumer) : consumer_(consumer) {}
  absl::Status Checkpoint() override { return consumer_->CheckpointLast(); }
  absl::Status Checkpoint(SequenceNumber sequence_number,
                          uint64_t subsequence_number) override {
    return consumer_->CheckpointAt(sequence_number, subsequence_number);
  }
  ExtendedSequenceNumber last_checkpoint() const override {
    return consumer_->LastCheckpoint();
  }

 private:
  ShardConsumer* const consumer_;
};

ShardConsumer::ShardConsumer(const ShardConsumerContext& context, Lease lease,
                             int64_t not_before_millis)
    : context_(context),
      shard_id_(lease.lease_key),
      not_before_millis_(not_before_millis),
      consumer_(context.stream),
      lease_(std::move(lease)),
      checkpointer_(std::make_unique<ShardCheckpointer>(this)) {
  window_start_millis_ = context_.env->NowMillis();
}

ShardConsumer::~ShardConsumer() = default;

ShardConsumer::Claim ShardConsumer::Classify(const Lease& lease) const {
  const std::string& self = *context_.worker_id;
  if (lease.lease_owner == self && lease.checkpoint_owner.empty()) {
    return Claim::kOwned;
  }
  if (lease.checkpoint_owner == self) return Claim::kHandingOff;
  return Claim::kLost;
}

void ShardConsumer::RefreshLocked() {
  absl::StatusOr<Lease> fresh = context_.store->GetLease(shard_id_);
  if (!fresh.ok()) {
    if (absl::IsNotFound(fresh.status())) lost_ = true;
    return;  // other errors: try again at the next change
  }
  if (Classify(*fresh) == Claim::kLost) {
    lost_ = true;
  } else {
    lease_ = *std::move(fresh);
  }
}

absl::Status ShardConsumer::Renew() {
  MutexLock lock(&mu_);
  if (lost_ || abandoned_ || finished()) return absl::OkStatus();
  // A lease being handed off is the new owner's to keep alive.
  if (Classify(lease_) != Claim::kOwned) return absl::OkStatus();
  const int64_t now = context_.env->NowMillis();
  absl::StatusOr<Lease> renewed;
  if (now > window_start_millis_) {
    const double seconds =
        static_cast<double>(now - window_start_millis_) / 1e3;
    renewed = context_.store->UpdateThroughput(
        lease_, window_records_ / seconds, window_bytes_ / seconds);
  } else {
    renewed = context_.store->RenewLease(lease_);
  }
  if (renewed.ok()) {
    lease_ = *std::move(renewed);
    window_start_millis_ = now;
    window_records_ = 0;
    window_bytes_ = 0;
    return absl::OkStatus();
  }
  if (absl::IsAborted(renewed.status())) {
    RefreshLocked();
  } else if (absl::IsNotFound(renewed.status())) {
    lost_ = true;
  } else {
    return renewed.status();
  }
  WakeLocked();
  return absl::OkStatus();
}

void ShardConsumer::Observe(const Lease& listed) {
  MutexLock lock(&mu_);
  if (listed.lease_counter <= lease_.lease_counter) return;
  if (Classify(listed) == Claim::kLost) {
    lost_ = true;
  } else {
    lease_ = listed;
  }
  WakeLocked();
}

void ShardConsumer::MarkLost() {
  MutexLock lock(&mu_);
  lost_ = true;
  WakeLocked();
}

void ShardConsumer::RequestShutdown() {
  MutexLock lock(&mu_);
  shutdown_requested_ = true;
  WakeLocked();
}

void ShardConsumer::Abandon() {
  MutexLock lock(&mu_);
  abandoned_ = true;
  WakeLocked();
}

bool ShardConsumer::PendingLocked() const {
  return lost_ || abandoned_ || shutdown_requested_ ||
         Classify(lease_) == Claim::kHandingOff;
}

void ShardConsumer::WakeLocked() {
  cv_.SignalAll();
  // The shard side has something to do: end its wait for records at once
  // (the stream's clock may be far from moving). It waits no more after
  // this, so the interrupt is never reset.
  if (PendingLocked()) wait_interrupt_.Interrupt();
}

WorkerStats::HeldShard ShardConsumer::Snapshot() const {
  MutexLock lock(&mu_);
  WorkerStats::HeldShard held;
  held.shard_id = shard_id_;
  held.checkpoint = lease_.checkpoint;
  held.lease_counter = lease_.lease_counter;
  held.behind_latest = behind_latest_;
  return held;
}

absl::Status ShardConsumer::read_status() const {
  MutexLock lock(&mu_);
  return read_status_;
}

void ShardConsumer::Finish(Outcome outcome) {
  processor_.reset();
  finished_millis_.store(context_.env->NowMillis(), std::memory_order_release);
  outcome_.store(outcome, std::memory_order_release);
  finished_.store(true, std::memory_order_release);
}

void ShardConsumer::Release() {
  MutexLock lock(&mu_);
  for (int attempt = 0; attempt < 3 && !lost_; ++attempt) {
    absl::StatusOr<Lease> released;
    switch (Classify(lease_)) {
      case Claim::kOwned:
        released = context_.store->EvictLease(lease_);
        break;
      case Claim::kHandingOff: {
        const std::string self = *context_.worker_id;
        released = context_.store->UpdateLease(
            shard_id_, lease_.lease_counter, [&self](Lease& lease) {
              if (lease.checkpoint_owner == self)
                lease.checkpoint_owner.clear();
              return absl::OkStatus();
            });
        break;
      }
      case Claim::kLost:
        lost_ = true;
        return;
    }
    if (released.ok()) {
      lease_ = *std::move(released);
      lost_ = true;  // no longer ours
      return;
    }
    if (!absl::IsAborted(released.status())) {
      // Not released: the lease expires after the failover time instead.
      return;
    }
    RefreshLocked();
  }
}

int64_t ShardConsumer::Step() {
  if (finished()) return 0;
  bool lost, shutdown, abandoned;
  {
    MutexLock lock(&mu_);
    lost = lost_;
    abandoned = abandoned_;
    shutdown = shutdown_requested_ || Classify(lease_) == Claim::kHandingOff;
  }
  if (abandoned) {
    Finish(Outcome::kAbandoned);
    return 0;
  }
  if (lost) {
    if (initialized_) processor_->LeaseLost();
    context_.leases_lost->fetch_add(1, std::memory_order_relaxed);
    Finish(Outcome::kLost);
    return 0;
  }
  if (shutdown) {
    if (initialized_) {
      mode_ = Mode::kShutdown;
      processor_->ShutdownRequested(*checkpointer_);
      mode_ = Mode::kNone;
    }
    Release();
    Finish(Outcome::kReleased);
    return 0;
  }
  if (!initialized_) {
    if (context_.env->NowMillis() < not_before_millis_) return 0;
    if (!Initialize()) return 0;
  }
  return Read();
}

bool ShardConsumer::Initialize() {
  InitializationInput input;
  input.shard_id = shard_id_;
  {
    MutexLock lock(&mu_);
    input.checkpoint = lease_.checkpoint;
    if (lease_.has_pending_checkpoint) {
      input.pending_checkpoint = lease_.pending_checkpoint;
    }
  }
  if (input.checkpoint.is_shard_end()) {
    // Nothing left to do: let the leader clean it up.
    Release();
    Finish(Outcome::kShardEnded);
    return false;
  }
  const bool deaggregate = context_.options->deaggregate;
  absl::StatusOr<ShardIterator> iterator = consumer_.GetShardIterator(
      shard_id_, ResumePosition(input.checkpoint, deaggregate));
  if (iterator.ok()) processor_ = (*context_.factory)(shard_id_);
  if (!iterator.ok() || processor_ == nullptr) {
    // A shard the stream no longer has, or no processor: give it up.
    {
      MutexLock lock(&mu_);
      read_status_ =
          !iterator.ok()
              ? absl::Status(iterator.status().code(),
                             absl::StrCat("shard ", shard_id_,
                                          ": getting an iterator at ",
                                          input.checkpoint.DebugString(), ": ",
                                          iterator.status().message()))
              : absl::InvalidArgumentError(
                    absl::StrCat("shard ", shard_id_,
                                 ": the record processor factory returned "
                                 "null"));
    }
    context_.processor_errors->fetch_add(1, std::memory_order_relaxed);
    Release();
    Finish(Outcome::kProcessorError);
    return false;
  }
  iterator_ = *std::move(iterator);
  initial_checkpoint_ = input.checkpoint;
  skip_to_checkpoint_ = ResumesInside(input.checkpoint, deaggregate);
  processor_->Initialize(input);
  initialized_ = true;
  return true;
}

int64_t ShardConsumer::Read() {
  GetRecordsOptions options;
  options.limit = context_.options->max_records;
  options.durable_only = context_.options->durable_only;
  options.deaggregate = context_.options->deaggregate;
  options.reader = *context_.worker_id;
  absl::StatusOr<GetRecordsResult> result =
      consumer_.GetRecords(iterator_, options);
  read_failed_ = !result.ok();
  {
    MutexLock lock(&mu_);
    read_status_ = result.ok()
                       ? absl::OkStatus()
                       : absl::Status(result.status().code(),
                                      absl::StrCat("shard ", shard_id_,
                                                   ": reading records: ",
                                                   result.status().message()));
  }
  if (!result.ok()) return 0;
  absl::Span<const Record> records(result->records());
  // Resuming at the checkpoint's record: skip the user records up to it.
  if (skip_to_checkpoint_) {
    size_t skip = 0;
    while (skip < records.size() &&
           ExtendedSequenceNumber::At(records[skip].sequence_number,
                                      records[skip].subsequence_number) <=
               initial_checkpoint_) {
      ++skip;
    }
    if (skip < records.size()) skip_to_checkpoint_ = false;  // past it
    records.remove_prefix(skip);
  }
  int64_t delivered = 0;
  if (!records.empty()) {
    if (!delivered_any_) {
      first_delivered_ = ExtendedSequenceNumber::At(
          records.front().sequence_number, records.front().subsequence_number);
      delivered_any_ = true;
    }
    last_delivered_ = ExtendedSequenceNumber::At(
        records.back().sequence_number, records.back().subsequence_number);
    double bytes = 0;
    for (const Record& record : records) {
      bytes +=
          static_cast<double>(record.data.size() + record.partition_key.size());
    }
    {
      MutexLock lock(&mu_);
      behind_latest_ = result->behind_latest();
      window_records_ += static_cast<double>(records.size());
      window_bytes_ += bytes;
    }
    ProcessRecordsInput input;
    input.records = records;
    input.behind_latest = result->behind_latest();
    input.checkpointer = checkpointer_.get();
    mode_ = Mode::kProcess;
    absl::Status status = processor_->ProcessRecords(input);
    mode_ = Mode::kNone;
    delivered = static_cast<int64_t>(records.size());
    context_.records_delivered->fetch_add(static_cast<uint64_t>(delivered),
                                          std::memory_order_relaxed);
    if (!status.ok()) {
      context_.processor_errors->fetch_add(1, std::memory_order_relaxed);
      Release();
      Finish(Outcome::kProcessorError);
      return delivered;
    }
  } else {
    MutexLock lock(&mu_);
    behind_latest_ = result->behind_latest();
  }
  iterator_ = result->next_shard_iterator();
  if (!iterator_.valid()) {
    mode_ = Mode::kShardEnd;
    processor_->ShardEnded(*checkpointer_);
    mode_ = Mode::kNone;
    Release();
    Finish(Outcome::kShardEnded);
  }
  return delivered;
}

void ShardConsumer::Wait(absl::Duration idle) {
  bool pending;
  {
    MutexLock lock(&mu_);
    pending = PendingLocked();
  }
  if (pending || finished()) return;
  if (initialized_ && !read_failed_) {
    consumer_.WaitForRecords(iterator_, idle, &wait_interrupt_);
    return;
  }
  MutexLock lock(&mu_);
  int64_t deadline = DeadlineAfter(context_.env, idle);
  if (!initialized_) deadline = std::min(deadline, not_before_millis_);
  if (!PendingLocked()) cv_.WaitUntil(&mu_, context_.env, deadline);
}

absl::Status ShardConsumer::CheckpointLast() {
  if (mode_ == Mode::kShardEnd) {
    return StoreCheckpoint(ExtendedSequenceNumber::ShardEnd());
  }
  if (!delivered_any_) return absl::OkStatus();
  return StoreCheckpoint(last_delivered_);
}

absl::Status ShardConsumer::CheckpointAt(SequenceNumber sequence_number,
                                         uint64_t subsequence_number) {
  const ExtendedSequenceNumber target =
      ExtendedSequenceNumber::At(sequence_number, subsequence_number);
  const bool in_range =
      delivered_any_ && target >= first_delivered_ && target <= last_delivered_;
  if (!in_range && target != initial_checkpoint_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard ", shard_id_, ": checkpoint at ", target.DebugString(),
        " names no record delivered to this processor (delivered: ",
        delivered_any_ ? absl::StrCat(first_delivered_.DebugString(), " to ",
                                      last_delivered_.DebugString())
                       : std::string("none"),
        ")"));
  }
  if (in_range && target != first_delivered_ && target != last_delivered_) {
    // Between two delivered records: it must be one of those delivered.
    BROOK_RETURN_IF_ERROR(CheckDelivered(target));
  }
  return StoreCheckpoint(target);
}

absl::Status ShardConsumer::CheckDelivered(
    const ExtendedSequenceNumber& target) {
  auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("shard ", shard_id_, ": checkpoint at ",
                     target.DebugString(), " names no record ", why));
  };
  absl::StatusOr<ShardIterator> it = consumer_.GetShardIterator(
      shard_id_, StartingPosition::AtSequenceNumber(target.sequence_number()));
  if (!it.ok()) {
    return refuse(absl::StrCat("of the shard: ", it.status().message()));
  }
  // The stored record, expanded as it was delivered (one stored record:
  // every user record of an aggregate).
  GetRecordsOptions options;
  options.limit = 1;
  options.deaggregate = context_.options->deaggregate;
  absl::StatusOr<GetRecordsResult> read = consumer_.GetRecords(*it, options);
  if (!read.ok()) {
    return refuse(
        absl::StrCat("that can be read back: ", read.status().message()));
  }
  for (const Record& record : read->records()) {
    if (record.sequence_number == target.sequence_number() &&
        record.subsequence_number == target.subsequence_number()) {
      return absl::OkStatus();
    }
  }
  return refuse(
      options.deaggregate
          ? "delivered to this processor (no such subsequence)"
          : "delivered to this processor (records are not de-aggregated: "
            "subsequence numbers are 0)");
}

absl::Status ShardConsumer::StoreCheckpoint(
    const ExtendedSequenceNumber& checkpoint) {
  MutexLock lock(&mu_);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (lost_ || Classify(lease_) == Claim::kLost) {
      lost_ = true;
      return absl::FailedPreconditionError(
          absl::StrCat("shard ", shard_id_, ": worker ", *context_.worker_id,
                       " no longer holds the lease; checkpoint ",
                       checkpoint.DebugString(), " not stored"));
    }
    if (checkpoint < lease_.checkpoint) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shard ", shard_id_, ": checkpoint ", checkpoint.DebugString(),
          " is before the stored checkpoint ", lease_.checkpoint.DebugString(),
          " (checkpoints only move forward)"));
    }
    absl::StatusOr<Lease> stored =
        context_.store->UpdateCheckpoint(lease_, checkpoint);
    if (stored.ok()) {
      lease_ = *std::move(stored);
      return absl::OkStatus();
    }
    if (absl::IsNotFound(stored.status())) {
      lost_ = true;
      continue;
    }
    if (!absl::IsAborted(stored.status())) return stored.status();
    RefreshLocked();
  }
  return absl::AbortedError(absl::StrCat("shard ", shard_id_, ": checkpoint ",
                                         checkpoint.DebugString(),
                                         " lost a race three times"));
}

ExtendedSequenceNumber ShardConsumer::LastCheckpoint() const {
  MutexLock lock(&mu_);
  return lease_.checkpoint;
}

}  // namespace internal
}  // namespace brook
