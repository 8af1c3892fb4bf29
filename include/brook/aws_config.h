// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Region, endpoint and credentials for talking to an AWS service (Kinesis),
// found the way the AWS CLI and SDKs find them: explicit options first, then
// the standard environment variables, then the shared credentials and config
// files of a profile. Everything is read through an `AwsConfigSource`, so
// tests pass a fake and never touch the real environment or home directory.
//
// Thread safety: `ResolveAwsConfig()` is thread-safe if its source is. The
// structs are plain values. `AwsConfigSource::Default()` reads the process
// environment with getenv(), which is unsafe only against a concurrent
// setenv().
//
// Example:
//   brook::AwsConfigOptions options;
//   options.endpoint_url = "http://127.0.0.1:4567";  // e.g. kinesalite
//   absl::StatusOr<brook::AwsConfig> config = brook::ResolveAwsConfig(options);
//   if (!config.ok()) return config.status();  // names what is missing

#ifndef BROOK_AWS_CONFIG_H_
#define BROOK_AWS_CONFIG_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/export.h"

namespace brook {

class Env;

// An AWS access key pair, with the session token of temporary credentials.
struct AwsCredentials {
  // The access key id (`AKIA...`): 1 to 128 ASCII letters and digits.
  std::string access_key_id;
  // The secret access key: 1 to 128 printable ASCII characters, no spaces.
  std::string secret_access_key;
  // The session token of temporary credentials (`AWS_SESSION_TOKEN`); empty
  // for long-term keys. Printable ASCII, no spaces. Default: empty.
  std::string session_token;
  // When temporary credentials stop working. Signing with credentials whose
  // expiration has passed fails with kUnauthenticated. Default: never.
  absl::Time expiration = absl::InfiniteFuture();
};

// ValidateAwsCredentials()
//
// Returns OK if `credentials` are well formed and unexpired at `now`;
// kInvalidArgument naming the faulty field (never printing the secret or the
// token), or kUnauthenticated naming the access key id and the expiration.
BROOK_EXPORT absl::Status ValidateAwsCredentials(
    const AwsCredentials& credentials, absl::Time now);

// Where configuration is read from. The default reads the process
// environment and the file system; tests derive their own.
class BROOK_EXPORT AwsConfigSource {
 public:
  AwsConfigSource() = default;
  AwsConfigSource(const AwsConfigSource&) = delete;
  AwsConfigSource& operator=(const AwsConfigSource&) = delete;
  virtual ~AwsConfigSource();

  // The process-wide source: getenv() and the POSIX file system. Never null;
  // owned by brook; lives until the process exits.
  static AwsConfigSource* Default();

  // The value of environment variable `name`, or nullopt if it is unset.
  virtual std::optional<std::string> GetEnv(absl::string_view name) = 0;
  // The whole contents of the file at `path`; kNotFound if it does not exist,
  // another code if it cannot be read.
  virtual absl::StatusOr<std::string> ReadFile(absl::string_view path) = 0;
};

struct AwsConfigOptions {
  // The region, e.g. "eu-west-1". Default: empty, meaning `AWS_REGION`, else
  // `AWS_DEFAULT_REGION`, else `region` of the profile in the config file.
  std::string region;
  // The service endpoint, e.g. "http://127.0.0.1:4567" for a local emulator.
  // Default: empty, meaning `AWS_ENDPOINT_URL_KINESIS`, else
  // `AWS_ENDPOINT_URL`, else "https://kinesis.<region>.amazonaws.com".
  std::string endpoint_url;
  // The profile of the shared files. Default: empty, meaning `AWS_PROFILE`,
  // else "default". A profile named here (not through `AWS_PROFILE`) must
  // exist, and its credentials take precedence over the environment's, as
  // with the AWS CLI's `--profile`.
  std::string profile;
  // Credentials to use as they are. Default: none, meaning
  // `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`),
  // else the profile in the shared credentials file
  // (`AWS_SHARED_CREDENTIALS_FILE`, default ~/.aws/credentials), else the
  // profile in the config file (`AWS_CONFIG_FILE`, default ~/.aws/config).
  std::optional<AwsCredentials> credentials;
  // Where the environment and files are read. Not owned; must outlive the
  // call. Default: null, meaning `AwsConfigSource::Default()`.
  AwsConfigSource* source = nullptr;
};

// How a client of an AWS service times and retries its calls: the part of
// `KinesisClientOptions` and `DynamoDbLeaseStoreOptions` (which derive from
// it, as RocksDB's `Options` derive from `DBOptions`) that is the same for
// every service. `KinesisClient::Create()` and `OpenDynamoDbLeaseStore()`
// check it with `ValidateAwsRequestOptions()`.
struct AwsRequestOptions {
  // Time for one HTTP exchange, from sending the request to the end of the
  // response. More than zero. Default: 10 s.
  absl::Duration request_timeout = absl::Seconds(10);
  // Time to open a connection. More than zero. Default: 3 s.
  absl::Duration connect_timeout = absl::Seconds(3);
  // Throttling, 5xx and connection failures are retried, with exponential
  // back-off and jitter, until this long after a call began; then the call
  // returns kResourceExhausted (throttled) or kUnavailable. Zero or more;
  // zero: no retry. Default: 30 s.
  absl::Duration retry_deadline = absl::Seconds(30);
  // The first back-off; each next one doubles, up to `max_backoff`; each is
  // drawn at random from [half, all] of that. More than zero, and
  // `initial_backoff` <= `max_backoff`. Defaults: 50 ms, 2 s.
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  // Clock for signing dates, credential expiry and retry sleeps (and whatever
  // else the client waits for). Not owned; must outlive the client. Default:
  // null, meaning `Env::Default()`.
  Env* env = nullptr;
};

// ValidateAwsRequestOptions()
//
// Returns OK if every field of `options` is in the range its comment gives,
// else kInvalidArgument naming the field and its value.
BROOK_EXPORT absl::Status ValidateAwsRequestOptions(
    const AwsRequestOptions& options);

// What `ResolveAwsConfig()` found.
struct AwsConfig {
  std::string region;
  // Scheme, host and optional port, with no trailing slash.
  std::string endpoint_url;
  // The profile that was read (or would have been), e.g. "default".
  std::string profile;
  AwsCredentials credentials;
  // Where the credentials came from, for messages: "options", "environment",
  // or a file path and profile ("/home/u/.aws/credentials [default]").
  std::string credentials_source;
};

// ResolveAwsConfig()
//
// Finds the region, endpoint and credentials for `service` ("kinesis") from
// `options`, the environment and the shared files, in the order each option
// field describes. Returns kInvalidArgument when no region is found, when a
// value is malformed (an endpoint that is not http(s)://host[:port], a region
// that is not lower-case letters, digits and dashes, `AWS_ACCESS_KEY_ID`
// without `AWS_SECRET_ACCESS_KEY` or the reverse, a profile with one key but
// not the other), kNotFound when a profile named in `options.profile` is in
// neither file, kUnauthenticated when no credentials are found anywhere.
// Messages name the variable, file and profile at fault, never a secret.
// The credentials are checked for form here and for expiry at each signing.
BROOK_EXPORT absl::StatusOr<AwsConfig> ResolveAwsConfig(
    const AwsConfigOptions& options, absl::string_view service = "kinesis");

}  // namespace brook

#endif  // BROOK_AWS_CONFIG_H_
