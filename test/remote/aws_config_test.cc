// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/aws_config.h"

#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "testing/status_testing.h"

namespace brook {
namespace {

// An environment and file system in memory: no real env or HOME is read.
class FakeSource : public AwsConfigSource {
 public:
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;

  std::optional<std::string> GetEnv(absl::string_view name) override {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    auto it = files.find(std::string(path));
    if (it == files.end()) return absl::NotFoundError(std::string(path));
    return it->second;
  }
};

AwsConfigOptions With(FakeSource* source) {
  AwsConfigOptions options;
  options.source = source;
  return options;
}

bool Contains(const absl::Status& s, absl::string_view text) {
  return s.message().find(text) != absl::string_view::npos;
}

TEST_CASE("AwsConfig: environment variables", "[remote]") {
  FakeSource source;
  source.env = {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                {"AWS_SESSION_TOKEN", "envtoken"},
                {"AWS_REGION", "eu-west-1"},
                {"AWS_DEFAULT_REGION", "us-west-2"}};
  absl::StatusOr<AwsConfig> c = ResolveAwsConfig(With(&source));
  BROOK_REQUIRE_OK(c);
  CHECK(c->region == "eu-west-1");  // AWS_REGION before AWS_DEFAULT_REGION
  CHECK(c->endpoint_url == "https://kinesis.eu-west-1.amazonaws.com");
  CHECK(c->credentials.access_key_id == "AKIDENV");
  CHECK(c->credentials.secret_access_key == "envsecret");
  CHECK(c->credentials.session_token == "envtoken");
  CHECK(c->credentials_source == "environment");
  CHECK(c->profile == "default");

  source.env.erase("AWS_REGION");
  c = ResolveAwsConfig(With(&source));
  BROOK_REQUIRE_OK(c);
  CHECK(c->region == "us-west-2");

  source.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4567/";
  c = ResolveAwsConfig(With(&source));
  BROOK_REQUIRE_OK(c);
  CHECK(c->endpoint_url == "http://127.0.0.1:4567");
  source.env["AWS_ENDPOINT_URL_KINESIS"] = "http://localhost:9000";
  c = ResolveAwsConfig(With(&source));
  BROOK_REQUIRE_OK(c);
  CHECK(c->endpoint_url == "http://localhost:9000");
}

TEST_CASE("AwsConfig: options take precedence", "[remote]") {
  FakeSource source;
  source.env = {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                {"AWS_REGION", "eu-west-1"},
                {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"}};
  AwsConfigOptions options = With(&source);
  options.region = "ap-south-1";
  options.endpoint_url = "https://example.test:8443";
  options.credentials = AwsCredentials{"AKIDOPT", "optsecret"};
  absl::StatusOr<AwsConfig> c = ResolveAwsConfig(options);
  BROOK_REQUIRE_OK(c);
  CHECK(c->region == "ap-south-1");
  CHECK(c->endpoint_url == "https://example.test:8443");
  CHECK(c->credentials.access_key_id == "AKIDOPT");
  CHECK(c->credentials_source == "options");
}

TEST_CASE("AwsConfig: shared credentials and config files, profiles",
          "[remote]") {
  FakeSource source;
  source.env = {{"HOME", "/home/u"}};
  source.files["/home/u/.aws/credentials"] =
      "# comment\n"
      "[default]\n"
      "aws_access_key_id = AKIDDEFAULT\n"
      "aws_secret_access_key = defaultsecret\n"
      "\n"
      "[dev]\r\n"
      "aws_access_key_id=AKIDDEV\r\n"
      "aws_secret_access_key=devsecret\r\n"
      "aws_session_token = devtoken\r\n";
  source.files["/home/u/.aws/config"] =
      "[default]\n"
      "region = us-east-2\n"
      "[profile dev]\n"
      "region = eu-central-1\n"
      "s3 =\n"
      "  region = ignored-nested\n"
      "[profile cfgonly]\n"
      "region = sa-east-1\n"
      "aws_access_key_id = AKIDCFG\n"
      "aws_secret_access_key = cfgsecret\n";

  absl::StatusOr<AwsConfig> c = ResolveAwsConfig(With(&source));
  BROOK_REQUIRE_OK(c);
  CHECK(c->region == "us-east-2");
  CHECK(c->credentials.access_key_id == "AKIDDEFAULT");
  CHECK(c->credentials_source == "/home/u/.aws/credentials [default]");

  source.env["AWS_PROFILE"] = "dev";
  c = ResolveAwsConfig(With(&source));
  BROOK_REQUIRE_OK(c);
  CHECK(c->profile == "dev");
  CHECK(c->region == "eu-central-1");
  CHECK(c->credentials.access_key_id == "AKIDDEV");
  CHECK(c->credentials.session_token == "devtoken");

  AwsConfigOptions options = With(&source);
  options.profile = "cfgonly";
  c = ResolveAwsConfig(options);
  BROOK_REQUIRE_OK(c);
  CHECK(c->region == "sa-east-1");
  CHECK(c->credentials.access_key_id == "AKIDCFG");
  CHECK(c->credentials_source == "/home/u/.aws/config [cfgonly]");

  // Files named by the environment instead of HOME.
  source.env = {{"AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"},
                {"AWS_CONFIG_FILE", "/etc/conf"}};
  source.files["/etc/creds"] =
      "[default]\naws_access_key_id=AKIDETC\naws_secret_access_key=s\n";
  source.files["/etc/conf"] = "[default]\nregion=us-west-1\n";
  c = ResolveAwsConfig(With(&source));
  BROOK_REQUIRE_OK(c);
  CHECK(c->credentials.access_key_id == "AKIDETC");
  CHECK(c->region == "us-west-1");
}

TEST_CASE("AwsConfig: an explicit profile beats environment credentials",
          "[remote]") {
  FakeSource source;
  source.env = {{"HOME", "/h"},
                {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                {"AWS_REGION", "eu-west-1"}};
  source.files["/h/.aws/credentials"] =
      "[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=cisecret\n";
  // AWS_PROFILE does not override the environment's keys...
  source.env["AWS_PROFILE"] = "ci";
  absl::StatusOr<AwsConfig> c = ResolveAwsConfig(With(&source));
  BROOK_REQUIRE_OK(c);
  CHECK(c->credentials.access_key_id == "AKIDENV");
  // ...an explicit profile does (the CLI's --profile).
  AwsConfigOptions options = With(&source);
  options.profile = "ci";
  c = ResolveAwsConfig(options);
  BROOK_REQUIRE_OK(c);
  CHECK(c->credentials.access_key_id == "AKIDCI");
}

TEST_CASE("AwsConfig: what is missing or malformed is named", "[remote]") {
  FakeSource source;
  source.env = {{"HOME", "/h"}, {"AWS_REGION", "eu-west-1"}};

  absl::Status s = ResolveAwsConfig(With(&source)).status();
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK(Contains(s, "no AWS credentials"));
  CHECK(Contains(s, "/h/.aws/credentials"));

  source.env["AWS_ACCESS_KEY_ID"] = "AKID";
  s = ResolveAwsConfig(With(&source)).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(s, "AWS_SECRET_ACCESS_KEY is not"));

  source.env["AWS_SECRET_ACCESS_KEY"] = "has space";
  s = ResolveAwsConfig(With(&source)).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(s, "environment: credentials: the secret access key of AKID"));
  CHECK(!Contains(s, "has space"));

  source.env["AWS_SECRET_ACCESS_KEY"] = "ok";
  source.env.erase("AWS_REGION");
  s = ResolveAwsConfig(With(&source)).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(s, "no region"));

  source.env["AWS_REGION"] = "EU West";
  s = ResolveAwsConfig(With(&source)).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  source.env["AWS_REGION"] = "eu-west-1";

  source.env["AWS_ENDPOINT_URL"] = "127.0.0.1:4567";
  s = ResolveAwsConfig(With(&source)).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(s, "AWS_ENDPOINT_URL"));
  source.env["AWS_ENDPOINT_URL"] = "http://host/path";
  BROOK_CHECK_CODE(ResolveAwsConfig(With(&source)), kInvalidArgument);
  source.env.erase("AWS_ENDPOINT_URL");

