// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `LineageReader` reads every shard of a stream (or one shard and its
// descendants) in lineage order, as a KCL worker does: a child shard is read
// only after every parent it has among the shards followed has been read to
// its end, so each partition key's records come out in the order they were
// written, across splits and merges. New shards (a reshard by the writer,
// seen by a follower through `ListShards()`) are picked up as they appear.
// Used by `brook tail` and by the cross-process follower test; header-only
// (public API only) so that tests that do not link the tool can use it. Not
// public API: issue 11 will make a public one.
//
// Thread safety: not thread-safe; one thread drives a reader.
// Lifetime: the stream must outlive the reader. Records given to the sink are
// valid only during the call.
//
// Example:
//   LineageReader reader(stream, LineageReader::Options());
//   for (;;) {
//     absl::StatusOr<int64_t> n = reader.ReadAvailable(sink);
//     if (!n.ok()) return n.status();
//     if (*n == 0) reader.Wait(absl::Milliseconds(100));
//   }

#ifndef BROOK_TOOLS_BROOK_LINEAGE_READER_H_
#define BROOK_TOOLS_BROOK_LINEAGE_READER_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "brook/consumer.h"
#include "brook/shard.h"
#include "brook/stream.h"

namespace brook {
namespace cli {

class LineageReader {
 public:
  struct Options {
    // Read this shard and its descendants only; empty for every shard.
    std::string shard_id;
    // Where the first shards read start:
    //   TRIM_HORIZON        every shard from its oldest record kept;
    //   AT_TIMESTAMP        every shard from the timestamp;
    //   LATEST              the shards open when the reader starts, after
    //                       their last record; closed shards are skipped;
    //   AT_/AFTER_SEQUENCE_NUMBER  only with `shard_id` (a sequence number
    //                       belongs to one shard): that shard from there.
    // Children that appear later start at their first record (TRIM_HORIZON),
    // but under AT_TIMESTAMP at the timestamp.
    StartingPosition start;
    // Passed to every GetRecords call.
    GetRecordsOptions get;
    // How long `Wait()` waits on one shard at a time when several are being
    // read (there is no stream-wide wait): the added latency of a record in
    // a shard not waited on is at most this times the shards read. 10 ms.
    absl::Duration wait_slice = absl::Milliseconds(10);
  };

  // Called for each GetRecords result that has records or skipped records,
  // with the shard's id, in lineage order.
  using Sink = std::function<void(const std::string& shard_id,
                                  const GetRecordsResult& result)>;

  LineageReader(Stream* stream, Options options)
      : stream_(stream), consumer_(stream), options_(std::move(options)) {}

  // Checks the options against the stream: kNotFound for an unknown
  // `shard_id`, kInvalidArgument for a sequence-number start without one.
  // Call once before the rest.
  absl::Status Start() {
    const ShardIteratorType type = options_.start.type;
    if ((type == ShardIteratorType::kAtSequenceNumber ||
         type == ShardIteratorType::kAfterSequenceNumber) &&
        options_.shard_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ShardIteratorTypeName(type), " needs a shard id"));
    }
    if (!options_.shard_id.empty()) {
      absl::StatusOr<Shard*> shard = stream_->GetShard(options_.shard_id);
      if (!shard.ok()) return shard.status();
    }
    Refresh(/*first=*/true);
    return absl::OkStatus();
  }

  // Reads what every shard that may be read holds now, in lineage order,
  // handing each result to `sink`; returns the records read. Shards that
  // reach their end let their children be read in the same call. Returns the
  // first error of GetShardIterator or GetRecords.
  absl::StatusOr<int64_t> ReadAvailable(const Sink& sink) {
    int64_t records = 0;
    for (;;) {
      Refresh(/*first=*/false);
      bool ended_one = false;
      for (auto& [id, shard] : shards_) {
        if (shard.state != State::kReading) continue;
        if (!shard.iterator.valid()) {
          absl::StatusOr<ShardIterator> it =
              consumer_.GetShardIterator(id, shard.start);
          if (!it.ok()) return it.status();
          shard.iterator = *it;
        }
        for (;;) {
          absl::StatusOr<GetRecordsResult> r =
              consumer_.GetRecords(shard.iterator, options_.get);
          if (!r.ok()) return r.status();
          records += static_cast<int64_t>(r->records().size());
          if (!r->records().empty() || r->skipped_records() != 0) {
            sink(id, *r);
          }
          if (!r->next_shard_iterator().valid()) {
            shard.state = State::kEnded;
            shard.iterator = ShardIterator();
            ended_one = true;
            break;
          }
          shard.iterator = r->next_shard_iterator();
          if (r->records().empty()) break;
        }
      }
      if (!ended_one) return records;
    }
  }

