// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// zstd frames and dictionaries (frame_codec.h).

#include "store/frame_codec.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include <zstd.h>

#include "brook/env.h"

#include "util/coding.h"
#include "util/crc32c.h"
#include "util/replace_file.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

namespace {

// Dictionary file layout (SEGMENT_FORMAT.md, "Dictionaries").
constexpr char kDictionaryMagic[8] = {'B', 'R', 'K', 'Z', 'D', 'I', 'C', 'T'};
constexpr uint32_t kDictionaryFileVersion = 1;
constexpr size_t kDictionaryHeaderBytes = 24;
// Bigger than any dictionary ZDICT makes for us (1 MiB at most).
constexpr uint64_t kMaxDictionaryFileBytes = uint64_t{64} << 20;

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// One context per thread: appends to any shard and reads of any stream share
// it, so memory does not grow with the number of shards.
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx(ZSTD_createCCtx());
  return cctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  return dctx.get();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CompressionDictionary>>
CompressionDictionary::Make(std::string bytes, int level) {
  const uint32_t id = ZSTD_getDictID_fromDict(bytes.data(), bytes.size());
  if (id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("compression dictionary of ", bytes.size(),
                     " bytes: not a zstd dictionary (no dictionary id)"));
  }
  std::shared_ptr<CompressionDictionary> d(new CompressionDictionary());
  d->id_ = id;
  d->bytes_ = std::move(bytes);
  d->ddict_ = ZSTD_createDDict(d->bytes_.data(), d->bytes_.size());
  if (level > 0) {
    d->cdict_ = ZSTD_createCDict(d->bytes_.data(), d->bytes_.size(), level);
  }
  if (d->ddict_ == nullptr || (level > 0 && d->cdict_ == nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("compression dictionary ", id, ": zstd cannot load it"));
  }
  return std::shared_ptr<const CompressionDictionary>(std::move(d));
}

CompressionDictionary::~CompressionDictionary() {
  ZSTD_freeCDict(cdict_);
  ZSTD_freeDDict(ddict_);
}

char* CompressionScratch(size_t n) {
  thread_local std::string scratch;
  if (scratch.size() < n) scratch.resize(n);
  return &scratch[0];
}

size_t CompressFrame(const FrameCompression& c, const char* src, size_t n,
                     char* dst, size_t capacity) {
  ZSTD_CCtx* const cctx = ThreadCCtx();
  if (cctx == nullptr) return 0;
  const size_t z =
      c.dictionary != nullptr && c.dictionary->cdict() != nullptr
          ? ZSTD_compress_usingCDict(cctx, dst, capacity, src, n,
                                     c.dictionary->cdict())
          : ZSTD_compressCCtx(cctx, dst, capacity, src, n, c.level);
  return ZSTD_isError(z) ? 0 : z;
}

absl::StatusOr<size_t> DecompressedBytes(const char* payload, size_t n) {
  const unsigned long long size = ZSTD_getFrameContentSize(payload, n);
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return absl::DataLossError(
        "compressed records: not a zstd frame with a size");
  }
  if (size > kMaxDecompressedFrameBytes) {
    return absl::DataLossError(
        absl::StrCat("compressed records: claim ", size, " bytes"));
  }
  return static_cast<size_t>(size);
}

uint32_t DictionaryIdOf(const char* payload, size_t n) {
  return ZSTD_getDictID_fromFrame(payload, n);
}