  AwsConfigOptions options = With(&source);
  options.profile = "nope";
  s = ResolveAwsConfig(options).status();
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(Contains(s, "profile \"nope\""));

  source.files["/h/.aws/credentials"] = "[half]\naws_access_key_id=AKIDHALF\n";
  options.profile = "half";
  s = ResolveAwsConfig(options).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(s,
                 "/h/.aws/credentials [half]: has aws_access_key_id but not "
                 "aws_secret_access_key"));
}

TEST_CASE("AwsConfig: credentials expire", "[remote]") {
  AwsCredentials c{"AKID", "secret", "token"};
  c.expiration = absl::FromUnixSeconds(1000);
  BROOK_CHECK_OK(ValidateAwsCredentials(c, absl::FromUnixSeconds(999)));
  absl::Status s = ValidateAwsCredentials(c, absl::FromUnixSeconds(1000));
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK(Contains(s, "access key AKID expired at 1970-01-01T00:16:40"));
}

TEST_CASE("AwsRequestOptions: out-of-range fields are named", "[remote]") {
  BROOK_CHECK_OK(ValidateAwsRequestOptions(AwsRequestOptions()));
  AwsRequestOptions no_retry;
  no_retry.retry_deadline = absl::ZeroDuration();
  BROOK_CHECK_OK(ValidateAwsRequestOptions(no_retry));
  struct Row {
    void (*change)(AwsRequestOptions*);
    const char* message;
  };
  const Row row = GENERATE(values<Row>({
      {[](AwsRequestOptions* o) { o->request_timeout = absl::ZeroDuration(); },
       "request_timeout must be more than 0, got 0"},
      {[](AwsRequestOptions* o) { o->connect_timeout = -absl::Seconds(1); },
       "connect_timeout must be more than 0, got -1s"},
      {[](AwsRequestOptions* o) { o->retry_deadline = -absl::Seconds(1); },
       "retry_deadline must not be negative, got -1s"},
      {[](AwsRequestOptions* o) { o->initial_backoff = absl::ZeroDuration(); },
       "initial_backoff must be more than 0"},
      {[](AwsRequestOptions* o) { o->max_backoff = absl::ZeroDuration(); },
       "max_backoff must be more than 0"},
      {[](AwsRequestOptions* o) { o->initial_backoff = absl::Seconds(3); },
       "initial_backoff 3s is more than max_backoff 2s"},
  }));
  AwsRequestOptions options;
  row.change(&options);
  const absl::Status s = ValidateAwsRequestOptions(options);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(s, row.message));
}

}  // namespace
}  // namespace brook
