// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The exporter without an emulator: option ranges, damaged and foreign
// checkpoints, and its requests on a scripted transport (a failed request
// resent whole, failed entries resent from the shard's first failed one,
// back-offs on a manual clock, `strict_key_order`).

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/exporter.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "remote/export_checkpoint.h"
#include "remote/exporter_testing.h"
#include "remote/kinesalite.h"
#include "remote/kinesis_client_impl.h"
#include "remote/scripted_transport.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::BaseOptions;
using testing::ClientFor;
using testing::OpenStream;

TEST_CASE("Exporter: options out of range are kInvalidArgument", "[remote]") {
  testing::TempDir dir;
  auto stream = OpenStream(dir.Sub("s"));
  auto client = ClientFor(
      absl::StrCat("http://127.0.0.1:", testing::UnusedLoopbackPort()));
  struct Case {
    const char* field;
    std::function<void(ExporterOptions&)> change;
  };
  const std::vector<Case> cases = {
      {"remote_stream_name",
       [](ExporterOptions& o) { o.remote_stream_name = ""; }},
      {"remote_stream_name",
       [](ExporterOptions& o) { o.remote_stream_name = "a b"; }},
      {"checkpoint_path", [](ExporterOptions& o) { o.checkpoint_path = ""; }},
      {"batch_records", [](ExporterOptions& o) { o.batch_records = 0; }},
      {"batch_records", [](ExporterOptions& o) { o.batch_records = 501; }},
      {"batch_bytes", [](ExporterOptions& o) { o.batch_bytes = 0; }},
      {"batch_bytes",
       [](ExporterOptions& o) { o.batch_bytes = (int64_t{5} << 20) + 1; }},
      {"max_records_per_second",
       [](ExporterOptions& o) { o.max_records_per_second = -1; }},
      {"max_bytes_per_second",
       [](ExporterOptions& o) { o.max_bytes_per_second = int64_t{1} << 41; }},
      {"checkpoint_interval",
       [](ExporterOptions& o) { o.checkpoint_interval = -absl::Seconds(1); }},
      {"checkpoint_interval",
       [](ExporterOptions& o) { o.checkpoint_interval = absl::Hours(2); }},
      {"initial_backoff",
       [](ExporterOptions& o) { o.initial_backoff = absl::ZeroDuration(); }},
      {"max_backoff",
       [](ExporterOptions& o) { o.max_backoff = absl::Milliseconds(1); }},
      {"poll_interval",
       [](ExporterOptions& o) { o.poll_interval = absl::ZeroDuration(); }},
  };
  for (const Case& c : cases) {
    ExporterOptions options = BaseOptions(dir.Sub("s"));
    c.change(options);
    absl::StatusOr<std::unique_ptr<Exporter>> e =
        Exporter::Create(stream.get(), client.get(), options);
    INFO(c.field << ": " << e.status());
    CHECK(absl::IsInvalidArgument(e.status()));
    CHECK(absl::StrContains(e.status().message(), c.field));
  }
  // The bounds themselves are accepted.
  ExporterOptions options = BaseOptions(dir.Sub("s"));
  options.batch_records = 500;
  options.batch_bytes = int64_t{5} << 20;
  options.max_records_per_second = int64_t{1} << 40;
  options.checkpoint_interval = absl::ZeroDuration();
  BROOK_REQUIRE_OK(
      Exporter::Create(stream.get(), client.get(), options).status());
}

