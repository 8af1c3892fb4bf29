// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// brook's Kinesis client (include/brook/kinesis_client.h) putting records to
// a local endpoint, against the AWS SDK for JavaScript v3 KinesisClient
// (bench/remote/sdk_put_records.js) doing the same to the same endpoint in
// the same run:
//   kinesalite  the emulator, started here on a free loopback port (in
//               memory, 4-shard streams "brook" and "sdk");
//   stub        bench/remote/stub_server.js, which answers at once and
//               stores nothing: the client's ceiling over loopback HTTP;
//   InProcess   brook alone, on a transport that answers in the process
//               (no SDK counterpart): its own work per record.
// Same record size (100 B), batch (500, or PutRecord for one), partition
// keys ("pk-<i % 1000>") and requests in flight: `threads:N` blocking brook
// calls on one client, N promises on one SDK client; both keep their HTTP/1.1
// connections alive. Counters:
//   items_per_second      brook's records/s
//   sdk_items_per_second  the SDK's records/s (measured once per
//                         configuration, BROOK_SDK_SECONDS long, default 3)
//   x_sdk                 brook's records/s over the SDK's
//   client_cpu, sdk_cpu   CPU cores the client process used while measured
//   server_cpu, sdk_server_cpu  CPU cores the server used meanwhile
// A benchmark is skipped (with the reason) when Node.js or kinesalite is
// absent; without the SDK it runs and its label says why there is no
// baseline. `BROOK_WITH_NODE=1 bash tools/install-deps.sh` installs all three.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include <benchmark/benchmark.h>

#include "brook/kinesis_client.h"

#include "remote/http_transport.h"
#include "remote/kinesis_client_impl.h"
#include "remote/node_server.h"
#include <time.h>
#include <unistd.h>

