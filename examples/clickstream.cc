// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Clickstream: produce click events (users, pages, event times slightly out of
// order) into a 4-shard stream, then run two event-time pipelines over it:
// per-page counts in 1-minute tumbling windows, and per-user sessions with a
// 30-minute gap. Results are printed as the watermark fires them; clicks too
// late for their window go to a side output.

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

#include "brook/brook.h"

namespace {

constexpr int64_t kMinute = 60 * 1000;
// Event times are shown relative to this instant (2026-01-01T00:00:00Z).
constexpr int64_t kEpoch = int64_t{1767225600} * 1000;

struct Click {
  std::string user;
  std::string page;
  brook::EventTime time = 0;
};

// Records carry "user,page,event_time_ms".
Click ParseClick(const brook::Record& r) {
  std::vector<absl::string_view> f = absl::StrSplit(r.data, ',');
  Click c;
  if (f.size() == 3 && absl::SimpleAtoi(f[2], &c.time)) {
    c.user = std::string(f[0]);
    c.page = std::string(f[1]);
  }
  return c;
}

brook::EventTime ClickTime(const brook::Record& r) {
  return ParseClick(r).time;
}

std::string Clock(brook::EventTime t) {
  int64_t s = (t - kEpoch) / 1000;
  return absl::StrFormat("%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
}

// Per user session: clicks and distinct pages.
struct SessionStats {
  int64_t clicks = 0;
  std::vector<std::string> pages;
};

}  // namespace

int main() {
  brook::ManualClockEnv env(kEpoch);  // drives periodic watermarks
  brook::StreamOptions so;
  so.name = "clicks";
  so.shard_count = 4;
  so.env = &env;
  auto stream = brook::Stream::Create(so);
  if (!stream.ok()) {
    std::fprintf(stderr, "create: %s\n", stream.status().ToString().c_str());
    return 1;
  }

  // Two hours of clicks from 8 users on 4 pages. Each user browses in bursts
  // (a click every ~20 s for 5-15 minutes) separated by breaks of 10-60
  // minutes; a click's event time is up to 20 s before it is produced.
  const std::vector<std::string> pages = {"/home", "/search", "/item", "/cart"};
  std::mt19937_64 rng(2026);
  struct Pending {
    brook::EventTime time;
    std::string user, page;
  };
  std::vector<Pending> clicks;
  for (int u = 0; u < 8; ++u) {
    std::string user = absl::StrCat("user", u);
    brook::EventTime t =
        kEpoch + kMinute + static_cast<int64_t>(rng() % (10 * kMinute));
    while (t < kEpoch + 120 * kMinute) {
      brook::EventTime burst_end = t + (5 + rng() % 11) * kMinute;
      for (; t < burst_end; t += 5000 + rng() % 30000) {
        clicks.push_back({t, user, pages[rng() % pages.size()]});
      }
      t += (10 + rng() % 51) * kMinute;
    }
  }
  std::sort(clicks.begin(), clicks.end(),
            [](const Pending& a, const Pending& b) { return a.time < b.time; });
  brook::Producer producer(stream->get());
  int64_t produced = 0;
  for (size_t i = 0; i < clicks.size(); ++i) {
    // Slightly out of order: swap with a neighbour now and then, and stamp
    // each click up to 20 s early; about one in 100 arrives 3 minutes late,
    // too late for its 1-minute window.
    if (i + 1 < clicks.size() && rng() % 4 == 0)
      std::swap(clicks[i], clicks[i + 1]);
    const Pending& c = clicks[i];
    brook::EventTime time = c.time - static_cast<int64_t>(rng() % 20000);
    if (rng() % 100 == 0) time -= 3 * kMinute;
    auto r = producer.PutRecord(c.user,
                                absl::StrCat(c.user, ",", c.page, ",", time));
    if (r.ok()) ++produced;
  }
  std::printf("produced %" PRId64 " clicks\n", produced);

  brook::Consumer consumer(stream->get());
  brook::PipelineOptions po;
  po.watermarks =
      *brook::WatermarkStrategy::ForBoundedOutOfOrderness(absl::Seconds(30));
  po.watermarks.WithTimestampAssigner(&ClickTime)
      .WithPeriodicInterval(absl::Milliseconds(200));
  // A drained shard must not hold the others back.
  po.idle_timeout = absl::Seconds(1);
  po.read.limit = 50;
  po.env = &env;

  // Per-page counts in 1-minute tumbling windows.
  brook::WindowOptions tumbling;
  tumbling.assigner =
      *brook::WindowAssigner::Tumbling(absl::Milliseconds(kMinute));
  using PageCounts =
      brook::WindowPipeline<std::string, Click, brook::CountAggregate<Click>>;
  PageCounts::Functions pf;
  pf.parse = &ParseClick;
  pf.key_selector = [](const Click& c) { return c.page; };
  pf.sink = [](const brook::WindowResult<std::string, int64_t>& r) {
    std::printf("page    %-8s [%s, %s)  %" PRId64 " clicks\n", r.key.c_str(),
                Clock(r.window.start_millis).c_str(),
                Clock(r.window.end_millis()).c_str(), r.value);
  };
  pf.late_sink = [](const std::string& page, const Click& c, brook::EventTime) {
    std::printf("late    %-8s click at %s by %s\n", page.c_str(),
                Clock(c.time).c_str(), c.user.c_str());
  };
  auto page_counts = PageCounts::Create(&consumer, po, tumbling,
                                        brook::CountAggregate<Click>(), pf);

  // Per-user sessions with a 30-minute gap.
  brook::WindowOptions sessions;
  sessions.assigner =
      *brook::WindowAssigner::Session(absl::Milliseconds(30 * kMinute));
  auto stats = brook::MakeAggregate<Click>(
      [] { return SessionStats(); },
      [](SessionStats& s, const Click& c) {
        ++s.clicks;
        if (std::find(s.pages.begin(), s.pages.end(), c.page) ==
            s.pages.end()) {
          s.pages.push_back(c.page);
        }
      },
      [](SessionStats& a, const SessionStats& b) {
        a.clicks += b.clicks;
        for (const std::string& p : b.pages) {
          if (std::find(a.pages.begin(), a.pages.end(), p) == a.pages.end()) {
            a.pages.push_back(p);
          }
        }
      },
      [](const SessionStats& s) { return s; });
  using UserSessions =
      brook::WindowPipeline<std::string, Click, decltype(stats)>;
  UserSessions::Functions uf;
  uf.parse = &ParseClick;
  uf.key_selector = [](const Click& c) { return c.user; };
  uf.sink = [](const brook::WindowResult<std::string, SessionStats>& r) {
    std::printf("session %-8s [%s, %s)  %" PRId64 " clicks on %zu pages\n",
                r.key.c_str(), Clock(r.window.start_millis).c_str(),
                Clock(r.window.end_millis()).c_str(), r.value.clicks,
                r.value.pages.size());
  };
  auto user_sessions = UserSessions::Create(&consumer, po, sessions, stats, uf);
  if (!page_counts.ok() || !user_sessions.ok()) {
    std::fprintf(stderr, "pipeline: %s %s\n",
                 page_counts.status().ToString().c_str(),
                 user_sessions.status().ToString().c_str());
    return 1;
  }

  // Read until both pipelines have drained the stream, then end the input so
  // the last windows fire.
  for (int quiet = 0; quiet < 10;) {
    env.Advance(absl::Milliseconds(200));
    auto a = (*page_counts)->RunOnce();
    auto b = (*user_sessions)->RunOnce();
    if (!a.ok() || !b.ok()) return 1;
    quiet = (*a + *b == 0) ? quiet + 1 : 0;
  }
  std::printf("-- end of input --\n");
  (*page_counts)->FinishAll();
  (*user_sessions)->FinishAll();
  return 0;
}
