// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/aws_json_client.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

#include "remote/sigv4.h"

namespace brook {
namespace internal {
namespace {

constexpr char kErrorCodePayload[] = "type.brook/aws_error_code";

std::string HostOf(absl::string_view endpoint_url) {
  absl::ConsumePrefix(&endpoint_url, "https://") ||
      absl::ConsumePrefix(&endpoint_url, "http://");
  return std::string(endpoint_url.substr(0, endpoint_url.find('/')));
}

absl::Status WithCode(absl::Status status, absl::string_view error_code) {
  if (!error_code.empty()) {
    status.SetPayload(kErrorCodePayload, absl::Cord(error_code));
  }
  return status;
}

// The error code from "__type" ("com.amazon.coral...#Code" or "Code"), else
// from the x-amzn-ErrorType header ("Code:http://...").
std::string ErrorCode(const HttpResponse& response,
                      const nlohmann::json* body) {
  std::string code;
  if (body != nullptr && body->is_object()) {
    auto it = body->find("__type");
    if (it != body->end() && it->is_string()) code = it->get<std::string>();
  }
  if (code.empty()) code = response.Header("x-amzn-errortype");
  if (size_t hash = code.rfind('#'); hash != std::string::npos) {
    code = code.substr(hash + 1);
  }
  if (size_t colon = code.find(':'); colon != std::string::npos) {
    code = code.substr(0, colon);
  }
  return code;
}

std::string ErrorMessage(const nlohmann::json* body) {
  if (body == nullptr || !body->is_object()) return std::string();
  for (const char* key : {"message", "Message"}) {
    auto it = body->find(key);
    if (it != body->end() && it->is_string()) return it->get<std::string>();
  }
  return std::string();
}

absl::Duration Jittered(absl::Duration backoff) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int64_t micros =
      std::max<int64_t>(1, absl::ToInt64Microseconds(backoff));
  std::uniform_int_distribution<int64_t> dist(micros / 2, micros);
  return absl::Microseconds(dist(rng));
}

}  // namespace

AwsJsonClientOptions JsonClientOptions(const AwsRequestOptions& request,
                                       AwsConfig config) {
  AwsJsonClientOptions out;
  out.config = std::move(config);
  out.request_timeout = request.request_timeout;
  out.retry_deadline = request.retry_deadline;
  out.initial_backoff = request.initial_backoff;
  out.max_backoff = request.max_backoff;
  out.env = request.env;
  return out;
}

std::string AwsErrorCodeOf(const absl::Status& status) {
  absl::optional<absl::Cord> code = status.GetPayload(kErrorCodePayload);
  return code.has_value() ? std::string(*code) : std::string();
}

bool IsThrottlingError(absl::string_view code) {
  return code == "ProvisionedThroughputExceededException" ||
         code == "LimitExceededException" || code == "ThrottlingException" ||
         code == "RequestLimitExceeded" || code == "TooManyRequestsException";
}

absl::StatusCode StatusCodeForAwsError(absl::string_view code,
                                       int http_status) {
  if (IsThrottlingError(code)) return absl::StatusCode::kResourceExhausted;
  if (code == "ResourceNotFoundException") return absl::StatusCode::kNotFound;
  if (code == "ResourceInUseException" || code == "ExpiredIteratorException" ||
      code == "ExpiredNextTokenException" || absl::StartsWith(code, "KMS")) {
    return code == "KMSAccessDeniedException"
               ? absl::StatusCode::kPermissionDenied
               : absl::StatusCode::kFailedPrecondition;
  }
  if (code == "InvalidArgumentException" || code == "ValidationException" ||
      code == "SerializationException" || code == "InvalidParameterValue" ||
      code == "MissingParameter") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (code == "AccessDeniedException")
    return absl::StatusCode::kPermissionDenied;
  if (code == "UnrecognizedClientException" ||
      code == "InvalidSignatureException" ||
      code == "IncompleteSignatureException" ||
      code == "MissingAuthenticationTokenException" ||
      code == "ExpiredTokenException" || code == "InvalidClientTokenId" ||
      code == "SignatureDoesNotMatch") {
    return absl::StatusCode::kUnauthenticated;
  }
  if (code == "UnknownOperationException") {
    return absl::StatusCode::kUnimplemented;
  }
  if (code == "InternalFailure" || code == "ServiceUnavailable" ||
      code == "InternalServerError" || http_status >= 500) {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kUnknown;
}

AwsJsonClient::AwsJsonClient(AwsJsonClientOptions options,
                             std::unique_ptr<HttpTransport> transport)
    : options_(std::move(options)),
      env_(options_.env != nullptr ? options_.env : Env::Default()),
      transport_(std::move(transport)),
      host_(HostOf(options_.config.endpoint_url)),
      url_(options_.config.endpoint_url + "/") {}

absl::StatusOr<nlohmann::json> AwsJsonClient::Call(
    absl::string_view operation, const nlohmann::json& request) {
  absl::StatusOr<std::string> body = CallRaw(operation, request.dump());
  if (!body.ok()) return body.status();
  // Operations without output (CreateStream, ...) answer with no body.
  if (body->empty()) return nlohmann::json::object();
  nlohmann::json json = nlohmann::json::parse(*body, nullptr,
                                              /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InternalError(absl::StrCat(
        options_.service, " ", operation,
        ": the 200 response is not a JSON object (", body->size(), " bytes)"));
  }
  return json;
}

absl::StatusOr<std::string> AwsJsonClient::CallRaw(absl::string_view operation,
                                                   const std::string& body) {
  const int64_t start = env_->NowMillis();
  const int64_t deadline =
      start + absl::ToInt64Milliseconds(options_.retry_deadline);
  for (int attempt = 0;; ++attempt) {
    bool retryable = false, throttled = false;
    absl::StatusOr<std::string> result =
        Attempt(operation, body, &retryable, &throttled);
    if (result.ok() || !retryable) return result;
    const absl::Duration cap = std::min(
        options_.max_backoff,
        options_.initial_backoff * (int64_t{1} << std::min(attempt, 20)));
    const absl::Duration sleep = Jittered(cap);
    const int64_t now = env_->NowMillis();
    if (now + absl::ToInt64Milliseconds(sleep) >= deadline) {
      const absl::Status& last = result.status();
      return WithCode(
          absl::Status(
              throttled ? absl::StatusCode::kResourceExhausted
                        : absl::StatusCode::kUnavailable,
              absl::StrCat(last.message(), " (gave up after ", attempt + 1,
                           " attempts in ", now - start, " ms)")),
          AwsErrorCodeOf(last));
    }
    env_->SleepFor(sleep);
  }
}

absl::StatusOr<std::string> AwsJsonClient::Attempt(absl::string_view operation,
                                                   const std::string& body,
                                                   bool* retryable,
                                                   bool* throttled) {
  const absl::Time now = absl::FromUnixMillis(env_->NowMillis());
  SigV4Request signing;
  signing.method = "POST";
  signing.path = "/";
  signing.headers = {
      {"Host", host_},
      {"Content-Type", options_.content_type},
      {"X-Amz-Date", AmzDate(now)},
      {"X-Amz-Target", absl::StrCat(options_.target_prefix, ".", operation)},
  };
  const AwsCredentials& credentials = options_.config.credentials;
  if (!credentials.session_token.empty()) {
    signing.headers.emplace_back("X-Amz-Security-Token",
                                 credentials.session_token);
  }
  signing.body = body;
  absl::StatusOr<SigV4Signature> signature =
      SignV4(signing, credentials,
             SigV4Scope{options_.config.region, options_.service}, now);
  if (!signature.ok()) {
    return absl::Status(signature.status().code(),
                        absl::StrCat(options_.service, " ", operation, ": ",
                                     signature.status().message()));
  }
  HttpRequest request;
  request.url = url_;
  request.headers = std::move(signing.headers);
  request.headers.emplace_back("Authorization", signature->authorization);
  request.body = std::move(signing.body);  // signed; now sent
  request.timeout = options_.request_timeout;

  absl::StatusOr<HttpResponse> response = transport_->Post(request);
  if (!response.ok()) {
    *retryable = true;
    return absl::UnavailableError(absl::StrCat(
        options_.service, " ", operation, ": ", response.status().message()));
  }
  if (response->status == 200) return std::move(response->body);
  nlohmann::json json = nlohmann::json::parse(response->body, nullptr,
                                              /*allow_exceptions=*/false);
  const bool parsed = !json.is_discarded();
  const std::string code = ErrorCode(*response, parsed ? &json : nullptr);
  std::string message = ErrorMessage(parsed ? &json : nullptr);
  if (message.empty() && code.empty()) {
    message = absl::StrCat("HTTP ", response->status, " ",
                           response->body.substr(0, 200));
  }
  const absl::StatusCode status_code =
      StatusCodeForAwsError(code, response->status);
  *throttled = status_code == absl::StatusCode::kResourceExhausted;
  *retryable = *throttled || status_code == absl::StatusCode::kUnavailable;
  return WithCode(
      absl::Status(
          status_code,
          absl::StrCat(options_.service, " ", operation, ": ",
                       code.empty() ? "" : code,
                       code.empty() || message.empty() ? "" : ": ", message)),
      code);
}

}  // namespace internal
}  // namespace brook
