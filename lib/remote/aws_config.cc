// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Resolution of region, endpoint and credentials (AWS CLI order), and the
// INI reader for the shared credentials and config files.

#include "brook/aws_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

#include "util/status_macros.h"

namespace brook {
namespace {

using Section = std::map<std::string, std::string>;
using IniFile = std::map<std::string, Section>;

// Reads the INI dialect of ~/.aws/credentials and ~/.aws/config: `[name]`
// sections, `key = value` lines, '#' and ';' comments, and indented lines
// (nested settings such as `s3 =` blocks), which are skipped.
IniFile ParseIni(absl::string_view text) {
  IniFile file;
  Section* section = nullptr;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    const bool indented =
        !line.empty() && (line.front() == ' ' || line.front() == '\t');
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      line.remove_prefix(1);
      line.remove_suffix(1);
      section = &file[std::string(absl::StripAsciiWhitespace(line))];
      continue;
    }
    if (section == nullptr || indented) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    std::string key =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, eq)));
    (*section)[key] =
        std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
  }
  return file;
}

class DefaultSource : public AwsConfigSource {
 public:
  std::optional<std::string> GetEnv(absl::string_view name) override {
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    std::ifstream in{std::string(path), std::ios::binary};
    if (!in) {
      const int err = errno;
      if (err == ENOENT) {
        return absl::NotFoundError(absl::StrCat(path, ": no such file"));
      }
      return absl::PermissionDeniedError(
          absl::StrCat(path, ": cannot read: ", std::strerror(err)));
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
};

// Non-empty value of `name`, else nullopt (the CLI treats "" as unset).
std::optional<std::string> EnvVar(AwsConfigSource* source,
                                  absl::string_view name) {
  std::optional<std::string> v = source->GetEnv(name);
  if (v.has_value() && v->empty()) return std::nullopt;
  return v;
}

bool IsRegion(absl::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
         });
}

// http(s)://host[:port] with an optional trailing '/', returned without it.
absl::StatusOr<std::string> CheckEndpoint(std::string url,
                                          absl::string_view from) {
  while (absl::EndsWith(url, "/")) url.pop_back();
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://") &&
      !absl::ConsumePrefix(&rest, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat(from, ": endpoint \"", url,
                     "\" does not start with http:// or https://"));
  }
  if (rest.empty() ||
      rest.find_first_of("/?# \t\r\n") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        from, ": endpoint \"", url,
        "\" is not scheme://host[:port] (no path, query or spaces)"));
  }
  return url;
}

struct FileProfile {
  bool found = false;
  Section values;
  std::string path;
};

// Reads `profile` from the credentials file (sections `[name]`) or the config
// file (`[profile name]`, or `[default]`). A missing file is no error.
absl::StatusOr<FileProfile> ReadProfile(AwsConfigSource* source,
                                        const std::string& path,
                                        const std::string& profile,
                                        bool config_file) {
  FileProfile out;
  out.path = path;
  absl::StatusOr<std::string> text = source->ReadFile(path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) return out;
    return text.status();
  }
  IniFile ini = ParseIni(*text);
  std::string section = profile;
  if (config_file && profile != "default") section = "profile " + profile;
  auto it = ini.find(section);
  if (it == ini.end() && config_file) it = ini.find(profile);
  if (it != ini.end()) {
    out.found = true;
    out.values = it->second;
  }
  return out;
}

// Credentials from a profile's section, if it has any keys.
absl::StatusOr<std::optional<AwsCredentials>> ProfileCredentials(
    const FileProfile& file, const std::string& profile) {
  auto get = [&](const char* key) -> std::string {
    auto it = file.values.find(key);
    return it == file.values.end() ? std::string() : it->second;
  };
  AwsCredentials c;
  c.access_key_id = get("aws_access_key_id");
  c.secret_access_key = get("aws_secret_access_key");
  c.session_token = get("aws_session_token");
  if (c.access_key_id.empty() && c.secret_access_key.empty()) {
    return std::optional<AwsCredentials>();
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        file.path, " [", profile, "]: has ",
        c.access_key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
        " but not ",
        c.access_key_id.empty() ? "aws_access_key_id"
                                : "aws_secret_access_key"));
  }
  return std::optional<AwsCredentials>(std::move(c));
}

}  // namespace

