"""ST-SGN runs from files: data loading, training with a saved checkpoint, prediction CSVs
and their evaluation. The ``tools/*_stsgn.py`` scripts are thin wrappers around this."""
from __future__ import annotations

import csv
import dataclasses
import glob
import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from sgfb.atomic_io import atomic_write
from sgfb.data.action_genome import ActionGenome
from sgfb.data.charades import Charades
from sgfb.engine.checkpoint import load_checkpoint, save_checkpoint
from sgfb.provenance import PROVENANCE_KEY, dataset_kind, training_record
from sgfb.evaluation.mean_ap import mean_average_precision
from sgfb.structures.graph_file import load_graphs
from sgfb.structures.scene_graph import SceneGraph
from sgfb.stsgn.graphs import FrameGraphs
from sgfb.stsgn.model import STSGN, ModelConfig
from sgfb.stsgn.tasks import build_samples, make_split, select_videos
from sgfb.stsgn.training import TrainConfig, metrics, predict, train

CHECKPOINT_FORMAT = "sgfb.stsgn/1"


@dataclass
class DataConfig:
    annotations: str = ""            # AG annotation directory or object pickle
    charades: List[str] = field(default_factory=list)   # Charades CSV(s)
    classes: str = ""                # Charades_v1_classes.txt (optional)
    fps: str = ""                    # fps table JSON or a videos directory
    graphs: str = ""                 # directory of predicted scene-graph files (optional)
    task: str = "frame"              # frame | video | trimmed
    window: float = 0.0              # T seconds (frame window / video slice)
    seed: int = 0
    val_fraction: float = 0.15
    test_fraction: float = 0.15

    def input_paths(self) -> Dict[str, object]:
        """The files and folders this config reads, by key (checked before a run writes)."""
        return {"data.annotations": self.annotations, "data.charades": self.charades,
                "data.classes": self.classes, "data.fps": self.fps, "data.graphs": self.graphs}


@dataclass
class ExperimentConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class GraphData:
    ag: ActionGenome
    graphs: FrameGraphs
    frame_index: Dict[str, int]


def load_graph_data(annotations: str, fps: str = "", graphs_dir: str = "",
                    relationships: Optional[Sequence[int]] = None) -> GraphData:
    """Frames of an AG annotation set as :class:`FrameGraphs`: ground truth, or the
    predicted SceneGraphs saved in ``graphs_dir`` (one file per video) for the same frames."""
    ag = ActionGenome.load(annotations, fps=fps or None)
    frames = list(ag)
    if graphs_dir:
        predicted: Dict[str, SceneGraph] = {}
        for path in sorted(glob.glob(os.path.join(graphs_dir, "*.npz"))):
            predicted.update(load_graphs(path))
        missing = [f.key for f in frames if f.key not in predicted]
        if missing:
            raise KeyError(f"{graphs_dir}: no predicted graph for {len(missing)} annotated frames, "
                           f"e.g. {missing[:3]}")
        scene_graphs = [predicted[f.key] for f in frames]
    else:
        scene_graphs = [f.scene_graph() for f in frames]
    kwargs = {} if relationships is None else {"relationships": relationships}
    graphs = FrameGraphs.from_scene_graphs(scene_graphs, **kwargs)
    return GraphData(ag, graphs, {f.key: i for i, f in enumerate(frames)})


def load_charades(paths: Sequence[str], classes: str = "") -> Charades:
    if not paths:
        raise ValueError("give the Charades CSV(s) with the labels (--charades)")
    return Charades.load(list(paths), classes=classes or None)


@dataclass
class RunResult:
    model: STSGN
    metrics: Dict[str, Dict[str, float]]
    history: List[Dict[str, float]]
    split: Dict[str, List[str]]
    seconds: float


def run_experiment(config: ExperimentConfig, log: Callable[[str], None] = print,
                   data: Optional[GraphData] = None,
                   charades: Optional[Charades] = None) -> RunResult:
    """Train on the seeded video split, keep the best validation epoch, and measure the
    train / val / test metrics (mAP or top-1)."""
    start = time.perf_counter()
    d = config.data
    torch.manual_seed(d.seed)
    charades = charades or load_charades(d.charades, d.classes)
    data = data or load_graph_data(d.annotations, d.fps, d.graphs, config.model.relationships)
    samples = build_samples(d.task, data.ag, charades, data.frame_index, d.window)
    split = make_split(data.ag, d.seed, d.val_fraction, d.test_fraction)
    parts = {name: select_videos(samples, videos) for name, videos in split.items()}
    log(f"{d.task} task, T={d.window}: " + ", ".join(f"{n} {len(p)} samples"
                                                      for n, p in parts.items()))
    config.model.num_classes = charades.num_classes
    model = STSGN(config.model)
    result = train(model, data.graphs, parts["train"], parts["val"], config.train, log=log)
    measured = {}
    for name, part in parts.items():
        if len(part):
            scores, loss = predict(model, data.graphs, part, config.train.eval_batch_size)
            measured[name] = {"loss": loss, **metrics(scores, part), "samples": len(part)}
    return RunResult(model, measured, result.history, split, time.perf_counter() - start)


