// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The exporter: reads the local stream's shards in lineage order into one
// PutRecords batch at a time, sends it until every entry is acknowledged,
// and keeps per shard the last acknowledged sequence number (the
// checkpoint). One thread drives it; `Stop()` and `progress()` come from
// others.

#include "brook/exporter.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

#include "brook/consumer.h"

#include "remote/export_checkpoint.h"
#include "remote/export_rate_limit.h"
#include "remote/exporter_options.h"
#include "util/decimal.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

class ExporterImpl : public Exporter {
 public:
  ExporterImpl(Stream* stream, KinesisClient* client,
               const ExporterOptions& options, Env* env,
               std::unique_ptr<FileLock> lock)
      : lock_(std::move(lock)),
        stream_(stream),
        consumer_(stream),
        client_(client),
        options_(options),
        env_(env),
        random_(static_cast<uint32_t>(env->NowMillis())),
        rate_limit_(options.max_records_per_second,
                    options.max_bytes_per_second, env->NowMillis()) {
    backoff_ = options.initial_backoff;
    last_checkpoint_millis_ = env->NowMillis();
  }

  // Takes in the checkpoint read at creation.
  absl::Status Restore(const ExportCheckpointData& data) {
    const std::string local = stream_->options().name;
    if (data.local_stream_name != local ||
        data.remote_stream_name != options_.remote_stream_name) {
      return absl::FailedPreconditionError(absl::StrCat(
          "export checkpoint ", options_.checkpoint_path,
          ": written for local stream \"", data.local_stream_name,
          "\" to remote stream \"", data.remote_stream_name, "\", not for \"",
          local, "\" to \"", options_.remote_stream_name,
          "\" (use another checkpoint_path)"));
    }
    for (const ExportShardCheckpoint& s : data.shards)
      restored_[s.shard_id] = s;
    lost_base_ = data.records_lost;
    exported_base_ = data.records_exported;
    return absl::OkStatus();
  }

  absl::Status Run() override { return Loop(/*until_caught_up=*/false); }
  absl::Status RunUntilCaughtUp() override {
    return Loop(/*until_caught_up=*/true);
  }

  absl::StatusOr<int64_t> ExportBatch() override {
    if (stopped()) return Cancelled();
    BROOK_RETURN_IF_ERROR(Fill());
    if (batch_.entries.empty()) {
      BROOK_RETURN_IF_ERROR(MaybeCheckpoint());
      return 0;
    }
    int64_t sent = 0;
    for (;;) {
      if (stopped()) return Cancelled();
      if (!WaitForRate()) return Cancelled();
      std::vector<KinesisPutRecordsEntry> request;
      request.reserve(batch_.entries.size());
      for (const Entry& e : batch_.entries) {
        request.push_back(
            {absl::string_view(&batch_.arena[e.key], e.key_len),
             absl::string_view(&batch_.arena[e.data], e.data_len),
             absl::string_view(&batch_.arena[e.hash], e.hash_len)});
      }
      absl::StatusOr<KinesisPutRecordsResult> result =
          client_->PutRecords(options_.remote_stream_name, request);
      Count([](ExportProgress& p) { ++p.requests; });
      if (!result.ok()) {
        if (!IsTransientExportError(result.status())) return result.status();
        Count([&](ExportProgress& p) {
          ++p.failed_requests;
          p.last_error = result.status();
        });
        if (!Backoff(result.status())) return Cancelled();
        continue;
      }
      const int failed = Acknowledge(*result, &sent);
      if (failed == 0) {
        backoff_ = options_.initial_backoff;
        break;
      }
      const KinesisPutRecordsResultEntry& first = *std::find_if(
          result->records.begin(), result->records.end(),
          [](const KinesisPutRecordsResultEntry& r) { return !r.ok(); });
      const absl::Status entry_error = absl::UnavailableError(
          absl::StrCat("exporter: ", failed, " of ", result->records.size(),
                       " PutRecords entries failed, the first with ",
                       first.error_code, ": ", first.error_message));
      Count([&](ExportProgress& p) {
        p.failed_entries += failed;
        p.last_error = entry_error;
      });
      if (!Backoff(entry_error)) return Cancelled();
    }
    MarkFinished();
    BROOK_RETURN_IF_ERROR(MaybeCheckpoint());
    return sent;
  }

