"""Action Genome annotations of one frame, and which frames get annotated.

Like AG, each action interval gets :data:`FRAMES_PER_ACTION` frames spread uniformly inside
it; overlapping actions share frames (deduplicated). Frame ``n`` (1-based) is shown at
``(n - 1) / fps``.

Entry formats (exactly those of the official pickles):

- object entry: ``{'class': pickle spelling, 'bbox': (x, y, w, h) float pixels (top-left and
  size) or None, 'attention_relationship' / 'spatial_relationship' /
  'contacting_relationship': lists of names or None, 'visible': bool,
  'metadata': {'tag': 'VID.mp4/cup_glass_bottle/000123', 'set': 'train'|'test'}}``; invisible
  objects have bbox and relationships None.
- person entry: ``{'bbox': float32 [1, 4] xyxy (or [0, 4]), 'bbox_score': float32 [1] (or
  [0]), 'bbox_size': (W, H), 'bbox_mode': 'xyxy', 'keypoints': float32 [1, 17, 3] COCO
  (x, y, confidence) (or [0, 17, 3]), 'keypoints_logits': float32 [1, 17] (or [0, 17])}``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

import numpy as np

from sgfb.synthetic import relations as rel
from sgfb.synthetic.render_person import person_mask
from sgfb.synthetic.scenes import Scene
from sgfb.synthetic.schedule import ScheduledAction

FRAMES_PER_ACTION = 5


def annotated_frame_numbers(plan: Sequence[ScheduledAction], fps_values: Sequence[float],
                            frames: int) -> List[int]:
    """Sorted 1-based frame numbers: 5 per action, inside its interval at every rate of
    ``fps_values`` (the encoder's exact rate and the fps table's rounded one)."""
    numbers = set()
    rate = fps_values[0]
    for action in plan:
        for k in range(FRAMES_PER_ACTION):
            t = action.start + (k + 0.5) / FRAMES_PER_ACTION * (action.end - action.start)
            n = min(frames, max(1, int(round(t * rate)) + 1))
            if all(action.start <= (n - 1) / fps <= action.end for fps in fps_values):
                numbers.add(n)
    return sorted(numbers)


def object_entries(scene: Scene, objects: Sequence[str], video: str, frame_number: int,
                   split: str) -> List[Dict[str, Any]]:
    """The object entries of one frame, one per object of the video (in ``objects`` order)."""
    mask = person_mask(scene.skeleton, scene.size)
    entries = []
    for name in objects:
        visible = rel.object_visible(scene, name, mask)
        entry: Dict[str, Any] = {
            "class": name,
            "bbox": None,
            "attention_relationship": None,
            "spatial_relationship": None,
            "contacting_relationship": None,
            "visible": visible,
            "metadata": {"tag": object_tag(video, name, frame_number), "set": split},
        }
        if visible:
            x0, y0, x1, y1 = rel.clip_box(scene.objects[name].box, scene.size)
            entry["bbox"] = (round(float(x0), 2), round(float(y0), 2),
                             round(float(x1 - x0), 2), round(float(y1 - y0), 2))
            entry["attention_relationship"] = rel.attention(scene, name)
            entry["spatial_relationship"] = rel.spatial(scene, name)
            entry["contacting_relationship"] = rel.contacting(scene, name)
        entries.append(entry)
    return entries


def person_entry(scene: Scene) -> Dict[str, Any]:
    """The person entry of one frame (empty arrays when the person is out of view)."""
    size = (int(scene.size[0]), int(scene.size[1]))
    box = rel.person_box(scene)
    if box is None:
        return {"bbox": np.zeros((0, 4), np.float32), "bbox_score": np.zeros((0,), np.float32),
                "bbox_size": size, "bbox_mode": "xyxy",
                "keypoints": np.zeros((0, 17, 3), np.float32),
                "keypoints_logits": np.zeros((0, 17), np.float32)}
    full = scene.skeleton.box()
    inside_share = rel.area(box) / max(1e-6, rel.area(full))
    kp = scene.skeleton.keypoints
    conf = np.full(17, 0.92)
    outside = (kp[:, 0] < 0) | (kp[:, 0] >= size[0]) | (kp[:, 1] < 0) | (kp[:, 1] >= size[1])
    conf[outside] = 0.05
    if scene.skeleton.gaze is not None:
        conf[[3, 4]] = np.minimum(conf[[3, 4]], 0.35)       # one ear is hidden in profile
    keypoints = np.concatenate([kp, conf[:, None]], axis=1)[None].astype(np.float32)
    logits = (2.0 * np.log(conf / (1.0 - conf)))[None].astype(np.float32)
    return {
        "bbox": np.round(box, 2).astype(np.float32)[None],
        "bbox_score": np.array([round(0.5 + 0.49 * inside_share, 4)], np.float32),
        "bbox_size": size,
        "bbox_mode": "xyxy",
        "keypoints": keypoints,
        "keypoints_logits": logits,
    }


def object_tag(video: str, name: str, frame_number: int) -> str:
    """``metadata["tag"]`` of an object entry: ``"VID.mp4/cup_glass_bottle/000123"`` (the
    official pickles write the class with ``_`` for ``/``)."""
    return f"{video}/{name.replace('/', '_')}/{frame_number:06d}"
