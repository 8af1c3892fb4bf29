// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Catch2 helpers for absl::Status: printing, and REQUIRE/CHECK shorthands.

#ifndef BROOK_TEST_TESTING_STATUS_TESTING_H_
#define BROOK_TEST_TESTING_STATUS_TESTING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include <catch2/catch.hpp>

namespace Catch {
template <>
struct StringMaker<absl::Status> {
  static std::string convert(const absl::Status& s) { return s.ToString(); }
};
}  // namespace Catch

namespace brook {
namespace testing {
inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace testing
}  // namespace brook

// Stops the test unless `expr` (a Status or StatusOr) is OK, printing it.
#define BROOK_REQUIRE_OK(expr) \
  REQUIRE(::brook::testing::StatusOf(expr) == ::absl::OkStatus())
#define BROOK_CHECK_OK(expr) \
  CHECK(::brook::testing::StatusOf(expr) == ::absl::OkStatus())
// Checks that `expr` failed with `code` (an absl::StatusCode enumerator name).
#define BROOK_CHECK_CODE(expr, expected_code)      \
  CHECK(::brook::testing::StatusOf(expr).code() == \
        ::absl::StatusCode::expected_code)

#endif  // BROOK_TEST_TESTING_STATUS_TESTING_H_
