"""``make demo``: the whole job on built-in synthetic data, on a laptop CPU, in minutes.

1. generate a synthetic Action Genome / Charades dataset (videos and annotations in the real
   download layout) and extract its annotated frames;
2. stage 1: train a small detector and RelDN-style predicate head (``train_sg.py``'s
   pipeline), evaluate PredCls and SGDet recall against the frequency prior, and predict the
   scene graph of every annotated frame;
3. stage 2: build feature banks from those predicted graphs and train a small SGFB model
   (I3D + FBO) and, on the same graphs, an ST-SGN model; report their test mAP;
4. run the video-in, predictions-out pipeline (``tools/infer.py``) on held-out test videos:
   one JSON and one annotated mp4 per video and ``report.html``.

Every number printed is an outcome of this run (tiny models trained for a few minutes: far
from converged, and that is expected).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List

from sgfb.data.action_genome import read_frame_keys
from sgfb.data.charades import Charades
from sgfb.data.frame_dump import dump_frames
from sgfb.synthetic import make_synthetic
from sgfb.utils.config import apply_mapping, load_yaml
from sgfb.utils.distributed import DistInfo, resolve_device

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "configs")


@dataclass
class DemoConfig:
    videos: int = 16
    seconds: float = 8.0
    seed: int = 0
    workers: int = 2
    detector_iters: int = 60
    relation_iters: int = 60
    action_iters: int = 100
    infer_videos: int = 2


@dataclass
class DemoResult:
    out_dir: str
    metrics: Dict[str, float] = field(default_factory=dict)
    seconds: Dict[str, float] = field(default_factory=dict)
    outputs: Dict[str, str] = field(default_factory=dict)
    inference_paths: List[str] = field(default_factory=list)


def _info() -> DistInfo:
    return DistInfo(rank=0, world_size=1, local_rank=0, device=resolve_device("cpu"))


def run_demo(out_dir: str, config: DemoConfig | None = None,
             log: Callable[[str], None] = print) -> DemoResult:
    from sgfb.training.action_config import ActionConfig
    from sgfb.training.action import run_action_training
    from sgfb.feature_bank.extract import extract_banks
    from sgfb.inference.pipeline import InferenceConfig, VideoPipeline, run_summary_json
    from sgfb.training.sg_config import SGConfig
    from sgfb.evaluation.sg_testing import test_scene_graphs
    from sgfb.training.sg import run_sg_training
    from sgfb.data.action_genome import ActionGenome

    c = config or DemoConfig()
    result = DemoResult(out_dir)
    data = os.path.join(out_dir, "dataset")
    annotations, charades = os.path.join(data, "annotations"), os.path.join(data, "charades")
    frames = os.path.join(out_dir, "frames")
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.seconds[name] = now - clock
        clock = now

    log(f"[1/6] synthetic dataset: {c.videos} videos of {c.seconds:g} s -> {data}")
    make_synthetic(data, videos=c.videos, seed=c.seed, seconds=c.seconds, workers=c.workers)
    summary = dump_frames(os.path.join(data, "videos"), read_frame_keys(annotations), frames,
                          workers=c.workers, progress=False)
    if summary.failed:
        raise RuntimeError(f"frame extraction failed: {summary.format()}")
    lap("dataset")

    log(f"[2/6] stage 1: detector ({c.detector_iters} iterations) and predicate head "
        f"({c.relation_iters}) on {len(read_frame_keys(annotations))} frames")
    sg_cfg = apply_mapping(SGConfig(), load_yaml(os.path.join(CONFIGS, "sg", "small_synthetic.yaml")))
    sg_cfg.data.annotations, sg_cfg.data.frames = annotations, frames
    sg_cfg.detector_solver.max_iters, sg_cfg.relation_solver.max_iters = c.detector_iters, c.relation_iters
    sg_cfg.detector_solver.steps, sg_cfg.relation_solver.steps = [], []
    sg_cfg.detector_solver.warmup_iters = min(20, c.detector_iters // 3)
    # a short run from random weights: smaller batches, a gentler rate and clipped gradients
    # keep it stable (the full config's 0.02 can diverge without its longer warm-up)
    sg_cfg.detector_solver.batch_size, sg_cfg.detector_solver.lr = 2, 0.01
    sg_cfg.detector_solver.clip_grad = 10.0
    sg_cfg.device, sg_cfg.data.max_val_frames = "cpu", 30
    sg_dir = os.path.join(out_dir, "scene_graphs")
    checkpoint = run_sg_training(sg_cfg, sg_dir, _info(), progress=True, log=log)
    lap("stage1_train")

    log("[3/6] scene-graph recall on the test videos (RelDN-style head vs frequency prior)")
    for head in ("reldn", "frequency"):
        for mode in ("predcls", "sgdet"):
            r = test_scene_graphs(checkpoint, annotations, frames, mode, ["with", "no"], head=head,
                                  batch_size=8, progress=False, log=lambda m: None)
            for constraint in ("with", "no"):
                result.metrics[f"{mode} R@20 ({constraint}) {head}"] = \
                    r["constraints"][constraint]["recall_video_avg"]["R@20"]
    graphs_dir = os.path.join(sg_dir, "graphs")
    test_scene_graphs(checkpoint, annotations, frames, "sgdet", [], split="all",
                      preset="keep_all", batch_size=8, save_dir=graphs_dir, progress=False,
                      log=lambda m: None)
    lap("stage1_eval")

    log("[4/6] stage 2: feature banks from the predicted graphs, SGFB training")
    fps_table = os.path.join(charades, "video_fps.json")
    ag = ActionGenome.load(annotations, fps=fps_table)
    banks = os.path.join(out_dir, "banks")
    extract_banks(ag, banks, graphs_dir=graphs_dir, progress=False)
    a_cfg = apply_mapping(ActionConfig(), load_yaml(os.path.join(CONFIGS, "sgfb", "small_synthetic.yaml")))
    d = a_cfg.data
    d.videos, d.annotations, d.bank_dir, d.fps = os.path.join(data, "videos"), annotations, banks, fps_table
    d.train_csv = os.path.join(charades, "Charades_v1_train.csv")
    d.test_csv = os.path.join(charades, "Charades_v1_test.csv")
    d.classes = os.path.join(charades, "Charades_v1_classes.txt")
    a_cfg.schedule, a_cfg.device, a_cfg.workers = "joint", "cpu", 0
    a_cfg.solver.max_iters, a_cfg.solver.steps, a_cfg.solver.num_workers = c.action_iters, [], 0
    a_cfg.data.test_views, a_cfg.data.test_crops = 4, 1
    train_videos = len(Charades.load(d.train_csv))
    a_cfg.solver.batch_size = min(a_cfg.solver.batch_size, train_videos)  # tiny demo sizes
    action_dir = os.path.join(out_dir, "sgfb")
    metrics = run_action_training(a_cfg, action_dir, _info(), progress=True, log=log)
    result.metrics["SGFB (FBO-NL, predicted banks) mAP"] = metrics["mAP"]
    lap("stage2")

    log("[5/6] ST-SGN (NN-PERSON-biGRU) on the same predicted graphs, video task")
    result.metrics["ST-SGN mAP"] = _train_stsgn(annotations, charades, graphs_dir, c.seed,
                                                os.path.join(out_dir, "stsgn"))
    lap("stsgn")

    test_ids = sorted(v.id for v in Charades.load(d.test_csv))[:c.infer_videos]
    videos = [os.path.join(d.videos, f"{v}.mp4") for v in test_ids]
    log(f"[6/6] tools/infer.py on {len(videos)} held-out test videos")
    infer_dir = os.path.join(out_dir, "inference")
    pipeline = VideoPipeline(checkpoint, os.path.join(action_dir, "model.pt"), "cpu",
                             InferenceConfig(views=4, crops=1, progress=False))
    run = pipeline.run(videos, infer_dir, log=log)
    result.inference_paths = [os.path.join(infer_dir, r["json"])
                              for r in run_summary_json(infer_dir, run)["videos"] if r["ok"]]
    result.outputs = {"report": os.path.join(infer_dir, "report.html"),
                      "inference": infer_dir, "scene_graph_model": checkpoint,
                      "action_model": os.path.join(action_dir, "model.pt")}
    result.metrics["inference: seconds of video per second"] = \
        run.video_seconds / max(sum(run.seconds.values()), 1e-9)
    lap("inference")
    with open(os.path.join(out_dir, "demo_metrics.json"), "w") as f:
        json.dump({"metrics": result.metrics, "seconds": result.seconds}, f, indent=1)
    return result


def _train_stsgn(annotations: str, charades: str, graphs_dir: str, seed: int, out: str) -> float:
    from sgfb.stsgn.experiment import ExperimentConfig, load_charades, run_experiment, save_run

    cfg = ExperimentConfig()
    d = cfg.data
    d.annotations, d.graphs, d.fps = annotations, graphs_dir, os.path.join(charades, "video_fps.json")
    d.charades = [os.path.join(charades, f"Charades_v1_{s}.csv") for s in ("train", "test")]
    d.classes = os.path.join(charades, "Charades_v1_classes.txt")
    d.task, d.window, d.seed = "video", 10.0, seed
    d.val_fraction = 0.25   # at least one validation video even for tiny demo datasets
    cfg.model.name, cfg.model.hidden = "nn-person-bigru", 128
    cfg.train.progress, cfg.train.max_epochs = False, 30
    chars = load_charades(d.charades, d.classes)
    run = run_experiment(cfg, log=lambda m: None, charades=chars)
    save_run(os.path.join(out, "model.pt"), cfg, run, chars.class_names)
    return float(run.metrics["test"]["mAP"])


def format_table(metrics: Dict[str, float]) -> str:
    width = max(len(k) for k in metrics)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{k:<{width}}  {v:.3f}" for k, v in metrics.items()]
    return "\n".join(lines)
