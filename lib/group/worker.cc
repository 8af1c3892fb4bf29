// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `Worker`: creation and options, the two ways to run (threads, RunOnce),
// graceful and abrupt stops, stats. The rounds are in coordinator.cc and
// leader.cc; one held shard in shard_consumer.cc.

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "group/group_keys.h"
#include "group/worker_impl.h"
#include "util/status_macros.h"
#include <unistd.h>

namespace brook {

Worker::~Worker() = default;

namespace internal {
namespace {

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '.' || c == '-';
}

std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string id(host);
  if (id.empty()) id = "host";
  for (char& c : id) {
    if (!IsIdChar(c)) c = '_';
  }
  if (id[0] == '.') id[0] = '_';
  if (id.size() > 150) id.resize(150);
  std::random_device random;
  return absl::StrFormat("%s-%d-%08x", id, static_cast<int>(getpid()),
                         static_cast<uint32_t>(random()));
}

// Positive whole milliseconds (zero too if `zero_ok`).
absl::Status CheckDuration(absl::string_view field, absl::Duration value,
                           bool zero_ok) {
  const bool whole = value != absl::InfiniteDuration() &&
                     absl::Trunc(value, absl::Milliseconds(1)) == value;
  if (!whole || value < absl::ZeroDuration() ||
      (value == absl::ZeroDuration() && !zero_ok)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "worker options: ", field, " ", absl::FormatDuration(value),
        " is not a positive whole number of milliseconds"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WorkerOptions> ResolveWorkerOptions(WorkerOptions options) {
  if (options.worker_id.empty()) options.worker_id = DefaultWorkerId();
  const std::string& id = options.worker_id;
  if (id.size() > 200 || id[0] == '.' ||
      !std::all_of(id.begin(), id.end(), IsIdChar)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "worker options: worker_id \"", absl::CEscape(id),
        "\" is not 1 to 200 characters of [A-Za-z0-9_.-] not starting "
        "with '.'"));
  }
  BROOK_RETURN_IF_ERROR(
      CheckDuration("failover_time", options.failover_time, false));
  BROOK_RETURN_IF_ERROR(CheckDuration("lease_renewal_interval",
                                      options.lease_renewal_interval, true));
  BROOK_RETURN_IF_ERROR(
      CheckDuration("assignment_interval", options.assignment_interval, true));
  BROOK_RETURN_IF_ERROR(CheckDuration("graceful_handoff_timeout",
                                      options.graceful_handoff_timeout, false));
  BROOK_RETURN_IF_ERROR(CheckDuration("idle_time_between_reads",
                                      options.idle_time_between_reads, false));
  BROOK_RETURN_IF_ERROR(CheckDuration("processor_error_backoff",
                                      options.processor_error_backoff, false));
  if (options.lease_renewal_interval == absl::ZeroDuration()) {
    options.lease_renewal_interval =
        std::max(absl::Milliseconds(1),
                 absl::Trunc(options.failover_time / 3, absl::Milliseconds(1)));
  }
  if (options.lease_renewal_interval * 2 >= options.failover_time) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker options: lease_renewal_interval ",
                     absl::FormatDuration(options.lease_renewal_interval),
                     " is not less than failover_time / 2 (failover_time ",
                     absl::FormatDuration(options.failover_time), ")"));
  }
  if (options.assignment_interval == absl::ZeroDuration()) {
    options.assignment_interval = options.lease_renewal_interval;
  }
  if (options.max_leases_per_worker < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker options: max_leases_per_worker ",
                     options.max_leases_per_worker, " is negative"));
  }
  if (!options.initial_position.is_initial_position()) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker options: initial_position ",
                     options.initial_position.DebugString(),
                     " is not TRIM_HORIZON, LATEST or AT_TIMESTAMP"));
  }
  if (options.assignment != AssignmentStrategy::kLoadAware &&
      options.assignment != AssignmentStrategy::kUniform) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker options: assignment ",
                     static_cast<int>(options.assignment), " is unknown"));
  }
  if (!(options.rebalance_threshold >= 0) ||
      !std::isfinite(options.rebalance_threshold)) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker options: rebalance_threshold ",
                     options.rebalance_threshold, " is not 0 or more"));
  }
  if (!(options.dampening > 0 && options.dampening <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "worker options: dampening ", options.dampening, " is not in (0, 1]"));
  }
  if (options.max_records < 1 || options.max_records > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker options: max_records ", options.max_records,
                     " is not in [1, 10000]"));
  }
  if (options.env == nullptr) options.env = Env::Default();
  return options;
}

