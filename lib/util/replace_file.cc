// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "util/replace_file.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"

#include "util/status_macros.h"

namespace brook {
namespace internal {

absl::Status ReplaceFile(Env* env, absl::string_view dir,
                         absl::string_view path, absl::string_view bytes,
                         bool sync) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    BROOK_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                           env->OpenFile(tmp, FileOpenMode::kCreate));
    BROOK_RETURN_IF_ERROR(file->Truncate(0));
    BROOK_RETURN_IF_ERROR(file->Write(0, bytes));
    if (sync) BROOK_RETURN_IF_ERROR(file->Sync());
  }
  BROOK_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  if (sync) BROOK_RETURN_IF_ERROR(env->SyncDir(dir));
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook
