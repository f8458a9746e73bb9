"""``make demo``: the whole job on built-in synthetic data, on a laptop CPU, in minutes.

1. generate a synthetic Action Genome / Charades dataset (videos and annotations in the real
   download layout) and extract its annotated frames;
2. stage 1 (``configs/sg/demo_synthetic.yaml``): train a detector sized for the 320x240
   synthetic frames and the RelDN-style predicate head, then measure on the test videos the
   detector's mAP@0.5 and PredCls / SGCls / SGDet R@20 (per-group constraint), and predict
   the scene graphs (SGDet) of every video's frames sampled once a second, the predicted
   banks (as ``tools/infer.py`` samples them; not the annotated frames, which lie inside the
   labelled actions);
3. stage 2 (``configs/sgfb/demo_synthetic.yaml``): the backbone-only action model, then on
   its frozen backbone the SGFB head (FBO non-local) with feature banks built from the
   predicted graphs, and the same head with ground-truth (oracle) banks: the paper's
   comparison (Action Genome Table 3), test mAP of each; each SGFB row is the mean of the
   config's ``head_seeds`` heads (seeds ``--seed`` on), because on 16 test videos one
   head's mAP moves with its seed. Every head trains on one cache of the frozen backbone's
   clip features (``OUT/clip_features``). The backbone-only model and
   the oracle head need no predicted graphs: a second process trains them while stage 1
   trains;
4. run the video-in, predictions-out pipeline (``tools/infer.py``) on held-out test videos:
   one JSON and one annotated mp4 per video and ``report.html``.

``OUT/summary.json`` holds every number printed, the wall and CPU seconds of each step and
where the outputs are. Every number is an outcome of this run (small models trained for a
few minutes on a small synthetic world; see README for the spread over seeds).
"""
from __future__ import annotations

import copy
import multiprocessing
import os
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from sgfb.utils.atomic_io import write_json
from sgfb.utils.cpu_time import cpu_seconds, own_cpu_seconds, stolen_cpu_seconds
from sgfb.data.action_genome import ActionGenome, read_frame_keys
from sgfb.data.charades import Charades
from sgfb.relations.names import MODES as SG_MODES
from sgfb.utils.config import apply_mapping, load_yaml

if TYPE_CHECKING:
    from sgfb.utils.distributed import DistInfo

# torch, OpenCV and PyAV are imported by the functions that use them, so that DemoConfig's
# defaults (tools/demo.py --help) cost no heavy import.

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "configs")
SG_CONFIG = os.path.join(CONFIGS, "sg", "demo_synthetic.yaml")
ACTION_CONFIG = os.path.join(CONFIGS, "sgfb", "demo_synthetic.yaml")

# the rows of the final table, in order: summary.json key -> label
TABLE = (
    ("detector mAP@0.5", "stage 1  detector mAP@0.5 (test frames)"),
    ("predcls R@20", "stage 1  PredCls R@20 (per-group)"),
    ("sgcls R@20", "stage 1  SGCls R@20 (per-group)"),
    ("sgdet R@20", "stage 1  SGDet R@20 (per-group)"),
    ("chance mAP", "stage 2  chance (random ranking) mAP"),
    ("backbone-only mAP", "stage 2  backbone only (no bank) mAP"),
    ("SGFB predicted mAP", "stage 2  SGFB, predicted banks mAP"),
    ("SGFB oracle mAP", "stage 2  SGFB, oracle banks mAP"),
)


