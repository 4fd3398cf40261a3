#!/usr/bin/env python3
"""Summarises a JFR recording of a benchmark: where the CPU samples land and what allocates.

    jfr_top.py RECORDING.jfr [--jfr PATH-TO-jfr] [--top N]

Prints three tables: the top frames by self samples (the frame on top of the stack, inlined
frames counted as themselves, with the line), the top Breakwater methods by inclusive samples
(anywhere on the stack), and the allocation samples by class and allocating frame. Standard
library only; reads the recording through the JDK's `jfr print --json`.
"""

import argparse
import collections
import json
import subprocess
import sys

HARNESS = ("org.openjdk.jmh.", "jdk.internal.reflect.", "java.lang.reflect.",
           "java.lang.Thread.run", "java.util.concurrent.FutureTask")


def events(jfr, recording, name):
    out = subprocess.run([jfr, "print", "--json", "--stack-depth", "64", "--events", name,
                          recording], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def frame_name(frame, with_line=True):
    m = frame["method"]
    cls = m["type"]["name"].replace("/", ".")
    name = "%s.%s" % (cls, m["name"])
    if with_line and frame.get("lineNumber", -1) >= 0:
        name += ":%d" % frame["lineNumber"]
    if frame.get("type") == "Inlined":
        name += " (inlined)"
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("recording")
    ap.add_argument("--jfr", default="jfr")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()

    samples = events(args.jfr, args.recording, "jdk.ExecutionSample")
    self_counts = collections.Counter()
    inclusive = collections.Counter()
    total = 0
    for e in samples:
        frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
        if not frames:
            continue
        total += 1
        self_counts[frame_name(frames[0])] += 1
        seen = set()
        for f in frames:
            n = frame_name(f, with_line=False).replace(" (inlined)", "")
            if n.startswith("io.breakwater.") and n not in seen:
                seen.add(n)
                inclusive[n] += 1

    print("CPU samples: %d (jdk.ExecutionSample)\n" % total)
    print("| self % | top frame |")
    print("|--:|---|")
    for name, n in self_counts.most_common(args.top):
        print("| %.1f | `%s` |" % (100.0 * n / total, name))
    print()
    print("| inclusive % | Breakwater method |")
    print("|--:|---|")
    for name, n in inclusive.most_common(args.top):
        if ".benchmarks." in name or "_jmhTest" in name:
            continue
        print("| %.1f | `%s` |" % (100.0 * n / total, name))
    print()

    allocs = events(args.jfr, args.recording, "jdk.ObjectAllocationSample")
    by_site = collections.Counter()
    weight = 0
    for e in allocs:
        v = e["values"]
        cls = v["objectClass"]["name"].replace("/", ".") if v.get("objectClass") else "?"
        frames = v["stackTrace"]["frames"] if v.get("stackTrace") else []
        site = next((frame_name(f) for f in frames
                     if not frame_name(f).startswith(HARNESS)), "?")
        by_site[(cls, site)] += v.get("weight", 0)
        weight += v.get("weight", 0)
    print("Allocation samples: %d, weight %.1f MB (jdk.ObjectAllocationSample)\n"
          % (len(allocs), weight / 1e6))
    if weight:
        print("| weight % | class | allocated at |")
        print("|--:|---|---|")
        for (cls, site), w in by_site.most_common(args.top):
            print("| %.1f | `%s` | `%s` |" % (100.0 * w / weight, cls, site))
    print()


if __name__ == "__main__":
    sys.exit(main())
