// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// brook, RocksDB, LMDB and LevelDB behind `LogStore` (log_store.h).

#include "log_store.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/consumer.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include <fcntl.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <lmdb.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

namespace brook {
namespace bench {
namespace {

constexpr int64_t kSyncBytes = int64_t{1} << 20;

constexpr size_t kKeyBytes = 16;

// 16 lower-case hex digits: fixed width, so byte order is numeric order, and
// valid as a Kinesis partition key (UTF-8) for brook.
void EncodeKey(uint64_t n, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[n & 0xf];
    n >>= 4;
  }
}

bool Fail(absl::string_view what, absl::string_view why) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(why.size()), why.data());
  return false;
}

// Counts appended record bytes (key + value) and says when 1 MiB has gone by
// since the last sync.
class SyncClock {
 public:
  explicit SyncClock(Sync sync) : sync_(sync) {}
  bool Add(int64_t bytes) {
    if (sync_ == Sync::kNone) return false;
    unsynced_ += bytes;
    if (unsynced_ < kSyncBytes) return false;
    unsynced_ = 0;
    return true;
  }
  bool pending() const { return unsynced_ > 0; }
  void Reset() { unsynced_ = 0; }

 private:
  Sync sync_;
  int64_t unsynced_ = 0;
};

class BrookStore : public LogStore {
 public:
  BrookStore(std::unique_ptr<Stream> stream, Shard* shard)
      : stream_(std::move(stream)), shard_(shard) {}
  ~BrookStore() override {
    stream_->Close().IgnoreError();  // best effort
  }

  bool Append(uint64_t first, int count, absl::string_view data) override {
    const size_t n = static_cast<size_t>(count);
    if (keys_.size() < n * kKeyBytes) keys_.resize(n * kKeyBytes);
    if (batch_.size() != n) batch_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      char* key = &keys_[i * kKeyBytes];
      EncodeKey(first + i, key);
      batch_[i] =
          RoutedRecord{absl::string_view(key, kKeyBytes), data, 0, true};
    }
    absl::StatusOr<SequenceNumber> s = shard_->Append(batch_);
    return s.ok() || Fail("brook append", s.status().ToString());
  }

  // A durable stream under kGroupCommit synced each MiB inside Append(); the
  // rest is synced here.
  bool Finish() override {
    if (!durable_) return true;
    absl::Status s = stream_->Sync();
    return s.ok() || Fail("brook sync", s.ToString());
  }

  int64_t Scan(int64_t* bytes) override { return ReadAll(false, bytes); }
  int64_t ScanCollected(int64_t* bytes) override {
    return ReadAll(true, bytes);
  }

  bool durable_ = false;

 private:
  // Reads the shard from TRIM_HORIZON to its tip, 10,000 records a call,
  // through GetRecords (`collect`) or ScanRecords; as Scan().
  int64_t ReadAll(bool collect, int64_t* bytes) {
    Consumer consumer(stream_.get());
    absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
        shard_->id(), StartingPosition::TrimHorizon());
    if (!it.ok()) return -1;
    ShardIterator at = *it;
    int64_t records = 0;
    int64_t sum = 0;
    const auto add = [&sum](const Record& rec) {
      sum += static_cast<int64_t>(rec.partition_key.size() + rec.data.size());
    };
    for (;;) {
      absl::Status status;
      int64_t n = 0;
      if (collect) {
        absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(at);
        status = r.status();
        if (r.ok()) {
          for (const Record& rec : r->records()) add(rec);
          n = static_cast<int64_t>(r->records().size());
          at = r->next_shard_iterator();
        }
      } else {
        absl::StatusOr<ScanRecordsResult> r =
            consumer.ScanRecords(at, GetRecordsOptions(), add);
        status = r.status();
        if (r.ok()) {
          n = r->records;
          at = r->next_shard_iterator;
        }
      }
      if (!status.ok()) {
        Fail("brook scan", status.ToString());
        return -1;
      }
      if (n == 0) break;
      records += n;
    }
    *bytes += sum;
    return records;
  }

  std::unique_ptr<Stream> stream_;
  Shard* shard_;
  std::vector<char> keys_;
  std::vector<RoutedRecord> batch_;
};

