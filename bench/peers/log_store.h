// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// One small interface over brook and the embedded stores a user would pick
// instead (RocksDB, LMDB, LevelDB, from Debian 12's packages), so that
// bench/peers/peers_bench.cc runs the same workload through each: records
// keyed by a counter written as 16 hex digits (brook stores the same 16
// bytes as the partition key), appended in order, one write call per batch,
// and read back in key order. Beside them, `kWriteFloor`: no store at all,
// only the bytes any store must write. Not thread-safe; one store per object.

#ifndef BROOK_BENCH_PEERS_LOG_STORE_H_
#define BROOK_BENCH_PEERS_LOG_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace brook {
namespace bench {

enum class StoreKind {
  kBrookMmap = 0,    // durable stream (mmap segments), one shard
  kBrookMemory = 1,  // memory stream, one shard
  kRocksDb = 2,
  kLmdb = 3,
  kLevelDb = 4,
  // Not a store: each batch's records (16-byte key, then value) written to
  // one file with one buffered write(2), synced by the same rule as the
  // peers (fdatasync), and closed at `Finish()`. What any store that writes
  // the records through write(2) must do at least: a floor for the peers'
  // append cost. Append and Finish only; `Scan()` returns -1.
  kWriteFloor = 5,
};

// What an append has to have done before it returns, the same for every
// store: kNone survives a killed process (the bytes are in the page cache)
// but not a power loss; kEvery1MiB also syncs (fdatasync/msync) whenever 1 MiB
// of record bytes has been appended since the last sync, and at `Finish()`.
enum class Sync { kNone = 0, kEvery1MiB = 1 };

const char* StoreName(StoreKind kind);

class LogStore {
 public:
  virtual ~LogStore() = default;

  // Appends `count` records keyed `first` .. `first + count - 1`, each with
  // value `data`, in one write call: one `Shard::Append`, one WriteBatch, one
  // LMDB write transaction. False on any error (printed to stderr).
  virtual bool Append(uint64_t first, int count, absl::string_view data) = 0;

  // Makes every appended record durable under the store's `Sync` (syncs the
  // last partial MiB for kEvery1MiB; nothing for kNone).
  virtual bool Finish() = 0;

  // Reads every record in key order and returns how many, adding the key and
  // value bytes to `*bytes`; -1 on error.
  virtual int64_t Scan(int64_t* bytes) = 0;
  // As Scan(), the way a reader that keeps the records reads: brook through
  // `Consumer::GetRecords` (Scan() uses `Consumer::ScanRecords`); the
  // others as Scan().
  virtual int64_t ScanCollected(int64_t* bytes) { return Scan(bytes); }

  // Compacts the store as one that has run a while holds its data (RocksDB
  // and LevelDB: everything into sorted tables, nothing left in the
  // memtable); nothing for the others. False on error.
  virtual bool Compact() { return true; }
};

// Opens (creating if missing) the store of `kind` in `dir` (ignored for
// kBrookMemory; kWriteFloor creates the file `records` there, emptied).
// Options are each store's defaults except: no compression
// (brook does not compress by default), LMDB's map size 16 GiB and MDB_NOSYNC
// (the commit writes but does not sync; `Sync` decides when to sync), and
// brook's `durability` as `sync` says. `brook_retention_bytes` (brook only;
// 0: unbounded, the default) bounds the stream, dropping its oldest segments
// and reusing their memory or files. Null on error, with `*error` set.
std::unique_ptr<LogStore> OpenLogStore(StoreKind kind, Sync sync,
                                       const std::string& dir,
                                       std::string* error,
                                       int64_t brook_retention_bytes = 0);

}  // namespace bench
}  // namespace brook

#endif  // BROOK_BENCH_PEERS_LOG_STORE_H_
