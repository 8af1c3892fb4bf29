// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Event-time windows with Flink's semantics: window assigners (tumbling,
// sliding, session, cumulate, global), triggers (event time, processing time,
// count, continuous event time, purging) and a keyed `WindowOperator` that
// aggregates elements per key and window, fires results when its trigger says
// so, honours allowed lateness and routes late elements to a side output.
//
// Times are `EventTime` milliseconds (watermark.h). A window holds the times
// `start_millis` .. `max_timestamp_millis`, inclusive (Flink's window with
// maxTimestamp = end - 1); windows at either end of the int64 range are
// clamped to it rather than overflowing.
//
// The parts, each in its own header (all included by this one):
// window_assigner.h (which windows), window_trigger.h (when they fire),
// window_aggregate.h (what they compute); the operator's general path is in
// internal/window_operator_impl.h (a key's windows are an
// `internal::KeyWindowState`, internal/window_key_state.h; sessions of every
// path merge through one `internal::MergingWindowSet`,
// internal/window_merging_set.h, Flink's MergingWindowSet), its sliced path
// for sliding windows (an operator of its own, `internal::SlicedWindows`,
// that the public operator owns and drives) in
// internal/window_sliced_impl.h, and for cumulate windows
// (`internal::SlicedCumulateWindows`) in internal/window_cumulate_impl.h,
// its logical state seam (export and import
// of its state) in internal/window_state_{export,import}_impl.h, and
// `SaveState()`/`RestoreState()` over it in internal/window_state_impl.h;
// timers and watermark advance are in internal/window_timers_impl.h.
// Evictors (what a firing removes): window_evictor.h, and in the operator
// internal/window_evictor_impl.h.
//
// Thread safety: assigners and triggers are immutable values, safe to share.
// A `WindowOperator` is not thread-safe: drive it from one thread.
// Lifetime: an `Env*` in `WindowOptions` is not owned and must outlive the
// operator.
//
// Example (per-page counts in 1-minute tumbling windows):
//   auto assigner = brook::WindowAssigner::Tumbling(absl::Minutes(1));
//   brook::WindowOptions options;
//   options.assigner = *assigner;
//   options.allowed_lateness = absl::Seconds(5);
//   auto op = brook::MakeWindowOperator<std::string, Click>(
//       options, brook::CountAggregate<Click>(),
//       [](const brook::WindowResult<std::string, int64_t>& r) {
//         std::printf("%s [%lld, %lld): %lld\n", r.key.c_str(), ...);
//       });
//   (*op)->ProcessElement(click.page, click, click.time).IgnoreError();
//   (*op)->AdvanceWatermark(watermark);  // fires every window it completes

#ifndef BROOK_WINDOW_H_
#define BROOK_WINDOW_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/codec.h"
#include "brook/env.h"
#include "brook/export.h"
#include "brook/internal/time_math.h"
#include "brook/internal/window_cumulate_impl.h"
#include "brook/internal/window_key_state.h"
#include "brook/internal/window_sliced_impl.h"
#include "brook/internal/window_state.h"
#include "brook/internal/window_timer_service.h"
#include "brook/watermark.h"
#include "brook/window_aggregate.h"
#include "brook/window_assigner.h"
#include "brook/window_evictor.h"
#include "brook/window_trigger.h"

namespace brook {
namespace internal {
struct WindowOperatorAccess;
}  // namespace internal

// The non-typed part of a window operator's configuration.
struct BROOK_EXPORT WindowOptions {
  // Which windows an element goes to. Default: tumbling 1 minute.
  WindowAssigner assigner = DefaultAssigner();
  // When windows fire. Default (unset): event time, or never for the global
  // assigner, or processing time for a custom processing-time assigner.
  std::optional<Trigger> trigger;
  // Removes elements from a window's contents when it fires (window_evictor.h).
  // Default (unset): none; the operator keeps one accumulator per window.
  std::optional<Evictor> evictor;
  // How long after a window's max_timestamp_millis its state is kept
  // so that late elements can re-fire it: zero or more, a whole number of
  // milliseconds. Default: zero (a window is dropped when it fires).
  absl::Duration allowed_lateness = absl::ZeroDuration();
  // Clock for processing-time triggers. Not owned. Default (null):
  // `Env::Default()`.
  Env* env = nullptr;
  // Sliding windows (slide <= size) with the (non-purging) event-time trigger
  // share slices: one column of per-key accumulators per pane of
  // gcd(size, slide), and a two-stacks aggregate over the columns of the
  // window being fired, so an element costs O(1) and a firing O(keys)
  // amortised, whatever size/slide is. Every key with data in a window is
  // emitted when it fires, so a firing costs O(keys held) even for keys
  // without data: for very sparse keys turn this off. Off: one accumulator
  // per window and key (Flink's WindowOperator). Default: true.
  // Cumulate windows with the (non-purging) event-time trigger slice too:
  // one column per pane of `step`, and a running prefix per key of the epoch
  // being fired, so an element costs O(1) and a firing O(keys) whatever
  // max_size/step is. A state saved without slicing restores into an
  // operator with it and runs on without it (it cannot be cut into panes;
  // lib/window/WINDOW_STATE_FORMAT.md): after a restore the saved state's
  // path, not this option, decides.
  // Ignored with an evictor, a custom trigger or a custom assigner.
  bool use_slicing = true;

