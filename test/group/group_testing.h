// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Helpers for consumer-group tests (issue 11) with workers in this process:
// keyed records whose data is their key's counter, a `Recorder` that logs
// every processor call of a group in one global order, a processor that
// checkpoints at random points, and `CheckDelivery()`, the oracle of the
// ordering property (per partition key, the first deliveries are what was
// produced, in order; nothing lost; children after their parents; each
// processor resumes just after a stored checkpoint and reads its shard
// without a gap).

#ifndef BROOK_TEST_GROUP_GROUP_TESTING_H_
#define BROOK_TEST_GROUP_GROUP_TESTING_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/consumer_group.h"
#include "brook/partitioner.h"
#include "brook/stream.h"

#include "testing/status_testing.h"

namespace brook {
namespace testing {

// Record data: "<key>:<counter>", the partition key "k<key>".
// A memory stream of `shards` shards on `env` (null: the default Env): the
// stream most group tests read.
inline std::unique_ptr<Stream> NewMemoryStream(int shards, Env* env = nullptr) {
  StreamOptions options;
  options.shard_count = shards;
  options.env = env;
  absl::StatusOr<std::unique_ptr<Stream>> stream = Stream::Create(options);
  BROOK_REQUIRE_OK(stream);
  return *std::move(stream);
}

inline std::string KeyName(int key) { return absl::StrCat("k", key); }
inline std::string KeyedData(int key, int64_t counter) {
  return absl::StrCat(key, ":", counter);
}
inline bool ParseKeyed(absl::string_view data, int* key, int64_t* counter) {
  const size_t colon = data.find(':');
  return colon != absl::string_view::npos &&
         absl::SimpleAtoi(data.substr(0, colon), key) &&
         absl::SimpleAtoi(data.substr(colon + 1), counter);
}

// One processor call, as the `Recorder` logs it.
struct GroupEvent {
  enum Kind {
    kInit,        // Initialize: `checkpoint` is where it resumes
    kDeliver,     // one record: `sequence_number`, `key`, `counter`
    kCheckpoint,  // a checkpoint that returned OK: `checkpoint`
    kEnded,       // ShardEnded
    kShutdown,    // ShutdownRequested
    kLost,        // LeaseLost
  };
  Kind kind;
  int instance;  // which processor (numbered as made)
  std::string worker;
  std::string shard;
  SequenceNumber sequence_number;
  ExtendedSequenceNumber checkpoint;
  int key = 0;
  int64_t counter = 0;
};

// The log of a group's processor calls, in one global order (a mutex), and
// the behaviour of its processors: each checkpoints after a batch with
// probability `checkpoint_odds` (at the last record, or at a random one of
// the batch), always in ShardEnded, with probability 3/4 in
// ShutdownRequested, and fails a batch with probability `error_odds`.
// Thread-safe.
class Recorder {
 public:
  explicit Recorder(uint64_t seed) : seed_(seed) {}

  double checkpoint_odds = 0.3;
  double error_odds = 0.0;

  RecordProcessorFactory Factory(std::string worker_id);

  int NewInstance() {
    std::lock_guard<std::mutex> lock(mu_);
    return next_instance_++;
  }
  void Log(std::vector<GroupEvent> events) {
    std::lock_guard<std::mutex> lock(mu_);
    for (GroupEvent& e : events) {
      if (e.kind == GroupEvent::kDeliver) {
        delivered_.insert({e.shard, e.sequence_number.value()});
      }
      events_.push_back(std::move(e));
    }
    cv_.notify_all();
  }
  void CheckpointFailed(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (unexpected_.empty()) unexpected_ = what;
  }
  // Distinct records delivered so far.
  size_t distinct_delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_.size();
  }
  // Waits until `n` distinct records were delivered, or `timeout` of real
  // time passed; returns whether they were.
  bool WaitForDistinct(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return delivered_.size() >= n; });
  }
  std::vector<GroupEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // The first checkpoint error other than a lost lease, if any.
  std::string unexpected() {
    std::lock_guard<std::mutex> lock(mu_);
    return unexpected_;
  }
  uint64_t seed() const { return seed_; }

 private:
  const uint64_t seed_;
  std::mutex mu_;
  std::condition_variable cv_;
  int next_instance_ = 0;
  std::vector<GroupEvent> events_;
  std::set<std::pair<std::string, absl::uint128>> delivered_;
  std::string unexpected_;
};

