// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The follower tests' oracle (see follow_oracle.h).

#include "follow_oracle.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "stream/sequence.h"
#include "testing/status_testing.h"

namespace brook {
namespace testing {
namespace {

// Reads the position of an iterator (the stream's own number for it, which
// for brook's streams is the position of the next record to read).
struct IteratorAccess : Stream {
  using Stream::ShardIteratorPosition;
};

}  // namespace

uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t h = 14695981039346656037u;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211u;
  }
  return h;
}

std::string RecordData(uint64_t id) {
  uint64_t x = id * 0x9E3779B97F4A7C15u + 7;
  const size_t n = 20 + static_cast<size_t>((x >> 20) % 381);
  std::string d = absl::StrCat("r", id, ":");
  for (size_t i = 0; i < n; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    d.push_back(static_cast<char>('a' + (x * 0x2545F4914F6CDD1Du >> 59)));
  }
  return d;
}

bool ParseId(absl::string_view data, uint64_t* id) {
  const size_t colon = data.find(':');
  return !data.empty() && data[0] == 'r' && colon != absl::string_view::npos &&
         absl::SimpleAtoi(data.substr(1, colon - 1), id);
}
bool ReportResult(const Stream& stream, const std::string& shard_id,
                  const GetRecordsResult& r, Report* report,
                  std::map<uint64_t, uint64_t>* next, bool* full) {
  absl::StatusOr<Shard*> shard = stream.GetShard(shard_id);
  if (!shard.ok()) return false;
  const ShardDescription d = (*shard)->Describe();
  const uint32_t number = static_cast<uint32_t>(
      internal::ShardNumberOf(d.starting_sequence_number));
  if (r.skipped_records() != 0) {
    // Where the read went on after the skip: its first record, else its
    // next iterator, else (the end of a closed shard) the shard's end.
    uint64_t after;
    if (!r.records().empty()) {
      after = internal::PositionOf(r.records().front().sequence_number);
    } else if (r.next_shard_iterator().valid()) {
      after = IteratorAccess::ShardIteratorPosition(r.next_shard_iterator());
    } else if (d.ending_sequence_number.has_value()) {
      after = internal::PositionOf(*d.ending_sequence_number) + 1;
    } else {
      return false;
    }
    *full |= !report->Add({kSkip, number, after, r.skipped_records(), 0});
  }
  for (const Record& rec : r.records()) {
    uint64_t id = ~uint64_t{0};
    ParseId(rec.data, &id);
    const uint64_t position = internal::PositionOf(rec.sequence_number);
    *full |= !report->Add({kRecord, number, position, id, Fnv1a(rec.data)});
    (*next)[number] = position + 1;
  }
  return true;
}

std::map<uint64_t, FinalShard> ReadFinal(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
  BROOK_REQUIRE_OK(stream);
  Consumer consumer(stream->get());
  std::map<uint64_t, FinalShard> shards;
  for (const ShardDescription& d : (*stream)->ListShards()) {
    FinalShard& f = shards[internal::ShardNumberOf(d.starting_sequence_number)];
    f.description = d;
    f.first_position =
        d.is_open() ? internal::PositionOf(d.starting_sequence_number)
                    : internal::PositionOf(*d.ending_sequence_number) + 1;
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(d.shard_id, StartingPosition::TrimHorizon());
    BROOK_REQUIRE_OK(it);
    for (;;) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
      BROOK_REQUIRE_OK(r);
      for (const Record& rec : r->records()) {
        const uint64_t position = internal::PositionOf(rec.sequence_number);
        if (f.ids.empty()) f.first_position = position;
        uint64_t id = 0;
        REQUIRE(ParseId(rec.data, &id));
        REQUIRE(rec.data == RecordData(id));
        f.ids[position] = id;
      }
      if (!r->next_shard_iterator().valid() || r->records().empty()) break;
      *it = r->next_shard_iterator();
    }
  }
  return shards;
}

uint64_t FinalEnd(const FinalShard& f) {
  if (!f.description.is_open()) {
    return internal::PositionOf(*f.description.ending_sequence_number) + 1;
  }
  if (f.ids.empty()) {
    return internal::PositionOf(f.description.starting_sequence_number);
  }
  return f.ids.rbegin()->first + 1;
}

