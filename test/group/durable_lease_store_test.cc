// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The durable lease store: sharing between store objects and processes,
// reopening, damaged files.

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include <catch2/catch.hpp>

#include "brook/lease.h"
#include "brook/stream.h"

#include "group/lease_file.h"
#include "group/lease_testing.h"
#include "testing/fault_injection_env.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

using testing::MakeLease;
using testing::ShardKey;
using ESN = ExtendedSequenceNumber;

std::unique_ptr<LeaseStore> OpenStore(const std::string& dir,
                                      bool sync = true) {
  DurableLeaseStoreOptions options;
  options.sync = sync;
  absl::StatusOr<std::unique_ptr<LeaseStore>> store =
      OpenDurableLeaseStore(dir, "app", options);
  BROOK_REQUIRE_OK(store);
  return *std::move(store);
}

std::string LeasePath(const testing::TempDir& dir, int n) {
  return dir.path() + "/groups/app/" + ShardKey(n) + ".lease";
}

TEST_CASE("DurableLeaseStore: opening checks the directory and group name",
          "[group]") {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<LeaseStore>> missing =
      OpenDurableLeaseStore(dir.Sub("nope"), "app", {});
  BROOK_CHECK_CODE(missing, kNotFound);
  CHECK_THAT(std::string(missing.status().message()),
             Catch::Contains(dir.Sub("nope")));
  absl::StatusOr<std::unique_ptr<LeaseStore>> bad =
      OpenDurableLeaseStore(dir.path(), "../evil", {});
  BROOK_CHECK_CODE(bad, kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("../evil"));
  CHECK_FALSE(std::filesystem::exists(dir.Sub("groups")));
  BROOK_CHECK_OK(OpenDurableLeaseStore(dir.path(), "app", {}));
  CHECK(std::filesystem::is_directory(dir.Sub("groups/app")));
}

TEST_CASE(
    "DurableLeaseStore: lives beside a durable stream, which still "
    "opens, reopens and verifies",
    "[group]") {
  testing::TempDir dir;
  StreamOptions options;
  options.shard_count = 2;
  {
    absl::StatusOr<std::unique_ptr<Stream>> stream =
        Stream::Open(dir.path(), options, OpenMode::kCreateIfMissing);
    BROOK_REQUIRE_OK(stream);
    std::unique_ptr<LeaseStore> store = OpenStore(dir.path());
    for (const ShardDescription& shard : (*stream)->ListShards()) {
      Lease lease;
      lease.lease_key = shard.shard_id;
      lease.hash_key_range = shard.hash_key_range;
      BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(lease));
    }
    BROOK_REQUIRE_OK((*stream)->Close());
  }
  for (OpenMode mode : {OpenMode::kMustExist, OpenMode::kVerify}) {
    absl::StatusOr<std::unique_ptr<Stream>> stream =
        Stream::Open(dir.path(), options, mode);
    BROOK_REQUIRE_OK(stream);
    CHECK((*stream)->recovery_report().problems.empty());
  }
  CHECK(OpenStore(dir.path())->ListLeases()->size() == 2);
}

