// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A `Producer` writes records to a stream, routing each to the shard whose hash
// key range holds its hash key (PutRecord and PutRecords of Kinesis).
//
// A `Producer` works over any `Stream` through the stream's interface: it
// checks each record (size against `Stream::max_record_bytes()`, partition
// and explicit hash key) and computes its hash key itself, then hands the
// records to `Stream::DoPutRecords()`, which routes and stores them. It never
// depends on the stream's implementation, so an in-process stream and a
// stream kept elsewhere (a remote Kinesis stream) are written alike.
//
// Thread safety: a `Producer` may be used from many threads at once. Records
// that one thread puts with the same partition key (and so the same shard) are
// stored in the order that thread put them.
// Lifetime: must not outlive its stream; results hold views of shard ids that
// are valid while the stream lives.
//
// Example:
//   brook::Producer producer(stream.get());
//   absl::StatusOr<brook::PutRecordResult> r =
//       producer.PutRecord("user-7", "hi");
//   std::vector<brook::PutRecordsEntry> entries = {{"k1", "a"}, {"k2", "b"}};
//   absl::StatusOr<brook::PutRecordsResult> rs = producer.PutRecords(entries);
//   // rs->failed_record_count entries failed; see rs->records[i].status

#ifndef BROOK_PRODUCER_H_
#define BROOK_PRODUCER_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "brook/export.h"
#include "brook/record.h"

namespace brook {

class Stream;

struct PutRecordResult {
  absl::string_view shard_id;  // valid while the stream lives
  SequenceNumber sequence_number;
};

// One entry's outcome; `status` is OK or says why this entry (alone) failed:
//   kInvalidArgument     a bad entry (partition key, explicit hash key, size);
//   kResourceExhausted   the stream is full (kRejectWrites), or the disk is;
//                        or (provisioned mode, `ThroughputOptions`) the
//                        shard's write limit: "...: provisioned throughput
//                        exceeded for shard <id>: ..." (only a suffix of the
//                        entries bound for one shard fails so);
//   kAborted             its shard was closed by a reshard, and so were the
//                        shards it was routed to again, 64 times over (a
//                        stream resharded without pause); put it again;
//   kFailedPrecondition  the stream was closed or opened read-only;
//   other codes          (durable stream) a write or sync failed.
// A shard closed by a reshard between routing and appending is not an error:
// the entry is routed again, to the shard that owns its hash key now.
struct PutRecordsResultEntry {
  absl::Status status;
  absl::string_view shard_id;  // set when status is OK
  SequenceNumber sequence_number;
};

struct PutRecordsResult {
  int failed_record_count = 0;
  std::vector<PutRecordsResultEntry> records;  // one per entry, in input order
};

class BROOK_EXPORT Producer {
 public:
  // `stream` is not owned and must outlive the producer.
  explicit Producer(Stream* stream);

  // Puts one record. Returns kInvalidArgument for an invalid partition key or
  // explicit hash key or a record over the stream's max record size, and
  // otherwise the codes of `PutRecordsResultEntry::status` (kAborted only
  // after 64 reshards raced with the call). Nothing is stored unless OK is
  // returned.
  absl::StatusOr<PutRecordResult> PutRecord(
      absl::string_view partition_key, absl::string_view data,
      absl::string_view explicit_hash_key = {});

  // Puts many records. Not atomic, as in Kinesis: each entry succeeds or fails
  // on its own, and the result says which. Entries bound for the same shard are
  // stored in input order. Returns kInvalidArgument only when `entries` is
  // empty; every other fault is reported per entry.
  absl::StatusOr<PutRecordsResult> PutRecords(
      absl::Span<const PutRecordsEntry> entries);

 private:
  Stream* stream_;
};

}  // namespace brook

#endif  // BROOK_PRODUCER_H_
