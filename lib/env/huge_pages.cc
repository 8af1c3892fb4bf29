// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "env/huge_pages.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

#include <sys/mman.h>

namespace brook {
namespace internal {

bool ChooseFileHugePages(const char* setting,
                         absl::FunctionRef<double()> small_page_nanos) {
  if (setting != nullptr && std::strcmp(setting, "1") == 0) return true;
  if (setting != nullptr && std::strcmp(setting, "0") == 0) return false;
  const double nanos = small_page_nanos();
  return nanos < 0 || nanos > kHugePagesAboveNanos;
}

double SmallPageFirstWriteNanos() {
  constexpr size_t kPage = 4096;
  constexpr size_t kBytes = size_t{2} << 20;
  void* p = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -1;
  // Small pages even where transparent huge pages are always on.
  (void)::madvise(p, kBytes, MADV_NOHUGEPAGE);
  volatile char* bytes = static_cast<volatile char*>(p);
  const auto start = std::chrono::steady_clock::now();
  for (size_t off = 0; off < kBytes; off += kPage) bytes[off] = 1;
  const std::chrono::duration<double, std::nano> took =
      std::chrono::steady_clock::now() - start;
  ::munmap(p, kBytes);
  return took.count() / static_cast<double>(kBytes / kPage);
}

bool FileHugePages() {
  static const bool use = ChooseFileHugePages(
      std::getenv("BROOK_FILE_HUGE_PAGES"), SmallPageFirstWriteNanos);
  return use;
}

}  // namespace internal
}  // namespace brook