absl::Duration SettleDelay(const WorkerOptions& options) {
  return std::max(
      absl::Milliseconds(1),
      absl::Trunc(options.lease_renewal_interval / 10, absl::Milliseconds(1)));
}

WorkerImpl::WorkerImpl(Stream* stream, LeaseStore* store,
                       RecordProcessorFactory factory, WorkerOptions options)
    : stream_(stream),
      store_(store),
      factory_(std::move(factory)),
      options_(std::move(options)),
      env_(options_.env) {
  context_.stream = stream_;
  context_.store = store_;
  context_.env = env_;
  context_.options = &options_;
  context_.worker_id = &options_.worker_id;
  context_.factory = &factory_;
  context_.records_delivered = &records_delivered_;
  context_.processor_errors = &processor_errors_;
  context_.leases_lost = &leases_lost_;
}

WorkerImpl::~WorkerImpl() { Shutdown(absl::InfiniteDuration()).IgnoreError(); }

absl::Status WorkerImpl::Start() {
  {
    MutexLock lock(&mu_);
    if (mode_ != Mode::kIdle) {
      return absl::FailedPreconditionError(absl::StrCat(
          "worker ", options_.worker_id,
          ": Start() after Start(), RunOnce(), Shutdown() or Abort()"));
    }
    mode_ = Mode::kThreads;
  }
  {
    MutexLock round(&round_mu_);
    absl::Status joined = Join();
    if (!joined.ok()) {
      MutexLock lock(&mu_);
      mode_ = Mode::kIdle;
      return joined;
    }
  }
  coordinator_ = std::thread(&WorkerImpl::CoordinatorLoop, this);
  return absl::OkStatus();
}

void WorkerImpl::CoordinatorLoop() {
  while (true) {
    int64_t wake_at;
    {
      MutexLock round(&round_mu_);
      {
        MutexLock lock(&mu_);
        if (stop_) return;
      }
      const int64_t started = env_->NowMillis();
      absl::Status status = Round();
      absl::Status shard_errors = ShardErrors();
      if (status.ok()) status = shard_errors;
      if (next_renew_millis_ <= started) {
        // The round failed before renewing: retry one interval after it
        // started (not after it ended: the clock may have moved meanwhile).
        next_renew_millis_ = started + absl::ToInt64Milliseconds(
                                           options_.lease_renewal_interval);
      }
      // The next renewal, an expiry to act on at once, or a look for leases
      // the leader assigned after one (Round()).
      wake_at = std::min(
          {next_renew_millis_, next_expiry_millis_, next_poll_millis_});
      MutexLock lock(&mu_);
      status_ = status;
    }
    MutexLock lock(&mu_);
    while (!stop_ && env_->NowMillis() < wake_at) {
      // A shard that finished wakes us to reap it and take what is next.
      bool any_finished = false;
      for (const auto& [key, consumer] : consumers_) {
        if (consumer->finished()) any_finished = true;
      }
      if (any_finished) break;
      cv_.WaitUntil(&mu_, env_, wake_at);
    }
  }
}

void WorkerImpl::ShardLoop(std::shared_ptr<ShardConsumer> consumer) {
  while (!consumer->finished()) {
    const int64_t delivered = consumer->Step();
    if (consumer->finished()) break;
    if (delivered == 0) consumer->Wait(options_.idle_time_between_reads);
  }
  MutexLock lock(&mu_);
  cv_.SignalAll();
}

std::vector<std::shared_ptr<ShardConsumer>> WorkerImpl::Consumers() const {
  MutexLock lock(&mu_);
  std::vector<std::shared_ptr<ShardConsumer>> consumers;
  for (const auto& [key, consumer] : consumers_) consumers.push_back(consumer);
  return consumers;
}

