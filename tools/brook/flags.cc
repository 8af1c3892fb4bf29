// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/flags.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace brook {
namespace cli {
namespace {

const FlagSpec* FindFlag(absl::Span<const FlagSpec> specs,
                         absl::string_view name) {
  for (const FlagSpec& flag : specs) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

}  // namespace

bool IsHelpFlag(absl::string_view arg) {
  return arg == "--help" || arg == "-h";
}

absl::StatusOr<Flags> ParseFlags(absl::Span<const FlagSpec> specs,
                                 absl::Span<const char* const> args,
                                 bool* help) {
  Flags flags;
  *help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (IsHelpFlag(arg)) {
      *help = true;
      return flags;
    }
    if (!absl::ConsumePrefix(&arg, "--") || arg.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", args[i], "\""));
    }
    absl::string_view name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
      has_value = true;
    }
    if (FindFlag(specs, name) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (i + 1 == args.size() ||
          absl::StartsWith(absl::string_view(args[i + 1]), "--")) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value (write --", name,
                         "=VALUE for a value that starts with --)"));
      }
      value = args[++i];
    }
    if (!flags.emplace(std::string(name), std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " given more than once"));
    }
  }
  for (const FlagSpec& flag : specs) {
    if (flag.required && flags.find(flag.name) == flags.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing required flag --", flag.name));
    }
  }
  return flags;
}

const std::string* FindValue(const Flags& flags, absl::string_view name) {
  auto it = flags.find(name);
  return it == flags.end() ? nullptr : &it->second;
}

const std::string& StreamDir(const Flags& flags) {
  static const std::string* const kNone = new std::string();
  const std::string* dir = FindValue(flags, "stream-dir");
  return dir != nullptr ? *dir : *kNone;
}

bool IsRemote(const Flags& flags) {
  return FindValue(flags, "stream-name") != nullptr &&
         FindValue(flags, "stream-dir") == nullptr;
}

bool TakesStreamName(absl::Span<const FlagSpec> specs) {
  return FindFlag(specs, "stream-name") != nullptr;
}

absl::StatusOr<int64_t> ParseIntFlag(absl::string_view name,
                                     absl::string_view text, int64_t min,
                                     int64_t max) {
  absl::string_view digits = text;
  absl::ConsumePrefix(&digits, "-");
  int64_t value = 0;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char c) { return absl::ascii_isdigit(c); }) ||
      !absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": expected a whole number from ", min, " to ",
                     max, ", got \"", text, "\""));
  }
  return value;
}

absl::StatusOr<size_t> ParseChoiceFlag(
    absl::string_view name, absl::string_view text,
    absl::Span<const absl::string_view> choices) {
  assert(!choices.empty());
  std::string expected;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) return i;
    const bool last = i + 1 == choices.size();
    absl::StrAppend(&expected, i == 0 ? "" : last ? " or " : ", ", choices[i]);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--", name, ": expected ", expected, ", got \"", text, "\""));
}

}  // namespace cli
}  // namespace brook
