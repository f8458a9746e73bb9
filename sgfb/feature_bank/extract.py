"""Feature banks for every video of a dataset (Action Genome §4.2): from ground-truth graphs
(oracle: the annotated frames, all scores 1) or from stage 1's saved predictions.

Resumable (a video whose bank file exists is skipped), atomic per video, and a failing video
is reported at the end while the others go on. One process: a video's bank costs about a
millisecond, mostly writing its file, and worker processes measured no faster
(docs/benchmarks.md, "Oracle feature banks"); machines and processes share a dataset through
shards instead (``tools/extract_banks.py --shard I/N``, ``torchrun``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from tqdm import tqdm

from sgfb.utils.atomic_io import remove_stale_temporaries
from sgfb.data.action_genome import ActionGenome
from sgfb.feature_bank.bank import VideoBank, bank_from_graphs, bank_path, save_bank
from sgfb.feature_bank.oracle import oracle_features, oracle_inputs
from sgfb.structures.graph_file import load_graphs


@dataclass
class ExtractionSummary:
    done: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)

    def format(self) -> str:
        lines = [f"banks: {len(self.done)} written, {len(self.skipped)} already there, "
                 f"{len(self.failed)} failed"]
        lines += [f"  FAILED {v}: {msg}" for v, msg in sorted(self.failed.items())]
        return "\n".join(lines)


def _job(args: Tuple) -> Tuple[str, Optional[str]]:
    video_id, times, keys, source, payload, layout, out = args
    try:
        if source == "oracle":   # payload: oracle_inputs, filled into the bank array directly
            bank = VideoBank(video_id, times, oracle_features(*payload, layout), keys, layout)
        else:                    # payload: the predicted graphs file
            predicted = load_graphs(payload)
            missing = [k for k in keys if k not in predicted]
            if missing:
                raise KeyError(f"{payload} has no graph for {missing[:3]}")
            bank = bank_from_graphs(video_id, times, [predicted[k] for k in keys], layout)
        save_bank(bank_path(out, video_id), bank)
        return video_id, None
    except Exception as exc:  # reported per video; the others go on
        return video_id, f"{type(exc).__name__}: {exc}"


def extract_banks(ag: ActionGenome, out_dir: str, graphs_dir: Optional[str] = None,
                  layout: str = "paper", progress: bool = True) -> ExtractionSummary:
    """One bank per video of ``ag`` into ``out_dir``: oracle when ``graphs_dir`` is None,
    else from ``graphs_dir/VIDEO.npz`` (the files ``save_graphs`` writes), for the
    annotated frames."""
    os.makedirs(out_dir, exist_ok=True)
    remove_stale_temporaries(out_dir)
    summary = ExtractionSummary()
    jobs = []
    for video_id, keys in ag.videos.items():
        if os.path.exists(bank_path(out_dir, video_id)):
            summary.skipped.append(video_id)
            continue
        try:
            times = ag.frame_times(video_id)    # in frame order, so increasing
        except Exception as exc:  # a missing rate or an unreadable video: report, go on
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            summary.failed[video_id] = f"{type(exc).__name__}: {message}"
            continue
        if graphs_dir is None:
            jobs.append((video_id, times, keys, "oracle", oracle_inputs(ag, video_id),
                         layout, out_dir))
        else:
            jobs.append((video_id, times, keys, "predicted",
                         os.path.join(graphs_dir, f"{video_id}.npz"), layout, out_dir))
    with tqdm(total=len(jobs), desc="banks", unit="video", disable=not progress) as bar:
        for job in jobs:
            video_id, error = _job(job)
            if error is None:
                summary.done.append(video_id)
            else:
                summary.failed[video_id] = error
            bar.update()
    return summary
