// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Writes the generated seed inputs of the fuzz targets (small valid inputs
// in each target's input format) into test/fuzz/corpus/<target>/seed-*:
//   ./build/test/fuzz/brook_fuzz_make_corpus test/fuzz/corpus
// The crashing inputs found by fuzzing sit beside them (crash-*, named by
// libFuzzer) and are never regenerated. Rerun after a format change.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/aggregation.h"
#include "brook/producer.h"

#include "fuzz/pipeline_fuzz.h"
#include "fuzz/stream_fuzz.h"
#include "fuzz/window_fuzz.h"

namespace brook {
namespace fuzz {
namespace {

std::string root;

void Put(const std::string& target, const std::string& name,
         const std::string& bytes) {
  const std::string dir = root + "/" + target;
  std::filesystem::create_directories(dir);
  WriteFile(dir + "/seed-" + name, bytes);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WindowSeeds() {
  for (int config = 0; config < kWindowConfigs; ++config) {
    for (int rounds : {0, 6, 24}) {
      Put("window_state", absl::StrCat(config, "-", rounds),
          WindowSeed(config, rounds));
    }
  }
}

void PipelineSeeds() {
  // seed-v1-* (format version 1, before lineage) are kept, not regenerated.
  for (int config = 0; config < kWindowConfigs; ++config) {
    for (int rounds : {0, 3}) {
      PipelineFixture f;
      f.Standard();
      auto p = f.Make(config);
      if (!p.ok()) Fail(p.status().ToString());
      f.Rounds(**p, rounds);
      std::string bytes = (*p)->SaveState();
      bytes.resize(bytes.size() - 4);
      Put("pipeline_state",
          rounds == 0 ? absl::StrCat(config, "-waiting") : absl::StrCat(config),
          std::string(1, static_cast<char>(config)) + bytes);
    }
  }
}

// A closed stream directory with `shards` shards and `records` records. With
// `compressed`, the stream compresses (zstd level 1) and each record carries
// a repetitive JSON body, so that its batches do get smaller and are stored
// as zstd frames.
std::string MakeStream(int shards, int records, int per_batch,
                       bool compressed = false) {
  const std::string dir = FreshDir(absl::StrCat("seed-", shards));
  StreamOptions o;
  o.name = "fuzz";
  o.shard_count = shards;
  o.segment_bytes = 64 << 10;
  o.compression_level = compressed ? 1 : 0;
  const std::string body =
      compressed ? R"({"sensor":"temp-0001","unit":"C","value":21.5})" : "";
  auto s = Stream::Open(dir, o, OpenMode::kCreateIfMissing);
  if (!s.ok()) Fail(s.status().ToString());
  Producer producer(s->get());
  for (int i = 0; i < records; ++i) {
    if (per_batch > 1 && i % per_batch == 0) {
      std::vector<std::string> keys, data;
      for (int j = 0; j < per_batch && i + j < records; ++j) {
        keys.push_back(absl::StrCat("k", i + j));
        data.push_back(absl::StrCat("r", i + j, body));
      }
      std::vector<PutRecordsEntry> batch;
      for (size_t j = 0; j < keys.size(); ++j) {
        batch.push_back({keys[j], data[j]});
      }
      if (!producer.PutRecords(batch).ok()) Fail("put records");
      i += per_batch - 1;
      continue;
    }
    if (!producer.PutRecord(absl::StrCat("k", i), absl::StrCat("r", i)).ok()) {
      Fail("put record");
    }
  }
  if (!(*s)->Close().ok()) Fail("close");
  return dir;
}

// A segment file without its zero tail (keeping one zero header).
std::string Trimmed(std::string seg) {
  size_t end = seg.find_last_not_of('\0');
  end = end == std::string::npos ? 0 : end + 1;
  seg.resize(std::min(seg.size(), end + 32));
  return seg;
}

void StreamSeeds() {
  for (int shards : {1, 3}) {
    const std::string dir = MakeStream(shards, 4, 1);
    Put("stream_meta", absl::StrCat("shards-", shards),
        ReadAll(dir + "/STREAM"));
  }
  for (int per_batch : {1, 3, 12}) {
    // 12 per batch: zstd frames (flag bit 3 makes the target's stream a
    // compressing one).
    const bool compressed = per_batch == 12;
    const std::string dir =
        MakeStream(1, compressed ? 24 : 7, per_batch, compressed);
    const std::string seg = Trimmed(
        ReadAll(dir + "/shardId-000000000000/00000000000000000001.seg"));
    const std::string name =
        absl::StrCat(compressed ? "zstd-batch-" : "batch-", per_batch);
    const char z = compressed ? 8 : 0;
    // Flags (see segment_recovery_fuzzer.cc), then 4 bytes of split data.
    Put("segment_recovery", name + "-unclean",
        std::string(1, z) + std::string(4, '\0') + seg);
    Put("segment_recovery", name + "-clean",
        std::string(1, z | 1) + std::string(4, '\0') + seg);
    Put("segment_recovery", name + "-fixcrc",
        std::string(1, z | 4) + std::string(4, '\0') + seg);
    // Two segments: split at 40 bytes in, the second named for position 3.
    Put("segment_recovery", name + "-split",
        std::string(1, z | 2) + std::string("\x28\x00\x02\x00", 4) + seg);
  }
}

// The user records of the KPL vectors (test/testdata/conformance/kpl/), which
// the builder encodes to the vectors' very bytes (aggregation_test.cc).
void KplSeeds() {
  struct User {
    const char* partition_key;
    const char* explicit_hash_key;
    const char* data;
  };
  const std::vector<std::vector<User>> vectors = {
      {{"a", "", "one"}, {"b", "", "two"}, {"a", "", "three"}},
      {{"p1", "170141183460469231731687303715884105728", "mid"},
       {"p2", "", "no-ehk"},
       {"p1", "0", "zero"}},
      {{"a", "", "solo"}}};
  int n = 0;
  for (const std::vector<User>& users : vectors) {
    AggregateBuilder builder;
    for (const User& u : users) {
      if (!builder.Add(u.partition_key, u.explicit_hash_key, u.data).ok()) {
        Fail("kpl seed: Add");
      }
    }
    absl::StatusOr<AggregateBuilder::Aggregate> a = builder.Finish();
    if (!a.ok()) Fail(a.status().ToString());
    // Flag 0: the blob as is; flag 1: the protobuf alone (the target frames
    // it with the magic and its MD5).
    Put("kpl_aggregate", absl::StrCat("vector-", n),
        std::string(1, '\0') + a->data);
    Put("kpl_aggregate", absl::StrCat("proto-", n),
        std::string(1, '\1') +
            a->data.substr(4, a->data.size() - kAggregatedRecordOverheadBytes));
    ++n;
  }
}

}  // namespace
}  // namespace fuzz
}  // namespace brook

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  brook::fuzz::root = argv[1];
  brook::fuzz::WindowSeeds();
  brook::fuzz::PipelineSeeds();
  brook::fuzz::StreamSeeds();
  brook::fuzz::KplSeeds();
  return 0;
}