TEST_CASE(
    "DurableLeaseStore: two stores on one directory share the leases, "
    "compare-and-set holds between them, a reopen keeps every field",
    "[group]") {
  testing::TempDir dir;
  std::unique_ptr<LeaseStore> a = OpenStore(dir.path());
  std::unique_ptr<LeaseStore> b = OpenStore(dir.path());
  Lease lease = MakeLease(7, 2, 4);
  lease.parent_shard_ids = {ShardKey(1), ShardKey(2)};
  lease.checkpoint = ESN::Latest();
  BROOK_REQUIRE_OK(a->CreateLeaseIfNotExists(lease));
  BROOK_CHECK_CODE(b->CreateLeaseIfNotExists(lease), kAlreadyExists);

  const Lease seen_by_a = *a->GetLease(ShardKey(7));
  const Lease seen_by_b = *b->GetLease(ShardKey(7));
  BROOK_REQUIRE_OK(b->TakeLease(seen_by_b, "worker-b"));
  BROOK_CHECK_CODE(a->TakeLease(seen_by_a, "worker-a"), kAborted);

  Lease current = *a->GetLease(ShardKey(7));
  CHECK(current.lease_owner == "worker-b");
  current = *a->UpdateCheckpoint(
      current,
      ESN::At(*SequenceNumber::Parse("49590338271490256608559692538361571095"),
              7));
  current = *a->UpdateLease(ShardKey(7), current.lease_counter, [](Lease& l) {
    l.has_pending_checkpoint = true;
    l.pending_checkpoint = ESN::ShardEnd();
    l.checkpoint_owner = "worker-old";
    l.child_shard_ids = {ShardKey(9)};
    l.throughput_records_per_second = 3.5;
    l.throughput_bytes_per_second = 350;
    return absl::OkStatus();
  });
  a.reset();
  b.reset();

  std::unique_ptr<LeaseStore> reopened = OpenStore(dir.path());
  absl::StatusOr<Lease> got = reopened->GetLease(ShardKey(7));
  BROOK_REQUIRE_OK(got);
  CHECK(got->lease_key == current.lease_key);
  CHECK(got->lease_owner == "worker-b");
  CHECK(got->lease_counter == current.lease_counter);
  CHECK(got->checkpoint == current.checkpoint);
  CHECK(got->checkpoint.subsequence_number() == 7);
  CHECK(got->has_pending_checkpoint);
  CHECK(got->pending_checkpoint == ESN::ShardEnd());
  CHECK(got->checkpoint_owner == "worker-old");
  CHECK(got->owner_switches_since_checkpoint == 0);
  CHECK(got->parent_shard_ids == lease.parent_shard_ids);
  CHECK(got->child_shard_ids == std::vector<std::string>{ShardKey(9)});
  CHECK(got->hash_key_range == lease.hash_key_range);
  CHECK(got->throughput_records_per_second == 3.5);
  CHECK(got->throughput_bytes_per_second == 350);
}

TEST_CASE("DurableLeaseStore: a left-over temporary file is never read",
          "[group]") {
  testing::TempDir dir;
  std::unique_ptr<LeaseStore> store = OpenStore(dir.path());
  BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(MakeLease(0)));
  // A writer that died half-way leaves garbage in <lease>.tmp.
  const std::string tmp = LeasePath(dir, 0) + ".tmp";
  { std::ofstream(tmp, std::ios::binary) << "BRKLEASE half"; }
  absl::StatusOr<std::vector<Lease>> all = store->ListLeases();
  BROOK_REQUIRE_OK(all);
  CHECK(all->size() == 1);
  const Lease lease = *store->GetLease(ShardKey(0));
  BROOK_REQUIRE_OK(
      store->TakeLease(lease, "w"));  // the next writer replaces it
  CHECK(store->GetLease(ShardKey(0))->lease_owner == "w");
}

// Checks that every read and change of lease 0 fails with kDataLoss naming its
// file, and that the change leaves the file as it was.
void CheckDataLoss(LeaseStore* store, const std::string& path,
                   absl::string_view what) {
  INFO(what);
  const std::string before = testing::ReadFileBytes(path);
  absl::StatusOr<Lease> got = store->GetLease(ShardKey(0));
  BROOK_CHECK_CODE(got, kDataLoss);
  CHECK_THAT(std::string(got.status().message()), Catch::Contains(path));
  absl::StatusOr<std::vector<Lease>> all = store->ListLeases();
  BROOK_CHECK_CODE(all, kDataLoss);
  CHECK_THAT(std::string(all.status().message()), Catch::Contains(path));
  absl::StatusOr<Lease> taken = store->TakeLease(MakeLease(0), "w");
  BROOK_CHECK_CODE(taken, kDataLoss);
  BROOK_CHECK_CODE(store->CreateLeaseIfNotExists(MakeLease(0)), kAlreadyExists);
  CHECK(testing::ReadFileBytes(path) == before);
}