void WorkerImpl::ReapFinished() {
  std::vector<std::thread> threads;
  {
    MutexLock lock(&mu_);
    for (auto it = consumers_.begin(); it != consumers_.end();) {
      if (!it->second->finished()) {
        ++it;
        continue;
      }
      if (it->second->outcome() == ShardConsumer::Outcome::kProcessorError) {
        backoff_until_[it->first] =
            it->second->finished_millis() +
            absl::ToInt64Milliseconds(options_.processor_error_backoff);
      }
      if (reaped_error_.ok()) reaped_error_ = it->second->read_status();
      auto thread = shard_threads_.find(it->first);
      if (thread != shard_threads_.end()) {
        threads.push_back(std::move(thread->second));
        shard_threads_.erase(thread);
      }
      it = consumers_.erase(it);
    }
  }
  for (std::thread& thread : threads) thread.join();
  const int64_t now = env_->NowMillis();
  for (auto it = backoff_until_.begin(); it != backoff_until_.end();) {
    it = it->second <= now ? backoff_until_.erase(it) : std::next(it);
  }
}

absl::Status WorkerImpl::ShardErrors() {
  absl::Status status = std::move(reaped_error_);
  reaped_error_ = absl::OkStatus();
  for (const std::shared_ptr<ShardConsumer>& consumer : Consumers()) {
    if (status.ok() && !consumer->finished()) status = consumer->read_status();
  }
  return status;
}

absl::StatusOr<int64_t> WorkerImpl::RunOnce() {
  {
    MutexLock lock(&mu_);
    if (mode_ == Mode::kIdle) mode_ = Mode::kRunOnce;
    if (mode_ != Mode::kRunOnce) {
      return absl::FailedPreconditionError(
          absl::StrCat("worker ", options_.worker_id,
                       ": RunOnce() with Start(), or after Shutdown() or "
                       "Abort()"));
    }
  }
  MutexLock round(&round_mu_);
  {
    MutexLock lock(&mu_);
    if (mode_ != Mode::kRunOnce) {
      return absl::FailedPreconditionError(absl::StrCat(
          "worker ", options_.worker_id, ": RunOnce() after Shutdown()"));
    }
  }
  absl::Status status = Round();
  int64_t delivered = 0;
  if (status.ok()) {
    for (const std::shared_ptr<ShardConsumer>& consumer : Consumers()) {
      delivered += consumer->Step();
    }
    ReapFinished();  // so that an error of a shard that ended shows now
    status = ShardErrors();
  }
  {
    MutexLock lock(&mu_);
    status_ = status;
  }
  if (!status.ok()) return status;
  return delivered;
}

void WorkerImpl::JoinShardThreads() {
  std::map<std::string, std::thread> threads;
  {
    MutexLock lock(&mu_);
    threads.swap(shard_threads_);
  }
  for (auto& [key, thread] : threads) thread.join();
}

void WorkerImpl::StopThreads() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  if (coordinator_.joinable()) coordinator_.join();
}

absl::Status WorkerImpl::Leave() {
  if (!joined_) return absl::OkStatus();
  absl::Status status;
  if (is_leader_.load()) {
    // Let another worker lead at once instead of after the failover time.
    absl::StatusOr<Lease> evicted = store_->EvictLease(leader_entry_);
    if (!evicted.ok() && !absl::IsAborted(evicted.status()) &&
        !absl::IsNotFound(evicted.status())) {
      status = evicted.status();
    }
    is_leader_.store(false);
  }
  absl::Status deleted = store_->DeleteLease(entry_);
  if (absl::IsAborted(deleted)) {
    absl::StatusOr<Lease> fresh = store_->GetLease(entry_.lease_key);
    if (fresh.ok() && fresh->lease_owner == options_.worker_id) {
      deleted = store_->DeleteLease(*fresh);
    }
  }
  if (!deleted.ok() && !absl::IsNotFound(deleted) && status.ok()) {
    status = deleted;
  }
  joined_ = false;
  return status;
}