namespace brook {
namespace {

constexpr int kRecordBytes = 100;
constexpr int kShards = 4;

enum Target { kKinesalite = 0, kStub = 1 };

// CPU seconds (user + system) of process `pid` from /proc, or -1.
double ProcessCpuSeconds(pid_t pid) {
  std::FILE* f = std::fopen(absl::StrCat("/proc/", pid, "/stat").c_str(), "r");
  if (f == nullptr) return -1;
  char buf[1024];
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  absl::string_view line(buf, n);
  const size_t paren = line.rfind(')');
  if (paren == absl::string_view::npos) return -1;
  std::vector<absl::string_view> fields =
      absl::StrSplit(line.substr(paren + 2), ' ');
  double utime = 0, stime = 0;
  // utime and stime: fields 14 and 15 of the line, 12 and 13 after ')'.
  if (fields.size() < 13 || !absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return -1;
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double OwnCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
  return v != nullptr && *v != '\0' ? v : fallback;
}

// The SDK's figures for one configuration.
struct SdkResult {
  std::string error;  // why there are none
  double records_per_second = 0;
  double cpu = 0;
  double server_cpu = 0;
};

// One endpoint (a server this process started) and a brook client for it.
class Endpoint {
 public:
  explicit Endpoint(Target target) : target_(target) {
    absl::Status s = target == kKinesalite ? StartKinesalite() : StartStub();
    if (!s.ok()) {
      why_ = std::string(s.message());
      pid_ = -1;
      return;
    }
    KinesisClientOptions options;
    options.aws.endpoint_url = endpoint_;
    options.aws.region = "us-east-1";
    options.aws.credentials = AwsCredentials{"AKIDBENCH", "benchsecret"};
    absl::StatusOr<std::unique_ptr<KinesisClient>> client =
        KinesisClient::Create(options);
    if (!client.ok()) {
      why_ = std::string(client.status().message());
      return;
    }
    client_ = std::move(*client);
    if (target == kKinesalite) {
      for (const char* stream : {"brook", "sdk"}) {
        absl::Status created = client_->CreateStream(stream, kShards);
        if (created.ok()) {
          created = client_->WaitForStreamActive(stream, absl::Seconds(30));
        }
        if (!created.ok()) {
          why_ = std::string(created.message());
          return;
        }
      }
      // kinesalite's JIT warms up over its first few hundred calls (a call
      // of 500 records takes 400 ms at first, 50 ms after): warm it before
      // either client is measured, so the first measured is not penalised.
      absl::Status warm = WarmUp();
      if (!warm.ok()) why_ = std::string(warm.message());
    }
  }
  ~Endpoint() {
    if (pid_ > 0) testing::StopNodeServer(pid_, stdin_fd_);
  }

  // "" when usable, else why not.
  const std::string& why() const { return why_; }
  KinesisClient* client() const { return client_.get(); }
  pid_t pid() const { return pid_; }

  // The SDK's figures for `batch` records a call and `concurrency` calls in
  // flight: measured at the first call, then remembered.
  SdkResult Sdk(int batch, int concurrency) {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = sdk_.try_emplace({batch, concurrency});
    if (inserted) it->second = RunSdk(batch, concurrency);
    return it->second;
  }

 private:
  absl::Status WarmUp() {
    const std::string data(kRecordBytes, 'a');
    std::vector<std::string> keys;
    std::vector<KinesisPutRecordsEntry> entries;
    for (int i = 0; i < 500; ++i) keys.push_back(absl::StrCat("pk-", i));
    for (const std::string& key : keys) entries.push_back({key, data});
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < end) {
      absl::StatusOr<KinesisPutRecordsResult> put =
          client_->PutRecords("brook", entries);
      if (!put.ok()) return put.status();
      absl::StatusOr<KinesisPutRecordResult> one =
          client_->PutRecord("brook", keys[0], data);
      if (!one.ok()) return one.status();
    }
    return absl::OkStatus();
  }

  absl::Status StartKinesalite() {
    return testing::SpawnNodeServer(
        "kinesalite", "BROOK_KINESALITE_DIR", BROOK_KINESALITE_DIR,
        BROOK_KINESALITE_SERVER_JS, &pid_, &stdin_fd_, &endpoint_);
  }
  // The stub needs Node.js alone, no package.
  absl::Status StartStub() {
    std::string port;
    absl::Status s = testing::SpawnNode(
        BROOK_STUB_SERVER_JS, {}, absl::Seconds(20), &pid_, &stdin_fd_, &port);
    if (s.ok()) endpoint_ = absl::StrCat("http://127.0.0.1:", port);
    return s;
  }

  SdkResult RunSdk(int batch, int concurrency) const {
    SdkResult out;
    const std::string sdk_dir = testing::NodePackageDir(
        "BROOK_AWS_SDK_KINESIS_DIR", BROOK_AWS_SDK_KINESIS_DIR);
    if (::access((sdk_dir + "/package.json").c_str(), R_OK) != 0) {
      out.error = absl::StrCat(
          "no SDK baseline: @aws-sdk/client-kinesis is not installed at ",
          sdk_dir, " (BROOK_WITH_NODE=1 bash tools/install-deps.sh)");
      return out;
    }
    const std::string seconds = EnvOr("BROOK_SDK_SECONDS", "3");
    double wait_seconds = 0;
    if (!absl::SimpleAtod(seconds, &wait_seconds)) wait_seconds = 3;
    pid_t pid = 0;
    int stdin_fd = -1;
    std::string line;
    absl::Status s = testing::SpawnNode(
        BROOK_SDK_PUT_RECORDS_JS,
        {sdk_dir, endpoint_, target_ == kKinesalite ? "sdk" : "stub",
         absl::StrCat(batch), absl::StrCat(kRecordBytes),
         absl::StrCat(concurrency), seconds, absl::StrCat(pid_)},
        absl::Seconds(wait_seconds + 60), &pid, &stdin_fd, &line);
    if (!s.ok()) {
      out.error = absl::StrCat("no SDK baseline: ", s.message());
      return out;
    }
    testing::StopNodeServer(pid, stdin_fd);
    // One flat JSON object of numbers: read the three fields we need.
    auto field = [&line](absl::string_view name, double* value) {
      const std::string key = absl::StrCat("\"", name, "\":");
      const size_t at = line.find(key);
      if (at == std::string::npos) return false;
      const size_t from = at + key.size();
      const size_t to = line.find_first_of(",}", from);
      return absl::SimpleAtod(line.substr(from, to - from), value);
    };
    double failed = 0;
    if (!field("records_per_second", &out.records_per_second) ||
        !field("cpu_cores", &out.cpu) || !field("failed", &failed)) {
      out.error = absl::StrCat("no SDK baseline: the script printed ", line);
      return out;
    }
    if (!field("server_cpu_cores", &out.server_cpu)) out.server_cpu = -1;
    if (failed > 0) {
      out.error = absl::StrCat("SDK baseline: ", failed, " records failed");
    }
    return out;
  }

  const Target target_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string endpoint_;
  std::string why_;
  std::unique_ptr<KinesisClient> client_;
  absl::Mutex mu_;
  std::map<std::pair<int, int>, SdkResult> sdk_ ABSL_GUARDED_BY(mu_);
};

// Started at first use, stopped at exit.
Endpoint& EndpointFor(Target target) {
  static Endpoint kinesalite(kKinesalite);
  static Endpoint stub(kStub);
  return target == kKinesalite ? kinesalite : stub;
}

// `batch` 1 calls PutRecord; more, PutRecords.
void RunPuts(benchmark::State& state, Target target, int batch) {
  Endpoint& endpoint = EndpointFor(target);
  if (!endpoint.why().empty()) {
    state.SkipWithError(endpoint.why().c_str());
    return;
  }
  const std::string data(kRecordBytes, 'a');
  std::vector<std::string> keys;
  std::vector<KinesisPutRecordsEntry> entries;
  keys.reserve(batch);
  for (int i = 0; i < batch; ++i) keys.push_back(absl::StrCat("pk-", i % 1000));
  for (int i = 0; i < batch; ++i) entries.push_back({keys[i], data});

  // Measured by the first thread to get here, before the clock starts.
  const SdkResult sdk = endpoint.Sdk(batch, state.threads());
  const double server0 = ProcessCpuSeconds(endpoint.pid());
  const double cpu0 = OwnCpuSeconds();
  const auto start = std::chrono::steady_clock::now();

  KinesisClient* client = endpoint.client();
  const char* stream = target == kKinesalite ? "brook" : "stub";
  int64_t records = 0, failed = 0;
  for (auto _ : state) {
    if (batch == 1) {
      absl::StatusOr<KinesisPutRecordResult> put =
          client->PutRecord(stream, keys[0], data);
      if (!put.ok()) {
        state.SkipWithError(std::string(put.status().message()).c_str());
        break;
      }
    } else {
      absl::StatusOr<KinesisPutRecordsResult> put =
          client->PutRecords(stream, entries);
      if (!put.ok()) {
        state.SkipWithError(std::string(put.status().message()).c_str());
        break;
      }
      failed += put->failed_record_count;
    }
    records += batch;
  }

  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  state.SetItemsProcessed(records);
  if (failed > 0) state.counters["failed"] = static_cast<double>(failed);
  // Each thread's share of brook's rate over the SDK's, summed over the
  // threads and divided by the (real) time, as items_per_second is.
  if (sdk.records_per_second > 0) {
    state.counters["x_sdk"] = benchmark::Counter(
        static_cast<double>(records) / sdk.records_per_second,
        benchmark::Counter::kIsRate);
  }
  // Counters are summed over threads: thread 0 alone sets the others.
  if (state.thread_index() != 0 || wall <= 0) return;
  state.counters["client_cpu"] = (OwnCpuSeconds() - cpu0) / wall;
  if (server0 >= 0) {
    state.counters["server_cpu"] =
        (ProcessCpuSeconds(endpoint.pid()) - server0) / wall;
  }
  if (!sdk.error.empty()) state.SetLabel(sdk.error);
  if (sdk.records_per_second > 0) {
    state.counters["sdk_items_per_second"] = sdk.records_per_second;
    state.counters["sdk_cpu"] = sdk.cpu;
    if (sdk.server_cpu >= 0) state.counters["sdk_server_cpu"] = sdk.server_cpu;
  }
}

void BM_Remote_PutRecords(benchmark::State& state, Target target) {
  RunPuts(state, target, static_cast<int>(state.range(0)));
}

void BM_Remote_PutRecord(benchmark::State& state, Target target) {
  RunPuts(state, target, 1);
}

// An endpoint in the process that answers every PutRecords at once with a
// canned success for `batch` entries: the client's own work per record
// (request body, signing, response parsing) without sockets, a server or
// the machine's load in the way. Its instruction counts under callgrind are
// the load-independent figure.
class CannedTransport : public internal::HttpTransport {
 public:
  explicit CannedTransport(int batch) {
    response_.status = 200;
    response_.body = "{\"FailedRecordCount\":0,\"Records\":[";
    for (int i = 0; i < batch; ++i) {
      absl::StrAppend(&response_.body, i == 0 ? "" : ",",
                      "{\"SequenceNumber\":\"4959033827149025660855969253836",
                      "1571095921575989136588898\",\"ShardId\":",
                      "\"shardId-000000000000\"}");
    }
    response_.body += "]}";
  }
  absl::StatusOr<internal::HttpResponse> Post(
      const internal::HttpRequest& request) override {
    benchmark::DoNotOptimize(request.body.data());
    return response_;
  }

