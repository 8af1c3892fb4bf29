// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Replacing a small file whole (metadata, leases, checkpoints, dictionaries):
// the one way brook does it, so that a reader or a crash sees the old file or
// the new one, never a part of either.

#ifndef BROOK_LIB_UTIL_REPLACE_FILE_H_
#define BROOK_LIB_UTIL_REPLACE_FILE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "brook/env.h"

namespace brook {
namespace internal {

// Replaces the file at `path`, in directory `dir`, with `bytes`: writes them
// to `<path>.tmp` (created or truncated) and renames that over `path`. With
// `sync`, the temporary file is synced before the rename and `dir` after it,
// so the new contents survive a power loss once this returns OK. Returns
// the `Env`'s error of the step that failed; `path` is then unchanged (a
// `<path>.tmp` may be left, which the next call truncates).
absl::Status ReplaceFile(Env* env, absl::string_view dir,
                         absl::string_view path, absl::string_view bytes,
                         bool sync = true);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_REPLACE_FILE_H_
