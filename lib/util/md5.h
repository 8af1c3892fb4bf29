// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MD5 (RFC 1321), used only to turn partition keys into hash keys as Kinesis
// does. Not for security.

#ifndef BROOK_LIB_UTIL_MD5_H_
#define BROOK_LIB_UTIL_MD5_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

// The 16-byte digest of `data`.
std::array<uint8_t, 16> Md5(absl::string_view data);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_MD5_H_