  absl::Status SaveCheckpoint() override {
    ExportCheckpointData data;
    data.local_stream_name = stream_->options().name;
    data.remote_stream_name = options_.remote_stream_name;
    for (const auto& [id, shard] : shards_) {
      ExportShardCheckpoint s;
      s.shard_id = id;
      s.finished = shard.phase == Phase::kFinished;
      s.acknowledged = shard.acknowledged;
      data.shards.push_back(std::move(s));
    }
    // Shards of the checkpoint not listed (yet) keep their positions.
    for (const auto& [id, s] : restored_) {
      if (shards_.count(id) == 0) data.shards.push_back(s);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      data.records_lost = lost_base_ + progress_.records_lost;
      data.records_exported = exported_base_ + progress_.records_sent;
    }
    data.saved_at_millis = env_->NowMillis();
    BROOK_RETURN_IF_ERROR(
        WriteExportCheckpoint(env_, options_.checkpoint_path, data));
    last_checkpoint_millis_ = env_->NowMillis();
    dirty_ = false;
    Count([](ExportProgress& p) { ++p.checkpoints_saved; });
    return absl::OkStatus();
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    interrupt_.Interrupt();
  }

  ExportProgress progress() const override {
    std::lock_guard<std::mutex> lock(mu_);
    ExportProgress p = progress_;
    p.records_lost += lost_base_;
    p.total_records_exported = exported_base_ + p.records_sent;
    p.shards_finished = shards_finished_;
    p.shards_active = shards_active_;
    return p;
  }

 private:
  enum class Phase { kWaitingForParents, kReading, kFinished };

  struct ShardState {
    ShardDescription description;
    Phase phase = Phase::kWaitingForParents;
    // Last sequence number the service acknowledged.
    std::optional<SequenceNumber> acknowledged;
    // Last sequence number put into a batch (>= acknowledged).
    std::optional<SequenceNumber> read;
    // A record read but left for the next batch: the next iterator starts
    // at it (not after `read`, which would count records retention removed
    // in between as lost a second time).
    std::optional<SequenceNumber> next_at;
    ShardIterator iterator;  // at `read` + 1 when `has_iterator`
    bool has_iterator = false;
    bool reached_end = false;  // the closed shard was read to its end
    int64_t in_batch = 0;      // entries of it in the batch not yet acked
  };

  // One entry of the batch: offsets into the batch's arena.
  struct Entry {
    ShardState* shard;
    SequenceNumber sequence_number;
    uint64_t key_hash;  // of the partition key, for `strict_key_order`
    size_t key, key_len, data, data_len, hash, hash_len;
  };

  struct Batch {
    std::string arena;
    std::vector<Entry> entries;
    int64_t bytes = 0;  // partition keys plus data
  };

  static absl::Status Cancelled() {
    return absl::CancelledError("exporter: stopped");
  }