  static WindowAssigner DefaultAssigner();
};

// ValidateWindowOptions()
//
// Returns kInvalidArgument for an `allowed_lateness` that is negative or not
// a whole number of milliseconds. (Assigners
// and triggers are validated when they are built.)
BROOK_EXPORT absl::Status ValidateWindowOptions(const WindowOptions& options);

// One firing of one window for one key.
template <typename Key, typename Out>
struct WindowResult {
  Key key;
  TimeWindow window;
  Out value;
};

// The typed callbacks of a window operator.
template <typename Key, typename In, typename Out>
struct WindowFunctions {
  // Receives every firing. Required.
  std::function<void(const WindowResult<Key, Out>&)> on_result;
  // The late side output: elements too late for every window they belong to.
  // Default (null): they are counted in `dropped_late_elements()` and dropped.
  std::function<void(const Key& key, const In& value,
                     EventTime timestamp_millis)>
      on_late;
  // Called with each watermark after every result it fired.
  // Default (null): none.
  std::function<void(EventTime watermark_millis)> on_watermark;
  // Dynamic sessions: the gap of an element, which must be a positive whole
  // number of milliseconds (else ProcessElement returns kInvalidArgument).
  std::function<absl::Duration(const In& value)> session_gap;
};

// A keyed window operator: elements are grouped by key, put into windows by
// the assigner, aggregated incrementally, and emitted when the trigger fires.
//
// Event-time rules (Flink's WindowOperator and EventTimeTrigger):
//   1. A window is late once max_timestamp_millis + lateness <= watermark;
//      its state is then dropped and it never fires again.
//   2. An element skips its late windows; if it has no other window and
//      ts + allowed_lateness <= watermark it goes to `on_late`, else it is
//      counted as dropped. Sessions decide lateness after merging.
//   3. An element that lands in a window whose max_timestamp_millis <= wm
//      (but which is not late) fires that window again at once.
//   4. `AdvanceWatermark(w)` fires timers in time order, then calls
//      `on_watermark(w)`; a watermark equal to the current one fires nothing
//      but is forwarded too (Flink forwards every watermark it processes).
//   5. An element at kMinEventTime (Flink's Long.MIN_VALUE "no timestamp"
//      marker) is refused with kInvalidArgument.
//
// Cost per element: one hash lookup and an add when the element lands in
// the key's newest tumbling window, not yet fired, or with slicing
// (`WindowOptions::use_slicing`) of sliding windows in the key's newest pane
// (either way its accumulator sits in the key's hash-map entry and is merged
// into the window or pane before anything reads it); the same plus a column
// access when, ahead of the watermark, it lands in one of the two newest
// slice columns; otherwise O(windows per element), except sliced sliding and
// cumulate windows, which cost O(1) whatever size/slide or max_size/step
// is. A firing costs O(log timers), or with slicing O(keys) per window for
// all keys at once (two-stacks over columns, after merging the keys' newest
// panes; for cumulate windows a running prefix per key). No allocation per
// element on these paths (windows are allocated per key and window, columns
// per pane).
//
// With an evictor (`WindowOptions::evictor`, window_evictor.h) none of these
// fast paths runs: a window keeps its elements and the aggregate runs over
// them at each firing (Flink's EvictingWindowOperator), so an element costs
// O(windows per element) and a firing O(elements in the window). Without
// one, the evictor support costs nothing per element.
// Custom triggers and custom assigners run on the generic path, Flink's
// WindowOperator over a `TriggerContext` (internal/window_custom_impl.h):
// O(windows per element) trigger calls per element, and timers in a heap
// with one entry per registered timer (O(log timers) each); it allocates per
// window (trigger state, timer list) and per registered timer.
//
// Callbacks must not call back into the operator.
template <typename Key, typename In, typename Agg,
          typename Hash = absl::Hash<Key>>
class WindowOperator {
 public:
  using Accumulator = typename Agg::Accumulator;
  using Output = internal::AggOutput<Agg, Key>;
  using Result = WindowResult<Key, Output>;
  using Functions = WindowFunctions<Key, In, Output>;

