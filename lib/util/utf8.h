// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// UTF-8 validation and character counting for partition keys.

#ifndef BROOK_LIB_UTIL_UTF8_H_
#define BROOK_LIB_UTIL_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

struct Utf8Check {
  bool valid = false;
  size_t chars = 0;        // code points, when valid
  size_t error_offset = 0;  // first byte of the bad sequence, when not valid
};

// Checks that `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) and counts its code points.
Utf8Check CheckUtf8(absl::string_view text);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_UTF8_H_
