// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Trained dictionaries for compressed batches (brook/compression.h):
// sampling a stream, training with zstd's ZDICT, installing for new frames.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/compression.h"
#include "brook/consumer.h"

#include "store/frame_codec.h"
#include "stream/stream_impl.h"
#include "stream/stream_meta.h"
#include "util/status_macros.h"
#include <zdict.h>

namespace brook {
namespace internal {

absl::Status StreamImpl::InstallCompressionDictionary(
    std::shared_ptr<const CompressionDictionary> dictionary) {
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", dir_, " is open read-only"));
  }
  MutexLock lock(&close_mu_);
  if (closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream ", options_.name, " is closed"));
  }
  // The file first: STREAM never names a dictionary that is not there.
  if (durable_ != nullptr) {
    BROOK_RETURN_IF_ERROR(WriteDictionaryFile(env_, dir_, *dictionary));
  }
  BROOK_RETURN_IF_ERROR(PersistOptionsLocked([&](proto::StreamMeta* meta) {
    meta->set_compression_dictionary_id(dictionary->id());
    meta->set_format_version(MetaVersionFor(*meta));
  }));
  return codec_->Install(std::move(dictionary), /*persist=*/false);
}

namespace {

absl::StatusOr<StreamImpl*> CompressingStream(Stream* stream,
                                              absl::string_view operation) {
  auto* impl = dynamic_cast<StreamImpl*>(stream);
  if (impl == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        operation, ": the stream is not one Stream::Create() or Open() made"));
  }
  const StreamOptions& o = impl->fixed_options();
  if (o.compression_level == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(operation, ": stream ", o.name,
                     " does not compress (compression_level is 0)"));
  }
  return impl;
}

absl::StatusOr<uint32_t> Install(StreamImpl* stream, std::string bytes) {
  BROOK_ASSIGN_OR_RETURN(
      std::shared_ptr<const CompressionDictionary> dictionary,
      CompressionDictionary::Make(std::move(bytes),
                                  stream->fixed_options().compression_level));
  const uint32_t id = dictionary->id();
  BROOK_RETURN_IF_ERROR(
      stream->InstallCompressionDictionary(std::move(dictionary)));
  return id;
}

}  // namespace
}  // namespace internal

absl::StatusOr<uint32_t> TrainCompressionDictionary(
    Stream* stream, const DictionaryTrainingOptions& options) {
  constexpr absl::string_view kOperation = "TrainCompressionDictionary";
  const auto bad = [&](absl::string_view option, int64_t value,
                       absl::string_view range) {
    return absl::InvalidArgumentError(absl::StrCat(
        kOperation, ": ", option, " must be ", range, ", got ", value));
  };
  if (options.max_sample_records < 100 ||
      options.max_sample_records > 10000000) {
    return bad("max_sample_records", options.max_sample_records,
               "100 to 10000000");
  }
  if (options.max_sample_bytes < 1024 ||
      options.max_sample_bytes > (int64_t{1} << 30)) {
    return bad("max_sample_bytes", options.max_sample_bytes, "1 KiB to 1 GiB");
  }
  if (options.dictionary_bytes < 1024 ||
      options.dictionary_bytes > (int64_t{1} << 20)) {
    return bad("dictionary_bytes", options.dictionary_bytes, "1 KiB to 1 MiB");
  }
  BROOK_ASSIGN_OR_RETURN(internal::StreamImpl * impl,
                         internal::CompressingStream(stream, kOperation));

  // The sample: each record's data, as its batches would hold it.
  std::string samples;
  std::vector<size_t> sizes;
  Consumer consumer(stream);
  for (const ShardDescription& shard : consumer.ListShards()) {
    BROOK_ASSIGN_OR_RETURN(
        ShardIterator it, consumer.GetShardIterator(
                              shard.shard_id, StartingPosition::TrimHorizon()));
    while (it.valid() &&
           static_cast<int64_t>(sizes.size()) < options.max_sample_records &&
           static_cast<int64_t>(samples.size()) < options.max_sample_bytes) {
      BROOK_ASSIGN_OR_RETURN(GetRecordsResult r, consumer.GetRecords(it));
      if (r.records().empty()) break;
      for (const Record& rec : r.records()) {
        if (static_cast<int64_t>(sizes.size()) >= options.max_sample_records ||
            static_cast<int64_t>(samples.size()) >= options.max_sample_bytes) {
          break;
        }
        absl::StrAppend(&samples, rec.partition_key, rec.data);
        sizes.push_back(rec.partition_key.size() + rec.data.size());
      }
      it = r.next_shard_iterator();
    }
  }
  std::string dictionary(static_cast<size_t>(options.dictionary_bytes), '\0');
  const size_t n =
      ZDICT_trainFromBuffer(&dictionary[0], dictionary.size(), samples.data(),
                            sizes.data(), static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        kOperation, ": cannot train on a sample of ", sizes.size(),
        " records (", samples.size(), " bytes): ", ZDICT_getErrorName(n)));
  }
  dictionary.resize(n);
  return internal::Install(impl, std::move(dictionary));
}

absl::StatusOr<uint32_t> InstallCompressionDictionary(
    Stream* stream, absl::string_view dictionary) {
  BROOK_ASSIGN_OR_RETURN(
      internal::StreamImpl * impl,
      internal::CompressingStream(stream, "InstallCompressionDictionary"));
  return internal::Install(impl, std::string(dictionary));
}

}  // namespace brook
