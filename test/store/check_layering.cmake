# Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
#
# The storage layer sits below the stream layer: nothing in lib/store may
# include lib/stream ("stream/...") or the stream-side public headers
# (brook/stream.h, brook/consumer.h, brook/producer.h). Run as
#   cmake -DSTORE_DIR=<repo>/lib/store -P check_layering.cmake
# it prints every such include and fails if there is one.

if(NOT STORE_DIR OR NOT IS_DIRECTORY "${STORE_DIR}")
  message(FATAL_ERROR "check_layering: STORE_DIR must name lib/store, got '${STORE_DIR}'")
endif()
file(GLOB_RECURSE sources "${STORE_DIR}/*.h" "${STORE_DIR}/*.cc")
set(bad "")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" includes
    REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<](stream/|brook/(stream|consumer|producer)\\.h)")
  foreach(line IN LISTS includes)
    file(RELATIVE_PATH name "${STORE_DIR}" "${source}")
    string(APPEND bad "  lib/store/${name}: ${line}\n")
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "lib/store must not depend on the stream layer, but:\n${bad}")
endif()
list(LENGTH sources count)
message(STATUS "check_layering: ${count} files of lib/store include nothing of the stream layer")
