// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/internal/pipeline_state.h"

#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/codec.h"
#include "brook/internal/window_state_codec.h"

namespace brook {
namespace internal {
namespace {

constexpr uint32_t kNoInput = 0xFFFFFFFF;

// Decodes, from `in` (the bytes between the version and the checksum of
// `all`), what follows the version; `corrupt` names the offset.
class Reader {
 public:
  Reader(absl::string_view all, absl::string_view in) : all_(all), in_(in) {}

  absl::Status Corrupt(absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat("window pipeline state: ", what, " at byte ",
                     all_.size() - 4 - in_.size(), " of ", all_.size()));
  }
  template <typename T>
  bool Get(T* v) {
    return Codec<T>::Decode(&in_, v);
  }
  size_t left() const { return in_.size(); }

 private:
  absl::string_view all_;
  absl::string_view in_;
};

absl::Status ReadV1Shards(Reader& r, PipelineState* out) {
  uint64_t n = 0;
  if (!r.Get(&n)) return r.Corrupt("truncated input count");
  // An input takes at least a shard id length, two flags and a state length.
  if (n > r.left() / 18) return r.Corrupt("input count beyond the bytes");
  for (uint64_t i = 0; i < n; ++i) {
    PipelineShardState s;
    bool has_last = false;
    bool finished = false;
    if (!r.Get(&s.shard_id)) {
      return r.Corrupt(absl::StrCat("input ", i, ": truncated shard id"));
    }
    if (!r.Get(&has_last)) {
      return r.Corrupt(absl::StrCat("input ", i, ": bad position flag"));
    }
    if (has_last) {
      absl::uint128 v = 0;
      if (!r.Get(&v)) {
        return r.Corrupt(absl::StrCat("input ", i, ": truncated position"));
      }
      s.last = SequenceNumber::FromValue(v);
    }
    if (!r.Get(&finished)) {
      return r.Corrupt(absl::StrCat("input ", i, ": bad finished flag"));
    }
    if (!r.Get(&s.watermarks)) {
      return r.Corrupt(absl::StrCat("input ", i, ": truncated assigner state"));
    }
    s.state = finished ? PipelineShard::kFinished : PipelineShard::kReading;
    s.input = static_cast<int32_t>(i);
    out->shards.push_back(std::move(s));
  }
  return absl::OkStatus();
}

// Versions 2 and 3: a version 3 position adds its top 64 bits.
absl::Status ReadV2Shards(Reader& r, uint32_t version, PipelineState* out) {
  uint64_t n = 0;
  if (!r.Get(&n)) return r.Corrupt("truncated shard count");
  // A shard takes at least an id length, its state, a parent count, a
  // position flag, an input and an assigner state length.
  if (n > r.left() / 30) return r.Corrupt("shard count beyond the bytes");
  for (uint64_t i = 0; i < n; ++i) {
    PipelineShardState s;
    uint8_t state = 0;
    uint64_t parents = 0;
    bool has_last = false;
    uint32_t input = 0;
    if (!r.Get(&s.shard_id)) {
      return r.Corrupt(absl::StrCat("shard ", i, ": truncated shard id"));
    }
    const std::string at = absl::StrCat("shard ", s.shard_id, ": ");
    if (!r.Get(&state) || state > 3) return r.Corrupt(at + "bad state");
    s.state = static_cast<PipelineShard>(state);
    if (!r.Get(&parents)) return r.Corrupt(at + "truncated parent count");
    if (parents > 2 || parents > r.left() / 8) {
      return r.Corrupt(at + "parent count beyond the bytes or above 2");
    }
    s.parents.resize(parents);
    for (std::string& p : s.parents) {
      if (!r.Get(&p)) return r.Corrupt(at + "truncated parent id");
    }
    if (!r.Get(&has_last)) return r.Corrupt(at + "bad position flag");
    if (has_last) {
      absl::uint128 v = 0;
      uint64_t high = 0;
      if (!r.Get(&v) || (version >= 3 && !r.Get(&high))) {
        return r.Corrupt(at + "truncated position");
      }
      s.last = SequenceNumber::FromParts(high, v);
    }
    if (!r.Get(&input)) return r.Corrupt(at + "truncated input");
    if (input != kNoInput && input > 0x7FFFFFFF) {
      return r.Corrupt(at + "input out of range");
    }
    s.input = input == kNoInput ? -1 : static_cast<int32_t>(input);
    if (!r.Get(&s.watermarks)) {
      return r.Corrupt(at + "truncated assigner state");
    }
    out->shards.push_back(std::move(s));
  }
  return absl::OkStatus();
}

// The rules of `DecodePipelineState()` on the shards.
absl::Status CheckShards(const PipelineState& state) {
  auto bad = [](const std::string& what) {
    return absl::DataLossError(absl::StrCat("window pipeline state: ", what));
  };
  std::set<absl::string_view> ids;
  for (const PipelineShardState& s : state.shards) {
    if (!ids.insert(s.shard_id).second) {
      return bad(absl::StrCat("shard ", s.shard_id, " is listed twice"));
    }
  }
  size_t started = 0;
  for (const PipelineShardState& s : state.shards) {
    for (const std::string& p : s.parents) {
      if (p == s.shard_id) {
        return bad(absl::StrCat("shard ", s.shard_id, " is its own parent"));
      }
    }
    if (s.input >= 0) ++started;
    const bool waiting = s.state == PipelineShard::kWaiting;
    if (waiting && (s.last.has_value() || s.input >= 0 ||
                    !s.watermarks.empty() || s.parents.empty())) {
      return bad(absl::StrCat("shard ", s.shard_id,
                              " waits but has a position, an input or "
                              "assigner state, or no parent"));
    }
    if (!waiting && s.input < 0 && s.state != PipelineShard::kFinished) {
      return bad(absl::StrCat("shard ", s.shard_id,
                              " is read but has no combiner input"));
    }
  }
  if (started == 0) return bad("no shard has started");
  std::vector<bool> seen(started, false);
  for (const PipelineShardState& s : state.shards) {
    if (s.input < 0) continue;
    if (static_cast<size_t>(s.input) >= started || seen[s.input]) {
      return bad(absl::StrCat("shard ", s.shard_id, " has combiner input ",
                              s.input, ", not one of 0..", started - 1,
                              " each once"));
    }
    seen[s.input] = true;
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodePipelineState(const PipelineState& state) {
  // The oldest version that holds every position exactly.
  uint32_t version = 2;
  for (const PipelineShardState& s : state.shards) {
    if (s.last.has_value() && s.last->high() != 0) version = 3;
  }
  std::string out;
  Codec<uint32_t>::Encode(kPipelineStateMagic, &out);
  Codec<uint32_t>::Encode(version, &out);
  Codec<uint64_t>::Encode(state.shards.size(), &out);
  for (const PipelineShardState& s : state.shards) {
    Codec<std::string>::Encode(s.shard_id, &out);
    Codec<uint8_t>::Encode(static_cast<uint8_t>(s.state), &out);
    Codec<uint64_t>::Encode(s.parents.size(), &out);
    for (const std::string& p : s.parents) Codec<std::string>::Encode(p, &out);
    Codec<bool>::Encode(s.last.has_value(), &out);
    if (s.last.has_value()) {
      Codec<absl::uint128>::Encode(s.last->value(), &out);
      if (version >= 3) Codec<uint64_t>::Encode(s.last->high(), &out);
    }
    Codec<uint32_t>::Encode(
        s.input < 0 ? kNoInput : static_cast<uint32_t>(s.input), &out);
    Codec<std::string>::Encode(s.watermarks, &out);
  }
  Codec<std::string>::Encode(state.combiner, &out);
  Codec<std::string>::Encode(state.window, &out);
  Codec<uint32_t>::Encode(WindowStateChecksum(out), &out);
  return out;
}

absl::StatusOr<PipelineState> DecodePipelineState(absl::string_view bytes) {
  if (bytes.size() < 12) {
    return absl::DataLossError(absl::StrCat(
        "window pipeline state: truncated: ", bytes.size(), " bytes"));
  }
  absl::string_view in = bytes.substr(0, bytes.size() - 4);
  uint32_t magic = 0, version = 0;
  Codec<uint32_t>::Decode(&in, &magic);
  Codec<uint32_t>::Decode(&in, &version);
  if (magic != kPipelineStateMagic) {
    return absl::DataLossError(
        absl::StrCat("window pipeline state: bad magic 0x", absl::Hex(magic),
                     ", not a window pipeline's saved state"));
  }
  if (version < 1 || version > kPipelineStateVersion) {
    return absl::DataLossError(
        absl::StrCat("window pipeline state: unknown format version ", version,
                     " (this build reads 1 to ", kPipelineStateVersion, ")"));
  }
  absl::string_view stored = bytes.substr(bytes.size() - 4);
  uint32_t checksum = 0;
  Codec<uint32_t>::Decode(&stored, &checksum);
  if (checksum != WindowStateChecksum(bytes.substr(0, bytes.size() - 4))) {
    return absl::DataLossError("window pipeline state: checksum mismatch");
  }
  PipelineState state;
  state.version = version;
  Reader r(bytes, in);
  absl::Status s =
      version == 1 ? ReadV1Shards(r, &state) : ReadV2Shards(r, version, &state);
  if (!s.ok()) return s;
  if (!r.Get(&state.combiner)) return r.Corrupt("truncated combiner state");
  if (!r.Get(&state.window)) {
    return r.Corrupt("truncated window operator state");
  }
  if (r.left() != 0) return r.Corrupt("trailing bytes");
  s = CheckShards(state);
  if (!s.ok()) return s;
  return state;
}

}  // namespace internal
}  // namespace brook