TEST_CASE("Exporter: a damaged or foreign checkpoint is a clear error",
          "[remote]") {
  testing::TempDir dir;
  auto stream = OpenStream(dir.Sub("s"));
  auto client = ClientFor(
      absl::StrCat("http://127.0.0.1:", testing::UnusedLoopbackPort()));
  const ExporterOptions options = BaseOptions(dir.Sub("s"));
  internal::ExportCheckpointData data;
  data.local_stream_name = "local";
  data.remote_stream_name = "remote";
  data.shards.push_back(
      {"shardId-000000000000", false, SequenceNumber::FromValue(42)});
  const std::string good = internal::EncodeExportCheckpoint(data);
  auto write = [&](const std::string& bytes) {
    BROOK_REQUIRE_OK(Env::Default()->CreateDir(dir.Sub("s/exports")));
    std::ofstream out(options.checkpoint_path,
                      std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
  };
  auto create = [&] {
    return Exporter::Create(stream.get(), client.get(), options).status();
  };

  SECTION("a good one is read") {
    write(good);
    BROOK_REQUIRE_OK(create());
  }
  SECTION("one held by another exporter") {
    auto first = Exporter::Create(stream.get(), client.get(), options);
    BROOK_REQUIRE_OK(first.status());
    const absl::Status s = create();
    CHECK(absl::IsFailedPrecondition(s));
    CHECK(absl::StrContains(s.message(), "in use by another exporter"));
    first->reset();
    BROOK_REQUIRE_OK(create());  // released with the first
  }
  SECTION("garbage") {
    write("not a checkpoint at all");
    const absl::Status s = create();
    CHECK(absl::IsDataLoss(s));
    CHECK(absl::StrContains(s.message(), options.checkpoint_path));
    CHECK(absl::StrContains(s.message(), "bad magic"));
  }
  SECTION("a flipped byte") {
    std::string bad = good;
    bad[bad.size() - 6] ^= 0x20;
    write(bad);
    const absl::Status s = create();
    CHECK(absl::IsDataLoss(s));
    CHECK(absl::StrContains(s.message(), "checksum mismatch"));
  }
  SECTION("cut short") {
    write(good.substr(0, good.size() - 1));
    CHECK(absl::IsDataLoss(create()));
  }
  SECTION("a newer version") {
    std::string bad = good;
    bad[8] = 2;
    write(bad);
    const absl::Status s = create();
    CHECK(absl::IsFailedPrecondition(s));
    CHECK(absl::StrContains(s.message(), "format version 2"));
  }
  SECTION("written for another remote stream") {
    data.remote_stream_name = "elsewhere";
    write(internal::EncodeExportCheckpoint(data));
    const absl::Status s = create();
    CHECK(absl::IsFailedPrecondition(s));
    CHECK(absl::StrContains(s.message(), "\"elsewhere\""));
  }
}

// A PutRecords response: entry i fails with `failed[i]`'s code if set.
internal::HttpResponse PutRecordsResponse(
    const std::vector<std::string>& failed) {
  nlohmann::json records = nlohmann::json::array();
  int count = 0;
  for (size_t i = 0; i < failed.size(); ++i) {
    if (failed[i].empty()) {
      records.push_back({{"ShardId", "shardId-000000000000"},
                         {"SequenceNumber", std::to_string(100 + i)}});
    } else {
      ++count;
      records.push_back({{"ErrorCode", failed[i]}, {"ErrorMessage", "slow"}});
    }
  }
  return internal::Ok({{"FailedRecordCount", count}, {"Records", records}});
}

// "key:data:explicit hash key" of each entry of a PutRecords request.
std::vector<std::string> Entries(const internal::HttpRequest& request) {
  std::vector<std::string> out;
  const nlohmann::json body = nlohmann::json::parse(request.body);
  for (const nlohmann::json& r : body.at("Records")) {
    std::string data;
    REQUIRE(absl::Base64Unescape(r.at("Data").get<std::string>(), &data));
    out.push_back(absl::StrCat(r.at("PartitionKey").get<std::string>(), ":",
                               data, ":",
                               r.at("ExplicitHashKey").get<std::string>()));
  }
  return out;
}

// A Kinesis client on a scripted transport, with a manual clock.
struct ScriptedClient {
  ManualClockEnv clock{1'000'000};
  internal::ScriptedTransport* transport = nullptr;
  std::unique_ptr<internal::KinesisClientImpl> client;

  ScriptedClient() {
    KinesisClientOptions options;
    options.env = &clock;
    options.retry_deadline = absl::ZeroDuration();  // no client retries
    AwsConfig config;
    config.region = "us-east-1";
    config.endpoint_url = "http://127.0.0.1:4567";
    config.credentials = {"AKIDTEST", "testsecret"};
    auto owned = std::make_unique<internal::ScriptedTransport>();
    transport = owned.get();
    client = std::make_unique<internal::KinesisClientImpl>(options, config,
                                                           std::move(owned));
  }
};

TEST_CASE(
    "Exporter: a failed request is resent whole, failed entries from the "
    "shard's first failed one, after back-offs on the Env clock",
    "[remote]") {
  ScriptedClient scripted;
  ManualClockEnv& clock = scripted.clock;
  internal::ScriptedTransport* transport = scripted.transport;
  internal::KinesisClientImpl& client = *scripted.client;

  StreamOptions stream_options;
  stream_options.name = "local";
  stream_options.shard_count = 2;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Create(stream_options);
  BROOK_REQUIRE_OK(stream.status());
  Producer producer(stream->get());
  const std::string top = HashKeyToString(~absl::uint128(0));
  for (int i = 0; i < 3; ++i) {  // "a" in shard 0, "b" in shard 1
    BROOK_REQUIRE_OK(producer.PutRecord("a", absl::StrCat(i), "0").status());
    BROOK_REQUIRE_OK(producer.PutRecord("b", absl::StrCat(i), top).status());
  }
  const std::string internal_error =
      nlohmann::json{{"__type", "InternalFailure"}, {"message", "oops"}}.dump();
  transport->script = {
      internal::HttpResponse{500, internal_error, {}},
      PutRecordsResponse(
          {"", "ProvisionedThroughputExceededException", "", "", "", ""}),
      PutRecordsResponse({"", ""})};

  testing::TempDir dir;
  ExporterOptions options = BaseOptions(dir.path());
  options.checkpoint_path = dir.Sub("checkpoint");
  options.env = &clock;
  options.initial_backoff = absl::Seconds(1);
  options.max_backoff = absl::Seconds(4);
  std::vector<absl::Status> retries;
  options.on_retry = [&](const absl::Status& s) {
    retries.push_back(s);
    clock.Advance(options.max_backoff);  // ends the back-off at once
  };
  auto exporter = Exporter::Create(stream->get(), &client, options);
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());

  REQUIRE(transport->requests.size() == 3);
  const std::vector<std::string> all = {
      "a:0:0", "a:1:0", "a:2:0", "b:0:" + top, "b:1:" + top, "b:2:" + top};
  CHECK(Entries(transport->requests[0]) == all);
  CHECK(Entries(transport->requests[1]) == all);
  // "a:1" failed: it and the rest of shard 0 go again ("a:2" a second
  // time); shard 1's entries were all acknowledged.
  CHECK(Entries(transport->requests[2]) ==
        std::vector<std::string>{"a:1:0", "a:2:0"});
  REQUIRE(retries.size() == 2);
  CHECK(absl::IsUnavailable(retries[0]));
  CHECK(absl::StrContains(retries[1].message(),
                          "1 of 6 PutRecords entries failed, the first with "
                          "ProvisionedThroughputExceededException"));
  const ExportProgress p = (*exporter)->progress();
  CHECK(p.requests == 3);
  CHECK(p.failed_requests == 1);
  CHECK(p.failed_entries == 1);
  CHECK(p.records_sent == 6);  // "a:2" counts once, when done with
  CHECK(clock.NowMillis() >= 1'000'000 + 8'000);
}

TEST_CASE(
    "Exporter: strict_key_order sends one record of a key per request, so a "
    "failed entry cannot be overtaken",
    "[remote]") {
  ScriptedClient scripted;
  StreamOptions stream_options;
  stream_options.name = "local";
  stream_options.shard_count = 1;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Create(stream_options);
  BROOK_REQUIRE_OK(stream.status());
  Producer producer(stream->get());
  for (int i = 0; i < 2; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("a", absl::StrCat(i), "1").status());
    BROOK_REQUIRE_OK(producer.PutRecord("b", absl::StrCat(i), "2").status());
  }
  scripted.transport->script = {
      PutRecordsResponse({"ProvisionedThroughputExceededException", ""}),
      PutRecordsResponse({"", ""})};
  testing::TempDir dir;
  ExporterOptions options = BaseOptions(dir.path());
  options.checkpoint_path = dir.Sub("checkpoint");
  options.env = &scripted.clock;
  options.strict_key_order = true;
  options.on_retry = [&](const absl::Status&) {
    scripted.clock.Advance(options.max_backoff);
  };
  auto exporter =
      Exporter::Create(stream->get(), scripted.client.get(), options);
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  const auto& requests = scripted.transport->requests;
  REQUIRE(requests.size() == 3);
  CHECK(Entries(requests[0]) == std::vector<std::string>{"a:0:1", "b:0:2"});
  // "a:0" failed; "b:0" was stored but comes after it in the shard.
  CHECK(Entries(requests[1]) == std::vector<std::string>{"a:0:1", "b:0:2"});
  CHECK(Entries(requests[2]) == std::vector<std::string>{"a:1:1", "b:1:2"});
  CHECK((*exporter)->progress().records_sent == 4);
}

