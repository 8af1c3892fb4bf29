// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `brook tail --stream-name`: follows a Kinesis stream by polling, as a KCL
// worker does, and prints what the local tail prints. Every followed shard
// that may be read gets one GetRecords per poll, and polls are at least
// 200 ms apart (Kinesis allows 5 GetRecords per shard per second). A child
// shard is read only once each parent it has among the followed shards was
// read to its end (GetRecords returned no next iterator), so each partition
// key's records come out in order across splits and merges; ListShards is
// asked again after a shard ends (children are listed when their parents
// close) and every 10 s. An iterator that expired is re-made after the last
// record printed.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "brook/kinesis_client.h"

#include "tools/brook/json.h"
#include "tools/brook/remote_commands.h"

namespace brook {
namespace cli {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(200);
constexpr absl::Duration kStopCheckInterval = absl::Milliseconds(100);
constexpr absl::Duration kRelistInterval = absl::Seconds(10);

class RemoteLineageReader {
 public:
  // Called with each GetRecords result that has records, in lineage order.
  using Sink = std::function<void(const std::string& shard_id,
                                  const std::vector<KinesisRecord>& records)>;

  RemoteLineageReader(KinesisClient* client, std::string stream,
                      std::string shard_id, KinesisStartingPosition start)
      : client_(client),
        stream_(std::move(stream)),
        shard_id_(std::move(shard_id)),
        start_(std::move(start)) {}

  // Lists the shards; kNotFound for an unknown `shard_id`, or the error of
  // ListShards.
  absl::Status Start() {
    if (absl::Status s = Refresh(/*first=*/true); !s.ok()) return s;
    if (!shard_id_.empty() && shards_.count(shard_id_) == 0) {
      return absl::NotFoundError(
          absl::StrCat("shard ", shard_id_, ": not found in stream ", stream_));
    }
    return absl::OkStatus();
  }

  // One GetRecords on each shard that may be read; returns the records read.
  absl::StatusOr<int64_t> Poll(const Sink& sink) {
    if (relist_ || absl::Now() - listed_at_ >= kRelistInterval) {
      if (absl::Status s = Refresh(/*first=*/false); !s.ok()) return s;
    }
    int64_t read = 0;
    for (auto& [id, shard] : shards_) {
      if (shard.state != State::kReading) continue;
      if (shard.iterator.empty()) {
        KinesisStartingPosition at = shard.start;
        if (!shard.last_sequence_number.empty()) {
          at = {KinesisIteratorType::kAfterSequenceNumber,
                shard.last_sequence_number, 0};
        }
        absl::StatusOr<std::string> it =
            client_->GetShardIterator(stream_, id, at);
        if (!it.ok()) return it.status();
        shard.iterator = *std::move(it);
      }
      absl::StatusOr<KinesisGetRecordsResult> r =
          client_->GetRecords(shard.iterator);
      if (!r.ok()) {
        if (absl::StrContains(r.status().message(),
                              "ExpiredIteratorException")) {
          shard.iterator.clear();  // re-made at the next poll
          continue;
        }
        return r.status();
      }
      if (!r->records.empty()) {
        read += static_cast<int64_t>(r->records.size());
        shard.last_sequence_number = r->records.back().sequence_number;
        sink(id, r->records);
      }
      shard.iterator = std::move(r->next_shard_iterator);
      if (shard.iterator.empty()) {
        shard.state = State::kEnded;
        relist_ = true;
      }
    }
    return read;
  }

 private:
  enum class State { kWaitingForParents, kReading, kEnded };
  struct ShardState {
    KinesisShard description;
    State state = State::kWaitingForParents;
    KinesisStartingPosition start;
    std::string iterator;              // "" until made
    std::string last_sequence_number;  // of the last record printed
  };

  // Takes in the shards listed now and lets those whose parents have ended be
  // read.
  absl::Status Refresh(bool first) {
    absl::StatusOr<std::vector<KinesisShard>> listed =
        client_->ListShards(stream_);
    if (!listed.ok()) return listed.status();
    listed_at_ = absl::Now();
    relist_ = false;
    for (KinesisShard& d : *listed) {
      if (auto it = shards_.find(d.shard_id); it != shards_.end()) {
        it->second.description = std::move(d);
        continue;
      }
      if (!Followed(d)) continue;
      ShardState s;
      const KinesisIteratorType type = start_.type;
      const bool by_sequence =
          type == KinesisIteratorType::kAtSequenceNumber ||
          type == KinesisIteratorType::kAfterSequenceNumber;
      if (by_sequence) {
        s.start = d.shard_id == shard_id_ ? start_ : KinesisStartingPosition();
      } else if (first || type == KinesisIteratorType::kAtTimestamp) {
        s.start = start_;
        if (first && type == KinesisIteratorType::kLatest &&
            !d.ending_sequence_number.empty()) {
          s.state = State::kEnded;  // nothing after its end
        }
      }  // else TRIM_HORIZON, the default
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
        if (parent->empty() || id == shard_id_) continue;
        auto p = shards_.find(*parent);
        if (p != shards_.end() && p->second.state != State::kEnded) {
          ready = false;
        }
      }
      if (ready) shard.state = State::kReading;
    }
    return absl::OkStatus();
  }

  // Every shard when no `shard_id_` was given; else it and the shards that
  // descend from it (a child is listed after its parents).
  bool Followed(const KinesisShard& d) const {
    if (shard_id_.empty() || d.shard_id == shard_id_) return true;
    return (!d.parent_shard_id.empty() && shards_.count(d.parent_shard_id)) ||
           (!d.adjacent_parent_shard_id.empty() &&
            shards_.count(d.adjacent_parent_shard_id));
  }

  KinesisClient* const client_;
  const std::string stream_;
  const std::string shard_id_;
  const KinesisStartingPosition start_;
  std::map<std::string, ShardState> shards_;  // by id: parents first
  absl::Time listed_at_ = absl::InfinitePast();
  bool relist_ = false;
};

}  // namespace

int RemoteTail(const Flags& flags, const Session& session,
               absl::string_view shard_id, const KinesisStartingPosition& start,
               bool deaggregate, bool (*stop)()) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  RemoteLineageReader reader(client->get(), RemoteStreamName(flags),
                             std::string(shard_id), start);
  if (absl::Status s = reader.Start(); !s.ok()) return session.Fail(s);
  std::ostream& out = session.io().out;
  const RemoteLineageReader::Sink print =
      [&](const std::string& id, const std::vector<KinesisRecord>& records) {
        Json lines = Json::array();
        AppendRecordsJson(records, deaggregate, &lines);
        for (const Json& record : lines) {
          Json line;
          line["ShardId"] = id;
          for (const auto& [key, value] : record.items()) line[key] = value;
          out << line.dump(-1, ' ', false, Json::error_handler_t::replace)
              << '\n';
        }
        out.flush();
      };
  while (!stop()) {
    const absl::Time next = absl::Now() + kPollInterval;
    absl::StatusOr<int64_t> read = reader.Poll(print);
    if (!read.ok()) return session.Fail(read.status());
    if (!out) {
      return session.Fail(absl::UnavailableError("writing the output failed"));
    }
    for (absl::Time now = absl::Now(); now < next && !stop();
         now = absl::Now()) {
      absl::SleepFor(std::min(next - now, kStopCheckInterval));
    }
  }
  out.flush();
  return kExitOk;
}

}  // namespace cli
}  // namespace brook
