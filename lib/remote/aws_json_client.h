// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The AWS JSON 1.1 protocol (Kinesis, DynamoDB): one signed POST to "/" per
// operation, named in `X-Amz-Target: <prefix>.<Operation>`, JSON in and out.
// Service errors become absl::Status values naming the operation, the
// service's error code and its message; throttling and unavailability are
// retried with exponential back-off and jitter until a deadline.
//
// Thread safety: `Call()` may run on many threads at once.

#ifndef BROOK_LIB_REMOTE_AWS_JSON_CLIENT_H_
#define BROOK_LIB_REMOTE_AWS_JSON_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/aws_config.h"
#include "brook/env.h"

#include "remote/http_transport.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace internal {

struct AwsJsonClientOptions {
  AwsConfig config;
  std::string service = "kinesis";                 // signing scope
  std::string target_prefix = "Kinesis_20131202";  // X-Amz-Target prefix
  // Kinesis speaks JSON 1.1; DynamoDB (DynamoDB_20120810) speaks 1.0.
  std::string content_type = "application/x-amz-json-1.1";
  absl::Duration request_timeout = absl::Seconds(10);
  // Throttling, 5xx responses and transport failures are retried until this
  // long after the call began; then kResourceExhausted (throttled) or
  // kUnavailable (anything else).
  absl::Duration retry_deadline = absl::Seconds(30);
  // Back-off before retry n (from 0) is drawn from [b/2, b] with
  // b = min(max_backoff, initial_backoff * 2^n).
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  Env* env = nullptr;  // clock and sleeps; null: Env::Default()
};

// The options of a client with `config` and the timeouts, retries and clock
// of `request` (shared by every AWS client); the service fields keep their
// defaults (Kinesis) for the caller to set.
AwsJsonClientOptions JsonClientOptions(const AwsRequestOptions& request,
                                       AwsConfig config);

// The service's error code carried by a status this client returned (e.g.
// "ExpiredIteratorException"), or "" if it carries none.
std::string AwsErrorCodeOf(const absl::Status& status);

// Maps a service error code and HTTP status to a status code.
absl::StatusCode StatusCodeForAwsError(absl::string_view error_code,
                                       int http_status);
// True for the error codes that mean "slow down" (retried, then
// kResourceExhausted).
bool IsThrottlingError(absl::string_view error_code);

class AwsJsonClient {
 public:
  AwsJsonClient(AwsJsonClientOptions options,
                std::unique_ptr<HttpTransport> transport);

  // Calls `operation` with `request` (a JSON object); returns the response
  // object. Errors as the file comment says; kInternal if a 200 response is
  // not a JSON object (an empty body is `{}`: operations without output).
  absl::StatusOr<nlohmann::json> Call(absl::string_view operation,
                                      const nlohmann::json& request);
  // As `Call()` without JSON trees: `body` is one JSON object, sent as is
  // (the caller escaped its strings), and the result is the body of the 200
  // response, unparsed ("" for operations without output). Errors as
  // `Call()`'s. For PutRecords' batches, written and read as streams.
  absl::StatusOr<std::string> CallRaw(absl::string_view operation,
                                      const std::string& body);

  const AwsJsonClientOptions& options() const { return options_; }

 private:
  absl::StatusOr<std::string> Attempt(absl::string_view operation,
                                      const std::string& body, bool* retryable,
                                      bool* throttled);

  const AwsJsonClientOptions options_;
  Env* const env_;
  const std::unique_ptr<HttpTransport> transport_;
  const std::string host_;  // endpoint's host[:port], for the Host header
  const std::string url_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_AWS_JSON_CLIENT_H_
