#!/usr/bin/env python3
# Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
"""Prints bench/README.md's issue-13 peers table from brook_peers_bench JSON.

  ./build/bench/brook_peers_bench --benchmark_min_time=0.3 \
      --benchmark_out=peers.json --benchmark_out_format=json
  python3 bench/peers/peers_table.py peers.json

Rates are records a second (items/s), summed over a benchmark's iterations;
the ratio is brook's rate over the peer's, both measured in the same
iterations (brook and the peer alternately).

A second table gives the append rows' write floor (counter `write_floor`: the
same record bytes written with one write(2) per batch, synced as the peers
sync) beside the peer and brook, measured in the same iterations, and its
ratios: floor / peer is the most any store writing those bytes through
write(2) could beat the peer by at that durability on this machine.
"""
import json
import sys


def rate(x):
    if x is None:
        return ""
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    return f"{x / 1e3:.0f} k"


def parts_of(r):
    parts = r["name"].replace("/manual_time", "").split("/")
    return parts[0].replace("BM_Peers_", ""), parts[1], "/".join(parts[2:])


def floor_table(runs):
    print("| workload | peer | peer rec/s | brook rec/s | write floor rec/s | "
          "brook / peer | floor / peer | brook / floor | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        if "write_floor" not in r:
            continue
        workload, peer, rest = parts_of(r)
        print(f"| {workload} {rest} | {peer} | {rate(r['items_per_second'])} | "
              f"{rate(r['brook'])} | {rate(r['write_floor'])} | "
              f"{r['brook_over_peer']:.2f} | **{r['floor_over_peer']:.2f}** | "
              f"{r['brook_over_floor']:.2f} | {r.get('label', '')} |")


def main(path):
    with open(path) as f:
        runs = json.load(f)["benchmarks"]
    runs = [r for r in runs
            if r.get("run_type") == "iteration" and "error_occurred" not in r]
    print("| workload | peer | peer rec/s | brook rec/s | brook / peer | "
          "brook memory | brook recycled (mmap / memory) | fresh memcpy | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        workload, peer, rest = parts_of(r)
        recycled = ""
        if "brook_recycled" in r:
            recycled = rate(r["brook_recycled"])
            if "brook_memory_recycled" in r:
                recycled += " / " + rate(r["brook_memory_recycled"])
        extra = ""
        if workload == "Recover":
            extra = f" ({r['brook_ms']:.0f} ms vs {r['peer_ms']:.0f} ms)"
        print(f"| {workload} {rest} | {peer} | {rate(r['items_per_second'])} | "
              f"{rate(r['brook'])}{extra} | **{r['brook_over_peer']:.2f}** | "
              f"{rate(r.get('brook_memory'))} | {recycled} | "
              f"{rate(r.get('fresh_memcpy'))} | "
              f"{r.get('label', '')} |")
    if any("write_floor" in r for r in runs):
        print()
        floor_table(runs)


if __name__ == "__main__":
    main(sys.argv[1])