  // Returns kInvalidArgument for bad options (see `ValidateWindowOptions`),
  // a missing `on_result`, a dynamic session assigner without
  // `session_gap`, a merging (session) assigner with a custom trigger
  // whose `CanMerge()` is false (the message names the trigger), or an
  // evictor when `In` has no `Codec` (codec.h; saved state holds an
  // evicting window's elements).
  static absl::StatusOr<std::unique_ptr<WindowOperator>> Create(
      const WindowOptions& options, Agg agg, Functions functions);

  WindowOperator(const WindowOperator&) = delete;
  WindowOperator& operator=(const WindowOperator&) = delete;

  // Adds an element. Returns kInvalidArgument (and ignores the element) if
  // `timestamp_millis` is kMinEventTime, a dynamic session gap is not
  // positive, or a custom assigner gives it a window that ends before it
  // starts (naming the assigner); OK otherwise, also for an element routed
  // to the late output or dropped, or one a custom assigner puts in no
  // window.
  absl::Status ProcessElement(const Key& key, const In& value,
                              EventTime timestamp_millis);

  // Moves event time to `watermark_millis`, firing and cleaning up each window
  // and timer it passes, then calls `on_watermark`. A watermark equal to the
  // current one only calls `on_watermark`; a lower one is ignored.
  void AdvanceWatermark(EventTime watermark_millis);
  // Fires processing-time timers due by the clock.
  void AdvanceProcessingTime();

  EventTime current_watermark_millis() const { return state_.watermark; }
  // Elements dropped for lateness without a side output.
  int64_t dropped_late_elements() const { return state_.dropped_late; }
  // Elements sent to `on_late`.
  int64_t late_elements_emitted() const { return state_.late_emitted; }
  // Windows currently held over all keys, or with slicing the slice columns.
  int64_t live_state_count() const {
    if (sliced_) return static_cast<int64_t>(slices_.column_count());
    if (cumulate_sliced_) return static_cast<int64_t>(cumulate_.column_count());
    return state_.live;
  }
  // Keys currently holding state.
  size_t key_count() const { return state_.slot_of.size(); }
  // True if sliding or cumulate windows use shared slices (for cumulate
  // windows, after a restore: if the restored state did).
  bool sliced() const { return sliced_ || cumulate_sliced_; }

  // The operator's whole state (per key: windows, accumulators, trigger
  // state, pending timers; the watermark; the late counters) as bytes in a
  // logical, versioned and checksummed format (lib/window/
  // WINDOW_STATE_FORMAT.md), together with the options that shape it. Save
  // it with the input positions it matches; restoring both resumes exactly.
  // Bytes saved by this version restore in later versions.
  // With an evictor the state holds each window's elements (with `Codec<In>`)
  // instead of an accumulator.
  // REQUIRES: `Codec<Key>` and a codec for the accumulator exist (codec.h;
  // brook's aggregates bring theirs when their element and result types are
  // codable). Cost: O(state); allocates the bytes.
  std::string SaveState() const;
  // Replaces the state with the one `SaveState()` saved, possibly in another
  // process; callbacks and options stay. Returns kInvalidArgument naming the
  // option that differs if the state was saved by an operator with other
  // state-shaping options (assigner, trigger, allowed lateness, slicing),
  // kDataLoss naming what is wrong for bytes that are damaged, not such a
  // state, or logically inconsistent (windows the assigner cannot produce,
  // duplicate keys or windows, timers of missing windows, ...). On error
  // the operator is unchanged. Never asserts on the bytes. After a restore
  // every key's windows fire as they would have, but windows of different
  // keys due at the same time may fire in another order.
  // REQUIRES: the same key, element and aggregate types as the saver's.
  absl::Status RestoreState(absl::string_view state);

