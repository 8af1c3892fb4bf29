#!/usr/bin/env python3
# Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
"""Prints bench/README.md's issue-13 peers table from brook_peers_bench JSON.

  ./build/bench/brook_peers_bench --benchmark_min_time=0.3 \
      --benchmark_out=peers.json --benchmark_out_format=json
  python3 bench/peers/peers_table.py peers.json

Rates are records a second (items/s), summed over a benchmark's iterations;
the ratio is brook's rate over the peer's, both measured in the same
iterations (brook and the peer alternately).
"""
import json
import sys


def rate(x):
    if x is None:
        return ""
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    return f"{x / 1e3:.0f} k"


def main(path):
    with open(path) as f:
        runs = json.load(f)["benchmarks"]
    print("| workload | peer | peer rec/s | brook rec/s | brook / peer | "
          "brook memory | brook recycled (mmap / memory) | fresh memcpy | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        if r.get("run_type") != "iteration" or "error_occurred" in r:
            continue
        parts = r["name"].replace("/manual_time", "").split("/")
        workload = parts[0].replace("BM_Peers_", "")
        peer = parts[1]
        rest = "/".join(parts[2:])
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


if __name__ == "__main__":
    main(sys.argv[1])