class RecordingProcessor : public RecordProcessor {
 public:
  RecordingProcessor(Recorder* recorder, std::string worker, std::string shard)
      : recorder_(recorder),
        worker_(std::move(worker)),
        shard_(std::move(shard)),
        instance_(recorder->NewInstance()),
        rng_(recorder->seed() * 1000003 + static_cast<uint64_t>(instance_)) {}

  void Initialize(const InitializationInput& input) override {
    GroupEvent e = Event(GroupEvent::kInit);
    e.shard = input.shard_id;
    e.checkpoint = input.checkpoint;
    recorder_->Log({e});
  }

  absl::Status ProcessRecords(const ProcessRecordsInput& input) override {
    std::vector<GroupEvent> events;
    for (const Record& r : input.records) {
      GroupEvent e = Event(GroupEvent::kDeliver);
      e.sequence_number = r.sequence_number;
      if (!ParseKeyed(r.data, &e.key, &e.counter)) {
        recorder_->CheckpointFailed(
            absl::StrCat("bad record data: ", std::string(r.data)));
      }
      events.push_back(std::move(e));
    }
    recorder_->Log(std::move(events));
    has_delivered_ = true;
    last_delivered_ = input.records.back().sequence_number;
    if (Odds(recorder_->error_odds)) {
      return absl::InternalError("processor error (test)");
    }
    if (Odds(recorder_->checkpoint_odds)) {
      if (rng_() % 2 == 0) {
        Check(input.checkpointer->Checkpoint(),
              ExtendedSequenceNumber::At(input.records.back().sequence_number));
      } else {
        const Record& r = input.records[rng_() % input.records.size()];
        Check(input.checkpointer->Checkpoint(r.sequence_number),
              ExtendedSequenceNumber::At(r.sequence_number));
      }
    }
    return absl::OkStatus();
  }

  void LeaseLost() override { recorder_->Log({Event(GroupEvent::kLost)}); }

  void ShardEnded(Checkpointer& checkpointer) override {
    recorder_->Log({Event(GroupEvent::kEnded)});
    Check(checkpointer.Checkpoint(), ExtendedSequenceNumber::ShardEnd());
  }

  void ShutdownRequested(Checkpointer& checkpointer) override {
    recorder_->Log({Event(GroupEvent::kShutdown)});
    if (has_delivered_ && rng_() % 4 != 0) {
      Check(checkpointer.Checkpoint(),
            ExtendedSequenceNumber::At(last_delivered_));
    }
  }

 private:
  GroupEvent Event(GroupEvent::Kind kind) const {
    GroupEvent e;
    e.kind = kind;
    e.instance = instance_;
    e.worker = worker_;
    e.shard = shard_;
    return e;
  }
  bool Odds(double p) {
    return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p;
  }
  void Check(const absl::Status& s, const ExtendedSequenceNumber& at) {
    if (s.ok()) {
      GroupEvent e = Event(GroupEvent::kCheckpoint);
      e.checkpoint = at;
      recorder_->Log({e});
      return;
    }
    // A lost lease is expected (another worker took it); anything else is
    // a bug of the checkpointer.
    if (s.code() != absl::StatusCode::kFailedPrecondition) {
      recorder_->CheckpointFailed(
          absl::StrCat("checkpoint of ", shard_, ": ", s.ToString()));
    }
  }

  Recorder* const recorder_;
  const std::string worker_;
  const std::string shard_;
  const int instance_;
  std::mt19937_64 rng_;
  bool has_delivered_ = false;
  SequenceNumber last_delivered_;
};

inline RecordProcessorFactory Recorder::Factory(std::string worker_id) {
  return [this, worker_id](absl::string_view shard_id) {
    return std::make_unique<RecordingProcessor>(this, worker_id,
                                                std::string(shard_id));
  };
}

