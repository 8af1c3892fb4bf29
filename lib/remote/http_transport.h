// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// One HTTP/1.1 POST and its response: the seam between the AWS JSON client
// and the network. `NewCurlTransport()` is the real one (libcurl, keep-alive
// connections reused across calls); tests pass fakes.
//
// Thread safety: a transport's `Post()` may be called from many threads at
// once.

#ifndef BROOK_LIB_REMOTE_HTTP_TRANSPORT_H_
#define BROOK_LIB_REMOTE_HTTP_TRANSPORT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace brook {
namespace internal {

struct HttpRequest {
  std::string url;  // "http://127.0.0.1:4567/"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration timeout = absl::Seconds(10);  // the whole exchange
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // Response headers with lower-case names ("x-amzn-errortype").
  std::vector<std::pair<std::string, std::string>> headers;

  // The first value of header `lower_name`, or "".
  std::string Header(absl::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return value;
    }
    return std::string();
  }
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends `request`; any HTTP status is a response. Returns kUnavailable when
  // no response came (connection refused or reset, timeout, DNS), naming the
  // URL and the cause.
  virtual absl::StatusOr<HttpResponse> Post(const HttpRequest& request) = 0;
};

struct CurlTransportOptions {
  // Time to connect (TCP and TLS). Default: 3 s.
  absl::Duration connect_timeout = absl::Seconds(3);
};

// A libcurl transport. Keeps up to a few idle connections for reuse.
std::unique_ptr<HttpTransport> NewCurlTransport(
    const CurlTransportOptions& options = {});

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_HTTP_TRANSPORT_H_