 private:
  // What only the evicting and generic paths keep of a window, allocated
  // when first needed: with an evictor its elements with their timestamps,
  // in insertion order (merged sessions: oldest session first; empty when it
  // has none), and on the generic path the custom trigger's state.
  struct WinExtras {
    std::vector<internal::TimestampedElement<In>> elements;
    std::vector<int64_t> trigger_state;
  };
  // One window of a key: its contents (the accumulator, or with an evictor
  // the elements in `extras`) and its trigger's and timers' bookkeeping.
  struct WinState {
    TimeWindow window;
    Accumulator acc;
    uint64_t id = 0;                      // names the window in timers
    int64_t count = 0;                    // count trigger
    EventTime next_fire = kMaxEventTime;  // continuous trigger
    EventTime pending = 0;                // time of the live event timer
    bool has_fire = false;
    bool has_pending = false;
    bool end_pending = false;  // event-time firing at max_timestamp_millis due
    bool has_data = false;
    std::unique_ptr<WinExtras> extras;  // null on the built-in fast paths

    WinExtras& Extras() {
      if (extras == nullptr) extras = std::make_unique<WinExtras>();
      return *extras;
    }
  };
  // One key's windows on the unsliced and generic paths, with the lookups
  // and the session merges (internal/window_key_state.h).
  using KeyState = internal::KeyWindowState<Key, WinState>;
  // The hash map's value for a key. Besides the key's slot it holds the
  // "hot" accumulator of tumbling windows: elements that land in the key's
  // newest window, ahead of the watermark, are added here with a single hash
  // lookup, and merged into the window (`Flush()`) before anything else reads
  // or changes that key's state. Not hot, the window is empty (start above
  // max), so the element path tests only `hot_start <= ts <= hot_max`: a hot
  // window never starts at kMinEventTime (the refused timestamp) and always
  // ends after the watermark (its end timer flushes it first). Sliced
  // sliding windows keep the same way the key's newest pane (one of the two
  // unfolded columns), merged into its column before the key's slow path
  // and, for all keys at once (`FlushPanesUpTo()`), before a firing that
  // may read it: no window holding a hot pane has fired.
  struct Entry {
    EventTime hot_start = kMaxEventTime;  // the hot window, if hot()
    EventTime hot_max = kMinEventTime;
    Accumulator delta;
    uint32_t slot = 0;

    bool hot() const { return hot_start <= hot_max; }
  };
  struct Timer {
    EventTime time;
    uint32_t slot;
    uint32_t gen;  // the slot's generation when the timer was set
    uint64_t id;   // the window's id

    bool operator>(const Timer& o) const {
      if (time != o.time) return time > o.time;
      if (slot != o.slot) return slot > o.slot;
      return id > o.id;
    }
  };
  using SessionSet = typename KeyState::SessionSet;
  using TimerHeap =
      std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>>;
  struct State {
    absl::flat_hash_map<Key, Entry, Hash> slot_of;
    std::vector<KeyState> keys;
    std::vector<uint32_t> free_slots;
    uint64_t next_id = 1;
    TimerHeap event_timers;
    TimerHeap processing_timers;
    EventTime watermark = kMinEventTime;
    int64_t dropped_late = 0;
    int64_t late_emitted = 0;
    int64_t live = 0;         // unsliced windows
    bool sliced_hot = false;  // some entry holds a hot pane (sliced)
    // Generic path (custom trigger or assigner) only: its timers.
    internal::WindowTimerService custom_timers;
  };

 private:
  friend struct internal::WindowOperatorAccess;

  // The logical state seam (window_state.h, defined in
  // window_state_export_impl.h), used by `SaveState()`/`RestoreState()` and
  // reached from outside through `internal::WindowOperatorAccess`. What the
  // operator keeps per key and window.
  // Without an evictor the aggregate's accumulator; with one
  // (`StoredElements`) the window's elements with their timestamps.
  using StoredAccumulator = Accumulator;
  using StoredElements = internal::WindowElements<In>;
  // The options that shape state, in a fixed order.
  internal::WindowStateShape Shape() const;
  // The state in logical form; flushes nothing (the hot accumulator of a
  // tumbling window is merged into the copy).
  void ExportState(
      internal::WindowStateData<Key, StoredAccumulator>* out) const;
  // Replaces the state with `data`, after checking it against the operator:
  // kDataLoss naming what is wrong (a window the assigner cannot make, start
  // after max, keys or windows listed twice, overlapping sessions, a timer
  // for a missing window or at no due time, trigger state of the wrong size,
  // sliced fields on an unsliced operator, ...; the full list is at its
  // definition and in lib/window/WINDOW_STATE_FORMAT.md), changing nothing.
  absl::Status ImportState(
      internal::WindowStateData<Key, StoredAccumulator> data);
  // With an evictor (window_evictor_impl.h): the state with each window's
  // elements, over the two above (whose windows then carry no accumulator:
  // `has_contents` false). ImportState() also returns kDataLoss for an
  // element at kMinEventTime or outside its window (but for custom
  // assigners), or a window with contents but no elements; and either
  // overload returns kInvalidArgument for the other kind of operator.
  void ExportState(internal::WindowStateData<Key, StoredElements>* out) const;
  absl::Status ImportState(internal::WindowStateData<Key, StoredElements> data);
  // True if the assigner can produce `w` (clamped at the int64 ends).
  bool WindowFromAssigner(const TimeWindow& w) const;