std::unique_ptr<LogStore> OpenBrook(bool memory, Sync sync,
                                    const std::string& dir, std::string* error,
                                    int64_t retention_bytes) {
  StreamOptions options;
  if (retention_bytes > 0) {
    options.retention_bytes = retention_bytes;
    options.on_full = RetentionFullPolicy::kDropOldest;
  }
  options.durability =
      sync == Sync::kNone ? Durability::kNone : Durability::kGroupCommit;
  options.group_commit_bytes = kSyncBytes;
  options.group_commit_interval = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<Stream>> s =
      memory ? Stream::Create(options)
             : Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  if (!s.ok()) {
    *error = s.status().ToString();
    return nullptr;
  }
  absl::StatusOr<Shard*> shard = (*s)->GetShard("shardId-000000000000");
  if (!shard.ok()) {
    *error = shard.status().ToString();
    return nullptr;
  }
  auto store = std::make_unique<BrookStore>(*std::move(s), *shard);
  store->durable_ = !memory && sync != Sync::kNone;
  return store;
}

class RocksDbStore : public LogStore {
 public:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, Sync sync)
      : db_(std::move(db)), sync_(sync) {}

  bool Append(uint64_t first, int count, absl::string_view data) override {
    batch_.Clear();
    char key[kKeyBytes];
    for (int i = 0; i < count; ++i) {
      EncodeKey(first + static_cast<uint64_t>(i), key);
      rocksdb::Status s = batch_.Put(rocksdb::Slice(key, kKeyBytes),
                                     rocksdb::Slice(data.data(), data.size()));
      if (!s.ok()) return Fail("rocksdb put", s.ToString());
    }
    rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch_);
    if (!s.ok()) return Fail("rocksdb write", s.ToString());
    if (sync_.Add(count * static_cast<int64_t>(kKeyBytes + data.size()))) {
      s = db_->SyncWAL();
      if (!s.ok()) return Fail("rocksdb SyncWAL", s.ToString());
    }
    return true;
  }

  bool Finish() override {
    if (!sync_.pending()) return true;
    sync_.Reset();
    rocksdb::Status s = db_->SyncWAL();
    return s.ok() || Fail("rocksdb SyncWAL", s.ToString());
  }

  int64_t Scan(int64_t* bytes) override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions()));
    int64_t records = 0;
    int64_t sum = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      sum += static_cast<int64_t>(it->key().size() + it->value().size());
      ++records;
    }
    if (!it->status().ok()) return -1;
    *bytes += sum;
    return records;
  }

  bool Compact() override {
    rocksdb::Status s =
        db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
    return s.ok() || Fail("rocksdb compact", s.ToString());
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  SyncClock sync_;
  rocksdb::WriteBatch batch_;
};

class LevelDbStore : public LogStore {
 public:
  LevelDbStore(std::unique_ptr<leveldb::DB> db, Sync sync)
      : db_(std::move(db)), sync_(sync) {}

  // LevelDB has no call that syncs its log alone: the write that brings the
  // unsynced bytes to 1 MiB is made with `sync`, which syncs the log file
  // and with it every write before.
  bool Append(uint64_t first, int count, absl::string_view data) override {
    batch_.Clear();
    char key[kKeyBytes];
    for (int i = 0; i < count; ++i) {
      EncodeKey(first + static_cast<uint64_t>(i), key);
      batch_.Put(leveldb::Slice(key, kKeyBytes),
                 leveldb::Slice(data.data(), data.size()));
    }
    leveldb::WriteOptions options;
    options.sync =
        sync_.Add(count * static_cast<int64_t>(kKeyBytes + data.size()));
    leveldb::Status s = db_->Write(options, &batch_);
    return s.ok() || Fail("leveldb write", s.ToString());
  }

  bool Finish() override {
    if (!sync_.pending()) return true;
    sync_.Reset();
    leveldb::WriteOptions options;
    options.sync = true;
    leveldb::WriteBatch empty;
    leveldb::Status s = db_->Write(options, &empty);
    return s.ok() || Fail("leveldb sync", s.ToString());
  }

