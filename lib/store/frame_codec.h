// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// zstd-compressed batch frames (codec 1, see batch_format.h): compressing a
// frame's records, decompressing them, and the trained dictionaries frames
// may be compressed with, kept per stream by a `FrameCodec` and persisted in
// the stream directory as `DICTIONARY-<id>` files (their format is in
// SEGMENT_FORMAT.md, "Dictionaries"; this file owns it).
//
// A compressed frame's payload is one zstd frame with its content size and,
// if a dictionary was used, the dictionary's id (zstd's own frame header), so
// a reader decodes any frame without being told how it was written.
//
// Thread safety: `FrameCodec` is thread-safe. `CompressFrame()` and
// `DecompressFrame()` use a zstd context per thread.

#ifndef BROOK_LIB_STORE_FRAME_CODEC_H_
#define BROOK_LIB_STORE_FRAME_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "util/mutex.h"

struct ZSTD_CDict_s;
struct ZSTD_DDict_s;

namespace brook {

class Env;

namespace internal {

// Levels a stream may compress with (`StreamOptions::compression_level`).
inline constexpr int kMinCompressionLevel = 1;
inline constexpr int kMaxCompressionLevel = 19;
// The largest decompressed payload a frame may claim: a frame's records fit
// in a segment (at most 1 GiB) or are one oversized record.
inline constexpr uint64_t kMaxDecompressedFrameBytes = uint64_t{2} << 30;

// A trained zstd dictionary, ready to compress (at one level) and decompress.
class CompressionDictionary {
 public:
  // Digests `bytes` (a dictionary ZDICT_trainFromBuffer() or `zstd --train`
  // made). Returns kInvalidArgument if zstd cannot load it or it has no id.
  static absl::StatusOr<std::shared_ptr<const CompressionDictionary>> Make(
      std::string bytes, int level);
  ~CompressionDictionary();
  CompressionDictionary(const CompressionDictionary&) = delete;
  CompressionDictionary& operator=(const CompressionDictionary&) = delete;

  // zstd's dictionary id, which every frame compressed with it carries.
  uint32_t id() const { return id_; }
  const std::string& bytes() const { return bytes_; }
  ZSTD_CDict_s* cdict() const { return cdict_; }
  ZSTD_DDict_s* ddict() const { return ddict_; }

 private:
  CompressionDictionary() = default;
  uint32_t id_ = 0;
  std::string bytes_;
  ZSTD_CDict_s* cdict_ = nullptr;
  ZSTD_DDict_s* ddict_ = nullptr;
};

// How new frames are compressed: level 0 is not at all.
struct FrameCompression {
  int level = 0;
  std::shared_ptr<const CompressionDictionary> dictionary;  // may be null
};

// Compresses `src[0, n)` into `dst` (room for `capacity` bytes) as one zstd
// frame; returns its size, or 0 if it does not fit in `capacity` (the caller
// then stores the bytes as they are).
// REQUIRES: c.level > 0.
size_t CompressFrame(const FrameCompression& c, const char* src, size_t n,
                     char* dst, size_t capacity);

// A buffer of the calling thread with room for `n` bytes, reused (grown
// only) by every call on the thread: valid until the thread's next call.
char* CompressionScratch(size_t n);

// The stream's dictionaries, by id, and how it compresses new frames. A
// durable stream (a non-empty `dir`) loads a dictionary from its file the
// first time a frame needs it; a memory stream knows those added only.
class FrameCodec {
 public:
  FrameCodec(Env* env, std::string dir, int level);

  // What an append compresses with now.
  FrameCompression compression() const;
  // The dictionary new frames use, by id; 0 for none.
  uint32_t dictionary_id() const;

  // Adds `dictionary` (persisting it first, for a durable stream, unless
  // `persist` is false) and makes it the one new frames use. Returns the
  // file's write error.
  absl::Status Install(std::shared_ptr<const CompressionDictionary> dictionary,
                       bool persist);
  // Makes dictionary `id` (loaded from its file) the one new frames use; 0
  // for none. kDataLoss naming the file if it is missing or damaged.
  absl::Status UseDictionary(uint32_t id);

  // The dictionary with id `id`. kDataLoss naming the file if it is
  // missing or damaged (or, for a memory stream, unknown).
  absl::StatusOr<std::shared_ptr<const CompressionDictionary>> Dictionary(
      uint32_t id) const;

 private:
  Env* const env_;
  const std::string dir_;
  const int level_;
  mutable Mutex mu_;
  mutable std::map<uint32_t, std::shared_ptr<const CompressionDictionary>>
      dictionaries_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const CompressionDictionary> current_ ABSL_GUARDED_BY(mu_);
};

// The compressed payload of a frame: the decompressed size it claims
// (kDataLoss if it claims none, or more than kMaxDecompressedFrameBytes), and
// the dictionary it needs (0 for none).
absl::StatusOr<size_t> DecompressedBytes(const char* payload, size_t n);
uint32_t DictionaryIdOf(const char* payload, size_t n);

// Decompresses `payload[0, n)` into `dst`, which must come out exactly
// `dst_bytes` long (DecompressedBytes()). `codec` gives dictionaries (null:
// a frame that needs one fails). kDataLoss with what was wrong otherwise.
absl::Status DecompressFrame(const char* payload, size_t n,
                             const FrameCodec* codec, char* dst,
                             size_t dst_bytes);

// Dictionary files. `DICTIONARY-<id>` in `dir`.
std::string DictionaryPath(absl::string_view dir, uint32_t id);
// Writes the file atomically (a temporary file, synced, renamed, the
// directory synced).
absl::Status WriteDictionaryFile(Env* env, absl::string_view dir,
                                 const CompressionDictionary& dictionary);
// Reads and checks the file of dictionary `id`: kDataLoss naming it if it is
// missing, of an unknown version, or fails its checksum or id.
absl::StatusOr<std::string> ReadDictionaryFile(Env* env, absl::string_view dir,
                                               uint32_t id);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_FRAME_CODEC_H_