  WindowOperator(const WindowOptions& options, Agg agg, Functions functions);

  // Everything but an element for a hot window or the newest column;
  // `entry` is the key's entry if there is one.
  absl::Status ProcessElementSlow(const Key& key, const In& value, EventTime ts,
                                  Entry* entry);
  uint32_t SlotFor(const Key& key) { return EntryFor(key).slot; }
  // The key's entry, made (with a fresh slot) if missing. Valid until the
  // next insertion into or erasure from the map.
  Entry& EntryFor(const Key& key);
  // Merges the entry's hot accumulator into its window.
  void Flush(Entry& e);
  // Sliced sliding windows, before the watermark moves to `wm` and fires:
  // flushes every entry whose hot pane starts at or before `wm` (a firing
  // up to `wm` reads or folds no later pane).
  void FlushPanesUpTo(EventTime wm);
  void FlushSlot(uint32_t slot);
  void MaybeFreeSlot(uint32_t slot);
  EventTime CleanupTime(const TimeWindow& w) const {
    if (!assigner_.is_event_time()) return kMaxEventTime;
    return internal::SaturatingAdd(w.max_timestamp_millis, lateness_);
  }
  bool IsWindowLate(const TimeWindow& w) const {
    return assigner_.is_event_time() && CleanupTime(w) <= state_.watermark;
  }
  void Late(const Key& key, const In& value, EventTime ts);
  // Rule 2 of the class comment, for an element that went to no window:
  // `Late()` if ts + allowed lateness <= watermark (event time only).
  void LateIfPastLateness(const Key& key, const In& value, EventTime ts) {
    if (assigner_.is_event_time() &&
        internal::SaturatingAdd(ts, lateness_) <= state_.watermark) {
      Late(key, value, ts);
    }
  }

  // Unsliced path.
  WinState& AddWindow(uint32_t slot, const TimeWindow& w);
  // Makes sure an event timer is pending for the window's next due time.
  void ScheduleWindow(uint32_t slot, WinState& ws);
  void OnElementInWindow(uint32_t slot, WinState& ws, const In& value,
                         EventTime ts);
  void Fire(KeyState& ks, WinState& ws);
  void ProcessMerging(uint32_t slot, const In& value, EventTime ts,
                      const TimeWindow& w);
  // False if the timer's key state was freed since it was set; else flushes
  // the key's hot accumulator and returns true.
  bool TimerLive(const Timer& t);
  // The live window a timer names, or null.
  WinState* TimerWindow(const Timer& t);
  void OnEventTimer(const Timer& t);
  void OnProcessingTimer(const Timer& t);
  void EraseWindow(uint32_t slot, uint64_t id);
  void EmitWindow(const Key& key, const TimeWindow& w, const Accumulator& acc);

  // Evictor (window_evictor_impl.h). Adds an element to the window's
  // contents: its list with an evictor, else its accumulator.
  void AddToWindow(WinState& ws, const In& value, EventTime ts);
  // Fires a window of an evicting operator: evict before, aggregate the
  // rest, emit, evict after, keep the rest (purging: none).
  void FireEvicting(KeyState& ks, WinState& ws);
  // Drops an evicting window's elements (and frees their memory).
  void ClearElements(WinState& ws);
  // Merges `other`'s contents into `target`'s (a session merge).
  void MergeContents(WinState& target, WinState& other);
  // Generic path (internal/window_custom_impl.h): a custom trigger, or a
  // custom assigner (its built-in trigger then runs as a `CustomTrigger`).
  class CustomContext;
  absl::Status ProcessCustom(const Key& key, const In& value, EventTime ts,
                             int64_t gap);
  void ProcessCustomMerging(uint32_t slot, const In& value, EventTime ts,
                            const TimeWindow& w);
  WinState& AddCustomWindow(uint32_t slot, const TimeWindow& w);
  // Adds the element to the window, calls the trigger and registers the
  // window's cleanup timer (Flink's processElement).
  void CustomElement(uint32_t slot, WinState& ws, const In& value,
                     EventTime ts);
  void ApplyTriggerResult(uint32_t slot, WinState& ws, TriggerResult r);
  // Flink's cleanupTime: the event or processing time at which the window is
  // dropped; kMaxEventTime for never.
  EventTime CustomCleanupTime(const TimeWindow& w) const;
  void RegisterCleanupTimer(uint32_t slot, const WinState& ws);
  // Calls the trigger's Clear(), then drops the window and its timers.
  void DropCustomWindow(uint32_t slot, uint64_t id);
  void FireCustomTimers(internal::TimerDomain domain, int64_t upto);
  template <typename DataWindow, typename DataTimer>
  void ExportCustomWindow(const WinState& ws, DataWindow* w,
                          std::vector<DataTimer>* timers) const;