TEST_CASE("Exporter: an idle exporter writes no checkpoint", "[remote]") {
  ScriptedClient scripted;
  StreamOptions stream_options;
  stream_options.name = "local";
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Create(stream_options);
  BROOK_REQUIRE_OK(stream.status());
  testing::TempDir dir;
  ExporterOptions options = BaseOptions(dir.path());
  options.checkpoint_path = dir.Sub("checkpoint");
  options.checkpoint_interval = absl::ZeroDuration();
  auto exporter =
      Exporter::Create(stream->get(), scripted.client.get(), options);
  BROOK_REQUIRE_OK(exporter.status());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<int64_t> n = (*exporter)->ExportBatch();
    BROOK_REQUIRE_OK(n.status());
    CHECK(*n == 0);
  }
  CHECK((*exporter)->progress().checkpoints_saved == 0);
  CHECK(scripted.transport->requests.empty());
  CHECK_FALSE(std::filesystem::exists(options.checkpoint_path));
  BROOK_REQUIRE_OK((*exporter)->SaveCheckpoint());  // an explicit save writes
  CHECK(std::filesystem::exists(options.checkpoint_path));
}

TEST_CASE(
    "Exporter: records retention removed are counted once when the next "
    "record waits for another batch",
    "[remote]") {
  ScriptedClient scripted;
  ManualClockEnv stream_clock(1'000'000'000'000);
  StreamOptions stream_options;
  stream_options.name = "local";
  stream_options.shard_count = 2;
  stream_options.env = &stream_clock;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Create(stream_options);
  BROOK_REQUIRE_OK(stream.status());
  Producer producer(stream->get());
  const std::string top = HashKeyToString(~absl::uint128(0));
  const std::string big(100, 'x');
  BROOK_REQUIRE_OK(producer.PutRecord("a", big, "0").status());  // shard 0
  BROOK_REQUIRE_OK(producer.PutRecord("b", big, top).status());  // shard 1
  // Requests of two records, two records, then one.
  scripted.transport->script = {PutRecordsResponse({"", ""}),
                                PutRecordsResponse({"", ""}),
                                PutRecordsResponse({""})};
  testing::TempDir dir;
  ExporterOptions options = BaseOptions(dir.path());
  options.checkpoint_path = dir.Sub("checkpoint");
  options.batch_bytes = 250;  // two of the records, not three
  auto exporter =
      Exporter::Create(stream->get(), scripted.client.get(), options);
  BROOK_REQUIRE_OK(exporter.status());
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  for (int i = 0; i < 30; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("b", big, top).status());
  }
  stream_clock.Advance(absl::Hours(25));  // the 30 expire
  BROOK_REQUIRE_OK(producer.PutRecord("a", big, "0").status());
  BROOK_REQUIRE_OK(producer.PutRecord("a", big, "0").status());
  BROOK_REQUIRE_OK(producer.PutRecord("b", big, top).status());
  // The first batch takes shard 0's two records; shard 1's read reports the
  // 30 lost and a record that waits for the next batch.
  BROOK_REQUIRE_OK((*exporter)->RunUntilCaughtUp());
  const ExportProgress p = (*exporter)->progress();
  CHECK(p.records_lost == 30);
  CHECK(p.records_sent == 5);
}

}  // namespace
}  // namespace brook