@dataclass
class DemoConfig:
    """Sizes of the demo run; ``None`` iteration counts take the demo configs' values.
    ``seed`` seeds every training run; ``world_seed`` the synthetic world, by default the
    demo's world 0 whatever the training seed, so that runs of several seeds measure the
    training's spread on one dataset, as a benchmark's is (docs/results.md, "One head's seed
    moves the SGFB rows"). ``test_videos`` (default a third of the videos) are held out for
    every test metric.

    ``empty_video_share``: the share of action-less videos in the synthetic world (the
    generator's default is Charades' 3 %; the demo's is 0). Action Genome annotates frames
    inside actions only, so an action-less video has no oracle bank, and in a test set of
    16 one such video, present on some seeds and not on others, moved the oracle's mAP by
    0.04-0.10 (docs/results.md, "A world without action-less videos")."""
    videos: int = 48
    seconds: float = 8.0
    seed: int = 0
    workers: int = 2
    detector_iters: Optional[int] = None
    relation_iters: Optional[int] = None
    backbone_iters: Optional[int] = None
    head_iters: Optional[int] = None
    head_seeds: Optional[int] = None
    infer_videos: int = 2
    test_videos: Optional[int] = None
    empty_video_share: float = 0.0
    world_seed: int = 0

    @property
    def held_out(self) -> int:
        return self.videos // 3 if self.test_videos is None else self.test_videos


@dataclass
class DemoResult:
    out_dir: str
    metrics: Dict[str, float] = field(default_factory=dict)
    seconds: Dict[str, Dict[str, float]] = field(default_factory=dict)
    outputs: Dict[str, str] = field(default_factory=dict)
    inference_paths: List[str] = field(default_factory=list)
    # per SGFB row, with head_seeds > 1: each bank head's seed and mAP (metrics.json's
    # "head_seeds"); the row's metric is their mean
    heads: Dict[str, Optional[Dict[str, object]]] = field(default_factory=dict)
    machine: Dict[str, object] = field(default_factory=dict)


def _info() -> DistInfo:
    from sgfb.utils.distributed import DistInfo, resolve_device
    return DistInfo(rank=0, world_size=1, local_rank=0, device=resolve_device("cpu"))


class _Laps:
    """Wall and CPU seconds of consecutive steps."""

    def __init__(self, into: Dict[str, Dict[str, float]]) -> None:
        self.into, self.wall, self.cpu = into, time.perf_counter(), cpu_seconds()

    def lap(self, name: str) -> None:
        wall, cpu = time.perf_counter(), cpu_seconds()
        self.into[name] = {"wall": round(wall - self.wall, 1), "cpu": round(cpu - self.cpu, 1)}
        self.wall, self.cpu = wall, cpu


def _sg_config(annotations: str, frames: str, c: DemoConfig):
    from sgfb.training.sg_config import SGConfig
    cfg = apply_mapping(SGConfig(), load_yaml(SG_CONFIG))
    cfg.config_name = os.path.basename(SG_CONFIG)
    cfg.data.annotations, cfg.data.frames, cfg.device = annotations, frames, "cpu"
    cfg.detector_solver.seed = cfg.relation_solver.seed = c.seed
    for solver, iters in ((cfg.detector_solver, c.detector_iters),
                          (cfg.relation_solver, c.relation_iters)):
        if iters is not None:
            set_iterations(solver, iters)
    return cfg


def set_iterations(solver, iters: int) -> None:
    """Run ``solver`` for ``iters`` iterations with its schedule's shape: the warm-up and
    the learning-rate steps at the same fractions of the run."""
    scale = iters / solver.max_iters
    solver.max_iters = iters
    solver.warmup_iters = round(solver.warmup_iters * scale)
    solver.steps = [round(s * scale) for s in solver.steps if round(s * scale) < iters]