def save_run(path: str, config: ExperimentConfig, run: RunResult,
             class_names: Optional[List[str]], config_name: str = "") -> None:
    """A checkpoint that carries everything prediction needs (config, vocabularies) and its
    training record (:mod:`sgfb.provenance`)."""
    annotations = config.data.annotations
    source = annotations if os.path.isdir(annotations) else os.path.dirname(annotations)
    save_checkpoint(path, {
        PROVENANCE_KEY: training_record(config_name, dataset_kind(source),
                                        len(run.split.get("train", [])), "videos", annotations),
        "format": CHECKPOINT_FORMAT,
        "model_config": dataclasses.asdict(config.model),
        "state_dict": run.model.state_dict(),
        "task": config.data.task,
        "window": config.data.window,
        "class_names": class_names,
        "config": dataclasses.asdict(config),
        "metrics": run.metrics,
        "history": run.history,
        "split": run.split,
    })


def load_model(path: str) -> tuple[STSGN, Dict]:
    ckpt = load_checkpoint(path)
    if ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not an ST-SGN checkpoint (format {ckpt.get('format')!r})")
    model = STSGN(ModelConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["state_dict"])
    return model.eval(), ckpt


def class_columns(num_classes: int) -> List[str]:
    return [f"c{i:03d}" for i in range(num_classes)]


def predict_to_csv(model: STSGN, data: GraphData, level: str, window: float, out: str) -> int:
    """Write one row of class scores per frame (``level="frame"``) or video; returns rows."""
    if level not in ("frame", "video"):
        raise ValueError(f"level must be 'frame' or 'video', got {level!r}")
    if level == "video" and window <= 0:
        raise ValueError("video-level prediction needs a slice length T > 0 (--window)")
    samples = build_samples(level, data.ag, None, data.frame_index, window,
                            num_classes=model.config.num_classes)
    scores, _ = predict(model, data.graphs, samples)
    header = ["frame_key" if level == "frame" else "video_id"] + class_columns(scores.shape[1])
    with atomic_write(out, "w") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for sample_id, row in zip(samples.ids, scores):
            writer.writerow([sample_id] + [f"{v:.6f}" for v in row])
    return len(samples)


def evaluate_csv(path: str, charades: Charades, fps: Optional[Callable[[str], float]] = None
                 ) -> Dict[str, float]:
    """mAP and top-1 (the best class is among the true ones) of a prediction CSV; rows of
    videos that ``charades`` does not label are skipped and counted."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header or header[0] not in ("frame_key", "video_id"):
            raise ValueError(f"{path}: first column must be frame_key or video_id")
        rows = list(reader)
    level = "frame" if header[0] == "frame_key" else "video"
    try:
        columns = [int(c[1:]) for c in header[1:]]
    except ValueError:
        raise ValueError(f"{path}: class columns must be named c000, c001, ...") from None
    labelled = [r[0].split("/")[0] in charades for r in rows]
    unknown = labelled.count(False)
    rows = [r for r, ok in zip(rows, labelled) if ok]
    width = max([charades.num_classes] + [c + 1 for c in columns])
    scores = np.zeros((len(rows), width), np.float32)
    labels = np.zeros_like(scores)
    for i, row in enumerate(rows):
        scores[i, columns] = [float(v) for v in row[1:]]
        if level == "frame":
            if fps is None:
                raise ValueError("frame-level evaluation needs frame rates (--fps-table)")
            video = row[0].split("/")[0]
            truth = charades.labels_at_frame(row[0], fps(video))
        else:
            truth = charades.video_labels(row[0])
        labels[i, list(truth)] = 1
    has_label = labels.sum(1) > 0
    top1 = float(labels[np.arange(len(rows)), scores.argmax(1)][has_label].mean()) \
        if has_label.any() else math.nan
    return {"level": level, "samples": len(rows), "mAP": mean_average_precision(scores, labels),
            "top1": top1, "skipped_unlabelled": unknown}
