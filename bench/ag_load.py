#!/usr/bin/env python
"""ActionGenome.load vs a plain pickle.load of the same files, on an AG-size annotation set.

    python bench/ag_load.py --workdir /tmp/ag_bench [--frames 288782] [--repeat 3] [--trace] \\
        [--reference-without-gc]

Builds (once, in WORKDIR) an annotation set of the size of Action Genome (288,782 frames) by
tiling a synthetic set from ``tools/make_synthetic.py --annotations-only`` under new video
ids; every entry is a fresh object, as in a real pickle. Then, each in its own subprocess,
interleaved ``--repeat`` times (best of each kept):

- reference: ``pickle.load`` of ``object_bbox_and_relationship.pkl`` and ``person_bbox.pkl``
  (both kept, as a user of the raw files has them);
- ours: ``ActionGenome.load(WORKDIR/annotations)`` (restricted unpickler, every entry
  validated, compact columns; the cyclic GC paused while reading);
- with ``--reference-without-gc``, also ``pickle.load`` with the cyclic GC paused, to show
  how much of the difference that pause accounts for.

Time: CPU seconds and wall seconds of the load alone (imports excluded); on a shared machine
the CPU time is the steadier of the two. Memory: the peak resident size during the load
above the resident size just before it (``ru_maxrss`` minus the RSS after imports).
``--trace`` adds one run of each under ``tracemalloc`` (peak of Python allocations; slow).
Prints both ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
from typing import Dict

AG_FRAMES = 288_782
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CHILD = r"""
import json, pickle, resource, sys, time, tracemalloc
mode, folder, trace = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
import numpy
if mode == "ours":
    from sgfb.data.action_genome import ActionGenome
with open("/proc/self/statm") as f:
    before = int(f.read().split()[1]) * resource.getpagesize()
if trace:
    tracemalloc.start()
start, cpu = time.perf_counter(), time.process_time()
if mode == "reference, GC paused":
    import gc
    gc.disable()
if mode.startswith("reference"):
    held = []
    for name in ("object_bbox_and_relationship.pkl", "person_bbox.pkl"):
        with open(f"{folder}/{name}", "rb") as f:
            held.append(pickle.load(f))
    frames = len(held[0])
else:
    frames = len(ActionGenome.load(folder))
cpu, seconds = time.process_time() - cpu, time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if trace else None
maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "cpu": cpu, "traced_peak": peak, "frames": frames,
                  "maxrss": maxrss, "rss_before": before}))
"""


def build(workdir: str, frames: int) -> str:
    """WORKDIR/annotations with ``frames`` frames (made once)."""
    out = os.path.join(workdir, "annotations")
    marker = os.path.join(out, f".frames-{frames}")
    if os.path.exists(marker):
        return out
    base = os.path.join(workdir, "base")
    if not os.path.isdir(os.path.join(base, "annotations")):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_synthetic.py"),
                        "--out", base, "--videos", "400", "--seed", "0", "--annotations-only",
                        "--workers", "1"], check=True, env=_env())
    with open(os.path.join(base, "annotations", "object_bbox_and_relationship.pkl"), "rb") as f:
        base_objects = pickle.load(f)
    with open(os.path.join(base, "annotations", "person_bbox.pkl"), "rb") as f:
        base_persons = pickle.load(f)
    objects: Dict[str, list] = {}
    persons: Dict[str, dict] = {}
    copy = 0
    while len(objects) < frames:
        for key in base_objects:
            if len(objects) == frames:
                break
            video, number = key.split("/")
            new_key = f"{video[:-4]}{copy:03d}.mp4/{number}"
            # fresh objects: pickle would store shared ones once
            objects[new_key] = pickle.loads(pickle.dumps(base_objects[key]))
            persons[new_key] = pickle.loads(pickle.dumps(base_persons[key]))
        copy += 1
    os.makedirs(out, exist_ok=True)
    for name, data in (("object_bbox_and_relationship.pkl", objects),
                       ("person_bbox.pkl", persons)):
        with open(os.path.join(out, name), "wb") as f:
            pickle.dump(data, f, protocol=4)
    for name in ("object_classes.txt", "relationship_classes.txt"):
        with open(os.path.join(base, "annotations", name)) as src, \
                open(os.path.join(out, name), "w") as dst:
            dst.write(src.read())
    open(marker, "w").close()
    return out


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def measure(mode: str, folder: str, trace: bool) -> Dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _CHILD, mode, folder, "1" if trace else "0"],
                          check=True, capture_output=True, text=True, env=_env())
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--frames", type=int, default=AG_FRAMES)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trace", action="store_true", help="also a tracemalloc run of each")
    parser.add_argument("--reference-without-gc", action="store_true",
                        help="also pickle.load with the cyclic GC paused (as ours reads)")
    args = parser.parse_args()
    folder = build(args.workdir, args.frames)
    sizes = {n: os.path.getsize(os.path.join(folder, n)) / 2**20
             for n in ("object_bbox_and_relationship.pkl", "person_bbox.pkl")}
    print(f"set: {args.frames} frames; pickles {sizes['object_bbox_and_relationship.pkl']:.0f} MiB "
          f"+ {sizes['person_bbox.pkl']:.0f} MiB; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at start", flush=True)
    runs: Dict[str, list] = {"reference": [], "ours": []}
    if args.reference_without_gc:
        runs["reference, GC paused"] = []
    for _ in range(args.repeat):
        for mode in runs:                        # interleaved: the load of the machine varies
            runs[mode].append(measure(mode, folder, trace=False))
            r = runs[mode][-1]
            print(f"  {mode}: {r['cpu']:.2f} CPU-s, {r['seconds']:.2f} s wall, peak RSS "
                  f"+{(r['maxrss'] - r['rss_before']) / 2**30:.2f} GiB", flush=True)
    best = {}
    for mode, done in runs.items():
        best[mode] = {"cpu": min(r["cpu"] for r in done),
                      "seconds": min(r["seconds"] for r in done),
                      "grown": min(r["maxrss"] - r["rss_before"] for r in done),
                      "maxrss": min(r["maxrss"] for r in done), "frames": done[0]["frames"]}
        if args.trace:
            best[mode]["traced_peak"] = measure(mode, folder, trace=True)["traced_peak"]
        b = best[mode]
        print(f"{mode:>20}: {b['cpu']:6.2f} CPU-s, {b['seconds']:6.2f} s wall, peak RSS during "
              f"the load +{b['grown'] / 2**30:.2f} GiB (max RSS {b['maxrss'] / 2**30:.2f} GiB)"
              + (f", traced peak {b['traced_peak'] / 2**30:.2f} GiB" if args.trace else "")
              + f", {b['frames']} frames")
    ref, ours = best["reference"], best["ours"]
    print(f"time ratio ours/reference: {ours['cpu'] / ref['cpu']:.2f}x CPU, "
          f"{ours['seconds'] / ref['seconds']:.2f}x wall")
    print(f"peak memory ratio ours/reference: {ours['grown'] / ref['grown']:.2f}x (RSS growth), "
          f"{ours['maxrss'] / ref['maxrss']:.2f}x (max RSS)"
          + (f", {ours['traced_peak'] / ref['traced_peak']:.2f}x (traced)" if args.trace else ""))
    if args.reference_without_gc:
        plain = best["reference, GC paused"]
        print(f"ours / (pickle.load with GC paused): {ours['cpu'] / plain['cpu']:.2f}x CPU, "
              f"{ours['seconds'] / plain['seconds']:.2f}x wall")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