// A random reshard keeping 1 to 6 open shards: a split of a random open
// shard at a random key, a merge of two neighbours, or UpdateShardCount to a
// random target within Kinesis's limits. Returns the call's status.
inline absl::Status RandomReshard(Stream& stream, std::mt19937_64& rng) {
  std::vector<ShardDescription> open;
  for (ShardDescription& d : stream.ListShards()) {
    if (d.is_open()) open.push_back(std::move(d));
  }
  std::sort(open.begin(), open.end(), [](const auto& a, const auto& b) {
    return a.hash_key_range.starting_hash_key <
           b.hash_key_range.starting_hash_key;
  });
  const int n = static_cast<int>(open.size());
  const int choice = static_cast<int>(rng() % 5);
  if (choice == 0) {
    const int low = (n + 1) / 2;
    const int high = std::min(2 * n, 6);
    const int target = low + static_cast<int>(rng() % (high - low + 1));
    return stream.UpdateShardCount(target);
  }
  if (n == 1 || (n < 6 && choice <= 2)) {
    const ShardDescription& s = open[rng() % open.size()];
    const HashKey start = s.hash_key_range.starting_hash_key;
    const HashKey end = s.hash_key_range.ending_hash_key;
    if (end - start < 4) return absl::OkStatus();
    const HashKey span = end - start - 2;  // k in (start + 1, end)
    const HashKey k = start + 2 + absl::MakeUint128(rng(), rng()) % span;
    return stream.SplitShard(s.shard_id, HashKeyToString(k));
  }
  const size_t i = rng() % (open.size() - 1);
  return stream.MergeShards(open[i].shard_id, open[i + 1].shard_id);
}

// The seed of a randomized test: random, or $BROOK_GROUP_SEED; printed.
inline uint64_t GroupSeed(const char* test) {
  uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("BROOK_GROUP_SEED")) {
    seed = std::strtoull(env, nullptr, 10);
  }
  std::printf("%s: seed %llu (replay with BROOK_GROUP_SEED=%llu)\n", test,
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  return seed;
}

// Every shard of `stream` with its records, read from TRIM_HORIZON.
struct ShardRecords {
  ShardDescription description;
  std::vector<SequenceNumber> sequence_numbers;
  std::vector<std::pair<int, int64_t>> keyed;  // key, counter
};
inline std::map<std::string, ShardRecords> ReadAllShards(Stream* stream) {
  std::map<std::string, ShardRecords> shards;
  Consumer consumer(stream);
  for (const ShardDescription& d : stream->ListShards()) {
    ShardRecords& s = shards[d.shard_id];
    s.description = d;
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(d.shard_id, StartingPosition::TrimHorizon());
    BROOK_REQUIRE_OK(it);
    for (;;) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
      BROOK_REQUIRE_OK(r);
      for (const Record& rec : r->records()) {
        s.sequence_numbers.push_back(rec.sequence_number);
        int key = 0;
        int64_t counter = 0;
        REQUIRE(ParseKeyed(rec.data, &key, &counter));
        s.keyed.push_back({key, counter});
      }
      if (!r->next_shard_iterator().valid() || r->records().empty()) break;
      *it = r->next_shard_iterator();
    }
  }
  return shards;
}

// For a group that stalled: every lease of `store` and what was delivered of
// each shard of `stream`.
inline std::string DescribeStall(LeaseStore& store, Stream* stream,
                                 const std::vector<GroupEvent>& events) {
  std::map<std::string, std::set<absl::uint128>> delivered;
  for (const GroupEvent& e : events) {
    if (e.kind == GroupEvent::kDeliver) {
      delivered[e.shard].insert(e.sequence_number.value());
    }
  }
  std::string out;
  absl::StatusOr<std::vector<Lease>> leases = store.ListLeases();
  if (!leases.ok()) return leases.status().ToString();
  for (const Lease& l : *leases) {
    absl::StrAppend(&out, l.lease_key, " owner=", l.lease_owner,
                    " counter=", l.lease_counter,
                    " checkpoint=", l.checkpoint.DebugString(),
                    " checkpoint_owner=", l.checkpoint_owner, " parents=");
    for (const std::string& p : l.parent_shard_ids)
      absl::StrAppend(&out, p, ",");
    absl::StrAppend(&out, " children=");
    for (const std::string& c : l.child_shard_ids)
      absl::StrAppend(&out, c, ",");
    absl::StrAppend(&out, "\n");
  }
  for (const auto& [id, s] : ReadAllShards(stream)) {
    absl::StrAppend(&out, id, s.description.is_open() ? " open" : " closed",
                    " parents=", s.description.parent_shard_id, ",",
                    s.description.adjacent_parent_shard_id,
                    " records=", s.sequence_numbers.size(),
                    " delivered=", delivered[id].size(), "\n");
  }
  return out;
}