TEST_CASE(
    "DurableLeaseStore: a damaged lease file is kDataLoss naming it, "
    "never a fresh lease",
    "[group]") {
  testing::TempDir dir;
  std::unique_ptr<LeaseStore> store = OpenStore(dir.path(), /*sync=*/false);
  Lease lease = MakeLease(0);
  lease.lease_owner = "w1";
  lease.checkpoint = ESN::At(SequenceNumber::FromValue(123456789), 2);
  lease.parent_shard_ids = {ShardKey(5)};
  BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(lease));
  const std::string path = LeasePath(dir, 0);
  const std::string good = testing::ReadFileBytes(path);
  REQUIRE(good.size() > internal::kLeaseFileHeaderBytes + 8);
  auto put = [&](const std::string& bytes) {
    std::filesystem::remove(path);
    std::ofstream(path, std::ios::binary) << bytes;
  };

  SECTION("truncated") {
    for (size_t size : {size_t{0}, size_t{7}, size_t{15}, size_t{19},
                        good.size() / 2, good.size() - 1}) {
      put(good.substr(0, size));
      CheckDataLoss(store.get(), path, "truncated to " + std::to_string(size));
    }
  }
  SECTION("trailing garbage") {
    put(good + "x");
    CheckDataLoss(store.get(), path, "one byte more");
  }
  SECTION("any flipped byte") {
    for (size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ 0x20);
      put(bad);
      CheckDataLoss(store.get(), path, "byte " + std::to_string(i));
    }
  }
  SECTION("a format version this build does not read") {
    for (uint32_t version : {0u, 3u, 1000u}) {
      std::string bad = good;
      internal::EncodeFixed<uint32_t>(&bad[8], version);
      const size_t body = bad.size() - internal::kLeaseFileTrailerBytes;
      internal::EncodeFixed<uint32_t>(
          &bad[body], internal::Crc32cExtend(0, bad.data(), body));
      put(bad);
      CheckDataLoss(store.get(), path, "version " + std::to_string(version));
      CHECK_THAT(std::string(store->GetLease(ShardKey(0)).status().message()),
                 Catch::Contains("format version " + std::to_string(version)));
    }
  }
  SECTION("another lease's file under this name") {
    Lease other = MakeLease(1);
    put(internal::EncodeLeaseFile(other));
    CheckDataLoss(store.get(), path, "wrong key");
  }
  SECTION("unreadable: a directory in its place") {
    std::filesystem::remove(path);
    std::filesystem::create_directory(path);
    // An I/O error naming the file; never an empty group or a missing lease.
    for (const absl::Status& s : {store->ListLeases().status(),
                                  store->GetLease(ShardKey(0)).status()}) {
      CHECK_FALSE(s.ok());
      CHECK_FALSE(absl::IsNotFound(s));
      CHECK_THAT(std::string(s.message()), Catch::Contains(path));
    }
  }
}

// A lease with local checkpoints as the build before version 2 encoded it
// (main at 96adfc1, `EncodeLeaseFile(LocalLease())`), in hex.
constexpr char kVersion1Hex[] =
    "42524b4c4541534501000000690000000a14736861726449642d303030303030"
    "30303030303412027731180722080804100c180320022a060804100d18033202"
    "77304214736861726449642d3030303030303030303030315080808080808080"
    "80800160ffffffffffffffffbf0168ffffffffffffffffff01a19fc0c3";

Lease LocalLease() {
  Lease lease = MakeLease(4, 2, 4);
  lease.lease_owner = "w1";
  lease.lease_counter = 7;
  lease.checkpoint =
      ESN::At(SequenceNumber::FromValue(absl::MakeUint128(12, 3)), 2);
  lease.has_pending_checkpoint = true;
  lease.pending_checkpoint =
      ESN::At(SequenceNumber::FromValue(absl::MakeUint128(13, 3)));
  lease.checkpoint_owner = "w0";
  lease.parent_shard_ids = {ShardKey(1)};
  return lease;
}

uint32_t FileVersion(const std::string& bytes) {
  REQUIRE(bytes.size() >= internal::kLeaseFileHeaderBytes);
  return internal::DecodeFixed<uint32_t>(bytes.data() + 8);
}