def evaluate_stage1(checkpoint: str, annotations: str, frames: str,
                    batch_size: int) -> Dict[str, float]:
    """Detector mAP@0.5 and R@20 (per-group constraint, video-averaged) of each mode on the
    test frames."""
    from sgfb.evaluation.detection_ap import detection_ap
    from sgfb.evaluation.sg_recall import evaluate_recall
    from sgfb.models.scene_graph import load_scene_graph_model
    from sgfb.data.ag_splits import split_keys
    from sgfb.evaluation.sg_prediction import predict_frames_modes
    from sgfb.relations.frames import SceneGraphFrames
    import torch

    cpu = torch.device("cpu")
    predictor = load_scene_graph_model(checkpoint)
    ag = ActionGenome.load(annotations, preset="filtered")
    keys = split_keys(ag, "test")
    truth = {k: ag.scene_graph(k) for k in keys}
    out: Dict[str, float] = {}
    by_mode = predict_frames_modes(predictor, SceneGraphFrames(ag, frames, keys), SG_MODES,
                                   batch_size, cpu)
    for mode, predicted in by_mode.items():
        out[f"{mode} R@20"] = evaluate_recall(truth, predicted, "with_per_group", (20,)).video[20]
        if mode == "sgdet":
            out["detector mAP@0.5"] = detection_ap(truth, predicted)[0]
    return out


def predicted_banks(checkpoint: str, videos_dir: str, out_dir: str, sample_fps: float,
                    batch_size: int) -> None:
    """SGDet graphs of every video's frames sampled at ``sample_fps`` -> one bank per video
    (:mod:`sgfb.feature_bank.video_banks`; the paper's "scene graphs for every frame", at
    the rate the demo's inference samples)."""
    from sgfb.feature_bank.video_banks import extract_video_banks, video_ids
    from sgfb.models.scene_graph import load_scene_graph_model
    from sgfb.utils.output_paths import find_videos

    summary = extract_video_banks(load_scene_graph_model(checkpoint),
                                  video_ids(find_videos([videos_dir])), out_dir, sample_fps,
                                  batch_size, progress=False)
    if summary.failed:
        raise RuntimeError(f"predicted banks failed: {summary.format()}")


def _action_config(data: str, banks: str, c: DemoConfig):
    from sgfb.training.action_config import ActionConfig
    charades = os.path.join(data, "charades")
    cfg = apply_mapping(ActionConfig(), load_yaml(ACTION_CONFIG))
    cfg.config_name = os.path.basename(ACTION_CONFIG)
    d = cfg.data
    d.videos, d.annotations, d.bank_dir = os.path.join(data, "videos"), os.path.join(data, "annotations"), banks
    d.fps = os.path.join(charades, "video_fps.json")
    d.train_csv = os.path.join(charades, "Charades_v1_train.csv")
    d.test_csv = os.path.join(charades, "Charades_v1_test.csv")
    d.classes = os.path.join(charades, "Charades_v1_classes.txt")
    cfg.device = "cpu"
    cfg.solver.seed = cfg.head_solver.seed = c.seed
    if c.head_seeds is not None:
        cfg.head_seeds = c.head_seeds
    for solver, iters in ((cfg.solver, c.backbone_iters), (cfg.head_solver, c.head_iters)):
        if iters is not None:
            set_iterations(solver, iters)
        solver.batch_size = min(solver.batch_size, len(Charades.load(d.train_csv)))
    return cfg


