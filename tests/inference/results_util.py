"""Small literal VideoResults for the inference-output tests (JSON, video, report)."""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from sgfb.structures.vocab import OBJECTS, RELATIONSHIPS
from sgfb.inference.result import ActionTimeline, FramePrediction, RankedAction, VideoResult
from sgfb.structures.scene_graph import SceneGraph

CHAIR = OBJECTS.index("chair")
CUP = OBJECTS.index("cup/glass/bottle")
LOOKING_AT = RELATIONSHIPS.index("looking_at")
BENEATH = RELATIONSHIPS.index("beneath")
HOLDING = RELATIONSHIPS.index("holding")
SITTING_ON = RELATIONSHIPS.index("sitting_on")

CLASS_NAMES = ["Holding a cup", "Sitting in a chair", "Drinking from a cup", "Opening a door"]


def rich_graph(frame_key: Optional[str] = None, scale: float = 1.0,
               image_size=(96, 64)) -> SceneGraph:
    """person (node 0), chair (1), cup (2); scores chosen to be exact in float32 or not."""
    relations = np.zeros((2, 26), np.float32)
    relations[0, [LOOKING_AT, BENEATH, SITTING_ON]] = [0.2, 0.9, 0.8]
    relations[0, HOLDING] = 0.01                      # below the JSON threshold
    relations[1, [LOOKING_AT, HOLDING]] = [0.7, 0.95]
    boxes = np.array([[30, 4, 70, 60], [20, 30, 60, 62], [62, 20, 80, 40]], np.float32) * scale
    return SceneGraph.from_predictions(
        boxes, [0, CHAIR, CUP], [0.99, 0.8, 0.6], [1, 2], relations, person=0,
        image_size=image_size, frame_key=frame_key)


def unboxed_graph() -> SceneGraph:
    return SceneGraph.from_ground_truth([CUP], [[HOLDING, LOOKING_AT]])


def make_result(video_id: str = "vid1", path: str = "vid1.mp4", fps: float = 25.0,
                num_frames: int = 30, sampled: Sequence[int] = (0, 10, 20),
                class_names: Sequence[str] = CLASS_NAMES, empty: bool = False,
                threshold: float = 0.05) -> VideoResult:
    """A result with a boxed graph, an unboxed one and an empty one (or all empty)."""
    frames: List[FramePrediction] = []
    for n, index in enumerate(sampled):
        if empty or n % 3 == 2:
            graph = SceneGraph.empty(frame_key=f"{video_id}.mp4/{index + 1:06d}.png",
                                     image_size=(96, 64))
        elif n % 3 == 0:
            graph = rich_graph(f"{video_id}.mp4/{index + 1:06d}.png")
        else:
            graph = unboxed_graph()
        frames.append(FramePrediction(index, index / fps, graph))
    scores = np.array([0.1, 0.7, 0.25, 0.05], np.float64)[:len(class_names)]
    actions = [] if empty else [RankedAction(i, class_names[i], float(scores[i]))
                                for i in range(len(class_names))]
    times = np.arange(int(np.ceil(num_frames / fps)), dtype=np.float64)
    k = min(3, len(class_names))
    timeline = ActionTimeline(
        times, np.argsort(-scores)[:k],
        np.clip(np.linspace(0.1, 0.9, len(times) * k).reshape(len(times), k), 0, 1)) \
        if not empty else ActionTimeline()
    return VideoResult(video_id=video_id, path=path, duration_s=num_frames / fps, fps=fps,
                       num_frames=num_frames, sampled_frames=frames, actions=actions,
                       timeline=timeline, class_names=list(class_names),
                       relationship_threshold=threshold)
