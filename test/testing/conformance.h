// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Loads the conformance vectors kept in test/testdata/conformance/ (its
// README says where each file came from).

#ifndef BROOK_TEST_TESTING_CONFORMANCE_H_
#define BROOK_TEST_TESTING_CONFORMANCE_H_

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace brook {
namespace testing {

inline nlohmann::json LoadConformance(const std::string& relative_path) {
  const std::string path =
      std::string(BROOK_CONFORMANCE_DIR) + "/" + relative_path;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open conformance file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return nlohmann::json::parse(buffer.str());
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_TESTING_CONFORMANCE_H_
