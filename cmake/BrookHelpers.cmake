# brook_add_test(NAME SOURCES...): one Catch2 test binary for an area, its
# test cases registered with CTest one by one.
function(brook_add_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE brook::brook Catch2::Catch2WithMain
    absl::strings absl::str_format absl::synchronization absl::random_random
    nlohmann_json::nlohmann_json Threads::Threads $<BUILD_INTERFACE:brook_warnings>)
  target_include_directories(${name} PRIVATE
    ${PROJECT_SOURCE_DIR}/lib ${PROJECT_BINARY_DIR}/lib ${PROJECT_SOURCE_DIR}/test)
  target_compile_definitions(${name} PRIVATE
    BROOK_CONFORMANCE_DIR="${BROOK_CONFORMANCE_DIR}")
  catch_discover_tests(${name})
  # catch_discover_tests() cuts a test name at a semicolon (a CMake list
  # separator) into names that match no test case, and CTest then "passes"
  # them having run nothing: no name may hold one (\073 is ';').
  add_test(NAME "${name}: no test case name holds a semicolon"
    COMMAND sh -c "! \"$0\" --list-test-names-only | grep -F \"$(printf '\\073')\""
      $<TARGET_FILE:${name}>)
endfunction()

# brook_add_bench(NAME SOURCES...): a Google Benchmark binary.
function(brook_add_bench name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE brook::brook benchmark::benchmark_main
    $<BUILD_INTERFACE:brook_warnings>)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib ${PROJECT_BINARY_DIR}/lib)
endfunction()
