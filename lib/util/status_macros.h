// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Status propagation macros. Debian 12's Abseil (20220623) has none. Never use
// these in public headers.

#ifndef BROOK_LIB_UTIL_STATUS_MACROS_H_
#define BROOK_LIB_UTIL_STATUS_MACROS_H_

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function
// if it is not OK.
#define BROOK_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status brook_status_ = (expr);         \
    if (ABSL_PREDICT_FALSE(!brook_status_.ok())) { \
      return brook_status_;                        \
    }                                              \
  } while (false)

#define BROOK_STATUS_CONCAT_INNER_(a, b) a##b
#define BROOK_STATUS_CONCAT_(a, b) BROOK_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status if not OK, else
// moves its value into `lhs` (a declaration such as `auto x` or an lvalue).
#define BROOK_ASSIGN_OR_RETURN(lhs, expr) \
  BROOK_ASSIGN_OR_RETURN_IMPL_(           \
      BROOK_STATUS_CONCAT_(brook_statusor_, __LINE__), lhs, expr)

#define BROOK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) {               \
    return std::move(statusor).status();                  \
  }                                                       \
  lhs = *std::move(statusor)

#endif  // BROOK_LIB_UTIL_STATUS_MACROS_H_