TEST_CASE(
    "DurableLeaseStore: local checkpoints keep version 1 byte for byte, "
    "56-digit ones round-trip in version 2",
    "[group][sequence]") {
  testing::TempDir dir;
  std::unique_ptr<LeaseStore> store = OpenStore(dir.path(), /*sync=*/false);
  const std::string path = LeasePath(dir, 4);
  const Lease local = LocalLease();

  // Old bytes (no sequence_top) read, and this build writes the same bytes.
  const std::string old = absl::HexStringToBytes(kVersion1Hex);
  CHECK(absl::BytesToHexString(internal::EncodeLeaseFile(local)) ==
        kVersion1Hex);
  { std::ofstream(path, std::ios::binary) << old; }
  absl::StatusOr<Lease> read = store->GetLease(ShardKey(4));
  BROOK_REQUIRE_OK(read);
  CHECK(read->lease_owner == local.lease_owner);
  CHECK(read->lease_counter == local.lease_counter);
  CHECK(read->checkpoint == local.checkpoint);
  CHECK(read->checkpoint.subsequence_number() == 2);
  REQUIRE(read->has_pending_checkpoint);
  CHECK(read->pending_checkpoint == local.pending_checkpoint);
  CHECK(read->checkpoint_owner == local.checkpoint_owner);
  CHECK(read->parent_shard_ids == local.parent_shard_ids);
  CHECK(read->hash_key_range == local.hash_key_range);
  CHECK(internal::EncodeLeaseFile(*read) == old);

  // A remote stream's checkpoint: version 2, read back exactly.
  absl::StatusOr<SequenceNumber> remote = SequenceNumber::Parse(
      "49680734675281032265112259006898146605674192670837178370");
  BROOK_REQUIRE_OK(remote);
  absl::StatusOr<Lease> wide =
      store->UpdateCheckpoint(*read, ESN::At(*remote, 5));
  BROOK_REQUIRE_OK(wide);
  CHECK(FileVersion(testing::ReadFileBytes(path)) == 2);
  read = store->GetLease(ShardKey(4));
  BROOK_REQUIRE_OK(read);
  CHECK(read->checkpoint == ESN::At(*remote, 5));
  CHECK(read->checkpoint.sequence_number().high() == remote->high());
  CHECK_FALSE(read->has_pending_checkpoint);

  // Only the pending checkpoint wide: version 2 as well.
  absl::StatusOr<Lease> pending =
      store->UpdateLease(ShardKey(4), read->lease_counter, [&](Lease& l) {
        l.checkpoint = local.checkpoint;
        l.has_pending_checkpoint = true;
        l.pending_checkpoint = ESN::At(*remote);
        return absl::OkStatus();
      });
  BROOK_REQUIRE_OK(pending);
  CHECK(FileVersion(testing::ReadFileBytes(path)) == 2);
  read = store->GetLease(ShardKey(4));
  BROOK_REQUIRE_OK(read);
  CHECK(read->pending_checkpoint == ESN::At(*remote));
  CHECK(read->checkpoint == local.checkpoint);

  // Back to local numbers: version 1 again.
  BROOK_REQUIRE_OK(
      store->UpdateLease(ShardKey(4), read->lease_counter, [&](Lease& l) {
        l.checkpoint = local.checkpoint;
        l.has_pending_checkpoint = false;
        return absl::OkStatus();
      }));
  CHECK(FileVersion(testing::ReadFileBytes(path)) == 1);

  // A version 1 file with a top word was not written by any build: damage.
  Lease remote_lease = local;
  remote_lease.checkpoint = ESN::At(*remote, 5);
  std::string bad = internal::EncodeLeaseFile(remote_lease);
  REQUIRE(FileVersion(bad) == 2);
  internal::EncodeFixed<uint32_t>(&bad[8], 1);
  const size_t body = bad.size() - internal::kLeaseFileTrailerBytes;
  internal::EncodeFixed<uint32_t>(&bad[body],
                                  internal::Crc32cExtend(0, bad.data(), body));
  std::filesystem::remove(path);
  { std::ofstream(path, std::ios::binary) << bad; }
  absl::StatusOr<Lease> damaged = store->GetLease(ShardKey(4));
  BROOK_CHECK_CODE(damaged, kDataLoss);
  CHECK_THAT(std::string(damaged.status().message()),
             Catch::Contains("2^128 or more in a version 1 file"));
}

