// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Fuzzes `Deaggregate()` (issue 12). The first input byte is a flag: 0 uses
// the rest as a record's data as is (magic, protobuf and MD5 trailer); 1
// frames the rest as magic + rest + its MD5, so that mutations reach the
// protobuf reader instead of stopping at the MD5. Oracles: OK or kDataLoss;
// on kDataLoss nothing appended; on OK every user record's views lie inside
// the data, subsequence numbers count from 0, and protobuf's generated parser
// reads the same records (ours is no more lenient than protobuf's).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"

#include "brook/aggregation.h"

#include "fuzz/fuzz_util.h"
#include "proto/kpl_aggregate.pb.h"
#include "util/md5.h"

namespace {

bool Inside(absl::string_view part, absl::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() &&
          part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  if (size == 0) return 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  std::string bytes;
  if (data[0] == 1) {
    const std::array<uint8_t, 16> d = brook::internal::Md5(rest);
    bytes = std::string(brook::kAggregatedRecordMagic) + std::string(rest) +
            std::string(reinterpret_cast<const char*>(d.data()), d.size());
  } else {
    bytes = std::string(rest);
  }
  brook::Record record;
  record.data = bytes;
  std::vector<brook::Record> out(1);
  const absl::Status s = brook::Deaggregate(record, &out);
  if (!s.ok()) {
    if (s.code() != absl::StatusCode::kDataLoss) {
      brook::fuzz::Fail("Deaggregate: not kDataLoss: " + s.ToString());
    }
    if (out.size() != 1) brook::fuzz::Fail("Deaggregate: appended on error");
    return 0;
  }
  for (size_t i = 1; i < out.size(); ++i) {
    const brook::Record& u = out[i];
    if (!Inside(u.data, bytes) || !Inside(u.partition_key, bytes)) {
      brook::fuzz::Fail("Deaggregate: a view outside the data");
    }
    if (brook::IsAggregatedRecord(bytes) && u.subsequence_number != i - 1) {
      brook::fuzz::Fail("Deaggregate: subsequence numbers out of order");
    }
  }
  if (!brook::IsAggregatedRecord(bytes)) {
    if (out.size() != 2) brook::fuzz::Fail("Deaggregate: not passed through");
    return 0;
  }
  brook::internal::proto::AggregatedRecord m;
  const absl::string_view proto = absl::string_view(bytes).substr(
      4, bytes.size() - brook::kAggregatedRecordOverheadBytes);
  if (!m.ParseFromArray(proto.data(), static_cast<int>(proto.size()))) {
    brook::fuzz::Fail("Deaggregate: accepted what protobuf refuses");
  }
  if (static_cast<size_t>(m.records_size()) != out.size() - 1) {
    brook::fuzz::Fail("Deaggregate: record count differs from protobuf's");
  }
  for (int i = 0; i < m.records_size(); ++i) {
    if (m.records(i).data() != out[static_cast<size_t>(i) + 1].data) {
      brook::fuzz::Fail("Deaggregate: data differs from protobuf's");
    }
  }
  return 0;
}