absl::Status WorkerImpl::Shutdown(absl::Duration timeout) {
  Mode mode;
  {
    MutexLock lock(&mu_);
    if (shutdown_done_) return shutdown_status_;
    mode = mode_;
  }
  const int64_t deadline = DeadlineAfter(env_, timeout);
  if (mode == Mode::kThreads) StopThreads();
  MutexLock round(&round_mu_);
  {
    MutexLock lock(&mu_);
    if (shutdown_done_) return shutdown_status_;
  }
  absl::Status status;
  std::vector<std::shared_ptr<ShardConsumer>> consumers = Consumers();
  for (const std::shared_ptr<ShardConsumer>& consumer : consumers) {
    consumer->RequestShutdown();
  }
  if (mode == Mode::kThreads) {
    MutexLock lock(&mu_);
    while (true) {
      bool all = true;
      for (const auto& [key, consumer] : consumers_) {
        if (!consumer->finished()) all = false;
      }
      if (all) break;
      if (cv_.WaitUntil(&mu_, env_, deadline)) {
        status = absl::DeadlineExceededError(absl::StrCat(
            "worker ", options_.worker_id, ": shutdown took longer than ",
            absl::FormatDuration(timeout)));
        for (const auto& [key, consumer] : consumers_) consumer->Abandon();
        break;
      }
    }
  }
  JoinShardThreads();
  if (mode != Mode::kThreads) {
    // RunOnce mode: the processors' last calls happen here.
    for (const std::shared_ptr<ShardConsumer>& consumer : consumers) {
      consumer->Step();
    }
  }
  ReapFinished();  // joins the shard threads
  {
    MutexLock lock(&mu_);
    mode_ = Mode::kStopped;
  }
  if (status.ok()) {
    status = Leave();
  }
  MutexLock lock(&mu_);
  shutdown_done_ = true;
  shutdown_status_ = status;
  return status;
}

void WorkerImpl::Abort() {
  {
    MutexLock lock(&mu_);
    if (shutdown_done_) return;
  }
  StopThreads();
  MutexLock round(&round_mu_);
  for (const std::shared_ptr<ShardConsumer>& consumer : Consumers()) {
    consumer->Abandon();
  }
  JoinShardThreads();
  for (const std::shared_ptr<ShardConsumer>& consumer : Consumers()) {
    consumer->Step();  // RunOnce mode: finishes it here, with no call
  }
  ReapFinished();
  is_leader_.store(false);
  MutexLock lock(&mu_);
  mode_ = Mode::kStopped;
  shutdown_done_ = true;
}

absl::Status WorkerImpl::status() const {
  MutexLock lock(&mu_);
  return status_;
}

WorkerStats WorkerImpl::Stats() const {
  WorkerStats stats;
  stats.worker_id = options_.worker_id;
  stats.is_leader = is_leader_.load();
  for (const std::shared_ptr<ShardConsumer>& consumer : Consumers()) {
    if (!consumer->finished()) stats.shards.push_back(consumer->Snapshot());
  }
  stats.records_delivered = records_delivered_.load();
  stats.leases_taken = leases_taken_.load();
  stats.leases_lost = leases_lost_.load();
  stats.processor_errors = processor_errors_.load();
  return stats;
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(
    Stream* stream, LeaseStore* leases, RecordProcessorFactory factory,
    const WorkerOptions& options) {
  if (stream == nullptr || leases == nullptr || factory == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker: null ", stream == nullptr   ? "stream"
                                      : leases == nullptr ? "lease store"
                                                          : "factory"));
  }
  BROOK_ASSIGN_OR_RETURN(WorkerOptions resolved,
                         internal::ResolveWorkerOptions(options));
  if (resolved.durable_only) {
    // A memory stream refuses every durable_only read (GetRecordsOptions):
    // say so now, naming the option, rather than at each read.
    std::vector<ShardDescription> shards = stream->ListShards();
    Consumer consumer(stream);
    absl::StatusOr<ShardIterator> it =
        shards.empty() ? absl::StatusOr<ShardIterator>(ShardIterator())
                       : consumer.GetShardIterator(shards.front().shard_id,
                                                   StartingPosition::Latest());
    if (it.ok() && it->valid()) {
      GetRecordsOptions probe;
      probe.limit = 1;
      probe.durable_only = true;
      absl::StatusOr<GetRecordsResult> read = consumer.GetRecords(*it, probe);
      if (absl::IsFailedPrecondition(read.status())) {
        return absl::FailedPreconditionError(
            absl::StrCat("worker options: durable_only is set but stream ",
                         stream->options().name,
                         " has no durable records (a memory stream): ",
                         read.status().message()));
      }
    }
  }
  return std::unique_ptr<Worker>(new internal::WorkerImpl(
      stream, leases, std::move(factory), std::move(resolved)));
}

}  // namespace brook