// Counts of the events of each kind, for the test's output.
inline std::string Summary(const std::vector<GroupEvent>& events) {
  int counts[6] = {0, 0, 0, 0, 0, 0};
  for (const GroupEvent& e : events) ++counts[e.kind];
  return absl::StrCat(counts[GroupEvent::kInit], " processors, ",
                      counts[GroupEvent::kDeliver], " deliveries, ",
                      counts[GroupEvent::kCheckpoint], " checkpoints, ",
                      counts[GroupEvent::kEnded], " shard ends, ",
                      counts[GroupEvent::kShutdown], " shutdowns requested, ",
                      counts[GroupEvent::kLost], " leases lost");
}

// The oracle. `produced[k]` is the number of records produced with key k
// (counters 0 to n-1, appended in that order). `strict`: the events were
// logged by one thread driving every worker (`RunOnce()`), so the log order
// is the order things happened in, and also: each processor starts exactly
// at the shard's last stored checkpoint, and no parent record is delivered
// after any record of its child.
inline void CheckDelivery(const std::vector<GroupEvent>& events,
                          const std::map<std::string, ShardRecords>& shards,
                          const std::map<int, int64_t>& produced, bool strict) {
  // The stream holds each key's counters once each.
  std::map<int, std::set<int64_t>> stored;
  size_t total = 0;
  for (const auto& [id, s] : shards) {
    for (const auto& [key, counter] : s.keyed) {
      REQUIRE(stored[key].insert(counter).second);
      ++total;
    }
  }
  for (const auto& [key, n] : produced) {
    INFO("key " << key);
    REQUIRE(static_cast<int64_t>(stored[key].size()) == n);
  }

  struct Instance {
    std::string shard;
    size_t next = 0;  // index into the shard's records
    // 0: processing; 1: in ShardEnded or ShutdownRequested (only a
    // checkpoint may follow); 2: after LeaseLost (nothing may follow).
    int state = 0;
  };
  std::map<int, Instance> instances;
  // Per shard: the stored checkpoints that returned OK so far.
  std::map<std::string, ExtendedSequenceNumber> last_checkpoint;
  std::map<std::string, std::set<absl::uint128>> checkpointed;
  std::map<std::pair<std::string, absl::uint128>, size_t> first_delivery;
  std::map<std::string, size_t> first_of_shard, last_of_shard;
  std::map<int, int64_t> next_counter;
  auto index_after = [&](const ShardRecords& s,
                         const ExtendedSequenceNumber& cp) -> size_t {
    if (cp.is_initial_position()) {
      REQUIRE(cp.kind() == ExtendedSequenceNumber::Kind::kTrimHorizon);
      return 0;
    }
    REQUIRE(cp.is_sequence_number());
    for (size_t i = 0; i < s.sequence_numbers.size(); ++i) {
      if (s.sequence_numbers[i] == cp.sequence_number()) return i + 1;
    }
    FAIL("checkpoint " << cp.DebugString() << " names no record of the shard");
    return 0;
  };
  for (size_t i = 0; i < events.size(); ++i) {
    const GroupEvent& e = events[i];
    INFO("event " << i << " kind " << e.kind << " processor " << e.instance
                  << " of " << e.worker << " on " << e.shard);
    auto shard_it = shards.find(e.shard);
    REQUIRE(shard_it != shards.end());
    const ShardRecords& s = shard_it->second;
    if (e.kind == GroupEvent::kInit) {
      INFO("initialized at " << e.checkpoint.DebugString());
      REQUIRE(instances.count(e.instance) == 0);
      REQUIRE(!e.checkpoint.is_shard_end());
      // It resumes at a checkpoint that was stored, at least the last one
      // logged (exactly that one when the log order is the real order).
      auto last = last_checkpoint.find(e.shard);
      if (last != last_checkpoint.end()) {
        if (strict) {
          REQUIRE(e.checkpoint == last->second);
        } else {
          REQUIRE(e.checkpoint >= last->second);
        }
      } else if (strict) {
        REQUIRE(e.checkpoint == ExtendedSequenceNumber::TrimHorizon());
      }
      instances[e.instance] = {e.shard, index_after(s, e.checkpoint), 0};
      continue;
    }
    auto inst_it = instances.find(e.instance);
    REQUIRE(inst_it != instances.end());  // Initialize comes first
    Instance& inst = inst_it->second;
    // Nothing after the last call but its checkpoint.
    REQUIRE(inst.state != 2);
    REQUIRE((inst.state == 0 || e.kind == GroupEvent::kCheckpoint));
    switch (e.kind) {
      case GroupEvent::kDeliver: {
        // Each processor reads its shard on from its checkpoint, no gap.
        REQUIRE(inst.next < s.sequence_numbers.size());
        REQUIRE(e.sequence_number == s.sequence_numbers[inst.next]);
        REQUIRE(e.key == s.keyed[inst.next].first);
        REQUIRE(e.counter == s.keyed[inst.next].second);
        ++inst.next;
        const auto id = std::make_pair(e.shard, e.sequence_number.value());
        if (first_delivery.emplace(id, i).second) {
          // A first delivery: the key's next counter.
          INFO("key " << e.key);
          REQUIRE(e.counter == next_counter[e.key]);
          ++next_counter[e.key];
        }
        first_of_shard.emplace(e.shard, i);
        last_of_shard[e.shard] = i;
        break;
      }
      case GroupEvent::kCheckpoint:
        if (e.checkpoint.is_shard_end()) {
          REQUIRE(inst.next == s.sequence_numbers.size());
          REQUIRE(!s.description.is_open());
        } else {
          REQUIRE(inst.next > 0);
          REQUIRE(index_after(s, e.checkpoint) <= inst.next);
        }
        if (last_checkpoint.count(e.shard) == 0 ||
            last_checkpoint[e.shard] < e.checkpoint) {
          last_checkpoint[e.shard] = e.checkpoint;
        }
        break;
      case GroupEvent::kEnded:
        REQUIRE(inst.next == s.sequence_numbers.size());
        REQUIRE(!s.description.is_open());
        inst.state = 1;
        break;
      case GroupEvent::kShutdown:
        inst.state = 1;
        break;
      case GroupEvent::kLost:
        inst.state = 2;
        break;
      case GroupEvent::kInit:
        break;
    }
  }
  // Nothing lost.
  for (const auto& [key, n] : produced) {
    INFO("key " << key);
    CHECK(next_counter[key] == n);
  }
  CHECK(first_delivery.size() == total);
  // Lineage: a child's first record after its parents' last.
  for (const auto& [id, s] : shards) {
    auto child_first = first_of_shard.find(id);
    if (child_first == first_of_shard.end()) continue;
    for (const std::string* parent :
         {&s.description.parent_shard_id,
          &s.description.adjacent_parent_shard_id}) {
      if (parent->empty()) continue;
      INFO("child " << id << " of " << *parent);
      const ShardRecords& p = shards.at(*parent);
      if (p.sequence_numbers.empty()) continue;
      const size_t parent_last_first =
          first_delivery.at({*parent, p.sequence_numbers.back().value()});
      CHECK(parent_last_first < child_first->second);
      if (strict) CHECK(last_of_shard.at(*parent) < child_first->second);
    }
  }
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_GROUP_GROUP_TESTING_H_
