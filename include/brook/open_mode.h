// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `OpenMode`: how `Stream::Open()` (stream.h) treats a stream directory, and
// what a read-only open sees of a writer in another process (following,
// waiting, what a power loss can take back, what is read when). Included by
// stream.h; kept apart because it is the contract of the durable store's
// readers, not of `Stream` as such.

#ifndef BROOK_OPEN_MODE_H_
#define BROOK_OPEN_MODE_H_

namespace brook {

// How `Stream::Open()` treats the directory.
enum class OpenMode : int {
  // Opens the stream in the directory, or creates the directory and a stream
  // with the given options if it holds none.
  kCreateIfMissing = 0,
  // Opens the stream in the directory; kNotFound if there is none.
  kMustExist = 1,
  // Opens the stream for reading only, even while another process writes it:
  // takes no writer lock, changes nothing on disk but a shared lock on the
  // READERS file (which stops the writer from reusing dropped segment files
  // this stream may still map; not created in a directory holding no
  // stream), and follows the writer unless `StreamOptions::follow` is false.
  // Appends fail with kFailedPrecondition. Damage is reported, not repaired.
  // Takes the stored options (see options.h) without comparing them.
  //
  // Following the writer (the default): the writer, another process or
  // another `Stream` of this process, publishes each shard's end in the
  // directory's FOLLOW file (lib/store/SEGMENT_FORMAT.md) after each append,
  // and a follower brings a shard's view up to it at each `GetRecords()`,
  // `GetShardIterator()` and `WaitForRecords()`: new committed frames (never
  // a frame being written, nor one past the published end, so never a record
  // the writer's recovery could truncate after a crash of its process), new
  // segment files, segments retention dropped (an iterator below them counts
  // them in `skipped_records()`). When the writer rewrites STREAM (a reshard,
  // a retention change), `ListShards()`, `DescribeStream()`, `GetShard()`
  // and reads see the new shards and bounds; a closed parent lists its
  // ending sequence number, and a reader at its end gets `child_shards()`
  // and no next iterator, as with an in-process reshard. A writer that
  // crashes and a new one that reopens the directory (recovery truncating a
  // torn tail) are followed too, with no record seen twice; with no writer
  // the follower serves what is there. A shard whose lazy recovery found
  // damage or missing files keeps what precedes them and follows no further.
  // Without a FOLLOW file (no writer of this version has opened the
  // directory) a follower takes new committed frames and segment files as it
  // finds them, and no reshard.
  //   Waiting: `WaitForRecords()` sleeps on a futex(2) in the FOLLOW
  // mapping, which the writer wakes after publishing (only when a follower
  // counts itself as waiting, so an append pays one atomic increment and
  // one load otherwise); a futex needs no descriptor or thread and works
  // across processes that map the same file, unlike an eventfd, and wakes
  // on publication, unlike inotify. `StreamOptions::wait_spin` spins
  // first, for the lowest latency. A sleeping follower looks at the `Env`
  // clock at least every 50 ms, so the timeout is on that clock, as for
  // every wait. Any publication of any shard wakes every waiting follower
  // of the stream, which then looks at its own shard.
  //   What a power loss can take back: a follower sees published records;
  // under kNone and kGroupCommit those are not all durable yet. A crash of
  // the writer's process takes back nothing a follower saw (the page cache
  // keeps it and recovery keeps every committed frame); a power loss (or
  // kernel crash) can take back the records past the shard's durable end.
  // `GetRecordsOptions::durable_only` reads only up to that end (FOLLOW
  // holds it too). Under kAlways every published record is durable.
  //
  // What it reads, and when: the open reads only the metadata file (STREAM:
  // options, shards, lineage) and checks it. A shard's segment files are
  // listed, mapped and checked frame by frame (the recovery rules of
  // lib/store/SEGMENT_FORMAT.md) when the shard is first read
  // (`Consumer::GetShardIterator()`), once; the shard then holds
  // the records that were in its files at that moment, and (following) what
  // the writer publishes after. So `ListShards()`,
  // `DescribeStream()` and `GetShard()` read no segment, and a read of one
  // shard maps that shard's segments only. Exceptions:
  //   - `recovery_report()` first recovers every shard not read yet, so that
  //     it reports on the whole stream (that is how to ask for a full check);
  //   - `DescribeStream()` recovers every shard not read yet when the
  //     directory was not closed cleanly (a writer has it open, or crashed),
  //     because only the frames tell its `stored_bytes` then.
  // A shard whose recovery fails (an I/O error) keeps failing: its
  // `GetShardIterator()` returns that error each time, and the recovery
  // report lists it.
  kReadOnly = 2,
  // Creates the directory if needed and a new stream in it with the given
  // options; kAlreadyExists, changing nothing, if the directory holds a stream
  // or another writer has it open (LevelDB's error_if_exists). Race-free: of
  // several processes or threads creating one directory at once, exactly one
  // succeeds. A directory that exists but holds no stream is used.
  kCreateOnly = 3,
  // As kReadOnly, but checks every frame's checksum whatever state the
  // directory was left in (what `brook verify` does); kReadOnly checks only
  // frame headers of a cleanly closed directory.
  kVerify = 4,
};

}  // namespace brook

#endif  // BROOK_OPEN_MODE_H_