AwsConfigSource::~AwsConfigSource() = default;

AwsConfigSource* AwsConfigSource::Default() {
  static DefaultSource* source = new DefaultSource;
  return source;
}

absl::Status ValidateAwsCredentials(const AwsCredentials& c, absl::Time now) {
  const absl::string_view id = c.access_key_id;
  if (id.empty() || id.size() > 128 ||
      !std::all_of(id.begin(), id.end(),
                   [](char ch) { return absl::ascii_isalnum(ch); })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "credentials: access key id \"", absl::CHexEscape(id.substr(0, 32)),
        "\" is not 1 to 128 ASCII letters and digits"));
  }
  auto printable = [](absl::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char ch) {
      return ch > ' ' && static_cast<unsigned char>(ch) < 0x7f;
    });
  };
  if (c.secret_access_key.empty() || c.secret_access_key.size() > 128 ||
      !printable(c.secret_access_key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "credentials: the secret access key of ", id,
        " is not 1 to 128 printable ASCII characters without spaces"));
  }
  if (!printable(c.session_token)) {
    return absl::InvalidArgumentError(
        absl::StrCat("credentials: the session token of ", id,
                     " has a space or a non-printable character"));
  }
  if (now >= c.expiration) {
    return absl::UnauthenticatedError(
        absl::StrCat("credentials: access key ", id, " expired at ",
                     absl::FormatTime(absl::RFC3339_sec, c.expiration,
                                      absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}

absl::StatusOr<AwsConfig> ResolveAwsConfig(const AwsConfigOptions& options,
                                           absl::string_view service) {
  AwsConfigSource* source =
      options.source != nullptr ? options.source : AwsConfigSource::Default();
  AwsConfig out;

  const bool profile_explicit = !options.profile.empty();
  out.profile = profile_explicit
                    ? options.profile
                    : EnvVar(source, "AWS_PROFILE").value_or("default");

  std::string home = EnvVar(source, "HOME").value_or("");
  auto file_path = [&](const char* var, const char* name) -> std::string {
    if (std::optional<std::string> p = EnvVar(source, var)) return *p;
    if (home.empty()) return "";
    return absl::StrCat(home, "/.aws/", name);
  };
  const std::string credentials_path =
      file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  const std::string config_path = file_path("AWS_CONFIG_FILE", "config");
  FileProfile credentials_file, config_file;
  if (!credentials_path.empty()) {
    absl::StatusOr<FileProfile> p =
        ReadProfile(source, credentials_path, out.profile, false);
    if (!p.ok()) return p.status();
    credentials_file = std::move(*p);
  }
  if (!config_path.empty()) {
    absl::StatusOr<FileProfile> p =
        ReadProfile(source, config_path, out.profile, true);
    if (!p.ok()) return p.status();
    config_file = std::move(*p);
  }
  if (profile_explicit && !credentials_file.found && !config_file.found) {
    return absl::NotFoundError(
        absl::StrCat("profile \"", out.profile, "\" is in neither ",
                     credentials_path.empty() ? "<no HOME>" : credentials_path,
                     " nor ", config_path.empty() ? "<no HOME>" : config_path));
  }

  // Region.
  if (!options.region.empty()) {
    out.region = options.region;
  } else if (std::optional<std::string> r = EnvVar(source, "AWS_REGION")) {
    out.region = *r;
  } else if (std::optional<std::string> r2 =
                 EnvVar(source, "AWS_DEFAULT_REGION")) {
    out.region = *r2;
  } else if (auto it = config_file.values.find("region");
             it != config_file.values.end()) {
    out.region = it->second;
  }
  if (out.region.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no region: set AwsConfigOptions::region, AWS_REGION, "
                     "AWS_DEFAULT_REGION or region in ",
                     config_path.empty() ? "~/.aws/config" : config_path, " [",
                     out.profile, "]"));
  }
  if (!IsRegion(out.region)) {
    return absl::InvalidArgumentError(
        absl::StrCat("region \"", absl::CHexEscape(out.region),
                     "\" is not lower-case letters, digits and dashes"));
  }

  // Endpoint.
  const std::string service_var =
      absl::StrCat("AWS_ENDPOINT_URL_", absl::AsciiStrToUpper(service));
  if (!options.endpoint_url.empty()) {
    absl::StatusOr<std::string> e =
        CheckEndpoint(options.endpoint_url, "AwsConfigOptions::endpoint_url");
    if (!e.ok()) return e.status();
    out.endpoint_url = *e;
  } else if (std::optional<std::string> v = EnvVar(source, service_var)) {
    absl::StatusOr<std::string> e = CheckEndpoint(*v, service_var);
    if (!e.ok()) return e.status();
    out.endpoint_url = *e;
  } else if (std::optional<std::string> v2 =
                 EnvVar(source, "AWS_ENDPOINT_URL")) {
    absl::StatusOr<std::string> e = CheckEndpoint(*v2, "AWS_ENDPOINT_URL");
    if (!e.ok()) return e.status();
    out.endpoint_url = *e;
  } else {
    out.endpoint_url =
        absl::StrCat("https://", service, ".", out.region, ".amazonaws.com");
  }

  // Credentials.
  std::optional<AwsCredentials> credentials;
  if (options.credentials.has_value()) {
    credentials = options.credentials;
    out.credentials_source = "options";
  }
  if (!credentials.has_value() && !profile_explicit) {
    std::optional<std::string> id = EnvVar(source, "AWS_ACCESS_KEY_ID");
    std::optional<std::string> secret = EnvVar(source, "AWS_SECRET_ACCESS_KEY");
    if (id.has_value() != secret.has_value()) {
      return absl::InvalidArgumentError(
          id.has_value()
              ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
              : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    }
    if (id.has_value()) {
      AwsCredentials c;
      c.access_key_id = *id;
      c.secret_access_key = *secret;
      c.session_token = EnvVar(source, "AWS_SESSION_TOKEN").value_or("");
      credentials = std::move(c);
      out.credentials_source = "environment";
    }
  }
  for (const FileProfile* file : {&credentials_file, &config_file}) {
    if (credentials.has_value() || !file->found) continue;
    absl::StatusOr<std::optional<AwsCredentials>> c =
        ProfileCredentials(*file, out.profile);
    if (!c.ok()) return c.status();
    if (c->has_value()) {
      credentials = std::move(**c);
      out.credentials_source = absl::StrCat(file->path, " [", out.profile, "]");
    }
  }
  if (!credentials.has_value()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "no AWS credentials: set AwsConfigOptions::credentials, "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or aws_access_key_id "
        "and aws_secret_access_key in ",
        credentials_path.empty() ? "~/.aws/credentials" : credentials_path,
        " [", out.profile, "]"));
  }
  if (absl::Status s =
          ValidateAwsCredentials(*credentials, absl::InfinitePast());
      !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat(out.credentials_source, ": ", s.message()));
  }
  out.credentials = std::move(*credentials);
  return out;
}

absl::Status ValidateAwsRequestOptions(const AwsRequestOptions& options) {
  const auto positive = [](absl::string_view field, absl::Duration d) {
    if (d > absl::ZeroDuration()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("aws request options: ", field,
                     " must be more than 0, got ", absl::FormatDuration(d)));
  };
  BROOK_RETURN_IF_ERROR(positive("request_timeout", options.request_timeout));
  BROOK_RETURN_IF_ERROR(positive("connect_timeout", options.connect_timeout));
  BROOK_RETURN_IF_ERROR(positive("initial_backoff", options.initial_backoff));
  BROOK_RETURN_IF_ERROR(positive("max_backoff", options.max_backoff));
  if (options.retry_deadline < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("aws request options: retry_deadline must not be "
                     "negative, got ",
                     absl::FormatDuration(options.retry_deadline)));
  }
  if (options.initial_backoff > options.max_backoff) {
    return absl::InvalidArgumentError(
        absl::StrCat("aws request options: initial_backoff ",
                     absl::FormatDuration(options.initial_backoff),
                     " is more than max_backoff ",
                     absl::FormatDuration(options.max_backoff)));
  }
  return absl::OkStatus();
}

}  // namespace brook