def _split_threads(total: int) -> Tuple[int, int]:
    """Threads of the main process and of the side process while both train: the side jobs
    (backbone-only model, oracle head) get half, at least one each."""
    side = max(1, total // 2)
    return max(1, total - side), side


def _side_job(cfg, out_dir: str, threads: int, oracle: bool) -> Dict[str, object]:
    """One stage-2 training run in the side process (``threads`` torch threads); returns its
    metrics, its log lines (printed by the main process) and its own wall and CPU seconds."""
    import torch

    from sgfb.training.action import run_action_training

    torch.set_num_threads(threads)
    lines: List[str] = []
    wall, cpu = time.perf_counter(), own_cpu_seconds()
    metrics = run_action_training(cfg, out_dir, _info(), oracle=oracle, progress=False,
                                  log=lines.append)
    return {"mAP": head_mean(metrics), "heads": metrics.get("head_seeds"),
            "chance_mAP": metrics["chance_mAP"], "log": lines,
            "seconds": {"wall": round(time.perf_counter() - wall, 1),
                        "cpu": round(own_cpu_seconds() - cpu, 1)}}


def run_demo(out_dir: str, config: DemoConfig | None = None,
             log: Callable[[str], None] = print) -> DemoResult:
    """The demo's steps. Stage 2's backbone-only model needs no scene graphs and its oracle
    head only that backbone, so both train in a second process while stage 1 trains (the
    threads split between the two; two one-thread jobs use two cores better than one
    two-thread job: docs/benchmarks.md, "Demo detector iteration"); the head with predicted
    banks follows stage 1 in the main process."""
    from sgfb.inference.pipeline import InferenceConfig, VideoPipeline, run_summary_json
    from sgfb.training.action import run_action_training
    from sgfb.visualization.inference_outputs import inference_writers
    from sgfb.training.sg import run_sg_training
    from sgfb.data.frame_dump import dump_frames
    from sgfb.synthetic.generate import make_synthetic
    from sgfb.utils.workers import process_pool
    import torch

    c = config or DemoConfig()
    result = DemoResult(out_dir)
    data = os.path.join(out_dir, "dataset")
    annotations = os.path.join(data, "annotations")
    frames = os.path.join(out_dir, "frames")
    laps = _Laps(result.seconds)
    # the predicted banks are sampled from the videos at the rate inference samples them
    infer_cfg = InferenceConfig(views=4, crops=1, progress=False)
    load_at_start, stolen_at_start = os.getloadavg(), stolen_cpu_seconds()

    log(f"[1/5] synthetic dataset: {c.videos} videos of {c.seconds:g} s, {c.held_out} of them "
        f"test, {c.empty_video_share:.0%} action-less (world seed {c.world_seed}) -> {data}")
    make_synthetic(data, videos=c.videos, seed=c.world_seed, seconds=c.seconds, workers=c.workers,
                   test_videos=c.held_out, empty_video_share=c.empty_video_share)
    summary = dump_frames(os.path.join(data, "videos"), read_frame_keys(annotations), frames,
                          workers=c.workers, progress=False)
    if summary.failed:
        raise RuntimeError(f"frame extraction failed: {summary.format()}")
    laps.lap("dataset")

    sg_cfg = _sg_config(annotations, frames, c)
    banks = os.path.join(out_dir, "banks")
    a_cfg = _action_config(data, banks, c)
    backbone_dir, sgfb_dir = os.path.join(out_dir, "backbone_only"), os.path.join(out_dir, "sgfb")
    backbone_cfg = copy.deepcopy(a_cfg)
    backbone_cfg.model.fbo, backbone_cfg.head_seeds = "none", 1
    a_cfg.model.fbo, a_cfg.model.init = "nl", os.path.join(backbone_dir, "model.pt")
    # both heads train on one frozen backbone: the first to start caches its clip features
    # (configs/sgfb/demo_synthetic.yaml head_cache_clips), the other reads them
    a_cfg.head_cache_dir = os.path.join(out_dir, "clip_features")
    n, iters = a_cfg.head_seeds, a_cfg.head_solver.max_iters
    heads = f"{n} heads ({iters} iterations each)" if n > 1 else f"head ({iters} iterations)"
    threads = torch.get_num_threads()
    main_threads, side_threads = _split_threads(threads)
    log(f"[2/5] stage 1: detector ({sg_cfg.detector_solver.max_iters} iterations) and predicate "
        f"head ({sg_cfg.relation_solver.max_iters}), {os.path.basename(SG_CONFIG)}; alongside, "
        f"in a second process: stage 2 backbone-only action model ({a_cfg.solver.max_iters} "
        f"iterations), then its SGFB {heads} with oracle banks, "
        f"{os.path.basename(ACTION_CONFIG)}")
    sg_dir = os.path.join(out_dir, "scene_graphs")
    side = process_pool(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        # one worker runs its jobs in order: the oracle head starts from the finished backbone
        backbone_job = side.submit(_side_job, backbone_cfg, backbone_dir, side_threads, False)
        oracle_job = side.submit(_side_job, copy.deepcopy(a_cfg),
                                 os.path.join(out_dir, "sgfb_oracle"), side_threads, True)
        # after stage 1 the machine is free: the predicted-bank head reads the clip features
        # the oracle head cached (or, if that has not finished, decodes and caches them in
        # one loader worker per thread) and evaluates the test views in as many workers
        a_cfg.head_solver.num_workers = a_cfg.workers = threads
        torch.set_num_threads(main_threads)
        try:
            checkpoint = run_sg_training(sg_cfg, sg_dir, _info(), progress=True, log=log)
        finally:
            torch.set_num_threads(threads)
        laps.lap("stage 1 training")
        log(f"[3/5] stage 1 evaluation on the test frames; SGDet graphs of every video, "
            f"{infer_cfg.sample_fps:g} per second -> predicted banks")
        result.metrics.update(evaluate_stage1(checkpoint, annotations, frames,
                                              sg_cfg.test_batch_size))
        log("    " + ", ".join(f"{k} {result.metrics[k]:.3f}" for k, _ in TABLE[:4]))
        predicted_banks(checkpoint, a_cfg.data.videos, banks, infer_cfg.sample_fps,
                        sg_cfg.test_batch_size)
        laps.lap("stage 1 evaluation, graphs and banks")
        side_runs = {"stage 2 backbone-only (second process)": backbone_job.result()}
        _print_side(side_runs, log)
        log(f"[4/5] stage 2: SGFB {heads} with predicted banks on the frozen backbone")
        backbone_run = side_runs["stage 2 backbone-only (second process)"]
        result.metrics["chance mAP"] = backbone_run["chance_mAP"]
        result.metrics["backbone-only mAP"] = backbone_run["mAP"]
        predicted = run_action_training(a_cfg, sgfb_dir, _info(), progress=True, log=log)
        result.metrics["SGFB predicted mAP"] = head_mean(predicted)
        result.heads["SGFB predicted mAP"] = predicted.get("head_seeds")
        laps.lap("stage 2 SGFB head, predicted banks")
        side_runs["stage 2 SGFB head, oracle banks (second process)"] = oracle_job.result()
        _print_side({k: v for k, v in side_runs.items() if "oracle" in k}, log)
        oracle_run = side_runs["stage 2 SGFB head, oracle banks (second process)"]
        result.metrics["SGFB oracle mAP"] = oracle_run["mAP"]
        result.heads["SGFB oracle mAP"] = oracle_run["heads"]
    except BaseException:
        _stop(side)        # an interrupted demo does not wait for the second process's jobs
        raise
    side.shutdown()
    # the second process has ended, so its CPU time is now this one's children's: this step's
    # CPU is all of it (its jobs, beside stage 1, and its start-up), its wall only the wait
    # at the end; the jobs' own seconds are in summary.json's "second_process_seconds"
    laps.lap("second process (backbone-only model, oracle head)")

    test_ids = sorted(v.id for v in Charades.load(a_cfg.data.test_csv))[:c.infer_videos]
    videos = [os.path.join(a_cfg.data.videos, f"{v}.mp4") for v in test_ids]
    log(f"[5/5] tools/infer.py on {len(videos)} held-out test videos")
    infer_dir = os.path.join(out_dir, "inference")
    pipeline = VideoPipeline(checkpoint, os.path.join(sgfb_dir, "model.pt"), "cpu", infer_cfg,
                             writers=inference_writers())
    run = pipeline.run(videos, infer_dir, log=log)
    laps.lap("inference")
    result.inference_paths = [os.path.join(infer_dir, r["json"])
                              for r in run_summary_json(infer_dir, run)["videos"] if r["ok"]]
    result.outputs = {"report": os.path.join(infer_dir, "report.html"),
                      "predictions": infer_dir,
                      "scene_graph_model": checkpoint,
                      "action_model": os.path.join(sgfb_dir, "model.pt"),
                      "summary": os.path.join(out_dir, "summary.json")}
    result.machine = {
        "cpus": os.cpu_count(), "torch_threads": threads,
        "threads_while_two_processes_train": {"main": main_threads, "second": side_threads},
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "hypervisor_steal_cpu_seconds": _stolen_since(stolen_at_start),
        "load_average_1_5_15_min": {"start": [round(v, 2) for v in load_at_start],
                                    "end": [round(v, 2) for v in os.getloadavg()]}}
    result.seconds["total"] = {clock: round(sum(s[clock] for s in result.seconds.values()), 1)
                               for clock in ("wall", "cpu")}
    write_json(result.outputs["summary"], {
        "metrics": result.metrics, "heads": result.heads, "seconds": result.seconds,
        "second_process_seconds": {name: run["seconds"] for name, run in side_runs.items()},
        "outputs": result.outputs,
        "predictions": result.inference_paths,
        "config": {**asdict(c), "test_videos": c.held_out},
        "configs": {"scene_graph": SG_CONFIG, "action": ACTION_CONFIG},
        "provenance": _provenance(checkpoint, {name: os.path.join(out_dir, name, "model.pt")
                                               for name in ACTION_RUNS}),
        "machine": result.machine})
    return result


def _stolen_since(start: Optional[float]) -> Optional[float]:
    now = stolen_cpu_seconds()
    return None if start is None or now is None else round(now - start, 1)


def _stop(pool) -> None:
    """End ``pool`` now: queued jobs cancelled, running workers killed (``shutdown`` alone
    would wait for the running job to finish)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _print_side(runs: Dict[str, Dict[str, object]], log: Callable[[str], None]) -> None:
    for name, run in runs.items():
        log(f"    {name}: mAP {run['mAP']:.3f}, {run['seconds']['wall']:.0f} s wall, "
            f"{run['seconds']['cpu']:.0f} s CPU; its log:")
        for line in run["log"]:
            log(f"      {line}")


ACTION_RUNS = ("backbone_only", "sgfb", "sgfb_oracle")


def _provenance(scene_graph: str, action: Dict[str, str]) -> Dict[str, object]:
    """The checkpoints the numbers come from (:func:`sgfb.utils.provenance.checkpoint_record`) and
    the software versions, as every result file of sgfb records them."""
    from sgfb.utils.checkpoint import load_checkpoint
    from sgfb.utils.provenance import checkpoint_record, software_versions

    records = {"scene_graph": checkpoint_record(scene_graph, load_checkpoint(scene_graph))}
    records.update({name: checkpoint_record(path, load_checkpoint(path))
                    for name, path in action.items()})
    return {"checkpoints": records, "software": software_versions()}


def head_mean(metrics: Dict[str, object]) -> float:
    """An SGFB row's number: the mean mAP of its bank heads (metrics.json's ``head_seeds``),
    or the one head's mAP."""
    heads = metrics.get("head_seeds")
    return float(heads["mean_mAP"] if heads else metrics["mAP"])


def format_table(metrics: Dict[str, float],
                 heads: Optional[Dict[str, Optional[Dict[str, object]]]] = None) -> str:
    """The final table: stage-1 and stage-2 numbers of :data:`TABLE` that were measured;
    under it, with ``heads`` (:attr:`DemoResult.heads`), how many bank heads each SGFB row
    averages and their range."""
    rows = [(label, metrics[key]) for key, label in TABLE if key in metrics]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'measured on the test videos':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{label:<{width}}  {value:5.3f}" for label, value in rows]
    for key, h in (heads or {}).items():
        if h:
            seeds = h["seeds"]
            lines.append(f"{dict(TABLE)[key].split('  ', 1)[1]}: mean of {len(seeds)} bank "
                         f"heads (seeds {seeds[0]}-{seeds[-1]}) on one backbone, each "
                         f"{h['min_mAP']:.3f}-{h['max_mAP']:.3f}")
    return "\n".join(lines)