  // Marks the window [start, max] of the entry's key hot (see `Entry`).
  void SetHot(Entry& e, EventTime start, EventTime max);
  // The session fast path (`fast_session_`), for `ts` ahead of the
  // watermark: if the key in `slot` has one session and the element's
  // window lies in it or extends it, adds the element there (as
  // `ProcessMerging()` would) and returns true; else false, changing
  // nothing.
  bool AddToSession(uint32_t slot, const In& value, EventTime ts);

  WindowAssigner assigner_;
  Trigger trigger_;
  int64_t lateness_;
  Env* env_;
  Agg agg_;
  Functions fn_;
  bool sliced_;
  bool fast_tumbling_;
  // Sessions of a fixed gap under the event-time trigger, without an
  // evictor: an element that lands in or extends the key's one session
  // skips the merge machinery (`AddToSession()`).
  bool fast_session_ = false;
  // One of the fast paths above (or sliced cumulate windows) may take an
  // element after the one hash lookup `ProcessElement()` makes.
  bool any_fast_ = false;
  std::optional<Evictor> evictor_;
  // Generic path: the trigger it runs (the custom one, or a built-in one
  // as a `CustomTrigger` for a custom assigner), and the windows of one
  // element (reused).
  bool custom_ = false;
  std::shared_ptr<const CustomTrigger> custom_trigger_;
  std::vector<TimeWindow> assigned_;
  State state_;
  // The sliced path (`sliced_`), an operator of its own over key slots
  // (internal/window_sliced_impl.h); unused otherwise.
  internal::SlicedWindows<In, Agg> slices_;
  // The sliced path of cumulate windows (`cumulate_sliced_`,
  // internal/window_cumulate_impl.h); unused otherwise.
  // `cumulate_slicing_`: the options would slice cumulate windows, so a
  // restore may run either path (the saved one).
  bool cumulate_slicing_ = false;
  bool cumulate_sliced_ = false;
  internal::SlicedCumulateWindows<In, Agg> cumulate_;
};

// MakeWindowOperator()
//
// Deduces the operator type from the aggregate. Errors as
// `WindowOperator::Create()`.
template <typename Key, typename In, typename Agg,
          typename Hash = absl::Hash<Key>>
absl::StatusOr<std::unique_ptr<WindowOperator<Key, In, Agg, Hash>>>
MakeWindowOperator(
    const WindowOptions& options, Agg agg,
    std::function<void(const WindowResult<Key, internal::AggOutput<Agg, Key>>&)>
        on_result,
    std::function<void(const Key&, const In&, EventTime)> on_late = nullptr) {
  WindowFunctions<Key, In, internal::AggOutput<Agg, Key>> fns;
  fns.on_result = std::move(on_result);
  fns.on_late = std::move(on_late);
  return WindowOperator<Key, In, Agg, Hash>::Create(options, std::move(agg),
                                                    std::move(fns));
}

}  // namespace brook

#include "brook/internal/window_custom_impl.h"        // IWYU pragma: export
#include "brook/internal/window_evictor_impl.h"       // IWYU pragma: export
#include "brook/internal/window_operator_impl.h"      // IWYU pragma: export
#include "brook/internal/window_state_export_impl.h"  // IWYU pragma: export
#include "brook/internal/window_state_impl.h"         // IWYU pragma: export
#include "brook/internal/window_state_import_impl.h"  // IWYU pragma: export
#include "brook/internal/window_timers_impl.h"        // IWYU pragma: export

#endif  // BROOK_WINDOW_H_