  // Waits up to `timeout` for a shard being read to have records or reach its
  // end, or for the stream to get new shards; true if one has. Waits on one
  // shard at a time, `wait_slice` each, when several are read.
  bool Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    const size_t shards_known = shards_.size();
    for (;;) {
      std::vector<const ShardIterator*> reading;
      for (const auto& [id, shard] : shards_) {
        if (shard.state == State::kReading && shard.iterator.valid()) {
          reading.push_back(&shard.iterator);
        }
      }
      const absl::Duration left = deadline - absl::Now();
      if (reading.empty()) {
        // Nothing to wait on: every shard read has ended and its children
        // are not listed yet. Only a reshard adds shards, and no wait exists
        // for that, so look again after a slice.
        Refresh(/*first=*/false);
        if (shards_.size() != shards_known) return true;
        if (left <= absl::ZeroDuration()) return false;
        absl::SleepFor(std::min(options_.wait_slice, left));
        continue;
      }
      if (reading.size() == 1) {
        return consumer_.WaitForRecords(*reading[0],
                                        std::max(left, absl::ZeroDuration()));
      }
      for (const ShardIterator* it : reading) {
        const absl::Duration slice =
            std::max(std::min(options_.wait_slice, deadline - absl::Now()),
                     absl::ZeroDuration());
        if (consumer_.WaitForRecords(*it, slice)) return true;
      }
      if (absl::Now() >= deadline) return false;
    }
  }

  // The shards being read now (parents ended, own end not reached).
  std::vector<std::string> ReadingShards() const {
    std::vector<std::string> ids;
    for (const auto& [id, shard] : shards_) {
      if (shard.state == State::kReading) ids.push_back(id);
    }
    return ids;
  }
  // True once `shard_id` was read to its end (or skipped at the start).
  bool Ended(const std::string& shard_id) const {
    auto it = shards_.find(shard_id);
    return it != shards_.end() && it->second.state == State::kEnded;
  }

 private:
  enum class State { kWaitingForParents, kReading, kEnded };
  struct ShardState {
    ShardDescription description;
    State state = State::kWaitingForParents;
    StartingPosition start;
    ShardIterator iterator;  // invalid until first read
  };

  // Takes in the shards the stream lists now and lets those whose parents
  // have ended be read.
  void Refresh(bool first) {
    for (ShardDescription& d : stream_->ListShards()) {
      auto it = shards_.find(d.shard_id);
      if (it != shards_.end()) {
        it->second.description = std::move(d);
        continue;
      }
      if (!Followed(d)) continue;
      ShardState s;
      const ShardIteratorType type = options_.start.type;
      if (type == ShardIteratorType::kAtSequenceNumber ||
          type == ShardIteratorType::kAfterSequenceNumber) {
        // The number belongs to `shard_id`; its descendants start at their
        // first record.
        s.start = d.shard_id == options_.shard_id
                      ? options_.start
                      : StartingPosition::TrimHorizon();
      } else if (first) {
        s.start = options_.start;
        if (options_.start.type == ShardIteratorType::kLatest && !d.is_open()) {
          s.state = State::kEnded;  // nothing after its end
        }
      } else if (type == ShardIteratorType::kAtTimestamp) {
        s.start = options_.start;
      } else {
        s.start = StartingPosition::TrimHorizon();
      }
      const std::string id = d.shard_id;
      s.description = std::move(d);
      shards_.emplace(id, std::move(s));
    }
    for (auto& [id, shard] : shards_) {
      if (shard.state != State::kWaitingForParents) continue;
      bool ready = true;
      for (const std::string* parent :
           {&shard.description.parent_shard_id,
            &shard.description.adjacent_parent_shard_id}) {
        if (parent->empty() || id == options_.shard_id) continue;
        auto p = shards_.find(*parent);
        if (p != shards_.end() && p->second.state != State::kEnded) {
          ready = false;
        }
      }
      if (ready) shard.state = State::kReading;
    }
  }

  // Whether `d` is one of the shards read: all of them, or `shard_id` and
  // the shards with a followed parent (the list is in id order, and a child's
  // id is greater than its parents').
  bool Followed(const ShardDescription& d) const {
    if (options_.shard_id.empty() || d.shard_id == options_.shard_id) {
      return true;
    }
    return (!d.parent_shard_id.empty() && shards_.count(d.parent_shard_id)) ||
           (!d.adjacent_parent_shard_id.empty() &&
            shards_.count(d.adjacent_parent_shard_id));
  }

  Stream* const stream_;
  Consumer consumer_;
  const Options options_;
  std::map<std::string, ShardState> shards_;  // by id: parents before children
};

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_LINEAGE_READER_H_
