// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Named consumers and the making of subscriptions (see subscription_core.h).

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "brook/subscription.h"

#include "stream/subscription_core.h"

namespace brook {
namespace internal {
namespace {

constexpr size_t kMaxConsumerNameLength = 128;

absl::Status CheckConsumerName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxConsumerNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("RegisterStreamConsumer: consumer name \"",
                     name.substr(0, 64), "\" must have 1 to ",
                     kMaxConsumerNameLength, " characters, not ", name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RegisterStreamConsumer: consumer name \"", name.substr(0, 64),
          "\" has a character outside [a-zA-Z0-9_.-]"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSubscribeOptions(const SubscribeOptions& o) {
  auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("SubscribeToShard: ", what));
  };
  if (o.max_buffered_events < 1 || o.max_buffered_events > 1'000'000) {
    return bad(absl::StrCat("max_buffered_events ", o.max_buffered_events,
                            " is outside 1 to 1000000"));
  }
  if (o.max_buffered_bytes < 1 || o.max_buffered_bytes > (int64_t{1} << 30)) {
    return bad(absl::StrCat("max_buffered_bytes ", o.max_buffered_bytes,
                            " is outside 1 to 1073741824"));
  }
  if (o.max_records_per_event < 1 || o.max_records_per_event > 10000) {
    return bad(absl::StrCat("max_records_per_event ", o.max_records_per_event,
                            " is outside 1 to 10000"));
  }
  if (o.poll_interval < absl::Milliseconds(1) ||
      o.poll_interval > absl::Hours(1)) {
    return bad(absl::StrCat("poll_interval ",
                            absl::FormatDuration(o.poll_interval),
                            " is outside 1ms to 1h"));
  }
  return absl::OkStatus();
}

}  // namespace

FanOutRegistry::FanOutRegistry(Stream* stream) : stream_(stream) {}

FanOutRegistry::Entry* FanOutRegistry::FindLocked(absl::string_view consumer) {
  for (const auto& e : entries_) {
    if (e->description.consumer_arn == consumer ||
        e->description.consumer_name == consumer) {
      return e.get();
    }
  }
  return nullptr;
}

absl::StatusOr<StreamConsumerDescription> FanOutRegistry::Register(
    absl::string_view name) {
  if (absl::Status s = CheckConsumerName(name); !s.ok()) return s;
  const StreamOptions options = stream_->options();
  Env* const env = options.env != nullptr ? options.env : Env::Default();
  const int64_t now = env->NowMillis();
  MutexLock lock(&mu_);
  if (closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat("RegisterStreamConsumer: ", name,
                     ": the fan-out of stream ", options.name, " is closed"));
  }
  for (const auto& e : entries_) {
    if (e->description.consumer_name == name) {
      return absl::AlreadyExistsError(
          absl::StrCat("RegisterStreamConsumer: consumer ", name, " of stream ",
                       options.name, " is registered already"));
    }
  }
  if (entries_.size() >= static_cast<size_t>(kMaxStreamConsumers)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "RegisterStreamConsumer: ", name, ": stream ", options.name,
        " has the most consumers allowed (", kMaxStreamConsumers, ")"));
  }
  auto entry = std::make_unique<Entry>();
  StreamConsumerDescription& d = entry->description;
  d.consumer_name = std::string(name);
  d.consumer_arn = absl::StrCat("arn:brook:kinesis:local:stream/", options.name,
                                "/consumer/", name, ":", now);
  d.consumer_status = "ACTIVE";
  d.consumer_creation_timestamp_millis = now;
  d.stream_name = options.name;
  entries_.push_back(std::move(entry));
  return d;
}

