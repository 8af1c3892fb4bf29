// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Whether the POSIX Env asks for huge pages (MADV_HUGEPAGE) on the writable
// maps of 2 MiB or more it makes of segment files. It pays off where a first
// write to a new 4 KiB page through a mapping is slow, as on a guest whose
// hypervisor tracks each 4 KiB entry (5-7 us a page on the AMD guest of
// bench/README.md), and costs where it is not: a new 2 MiB folio the guest
// had handed back to its host costs about 4.5 us per 4 KiB to zero on both
// guests measured, against 1.2-1.5 us for a 4 KiB page on the Intel one,
// where fresh segment files were appended to 2.5x slower with the hint
// ("Fresh segment files" in bench/README.md, session 16).
//
// Thread safety: FileHugePages() may be called from any thread; the others
// are pure or touch only memory of their own.

#ifndef BROOK_LIB_ENV_HUGE_PAGES_H_
#define BROOK_LIB_ENV_HUGE_PAGES_H_

#include "absl/functional/function_ref.h"

namespace brook {
namespace internal {

// Above this cost of a first write to a small page (ns), huge pages are
// asked for: between the Intel guest's 1,200-1,500 and the AMD guest's
// 5,000-7,700, under the 4,500 a cold huge page costs per 4 KiB.
inline constexpr double kHugePagesAboveNanos = 3000;

// The choice for `setting`, the value of BROOK_FILE_HUGE_PAGES (nullptr if
// unset): "1" asks for huge pages and "0" does not, without measuring;
// anything else measures with `small_page_nanos` (the first-write cost of a
// new 4 KiB page, ns; negative if it could not be measured, which keeps
// huge pages, the choice before there was a measurement).
bool ChooseFileHugePages(const char* setting,
                         absl::FunctionRef<double()> small_page_nanos);

// Writes one byte to each of 512 new 4 KiB pages of anonymous memory (asked
// for small pages) and returns the mean time a page took, in ns; negative if
// the memory could not be mapped. Takes about 1-4 ms.
double SmallPageFirstWriteNanos();

// This process's choice: ChooseFileHugePages() with the environment and
// SmallPageFirstWriteNanos(), made on the first call.
bool FileHugePages();

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_ENV_HUGE_PAGES_H_