  int64_t Scan(int64_t* bytes) override {
    std::unique_ptr<leveldb::Iterator> it(
        db_->NewIterator(leveldb::ReadOptions()));
    int64_t records = 0;
    int64_t sum = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      sum += static_cast<int64_t>(it->key().size() + it->value().size());
      ++records;
    }
    if (!it->status().ok()) return -1;
    *bytes += sum;
    return records;
  }

  bool Compact() override {
    db_->CompactRange(nullptr, nullptr);
    return true;
  }

 private:
  std::unique_ptr<leveldb::DB> db_;
  SyncClock sync_;
  leveldb::WriteBatch batch_;
};

class LmdbStore : public LogStore {
 public:
  LmdbStore(MDB_env* env, MDB_dbi dbi, Sync sync)
      : env_(env), dbi_(dbi), sync_(sync) {}
  ~LmdbStore() override { mdb_env_close(env_); }

  // Keys only grow, so every put uses MDB_APPEND (LMDB's fastest path for
  // sequential keys: no search, pages filled completely).
  bool Append(uint64_t first, int count, absl::string_view data) override {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return Fail("lmdb txn_begin", mdb_strerror(rc));
    char key[kKeyBytes];
    for (int i = 0; i < count; ++i) {
      EncodeKey(first + static_cast<uint64_t>(i), key);
      MDB_val k{kKeyBytes, key};
      MDB_val v{data.size(), const_cast<char*>(data.data())};
      rc = mdb_put(txn, dbi_, &k, &v, MDB_APPEND);
      if (rc != 0) {
        mdb_txn_abort(txn);
        return Fail("lmdb put", mdb_strerror(rc));
      }
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return Fail("lmdb commit", mdb_strerror(rc));
    if (sync_.Add(count * static_cast<int64_t>(kKeyBytes + data.size()))) {
      rc = mdb_env_sync(env_, 1);
      if (rc != 0) return Fail("lmdb sync", mdb_strerror(rc));
    }
    return true;
  }

  bool Finish() override {
    if (!sync_.pending()) return true;
    sync_.Reset();
    const int rc = mdb_env_sync(env_, 1);
    return rc == 0 || Fail("lmdb sync", mdb_strerror(rc));
  }

  int64_t Scan(int64_t* bytes) override {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn) != 0) return -1;
    MDB_cursor* cursor = nullptr;
    if (mdb_cursor_open(txn, dbi_, &cursor) != 0) {
      mdb_txn_abort(txn);
      return -1;
    }
    int64_t records = 0;
    int64_t sum = 0;
    MDB_val k;
    MDB_val v;
    for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      sum += static_cast<int64_t>(k.mv_size + v.mv_size);
      ++records;
    }
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    *bytes += sum;
    return records;
  }

 private:
  MDB_env* env_;
  MDB_dbi dbi_;
  SyncClock sync_;
};

std::unique_ptr<LogStore> OpenLmdb(Sync sync, const std::string& dir,
                                   std::string* error) {
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc == 0) rc = mdb_env_set_mapsize(env, size_t{16} << 30);
  if (rc == 0) rc = mdb_env_open(env, dir.c_str(), MDB_NOSYNC, 0644);
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  if (rc == 0) rc = mdb_txn_begin(env, nullptr, 0, &txn);
  if (rc == 0) {
    rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    if (rc == 0) {
      rc = mdb_txn_commit(txn);
    } else {
      mdb_txn_abort(txn);
    }
  }
  if (rc != 0) {
    *error = absl::StrCat("lmdb open ", dir, ": ", mdb_strerror(rc));
    if (env != nullptr) mdb_env_close(env);
    return nullptr;
  }
  return std::make_unique<LmdbStore>(env, dbi, sync);
}

// `StoreKind::kWriteFloor`: the bytes the peers store, with nothing else.
// Syncs with the peers' `SyncClock`, so a sync lands after the same batches
// as theirs (the batch that brings the unsynced bytes to 1 MiB, and the end).
class WriteFloorStore : public LogStore {
 public:
  WriteFloorStore(int fd, Sync sync) : fd_(fd), sync_(sync) {}
  ~WriteFloorStore() override {
    if (fd_ >= 0) ::close(fd_);
  }