absl::Status FanOutRegistry::Deregister(absl::string_view consumer) {
  std::vector<std::shared_ptr<SubscriptionCore>> cores;
  std::string arn;
  {
    MutexLock lock(&mu_);
    Entry* e = FindLocked(consumer);
    if (e == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("DeregisterStreamConsumer: no consumer ", consumer,
                       " in stream ", stream_->options().name));
    }
    arn = e->description.consumer_arn;
    for (auto& [shard, slot] : e->subscriptions) {
      if (auto core = slot.core.lock()) cores.push_back(std::move(core));
    }
    entries_.erase(std::find_if(
        entries_.begin(), entries_.end(),
        [e](const std::unique_ptr<Entry>& p) { return p.get() == e; }));
  }
  for (const auto& core : cores) {
    core->Cancel(absl::CancelledError(absl::StrCat("subscription of ", arn,
                                                   " to ", core->shard_id(),
                                                   ": consumer deregistered")));
  }
  return absl::OkStatus();
}

std::vector<StreamConsumerDescription> FanOutRegistry::List() {
  std::vector<StreamConsumerDescription> out;
  {
    MutexLock lock(&mu_);
    for (const auto& e : entries_) out.push_back(e->description);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const StreamConsumerDescription& a,
                      const StreamConsumerDescription& b) {
                     if (a.consumer_creation_timestamp_millis !=
                         b.consumer_creation_timestamp_millis) {
                       return a.consumer_creation_timestamp_millis <
                              b.consumer_creation_timestamp_millis;
                     }
                     return a.consumer_name < b.consumer_name;
                   });
  return out;
}

absl::StatusOr<StreamConsumerDescription> FanOutRegistry::Describe(
    absl::string_view consumer) {
  MutexLock lock(&mu_);
  if (Entry* e = FindLocked(consumer); e != nullptr) return e->description;
  return absl::NotFoundError(
      absl::StrCat("DescribeStreamConsumer: no consumer ", consumer,
                   " in stream ", stream_->options().name));
}

absl::Status FanOutRegistry::Acquire(absl::string_view consumer,
                                     absl::string_view shard_id,
                                     std::string* arn) {
  MutexLock lock(&mu_);
  if (closed_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SubscribeToShard: ", consumer, " to ", shard_id,
        ": the fan-out of stream ", stream_->options().name, " is closed"));
  }
  Entry* e = FindLocked(consumer);
  if (e == nullptr) {
    return absl::NotFoundError(absl::StrCat("SubscribeToShard: no consumer ",
                                            consumer, " in stream ",
                                            stream_->options().name));
  }
  auto [it, inserted] = e->subscriptions.try_emplace(std::string(shard_id));
  if (!inserted) {
    return absl::AlreadyExistsError(
        absl::StrCat("SubscribeToShard: consumer ", e->description.consumer_arn,
                     " has a subscription to ", shard_id, " already"));
  }
  *arn = e->description.consumer_arn;
  return absl::OkStatus();
}

bool FanOutRegistry::Attach(const std::string& arn, const std::string& shard_id,
                            const std::shared_ptr<SubscriptionCore>& core) {
  MutexLock lock(&mu_);
  Entry* e = FindLocked(arn);
  if (closed_ || e == nullptr) return false;
  auto it = e->subscriptions.find(shard_id);
  if (it == e->subscriptions.end() || it->second.owner != nullptr) {
    return false;
  }
  it->second.owner = core.get();
  it->second.core = core;
  return true;
}

void FanOutRegistry::Release(const std::string& arn,
                             const std::string& shard_id,
                             const SubscriptionCore* core) {
  MutexLock lock(&mu_);
  Entry* e = FindLocked(arn);
  if (e == nullptr) return;
  auto it = e->subscriptions.find(shard_id);
  if (it != e->subscriptions.end() && it->second.owner == core) {
    e->subscriptions.erase(it);
  }
}

void FanOutRegistry::Close() {
  std::vector<std::shared_ptr<SubscriptionCore>> cores;
  {
    MutexLock lock(&mu_);
    closed_ = true;
    for (const auto& e : entries_) {
      for (auto& [shard, slot] : e->subscriptions) {
        if (auto core = slot.core.lock()) cores.push_back(std::move(core));
      }
    }
  }
  for (const auto& core : cores) {
    core->Cancel(absl::CancelledError(
        absl::StrCat("subscription of ", core->consumer_arn(), " to ",
                     core->shard_id(), ": fan-out closed")));
  }
}

}  // namespace internal

