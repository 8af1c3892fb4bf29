// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// An `HttpTransport` that answers from a script, for tests of the AWS JSON
// clients without a network, and helpers for its requests and responses.

#ifndef BROOK_TEST_REMOTE_SCRIPTED_TRANSPORT_H_
#define BROOK_TEST_REMOTE_SCRIPTED_TRANSPORT_H_

#include <deque>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include <catch2/catch.hpp>

#include "remote/http_transport.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace internal {

// Answers each Post() with the next scripted response, keeping every request
// it saw. With `repeat_last`, the last response answers every later request;
// without it, a request past the script fails the test.
class ScriptedTransport : public HttpTransport {
 public:
  std::vector<HttpRequest> requests;
  std::deque<absl::StatusOr<HttpResponse>> script;
  bool repeat_last = true;

  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override {
    requests.push_back(request);
    REQUIRE(!script.empty());
    absl::StatusOr<HttpResponse> r = script.front();
    if (!repeat_last || script.size() > 1) script.pop_front();
    return r;
  }
};

inline HttpResponse Ok(const nlohmann::json& body) {
  return HttpResponse{200, body.dump(), {}};
}

// The value of header `name` of `r`, empty if it has none.
inline std::string HeaderOf(const HttpRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_TEST_REMOTE_SCRIPTED_TRANSPORT_H_