 private:
  internal::HttpResponse response_;
};

void BM_Remote_PutRecords_InProcess(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  KinesisClientOptions options;
  AwsConfig config;
  config.region = "us-east-1";
  config.endpoint_url = "http://127.0.0.1:1";
  config.credentials = AwsCredentials{"AKIDBENCH", "benchsecret"};
  internal::KinesisClientImpl client(options, config,
                                     std::make_unique<CannedTransport>(batch));
  const std::string data(kRecordBytes, 'a');
  std::vector<std::string> keys;
  std::vector<KinesisPutRecordsEntry> entries;
  for (int i = 0; i < batch; ++i) keys.push_back(absl::StrCat("pk-", i % 1000));
  for (int i = 0; i < batch; ++i) entries.push_back({keys[i], data});
  for (auto _ : state) {
    absl::StatusOr<KinesisPutRecordsResult> put =
        client.PutRecords("brook", entries);
    if (!put.ok()) {
      state.SkipWithError(std::string(put.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(put->records.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

BENCHMARK(BM_Remote_PutRecords_InProcess)->ArgName("batch")->Arg(500);

BENCHMARK_CAPTURE(BM_Remote_PutRecords, kinesalite, kKinesalite)
    ->ArgName("batch")
    ->Arg(500)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Remote_PutRecords, stub, kStub)
    ->ArgName("batch")
    ->Arg(500)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Remote_PutRecord, kinesalite, kKinesalite)
    ->Threads(4)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Remote_PutRecord, stub, kStub)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace brook
