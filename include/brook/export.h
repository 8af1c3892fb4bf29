// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `BROOK_EXPORT` marks the symbols of brook's public API, so that a shared
// build compiled with hidden visibility still exports them.

#ifndef BROOK_EXPORT_H_
#define BROOK_EXPORT_H_

#if defined(BROOK_SHARED_LIBRARY) && defined(BROOK_COMPILE_LIBRARY)
#define BROOK_EXPORT __attribute__((visibility("default")))
#else
#define BROOK_EXPORT
#endif

#endif  // BROOK_EXPORT_H_