  bool Append(uint64_t first, int count, absl::string_view data) override {
    const size_t record = kKeyBytes + data.size();
    const size_t bytes = static_cast<size_t>(count) * record;
    // Reused across batches, like the peers' WriteBatch: only the first
    // batch touches new pages.
    if (buffer_.size() < bytes) buffer_.resize(bytes);
    char* p = buffer_.data();
    for (int i = 0; i < count; ++i, p += record) {
      EncodeKey(first + static_cast<uint64_t>(i), p);
      std::memcpy(p + kKeyBytes, data.data(), data.size());
    }
    // One write(2) per batch; the loop only finishes a short write.
    for (size_t done = 0; done < bytes;) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, bytes - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Fail("write floor write", std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    if (sync_.Add(static_cast<int64_t>(bytes)) && ::fdatasync(fd_) != 0) {
      return Fail("write floor fdatasync", std::strerror(errno));
    }
    return true;
  }

  // Syncs the last partial MiB (as the peers' `Finish()` does) and closes
  // the file, without a sync for kNone.
  bool Finish() override {
    if (sync_.pending()) {
      sync_.Reset();
      if (::fdatasync(fd_) != 0) {
        return Fail("write floor fdatasync", std::strerror(errno));
      }
    }
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0 || Fail("write floor close", std::strerror(errno));
  }

  // Write-only: the floor is there to time appends.
  int64_t Scan(int64_t* /*bytes*/) override { return -1; }

 private:
  int fd_;
  SyncClock sync_;
  std::vector<char> buffer_;
};

}  // namespace

const char* StoreName(StoreKind kind) {
  switch (kind) {
    case StoreKind::kBrookMmap:
      return "brook_mmap";
    case StoreKind::kBrookMemory:
      return "brook_memory";
    case StoreKind::kRocksDb:
      return "rocksdb";
    case StoreKind::kLmdb:
      return "lmdb";
    case StoreKind::kLevelDb:
      return "leveldb";
    case StoreKind::kWriteFloor:
      return "write_floor";
  }
  return "?";
}

std::unique_ptr<LogStore> OpenLogStore(StoreKind kind, Sync sync,
                                       const std::string& dir,
                                       std::string* error,
                                       int64_t brook_retention_bytes) {
  switch (kind) {
    case StoreKind::kBrookMmap:
    case StoreKind::kBrookMemory:
      return OpenBrook(kind == StoreKind::kBrookMemory, sync, dir, error,
                       brook_retention_bytes);
    case StoreKind::kRocksDb: {
      rocksdb::Options options;
      options.create_if_missing = true;
      options.compression = rocksdb::kNoCompression;
      rocksdb::DB* db = nullptr;
      rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
      if (!s.ok()) {
        *error = s.ToString();
        return nullptr;
      }
      return std::make_unique<RocksDbStore>(std::unique_ptr<rocksdb::DB>(db),
                                            sync);
    }
    case StoreKind::kLmdb:
      return OpenLmdb(sync, dir, error);
    case StoreKind::kLevelDb: {
      leveldb::Options options;
      options.create_if_missing = true;
      options.compression = leveldb::kNoCompression;
      leveldb::DB* db = nullptr;
      leveldb::Status s = leveldb::DB::Open(options, dir, &db);
      if (!s.ok()) {
        *error = s.ToString();
        return nullptr;
      }
      return std::make_unique<LevelDbStore>(std::unique_ptr<leveldb::DB>(db),
                                            sync);
    }
    case StoreKind::kWriteFloor: {
      const std::string path = dir + "/records";
      const int fd =
          ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) {
        *error = absl::StrCat("open ", path, ": ", std::strerror(errno));
        return nullptr;
      }
      return std::make_unique<WriteFloorStore>(fd, sync);
    }
  }
  *error = "unknown store";
  return nullptr;
}

}  // namespace bench
}  // namespace brook
