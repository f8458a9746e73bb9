"""ST-SGN runs from files: data loading, training with a saved checkpoint, prediction CSVs
and their evaluation. The ``tools/*_stsgn.py`` scripts are thin wrappers around this."""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import torch

from sgfb.data.action_genome import ActionGenome
from sgfb.data.charades import Charades
from sgfb.utils.checkpoint import save_checkpoint
from sgfb.utils.provenance import PROVENANCE_KEY, dataset_kind, training_record
from sgfb.structures.graph_file import load_graph_source
from sgfb.structures.scene_graph import SceneGraph
from sgfb.stsgn.graphs import FrameGraphs
from sgfb.stsgn.model import STSGN, ModelConfig, build_stsgn
from sgfb.evaluation.stsgn_scores import evaluate_scores, video_split_of, videos_for, write_scores
from sgfb.stsgn.tasks import build_samples, make_split, select_videos
from sgfb.models.stsgn import CHECKPOINT_FORMAT
from sgfb.training.stsgn_loop import TrainConfig, metrics, predict, train



@dataclass
class DataConfig:
    annotations: str = ""            # AG annotation directory or object pickle
    charades: List[str] = field(default_factory=list)   # Charades CSV(s)
    classes: str = ""                # Charades_v1_classes.txt (optional)
    fps: str = ""                    # fps table JSON or a videos directory
    graphs: str = ""                 # directory of predicted scene-graph files (optional)
    task: str = "frame"              # frame | video | trimmed
    window: float = 10.0             # T seconds (frame window / video slice)
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


def load_graph_data(annotations: str, fps: str = "", graphs: str = "",
                    relationships: Optional[Sequence[int]] = None) -> GraphData:
    """Frames of an AG annotation set as :class:`FrameGraphs`: ground truth, or the
    predicted SceneGraphs of the same frames in ``graphs``: a folder of per-video graph files
    or one graph-set file (``tools/test_sg.py --save-graphs graphs.npz``)."""
    ag = ActionGenome.load(annotations, fps=fps or None)
    frames = list(ag)
    if graphs:
        predicted: Dict[str, SceneGraph] = load_graph_source(graphs)
        missing = [f.key for f in frames if f.key not in predicted]
        if missing:
            raise KeyError(f"{graphs}: no predicted graph for {len(missing)} annotated frames, "
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
    # per split: (scores [S, A], targets [S, A]) of the kept weights (seed ensembles average
    # the scores of several runs on the same split)
    scores: Dict[str, tuple] = field(default_factory=dict)


def run_experiment(config: ExperimentConfig, log: Callable[[str], None] = print,
                   data: Optional[GraphData] = None,
                   charades: Optional[Charades] = None,
                   out_dir: Optional[str] = None) -> RunResult:
    """Train on the seeded video split, keep the best validation epoch, and measure the
    train / val / test metrics (mAP or top-1). ``out_dir``: learning curves and norms per
    epoch go to ``out_dir/history.jsonl`` and TensorBoard."""
    start = time.perf_counter()
    d = config.data
    torch.manual_seed(config.train.seed)   # init; data.seed draws the video split
    charades = charades or load_charades(d.charades, d.classes)
    data = data or load_graph_data(d.annotations, d.fps, d.graphs, config.model.relationships)
    samples = build_samples(d.task, data.ag, charades, data.frame_index, d.window)
    split = make_split(data.ag, d.seed, d.val_fraction, d.test_fraction)
    parts = {name: select_videos(samples, videos) for name, videos in split.items()}
    log(f"{d.task} task, T={d.window}: " + ", ".join(f"{n} {len(p)} samples"
                                                      for n, p in parts.items()))
    config.model.num_classes = charades.num_classes
    model = build_stsgn(config.model)
    result = train(model, data.graphs, parts["train"], parts["val"], config.train, log=log,
                   out_dir=out_dir)
    measured, scored = {}, {}
    for name, part in parts.items():
        if len(part):
            scores, loss = predict(model, data.graphs, part, config.train.eval_batch_size)
            measured[name] = {"loss": loss, **metrics(scores, part), "samples": len(part)}
            scored[name] = (scores, part.targets.numpy())
    return RunResult(model, measured, result.history, split, time.perf_counter() - start,
                     scored)


def save_run(path: str, config: ExperimentConfig, run: RunResult,
             class_names: Optional[List[str]], config_name: str = "") -> None:
    """A checkpoint that carries everything prediction needs (config, vocabularies) and its
    training record (:mod:`sgfb.utils.provenance`)."""
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


def predict_to_csv(model: STSGN, data: GraphData, level: str, window: float, out: str,
                   split_name: str = "test",
                   split: Optional[Dict[str, Sequence[str]]] = None) -> tuple[int, str]:
    """Write one row of class scores per frame (``level="frame"``) or video of the videos of
    ``split_name`` (see :func:`~sgfb.evaluation.stsgn_scores.videos_for`: by default those the
    checkpoint was neither trained nor validated on); returns (rows, split written)."""
    if level not in ("frame", "video"):
        raise ValueError(f"level must be 'frame' or 'video', got {level!r}")
    if level == "video" and window <= 0:
        raise ValueError("video-level prediction needs a slice length T > 0 (--window)")
    samples = build_samples(level, data.ag, None, data.frame_index, window,
                            num_classes=model.config.num_classes)
    videos = videos_for(split_name, sorted(set(samples.videos)), split)
    if not videos:
        raise ValueError(f"no video of the annotations is in the {split_name!r} split of the "
                         "checkpoint; choose another --split")
    samples = select_videos(samples, videos)
    scores, _ = predict(model, data.graphs, samples)
    of = video_split_of(split)
    row_splits = [split_name if split_name != "all" else of(v) for v in samples.videos]
    write_scores(out, level, samples.ids, row_splits, scores)
    return len(samples), split_name


def evaluate_csv(path: str, charades: Charades, fps: Optional[Callable[[str], float]] = None
                 ) -> Dict:
    """See :func:`sgfb.evaluation.stsgn_scores.evaluate_scores`."""
    return evaluate_scores(path, charades, fps)