absl::Status DecompressFrame(const char* payload, size_t n,
                             const FrameCodec* codec, char* dst,
                             size_t dst_bytes) {
  ZSTD_DCtx* const dctx = ThreadDCtx();
  if (dctx == nullptr) {
    return absl::ResourceExhaustedError("cannot make a zstd context");
  }
  const uint32_t dict_id = DictionaryIdOf(payload, n);
  std::shared_ptr<const CompressionDictionary> dictionary;
  if (dict_id != 0) {
    if (codec == nullptr) {
      return absl::DataLossError(absl::StrCat(
          "compressed records need dictionary ", dict_id, ", none is known"));
    }
    BROOK_ASSIGN_OR_RETURN(dictionary, codec->Dictionary(dict_id));
  }
  const size_t out =
      dictionary != nullptr
          ? ZSTD_decompress_usingDDict(dctx, dst, dst_bytes, payload, n,
                                       dictionary->ddict())
          : ZSTD_decompressDCtx(dctx, dst, dst_bytes, payload, n);
  if (ZSTD_isError(out)) {
    return absl::DataLossError(absl::StrCat(
        "compressed records do not decompress: ", ZSTD_getErrorName(out)));
  }
  if (out != dst_bytes) {
    return absl::DataLossError(absl::StrCat("compressed records decompress to ",
                                            out, " bytes, expected ",
                                            dst_bytes));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// FrameCodec

FrameCodec::FrameCodec(Env* env, std::string dir, int level)
    : env_(env), dir_(std::move(dir)), level_(level) {}

FrameCompression FrameCodec::compression() const {
  FrameCompression c;
  c.level = level_;
  if (level_ > 0) {
    MutexLock lock(&mu_);
    c.dictionary = current_;
  }
  return c;
}

uint32_t FrameCodec::dictionary_id() const {
  MutexLock lock(&mu_);
  return current_ == nullptr ? 0 : current_->id();
}

absl::Status FrameCodec::Install(
    std::shared_ptr<const CompressionDictionary> dictionary, bool persist) {
  if (persist && !dir_.empty()) {
    BROOK_RETURN_IF_ERROR(WriteDictionaryFile(env_, dir_, *dictionary));
  }
  MutexLock lock(&mu_);
  dictionaries_[dictionary->id()] = dictionary;
  current_ = std::move(dictionary);
  return absl::OkStatus();
}

absl::Status FrameCodec::UseDictionary(uint32_t id) {
  if (id == 0) {
    MutexLock lock(&mu_);
    current_ = nullptr;
    return absl::OkStatus();
  }
  BROOK_ASSIGN_OR_RETURN(std::shared_ptr<const CompressionDictionary> d,
                         Dictionary(id));
  MutexLock lock(&mu_);
  current_ = std::move(d);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const CompressionDictionary>>
FrameCodec::Dictionary(uint32_t id) const {
  {
    MutexLock lock(&mu_);
    auto it = dictionaries_.find(id);
    if (it != dictionaries_.end()) return it->second;
  }
  if (dir_.empty()) {
    return absl::DataLossError(
        absl::StrCat("compression dictionary ", id, " is not known"));
  }
  // Loaded outside the lock; two readers may load it at once, one wins.
  BROOK_ASSIGN_OR_RETURN(std::string bytes, ReadDictionaryFile(env_, dir_, id));
  absl::StatusOr<std::shared_ptr<const CompressionDictionary>> d =
      CompressionDictionary::Make(std::move(bytes), level_);
  if (!d.ok()) {
    return absl::DataLossError(
        absl::StrCat(DictionaryPath(dir_, id), ": ", d.status().message()));
  }
  MutexLock lock(&mu_);
  return dictionaries_.emplace(id, *std::move(d)).first->second;
}

// ---------------------------------------------------------------------------
// Dictionary files

std::string DictionaryPath(absl::string_view dir, uint32_t id) {
  return absl::StrFormat("%s/DICTIONARY-%010u", dir, id);
}

absl::Status WriteDictionaryFile(Env* env, absl::string_view dir,
                                 const CompressionDictionary& dictionary) {
  const std::string path = DictionaryPath(dir, dictionary.id());
  const std::string& bytes = dictionary.bytes();
  std::string file(kDictionaryHeaderBytes, '\0');
  std::memcpy(&file[0], kDictionaryMagic, sizeof(kDictionaryMagic));
  EncodeFixed<uint32_t>(&file[8], kDictionaryFileVersion);
  EncodeFixed<uint32_t>(&file[12], dictionary.id());
  EncodeFixed<uint32_t>(&file[16], static_cast<uint32_t>(bytes.size()));
  EncodeFixed<uint32_t>(&file[20], Crc32c(bytes.data(), bytes.size()));
  file += bytes;
  return ReplaceFile(env, dir, path, file);
}

absl::StatusOr<std::string> ReadDictionaryFile(Env* env, absl::string_view dir,
                                               uint32_t id) {
  const std::string path = DictionaryPath(dir, id);
  const auto lost = [&path](auto&&... parts) {
    return absl::DataLossError(absl::StrCat(path, ": ", parts...));
  };
  absl::StatusOr<std::unique_ptr<File>> file =
      env->OpenFile(path, FileOpenMode::kReadOnly);
  if (!file.ok()) {
    return lost("compression dictionary ", id,
                " cannot be read: ", file.status().message());
  }
  BROOK_ASSIGN_OR_RETURN(const uint64_t size, (*file)->Size());
  if (size < kDictionaryHeaderBytes || size > kMaxDictionaryFileBytes) {
    return lost("dictionary file of ", size, " bytes");
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  BROOK_ASSIGN_OR_RETURN(
      const size_t n,
      (*file)->Read(0, absl::MakeSpan(&bytes[0], bytes.size())));
  if (n != size) return lost("short read (", n, " of ", size, " bytes)");
  if (std::memcmp(bytes.data(), kDictionaryMagic, sizeof(kDictionaryMagic)) !=
      0) {
    return lost("not a dictionary file (bad magic)");
  }
  const uint32_t version = DecodeFixed<uint32_t>(&bytes[8]);
  if (version != kDictionaryFileVersion) {
    return lost("dictionary file version ", version,
                " is not one this build reads (", kDictionaryFileVersion, ")");
  }
  const uint32_t stored_id = DecodeFixed<uint32_t>(&bytes[12]);
  const uint32_t length = DecodeFixed<uint32_t>(&bytes[16]);
  const uint32_t crc = DecodeFixed<uint32_t>(&bytes[20]);
  if (stored_id != id) return lost("holds dictionary ", stored_id);
  if (length != size - kDictionaryHeaderBytes) {
    return lost("dictionary length ", length, " but ",
                size - kDictionaryHeaderBytes, " bytes follow the header");
  }
  const char* const dict = bytes.data() + kDictionaryHeaderBytes;
  if (Crc32c(dict, length) != crc) return lost("dictionary checksum mismatch");
  return bytes.substr(kDictionaryHeaderBytes);
}

}  // namespace internal
}  // namespace brook