FanOut::FanOut(Stream* stream)
    : stream_(stream),
      registry_(std::make_shared<internal::FanOutRegistry>(stream)) {}

FanOut::~FanOut() { Close(); }

absl::StatusOr<StreamConsumerDescription> FanOut::RegisterStreamConsumer(
    absl::string_view consumer_name) {
  return registry_->Register(consumer_name);
}

absl::Status FanOut::DeregisterStreamConsumer(absl::string_view consumer) {
  return registry_->Deregister(consumer);
}

std::vector<StreamConsumerDescription> FanOut::ListStreamConsumers() const {
  return registry_->List();
}

absl::StatusOr<StreamConsumerDescription> FanOut::DescribeStreamConsumer(
    absl::string_view consumer) const {
  return registry_->Describe(consumer);
}

absl::StatusOr<std::unique_ptr<Subscription>> FanOut::SubscribeToShard(
    absl::string_view consumer, absl::string_view shard_id,
    const StartingPosition& start, const SubscribeOptions& options,
    SubscriptionHandler handler) {
  if (!handler) {
    return absl::InvalidArgumentError(
        absl::StrCat("SubscribeToShard: ", consumer, " to ", shard_id,
                     ": empty handler (subscribe without one to use Next())"));
  }
  return Subscribe(consumer, shard_id, start, options, std::move(handler));
}

absl::StatusOr<std::unique_ptr<Subscription>> FanOut::SubscribeToShard(
    absl::string_view consumer, absl::string_view shard_id,
    const StartingPosition& start, const SubscribeOptions& options) {
  return Subscribe(consumer, shard_id, start, options, SubscriptionHandler());
}

absl::StatusOr<std::unique_ptr<Subscription>> FanOut::Subscribe(
    absl::string_view consumer, absl::string_view shard_id,
    const StartingPosition& start, const SubscribeOptions& options,
    SubscriptionHandler handler) {
  if (absl::Status s = internal::CheckSubscribeOptions(options); !s.ok()) {
    return s;
  }
  if (stream_->closed()) {
    return absl::FailedPreconditionError(
        absl::StrCat("SubscribeToShard: ", consumer, " to ", shard_id,
                     ": stream ", stream_->options().name, " is closed"));
  }
  // Check the consumer before the shard, as Kinesis does.
  if (absl::Status s = registry_->Describe(consumer).status(); !s.ok()) {
    return absl::NotFoundError(absl::StrCat("SubscribeToShard: no consumer ",
                                            consumer, " in stream ",
                                            stream_->options().name));
  }
  absl::StatusOr<ShardIterator> it =
      Consumer(stream_).GetShardIterator(shard_id, start);
  if (!it.ok()) {
    return absl::Status(it.status().code(),
                        absl::StrCat("SubscribeToShard: ", consumer, ": ",
                                     it.status().message()));
  }
  std::string arn;
  if (absl::Status s = registry_->Acquire(consumer, shard_id, &arn); !s.ok()) {
    return s;
  }
  auto core = std::make_shared<internal::SubscriptionCore>(
      stream_, registry_, arn, std::string(shard_id), *it, options,
      std::move(handler));
  // The registry closed or the consumer went between Acquire() and Attach():
  // the subscription ends at once, as if it had been cancelled then.
  if (!registry_->Attach(arn, core->shard_id(), core)) {
    core->Cancel(absl::CancelledError(absl::StrCat(
        "subscription of ", arn, " to ", shard_id,
        ": consumer deregistered or fan-out closed while subscribing")));
  }
  core->Start();
  return std::unique_ptr<Subscription>(new Subscription(std::move(core)));
}

void FanOut::Close() { registry_->Close(); }

}  // namespace brook