FollowerView CheckFollower(const Report& report,
                           const std::map<uint64_t, FinalShard>& final) {
  FollowerView v;
  std::set<uint64_t> seen;
  const uint64_t count = report.count.load(std::memory_order_acquire);
  for (uint64_t i = 0; i < count; ++i) {
    const Entry& e = report.entries[i];
    INFO("report entry " << i << ": shard " << e.shard << " position "
                         << e.position << " id " << e.id);
    auto f = final.find(e.shard);
    REQUIRE(f != final.end());
    if (v.next.count(e.shard) == 0) {
      const uint64_t start =
          internal::PositionOf(f->second.description.starting_sequence_number);
      v.next[e.shard] = start;
      v.span[e.shard].first = i;
      // A shard's first iterator (TRIM_HORIZON) starts at the oldest record
      // kept then, counting nothing skipped: what retention had dropped
      // before is a gap at the front. If retention dropped more before the
      // first read, that read counts the skip from where the iterator
      // started, not from the shard's start.
      REQUIRE((e.kind == kRecord || e.position >= e.id));
      const uint64_t began = e.kind == kRecord ? e.position : e.position - e.id;
      if (began > start) {
        v.skipped[e.shard].push_back({start, began});
        v.next[e.shard] = began;
      }
    }
    v.span[e.shard].second = i;
    uint64_t& next = v.next[e.shard];
    if (e.kind == kSkip) {  // 1.
      // Exactly the records from where the reader was to where it went on.
      REQUIRE(e.id > 0);
      REQUIRE(e.position >= next);
      REQUIRE(e.position - next == e.id);
      v.skipped[e.shard].push_back({next, e.position});
      next = e.position;
      continue;
    }
    REQUIRE(e.position == next);  // 1.
    ++next;
    REQUIRE(e.digest == Fnv1a(RecordData(e.id)));  // 2.
    REQUIRE(seen.insert(e.id).second);
    v.ids[e.shard][e.position] = e.id;
    // 4.
    const FinalShard& shard = f->second;
    if (e.position >= shard.first_position) {
      auto kept = shard.ids.find(e.position);
      REQUIRE(kept != shard.ids.end());
      REQUIRE(kept->second == e.id);
    }
  }
  for (const auto& [number, shard] : final) {  // 5.
    INFO("shard " << shard.description.shard_id);
    if (v.next.count(number) == 0) {
      // Nothing read: retention had dropped all it had, if anything.
      const uint64_t start =
          internal::PositionOf(shard.description.starting_sequence_number);
      v.skipped[number].push_back({start, shard.first_position});
      v.next[number] = shard.first_position;
    }
    const uint64_t reached = v.next[number];
    CHECK(reached == FinalEnd(shard));
    // Gaps only where retention dropped records: the final files hold none
    // of a skipped range (retention only moves forward).
    for (const auto& [from, to] : v.skipped[number]) {
      INFO("skipped positions " << from << " to " << to);
      auto kept = shard.ids.lower_bound(from);
      CHECK((kept == shard.ids.end() || kept->first >= to));
    }
    // 6.
    for (const std::string* parent :
         {&shard.description.parent_shard_id,
          &shard.description.adjacent_parent_shard_id}) {
      if (parent->empty() || v.span.count(number) == 0) continue;
      for (const auto& [p, ps] : final) {
        if (ps.description.shard_id != *parent || v.span.count(p) == 0) {
          continue;
        }
        CHECK(v.span[p].second < v.span[number].first);
      }
    }
  }
  return v;
}

namespace {

bool InSkipped(const FollowerView& v, uint64_t shard, uint64_t position) {
  auto it = v.skipped.find(shard);
  if (it == v.skipped.end()) return false;
  for (const auto& [from, to] : it->second) {
    if (position >= from && position < to) return true;
  }
  return false;
}

}  // namespace

uint64_t CheckAcknowledged(const Report& writer,
                           const std::vector<FollowerView>& views) {
  const uint64_t acks = writer.count.load(std::memory_order_acquire);
  uint64_t skipped = 0;
  for (uint64_t a = 0; a < acks; ++a) {
    const Entry& e = writer.entries[a];
    for (size_t i = 0; i < views.size(); ++i) {
      INFO("follower " << i << ", acknowledged shard " << e.shard
                       << " position " << e.position << " id " << e.id);
      auto shard = views[i].ids.find(e.shard);
      if (shard != views[i].ids.end()) {
        auto it = shard->second.find(e.position);
        if (it != shard->second.end()) {
          REQUIRE(it->second == e.id);
          continue;
        }
      }
      REQUIRE(InSkipped(views[i], e.shard, e.position));
      ++skipped;
    }
  }
  return skipped;
}

}  // namespace testing
}  // namespace brook