  bool stopped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_;
  }

  template <typename F>
  void Count(F f) {
    std::lock_guard<std::mutex> lock(mu_);
    f(progress_);
  }

  // Waits `d` on the Env clock, or less if stopped; false if stopped.
  bool WaitFor(absl::Duration d) {
    return WaitUntil(env_->NowMillis() +
                     std::max<int64_t>(absl::ToInt64Milliseconds(d), 0));
  }

  // Waits until the Env clock reaches `deadline_millis`, or a stop; false
  // if stopped.
  bool WaitUntil(int64_t deadline_millis) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (env_->WaitUntil(cv_, lock, deadline_millis)) break;
    }
    return !stop_;
  }

  // The back-off's end is fixed before `on_retry` runs, so a test's
  // callback may move the clock past it.
  bool Backoff(const absl::Status& why) {
    const int64_t full = absl::ToInt64Milliseconds(backoff_);
    std::uniform_int_distribution<int64_t> pick(full / 2, full);
    const int64_t deadline = env_->NowMillis() + pick(random_);
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    if (options_.on_retry) options_.on_retry(why);
    return WaitUntil(deadline);
  }

  // Takes the batch's records and bytes from the rate limits, waiting until
  // they allow it; false if stopped meanwhile.
  bool WaitForRate() {
    const int64_t records = static_cast<int64_t>(batch_.entries.size());
    for (;;) {
      const int64_t wait = rate_limit_.MillisUntilAdmitted(
          records, batch_.bytes, env_->NowMillis());
      if (wait == 0) break;
      if (!WaitFor(absl::Milliseconds(wait))) return false;
    }
    rate_limit_.Take(records, batch_.bytes);
    return true;
  }

  // Applies a PutRecords result: per shard, the entries before its first
  // failed one are acknowledged; that one and the shard's later ones stay
  // in the batch, in order. Returns the failed entries.
  int Acknowledge(const KinesisPutRecordsResult& result, int64_t* sent) {
    std::vector<const ShardState*> failed_shards;
    auto shard_failed = [&](const ShardState* s) {
      return std::find(failed_shards.begin(), failed_shards.end(), s) !=
             failed_shards.end();
    };
    Batch kept;
    int failed = 0;
    int64_t acked = 0, acked_bytes = 0;
    for (size_t i = 0; i < batch_.entries.size(); ++i) {
      Entry& e = batch_.entries[i];
      const bool ok = result.records[i].ok();
      if (!ok) ++failed;
      if (!ok && !shard_failed(e.shard)) failed_shards.push_back(e.shard);
      if (shard_failed(e.shard)) {
        Entry k = e;
        const size_t base = kept.arena.size();
        kept.arena.append(batch_.arena, e.key, e.key_len);
        kept.arena.append(batch_.arena, e.data, e.data_len);
        kept.arena.append(batch_.arena, e.hash, e.hash_len);
        k.key = base;
        k.data = base + e.key_len;
        k.hash = base + e.key_len + e.data_len;
        kept.bytes += static_cast<int64_t>(e.key_len + e.data_len);
        kept.entries.push_back(k);
        continue;
      }
      e.shard->acknowledged = e.sequence_number;
      --e.shard->in_batch;
      ++acked;
      acked_bytes += static_cast<int64_t>(e.key_len + e.data_len);
    }
    batch_ = std::move(kept);
    if (acked > 0) dirty_ = true;
    keys_in_batch_.clear();
    for (const Entry& e : batch_.entries) keys_in_batch_.insert(e.key_hash);
    *sent += acked;
    Count([&](ExportProgress& p) {
      p.records_sent += acked;
      p.bytes_sent += acked_bytes;
    });
    return failed;
  }

  // Shards read to their end with nothing left in the batch are finished;
  // their children may then be read.
  void MarkFinished() {
    for (auto& [id, shard] : shards_) {
      if (shard.phase == Phase::kReading && shard.reached_end &&
          shard.in_batch == 0) {
        shard.phase = Phase::kFinished;
        dirty_ = true;
        shard.iterator = ShardIterator();
        shard.has_iterator = false;
      }
    }
    UpdateShardCounts();
  }

  void UpdateShardCounts() {
    int finished = 0, active = 0;
    for (const auto& [id, shard] : shards_) {
      if (shard.phase == Phase::kFinished) ++finished;
      if (shard.phase == Phase::kReading) ++active;
    }
    std::lock_guard<std::mutex> lock(mu_);
    shards_finished_ = finished;
    shards_active_ = active;
  }

  // Takes in the shards the stream lists now and lets those whose parents
  // are finished be read. A parent the stream does not list (or no longer
  // does) holds nothing back.
  void Refresh() {
    for (ShardDescription& d : stream_->ListShards()) {
      auto it = shards_.find(d.shard_id);
      if (it != shards_.end()) {
        it->second.description = std::move(d);
        continue;
      }
      ShardState s;
      if (auto r = restored_.find(d.shard_id); r != restored_.end()) {
        s.acknowledged = r->second.acknowledged;
        s.read = r->second.acknowledged;
        if (r->second.finished) s.phase = Phase::kFinished;
        restored_.erase(r);
      }
      const std::string id = d.shard_id;
      s.description = std::move(d);
      shards_.emplace(id, std::move(s));
    }
    for (auto& [id, shard] : shards_) {
      if (shard.phase != Phase::kWaitingForParents) continue;
      bool ready = true;
      for (const std::string* parent :
           {&shard.description.parent_shard_id,
            &shard.description.adjacent_parent_shard_id}) {
        if (parent->empty()) continue;
        auto p = shards_.find(*parent);
        if (p != shards_.end() && p->second.phase != Phase::kFinished) {
          ready = false;
        }
      }
      if (ready) shard.phase = Phase::kReading;
    }
    UpdateShardCounts();
  }

  // Tops the batch up from the shards that may be read, in lineage order.
  absl::Status Fill() {
    for (;;) {
      Refresh();
      bool finished_one = false;
      for (auto& [id, shard] : shards_) {
        if (shard.phase != Phase::kReading || shard.reached_end) continue;
        BROOK_RETURN_IF_ERROR(FillFrom(id, shard));
        if (shard.reached_end && shard.in_batch == 0) finished_one = true;
        if (BatchFull()) break;
      }
      if (!finished_one) return absl::OkStatus();
      MarkFinished();
      if (BatchFull()) return absl::OkStatus();
    }
  }

  bool BatchFull() const {
    return static_cast<int>(batch_.entries.size()) >= options_.batch_records ||
           batch_.bytes >= options_.batch_bytes;
  }

  absl::Status FillFrom(const std::string& id, ShardState& shard) {
    while (!BatchFull()) {
      if (!shard.has_iterator) {
        const StartingPosition start =
            shard.next_at.has_value()
                ? StartingPosition::AtSequenceNumber(*shard.next_at)
            : shard.read.has_value()
                ? StartingPosition::AfterSequenceNumber(*shard.read)
                : StartingPosition::TrimHorizon();
        shard.next_at.reset();
        BROOK_ASSIGN_OR_RETURN(shard.iterator,
                               consumer_.GetShardIterator(id, start));
        shard.has_iterator = true;
      }
      GetRecordsOptions get;
      get.limit =
          options_.batch_records - static_cast<int>(batch_.entries.size());
      get.max_bytes = std::max<int64_t>(options_.batch_bytes - batch_.bytes, 1);
      get.durable_only = options_.durable_only;
      BROOK_ASSIGN_OR_RETURN(GetRecordsResult r,
                             consumer_.GetRecords(shard.iterator, get));
      if (r.skipped_records() != 0) {
        Count(
            [&](ExportProgress& p) { p.records_lost += r.skipped_records(); });
        if (options_.on_loss) options_.on_loss(id, r.skipped_records());
        dirty_ = true;
      }
      // A record that does not fit (or, with `strict_key_order`, whose key
      // is in the batch already) is read again for the next batch.
      bool cut = false;
      for (const Record& rec : r.records()) {
        const int64_t size =
            static_cast<int64_t>(rec.partition_key.size() + rec.data.size());
        const uint64_t key_hash = absl::HashOf(rec.partition_key);
        if ((!batch_.entries.empty() &&
             batch_.bytes + size > options_.batch_bytes) ||
            (options_.strict_key_order &&
             !keys_in_batch_.insert(key_hash).second)) {
          cut = true;
          shard.next_at = rec.sequence_number;
          break;
        }
        Entry e;
        e.key_hash = key_hash;
        e.shard = &shard;
        e.sequence_number = rec.sequence_number;
        e.key = batch_.arena.size();
        e.key_len = rec.partition_key.size();
        batch_.arena.append(rec.partition_key.data(), rec.partition_key.size());
        e.data = batch_.arena.size();
        e.data_len = rec.data.size();
        batch_.arena.append(rec.data.data(), rec.data.size());
        e.hash = batch_.arena.size();
        AppendDecimalUint128(rec.hash_key, &batch_.arena);
        e.hash_len = batch_.arena.size() - e.hash;
        batch_.bytes += size;
        batch_.entries.push_back(e);
        ++shard.in_batch;
        shard.read = rec.sequence_number;
      }
      if (cut) {
        shard.has_iterator = false;  // again at `next_at`
        return absl::OkStatus();
      }
      if (!r.next_shard_iterator().valid()) {
        shard.reached_end = true;
        shard.has_iterator = false;
        return absl::OkStatus();
      }
      shard.iterator = r.next_shard_iterator();
      if (r.records().empty()) return absl::OkStatus();  // at the tip
    }
    return absl::OkStatus();
  }

  // Saves the checkpoint if it changed and `checkpoint_interval` passed
  // since the last save, so an idle exporter writes nothing.
  absl::Status MaybeCheckpoint() {
    if (!dirty_ ||
        env_->NowMillis() - last_checkpoint_millis_ <
            absl::ToInt64Milliseconds(options_.checkpoint_interval)) {
      return absl::OkStatus();
    }
    return SaveCheckpoint();
  }

  // Waits up to `poll_interval` for records in a shard being read, or a
  // stop; shared out over the shards read.
  void WaitForWork() {
    std::vector<const ShardIterator*> reading;
    for (const auto& [id, shard] : shards_) {
      if (shard.phase == Phase::kReading && shard.has_iterator &&
          !shard.reached_end) {
        reading.push_back(&shard.iterator);
      }
    }
    if (reading.empty()) {
      WaitFor(options_.poll_interval);
      return;
    }
    const absl::Duration slice =
        std::max(options_.poll_interval / static_cast<int64_t>(reading.size()),
                 absl::Milliseconds(1));
    for (const ShardIterator* it : reading) {
      if (consumer_.WaitForRecords(*it, slice, &interrupt_)) return;
      if (stopped()) return;
    }
  }

  absl::Status Loop(bool until_caught_up) {
    absl::Status status;
    for (;;) {
      if (stopped()) {
        if (until_caught_up) status = Cancelled();
        break;
      }
      absl::StatusOr<int64_t> n = ExportBatch();
      if (!n.ok()) {
        if (!absl::IsCancelled(n.status())) status = n.status();
        if (absl::IsCancelled(n.status()) && until_caught_up) {
          status = n.status();
        }
        break;
      }
      if (*n > 0) continue;
      if (until_caught_up) break;
      WaitForWork();
    }
    absl::Status saved = SaveCheckpoint();
    return status.ok() ? saved : status;
  }

  const std::unique_ptr<FileLock> lock_;  // <checkpoint>.lock, held
  Stream* const stream_;
  Consumer consumer_;
  KinesisClient* const client_;
  const ExporterOptions options_;
  Env* const env_;
  std::mt19937_64 random_;
  ExportRateLimit rate_limit_;
  absl::Duration backoff_;
  int64_t last_checkpoint_millis_ = 0;
  bool dirty_ = false;  // positions changed since the last save

  std::map<std::string, ShardState> shards_;  // by id: parents first
  // Checkpointed shards not listed by the stream yet.
  std::map<std::string, ExportShardCheckpoint> restored_;
  Batch batch_;
  // Hashes of the batch's partition keys (`strict_key_order`); a collision
  // only ends a batch early.
  absl::flat_hash_set<uint64_t> keys_in_batch_;
  WaitInterrupt interrupt_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // with mu_: a stop
  bool stop_ = false;           // guarded by mu_
  ExportProgress progress_;     // guarded by mu_
  uint64_t lost_base_ = 0;      // from the checkpoint; guarded by mu_
  uint64_t exported_base_ = 0;  // from the checkpoint; guarded by mu_
  int shards_finished_ = 0;     // guarded by mu_
  int shards_active_ = 0;       // guarded by mu_
};

}  // namespace
}  // namespace internal

Exporter::~Exporter() = default;

absl::StatusOr<std::unique_ptr<Exporter>> Exporter::Create(
    Stream* stream, KinesisClient* client, const ExporterOptions& options) {
  assert(stream != nullptr && client != nullptr);
  BROOK_RETURN_IF_ERROR(internal::CheckExporterOptions(options));
  Env* const env = options.env != nullptr ? options.env : Env::Default();
  BROOK_ASSIGN_OR_RETURN(
      std::unique_ptr<FileLock> lock,
      internal::LockExportCheckpoint(env, options.checkpoint_path));
  BROOK_ASSIGN_OR_RETURN(
      std::optional<internal::ExportCheckpointData> checkpoint,
      internal::ReadExportCheckpoint(env, options.checkpoint_path));
  auto exporter = std::make_unique<internal::ExporterImpl>(
      stream, client, options, env, std::move(lock));
  if (checkpoint.has_value()) {
    BROOK_RETURN_IF_ERROR(exporter->Restore(*checkpoint));
  }
  return std::unique_ptr<Exporter>(std::move(exporter));
}

}  // namespace brook
