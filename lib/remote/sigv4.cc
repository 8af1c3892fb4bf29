// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/sigv4.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace brook {
namespace internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

std::string ToHex(const unsigned char* data, size_t n) {
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 3986 encoding as SigV4 wants it: everything but the unreserved
// characters (and '/' when `keep_slash`) as %XX with upper-case hex.
std::string UriEncode(absl::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xf]);
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes %XX escapes (a malformed escape stays as it is), so that a query
// given encoded or not is encoded exactly once.
std::string UriDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string CanonicalPath(absl::string_view path, bool normalize) {
  if (path.empty()) return "/";
  if (!normalize) return UriEncode(path, /*keep_slash=*/true);
  std::vector<absl::string_view> kept;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  std::string out = "/";
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out.push_back('/');
    absl::StrAppend(&out, UriEncode(kept[i], /*keep_slash=*/false));
  }
  if (!kept.empty() && path.back() == '/') out.push_back('/');
  return out;
}

std::string CanonicalQuery(absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = part.find('=');
    absl::string_view key = part.substr(0, eq);
    absl::string_view value = eq == absl::string_view::npos
                                  ? absl::string_view()
                                  : part.substr(eq + 1);
    params.emplace_back(UriEncode(UriDecode(key), false),
                        UriEncode(UriDecode(value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, key, "=", value);
  }
  return out;
}

// Trims and collapses runs of spaces to one, as SigV4 canonical headers do.
std::string CanonicalHeaderValue(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      if (!in_space) out.push_back(' ');
      in_space = true;
    } else {
      out.push_back(c);
      in_space = false;
    }
  }
  return out;
}

bool HasControl(absl::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool IsScopePart(absl::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
         });
}

}  // namespace

std::string AmzDate(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return ToHex(digest, sizeof(digest));
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
       &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

absl::StatusOr<SigV4Signature> SignV4(const SigV4Request& request,
                                      const AwsCredentials& credentials,
                                      const SigV4Scope& scope, absl::Time now,
                                      const SigV4Options& options) {
  if (absl::Status s = ValidateAwsCredentials(credentials, now); !s.ok()) {
    return s;
  }
  if (!IsScopePart(scope.region)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sigv4: region \"", scope.region,
        "\" is not 1 to 64 lower-case letters, digits and dashes"));
  }
  if (!IsScopePart(scope.service)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sigv4: service \"", scope.service,
        "\" is not 1 to 64 lower-case letters, digits and dashes"));
  }
  const std::string amz_date = AmzDate(now);

  // Lower-case name -> values in the order given.
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasControl(name) || HasControl(value) ||
        name.find_first_of(" :") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sigv4: header \"", absl::CEscape(name),
          "\" has an empty name, a space, a colon or a control character"));
    }
    headers[absl::AsciiStrToLower(name)].push_back(CanonicalHeaderValue(value));
  }
  if (headers.count("host") == 0) {
    return absl::InvalidArgumentError("sigv4: the request has no Host header");
  }
  auto date = headers.find("x-amz-date");
  if (date == headers.end() || date->second.size() != 1 ||
      date->second[0] != amz_date) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sigv4: the request needs one X-Amz-Date header of ", amz_date));
  }
  for (const std::string& name : options.unsigned_headers) {
    headers.erase(absl::AsciiStrToLower(name));
  }

  SigV4Signature out;
  std::string canonical_headers;
  for (const auto& [name, values] : headers) {
    absl::StrAppend(&canonical_headers, name, ":", absl::StrJoin(values, ","),
                    "\n");
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    absl::StrAppend(&out.signed_headers, name);
  }
  out.canonical_request = absl::StrCat(
      request.method, "\n", CanonicalPath(request.path, options.normalize_path),
      "\n", CanonicalQuery(request.query), "\n", canonical_headers, "\n",
      out.signed_headers, "\n", Sha256Hex(request.body));

  const std::string day = amz_date.substr(0, 8);
  const std::string credential_scope =
      absl::StrCat(day, "/", scope.region, "/", scope.service, "/aws4_request");
  out.string_to_sign =
      absl::StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n", credential_scope, "\n",
                   Sha256Hex(out.canonical_request));

  std::string key =
      HmacSha256(absl::StrCat("AWS4", credentials.secret_access_key), day);
  key = HmacSha256(key, scope.region);
  key = HmacSha256(key, scope.service);
  key = HmacSha256(key, "aws4_request");
  const std::string raw = HmacSha256(key, out.string_to_sign);
  out.signature =
      ToHex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  out.authorization = absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=", credentials.access_key_id, "/",
      credential_scope, ", SignedHeaders=", out.signed_headers,
      ", Signature=", out.signature);
  return out;
}

}  // namespace internal
}  // namespace brook
