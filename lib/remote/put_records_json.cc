// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/put_records_json.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

namespace brook {
namespace internal {
namespace {

using nlohmann::json;

// Fills a KinesisPutRecordsResult from parse events. Depth 1 is the top
// object; the `Records` array is depth 2 and its entries depth 3. Other
// members, and anything nested deeper, are skipped.
class PutRecordsReader : public nlohmann::json_sax<json> {
 public:
  explicit PutRecordsReader(KinesisPutRecordsResult* out) : out_(out) {}

  bool saw_records() const { return saw_records_; }
  bool top_is_object() const { return top_is_object_; }

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override {
    return Scalar();
  }
  bool binary(binary_t&) override { return Scalar(); }
  bool string(string_t& value) override {
    if (depth_ == 3 && in_records_ && field_ != nullptr) {
      *field_ = std::move(value);
    }
    return Scalar();
  }
  bool start_object(std::size_t) override {
    if (depth_ == 0) top_is_object_ = true;
    StartValue();
    ++depth_;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    StartValue();
    ++depth_;
    if (depth_ == 2 && top_key_is_records_) {
      in_records_ = true;
      saw_records_ = true;
    }
    return true;
  }
  bool end_array() override {
    if (depth_ == 2) in_records_ = false;
    --depth_;
    return true;
  }
  bool key(string_t& name) override {
    field_ = nullptr;
    if (depth_ == 1) {
      top_key_is_records_ = name == "Records";
    } else if (depth_ == 3 && in_records_) {
      KinesisPutRecordsResultEntry& e = out_->records.back();
      if (name == "ShardId") {
        field_ = &e.shard_id;
      } else if (name == "SequenceNumber") {
        field_ = &e.sequence_number;
      } else if (name == "ErrorCode") {
        field_ = &e.error_code;
      } else if (name == "ErrorMessage") {
        field_ = &e.error_message;
      }
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  // A value begins: at depth 2 inside `Records`, that is a new entry.
  void StartValue() {
    if (depth_ == 2 && in_records_) out_->records.emplace_back();
  }
  bool Scalar() {
    StartValue();
    field_ = nullptr;
    return true;
  }

  KinesisPutRecordsResult* const out_;
  int depth_ = 0;
  bool top_is_object_ = false;
  bool top_key_is_records_ = false;
  bool in_records_ = false;
  bool saw_records_ = false;
  std::string* field_ = nullptr;  // where the next string value goes
};

absl::Status Malformed(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("kinesis PutRecords: malformed response: ", what));
}

}  // namespace

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  size_t run = 0;  // the first byte not yet appended
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
      continue;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
    out->append(escaped, sizeof(escaped));
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

void AppendBase64(absl::string_view data, std::string* out) {
  // Pieces whose sizes fit EVP_EncodeBlock's int; a multiple of 3, so no
  // padding before the last.
  constexpr size_t kPiece = size_t{3} << 20;
  const size_t at = out->size();
  out->resize(at + 4 * ((data.size() + 2) / 3) + 1);  // +1: the NUL it writes
  auto* to = reinterpret_cast<unsigned char*>(&(*out)[at]);
  const auto* from = reinterpret_cast<const unsigned char*>(data.data());
  for (size_t done = 0; done < data.size();) {
    const size_t n = std::min(kPiece, data.size() - done);
    to += EVP_EncodeBlock(to, from + done, static_cast<int>(n));
    done += n;
  }
  out->resize(out->size() - 1);
}

std::string PutRecordsBody(absl::string_view stream_name,
                           absl::Span<const KinesisPutRecordsEntry> entries) {
  size_t size = 40 + stream_name.size();
  for (const KinesisPutRecordsEntry& e : entries) {
    // Escapes aside (rare), the exact size of an entry.
    size += 60 + e.partition_key.size() + e.explicit_hash_key.size() +
            4 * ((e.data.size() + 2) / 3);
  }
  std::string body;
  body.reserve(size);
  body.append("{\"StreamName\":");
  AppendJsonString(stream_name, &body);
  body.append(",\"Records\":[");
  for (size_t i = 0; i < entries.size(); ++i) {
    const KinesisPutRecordsEntry& e = entries[i];
    body.append(i == 0 ? "{\"PartitionKey\":" : ",{\"PartitionKey\":");
    AppendJsonString(e.partition_key, &body);
    body.append(",\"Data\":\"");
    AppendBase64(e.data, &body);
    body.push_back('"');
    if (!e.explicit_hash_key.empty()) {
      body.append(",\"ExplicitHashKey\":");
      AppendJsonString(e.explicit_hash_key, &body);
    }
    body.push_back('}');
  }
  body.append("]}");
  return body;
}

absl::Status ReadPutRecordsResponse(absl::string_view body, size_t expected,
                                    KinesisPutRecordsResult* out) {
  out->records.clear();
  out->records.reserve(expected);
  out->failed_record_count = 0;
  PutRecordsReader reader(out);
  if (!json::sax_parse(body.begin(), body.end(), &reader) ||
      !reader.top_is_object()) {
    return Malformed(
        absl::StrCat("not a JSON object (", body.size(), " bytes)"));
  }
  if (!reader.saw_records() || out->records.size() != expected) {
    return Malformed("Records is not one entry per record");
  }
  for (const KinesisPutRecordsResultEntry& entry : out->records) {
    if (entry.error_code.empty() && entry.sequence_number.empty()) {
      return Malformed("an entry with neither result nor error");
    }
    if (!entry.ok()) ++out->failed_record_count;
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook
