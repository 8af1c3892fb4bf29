// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AWS Signature Version 4 (header signing): the canonical request, the string
// to sign and the `Authorization` header, with OpenSSL's SHA-256 and
// HMAC-SHA256. Reproduces AWS's published signing examples
// (test/testdata/conformance/sigv4/).
//
// Thread safety: free functions on values; safe to call concurrently.

#ifndef BROOK_LIB_REMOTE_SIGV4_H_
#define BROOK_LIB_REMOTE_SIGV4_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/aws_config.h"

namespace brook {
namespace internal {

// A request as it will be sent. `headers` keep their order and duplicates;
// they must include `Host` and `X-Amz-Date` (`AmzDate(now)`).
struct SigV4Request {
  std::string method;  // "POST"
  std::string path;    // "/", as sent (not percent-encoded)
  std::string query;   // without '?'; may be empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct SigV4Scope {
  std::string region;   // "us-east-1"
  std::string service;  // "kinesis"
};

struct SigV4Options {
  // Removes "." and ".." segments and empty segments ("//") from the path
  // before encoding it, as every service but S3 expects.
  bool normalize_path = true;
  // Header names (any case) that are sent but not signed.
  std::vector<std::string> unsigned_headers;
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
  std::string authorization;   // the `Authorization` header's value
};

// "20150830T123600Z": the `X-Amz-Date` form of `t` (UTC).
std::string AmzDate(absl::Time t);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);
// HMAC-SHA256 of `data` under `key` (32 raw bytes).
std::string HmacSha256(absl::string_view key, absl::string_view data);

// Signs `request` for `scope` at `now`. Returns kInvalidArgument for
// malformed credentials, a scope that is not [a-z0-9-]+, a header name or
// value with control characters, or a missing `Host` or `X-Amz-Date` header
// (or one that is not `AmzDate(now)`); kUnauthenticated for credentials that
// have expired at `now`.
absl::StatusOr<SigV4Signature> SignV4(const SigV4Request& request,
                                      const AwsCredentials& credentials,
                                      const SigV4Scope& scope, absl::Time now,
                                      const SigV4Options& options = {});

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_SIGV4_H_