// Reads exactly `n` bytes from `fd`; false at end of file.
bool ReadAll(int fd, char* data, size_t n) {
  while (n > 0) {
    const ssize_t got = ::read(fd, data, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// Renews lease 0 `count` times through `store`, retrying on kAborted; returns
// the counters it was granted, or an empty list after another error.
std::vector<int64_t> RenewRepeatedly(LeaseStore* store, int count) {
  std::vector<int64_t> granted;
  while (static_cast<int>(granted.size()) < count) {
    absl::StatusOr<Lease> seen = store->GetLease(ShardKey(0));
    if (!seen.ok()) return {};
    absl::StatusOr<Lease> renewed = store->RenewLease(*seen);
    if (renewed.ok()) {
      granted.push_back(renewed->lease_counter);
    } else if (!absl::IsAborted(renewed.status())) {
      return {};
    }
  }
  return granted;
}

TEST_CASE(
    "DurableLeaseStore: a forked process racing compare-and-sets: no "
    "lost update, each counter granted once",
    "[group]") {
  testing::TempDir dir;
  {
    std::unique_ptr<LeaseStore> store = OpenStore(dir.path(), false);
    Lease lease = MakeLease(0);
    lease.lease_owner = "w";
    BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(lease));
  }
  constexpr int kEach = 300;
  int go[2];
  int results[2];
  REQUIRE(::pipe(go) == 0);
  REQUIRE(::pipe(results) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(go[1]);
    ::close(results[0]);
    char byte;
    if (!ReadAll(go[0], &byte, 1)) ::_exit(2);
    DurableLeaseStoreOptions options;
    options.sync = false;
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDurableLeaseStore(dir.path(), "app", options);
    if (!store.ok()) ::_exit(3);
    const std::vector<int64_t> granted = RenewRepeatedly(store->get(), kEach);
    const size_t bytes = granted.size() * sizeof(int64_t);
    if (::write(results[1], granted.data(), bytes) !=
        static_cast<ssize_t>(bytes)) {
      ::_exit(4);
    }
    ::_exit(granted.size() == kEach ? 0 : 5);
  }
  ::close(go[0]);
  ::close(results[1]);
  std::unique_ptr<LeaseStore> store = OpenStore(dir.path(), false);
  REQUIRE(::write(go[1], "g", 1) == 1);
  std::vector<int64_t> granted = RenewRepeatedly(store.get(), kEach);
  std::vector<int64_t> child_granted(kEach);
  const bool read =
      ReadAll(results[0], reinterpret_cast<char*>(child_granted.data()),
              kEach * sizeof(int64_t));
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::close(go[1]);
  ::close(results[0]);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(read);
  REQUIRE(granted.size() == kEach);
  granted.insert(granted.end(), child_granted.begin(), child_granted.end());
  std::sort(granted.begin(), granted.end());
  std::vector<int64_t> expected(2 * kEach);
  for (int i = 0; i < 2 * kEach; ++i) expected[static_cast<size_t>(i)] = i + 1;
  CHECK(granted == expected);  // every counter once: none lost, none twice
  CHECK(store->GetLease(ShardKey(0))->lease_counter == 2 * kEach);
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

// Each fallible step of a durable checkpoint failing in turn: the call returns
// the error; the lease reads back whole, as before or after the change (a
// failure after the rename, like a DynamoDB timeout, leaves the change made);
// and after a power loss (unsynced bytes dropped) it still reads back whole.
TEST_CASE(
    "DurableLeaseStore: an I/O error at any step of a change leaves a "
    "whole lease, before or after, also after a power loss",
    "[group]") {
  for (int n = 1;; ++n) {
    INFO("failing operation " << n);
    testing::TempDir dir;
    testing::FaultInjectionEnv env;
    DurableLeaseStoreOptions options;
    options.env = &env;
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDurableLeaseStore(dir.path(), "app", options);
    BROOK_REQUIRE_OK(store);
    BROOK_REQUIRE_OK((*store)->CreateLeaseIfNotExists(MakeLease(0)));
    const Lease before = *(*store)->GetLease(ShardKey(0));
    const int operations_before = env.operations();
    env.FailNthOperation(n, absl::StatusCode::kUnavailable);
    absl::StatusOr<Lease> after = (*store)->UpdateCheckpoint(
        before, ESN::At(SequenceNumber::FromValue(77)));
    env.FailNthOperation(0, absl::StatusCode::kOk);
    if (after.ok()) {
      // Every step has been failed once: done.
      CHECK(n > env.operations() - operations_before);
      BROOK_REQUIRE_OK(env.DropUnsyncedData());
      absl::StatusOr<Lease> durable = (*store)->GetLease(ShardKey(0));
      BROOK_REQUIRE_OK(durable);
      CHECK(durable->lease_counter == 1);  // a returned change is durable
      break;
    }
    BROOK_CHECK_CODE(after, kUnavailable);
    for (bool power_loss : {false, true}) {
      if (power_loss) BROOK_REQUIRE_OK(env.DropUnsyncedData());
      absl::StatusOr<Lease> read = (*store)->GetLease(ShardKey(0));
      BROOK_REQUIRE_OK(read);
      if (read->lease_counter == 0) {
        CHECK(read->checkpoint == ESN::TrimHorizon());
      } else {
        CHECK(read->lease_counter == 1);
        CHECK(read->checkpoint == ESN::At(SequenceNumber::FromValue(77)));
      }
      BROOK_CHECK_OK((*store)->ListLeases());
    }
    REQUIRE(n < 20);
  }
}

}  // namespace
}  // namespace brook
