#!/usr/bin/env python
"""ActionGenome.load vs a plain pickle.load of the same files, on an AG-size annotation set.

    python bench/ag_load.py --workdir /tmp/ag_bench [--frames 288782] [--repeat 3]

Builds (once, in WORKDIR) an annotation set of the size of Action Genome (288,782 frames) by
tiling a synthetic set from ``tools/make_synthetic.py --annotations-only`` under new video
ids; every entry is a fresh object, as in a real pickle. Then, each in its own subprocess:

- reference: ``pickle.load`` of ``object_bbox_and_relationship.pkl`` and ``person_bbox.pkl``
  (both kept, as a user of the raw files has them);
- ours: ``ActionGenome.load(WORKDIR/annotations)`` (restricted unpickler, every entry
  validated, compact columns).

Time is wall time of the load alone (imports excluded), best of ``--repeat`` runs. Memory is
the peak traced by ``tracemalloc`` during the load (numpy buffers included), measured in
separate runs so tracing does not slow the timed ones; the peak resident size
(``ru_maxrss``, imports included) is printed beside it. Prints both ratios.
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
if trace:
    tracemalloc.start()
start = time.perf_counter()
if mode == "reference":
    held = []
    for name in ("object_bbox_and_relationship.pkl", "person_bbox.pkl"):
        with open(f"{folder}/{name}", "rb") as f:
            held.append(pickle.load(f))
    frames = len(held[0])
else:
    frames = len(ActionGenome.load(folder))
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if trace else None
print(json.dumps({"seconds": seconds, "traced_peak": peak, "frames": frames,
                  "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
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
    args = parser.parse_args()
    folder = build(args.workdir, args.frames)
    sizes = {n: os.path.getsize(os.path.join(folder, n)) / 2**20
             for n in ("object_bbox_and_relationship.pkl", "person_bbox.pkl")}
    print(f"set: {args.frames} frames; pickles {sizes['object_bbox_and_relationship.pkl']:.0f} MiB "
          f"+ {sizes['person_bbox.pkl']:.0f} MiB")
    results = {}
    for mode in ("reference", "ours"):
        runs = []
        for _ in range(args.repeat):    # interleaving would be fairer on a loaded machine,
            runs.append(measure(mode, folder, trace=False))   # but each run is seconds
        traced = measure(mode, folder, trace=True)
        results[mode] = {"seconds": min(r["seconds"] for r in runs),
                         "all_seconds": [round(r["seconds"], 2) for r in runs],
                         "traced_peak": traced["traced_peak"],
                         "maxrss": min(r["maxrss"] for r in runs), "frames": runs[0]["frames"]}
        r = results[mode]
        print(f"{mode:>9}: {r['seconds']:6.2f} s (runs {r['all_seconds']}), traced peak "
              f"{r['traced_peak'] / 2**30:5.2f} GiB, max RSS {r['maxrss'] / 2**30:5.2f} GiB, "
              f"{r['frames']} frames")
    ref, ours = results["reference"], results["ours"]
    print(f"time ratio ours/reference: {ours['seconds'] / ref['seconds']:.2f}x")
    print(f"peak memory ratio ours/reference: traced {ours['traced_peak'] / ref['traced_peak']:.2f}x, "
          f"max RSS {ours['maxrss'] / ref['maxrss']:.2f}x")


if __name__ == "__main__":
    main()
