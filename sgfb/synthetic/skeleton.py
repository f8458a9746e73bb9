"""The person as 17 COCO keypoints: standing, walking, sitting, lying, bending to reach.

All positions are pixels ``(x, y)`` with y growing downward; ``P`` is the person's standing
height in pixels. Keypoints follow the COCO order (:data:`KEYPOINT_NAMES`); "left" is the
person's left, which is the image's right when the person faces the camera. Arms reach their
hand targets with two-bone inverse kinematics; a standing person bends (hips down, torso
forward) when a target is out of reach.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np

KEYPOINT_NAMES: Tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
K = {name: i for i, name in enumerate(KEYPOINT_NAMES)}
#: Limbs drawn as thick segments: (from, to).
LIMBS: Tuple[Tuple[str, str], ...] = (
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
)

UPPER_ARM, FOREARM = 0.155, 0.15          # person heights
REACH = UPPER_ARM + FOREARM
HEAD_RADIUS = 0.068
LATERAL = 0.7                              # three-quarter view: left/right spread factor
STRIDE = 0.55                              # walking stride, person heights


@dataclass
class Skeleton:
    """Keypoints ``[17, 2]`` (x, y) pixels, head centre ``[2]`` and radius, and the gaze:
    a unit vector the face points along, or None when the face looks at the camera."""

    keypoints: np.ndarray
    head: np.ndarray
    head_radius: float
    gaze: Optional[np.ndarray]
    facing: int
    P: float

    def shifted(self, dx: float, dy: float) -> "Skeleton":
        d = np.array([dx, dy])
        return Skeleton(self.keypoints + d, self.head + d, self.head_radius, self.gaze,
                        self.facing, self.P)

    def blend(self, other: "Skeleton", w: float) -> "Skeleton":
        """(1 - w) * self + w * other; ``w`` in [0, 1]."""
        gaze = other.gaze
        if self.gaze is not None and other.gaze is not None:
            g = (1 - w) * self.gaze + w * other.gaze
            n = float(np.hypot(*g))
            gaze = g / n if n > 1e-6 else other.gaze
        return Skeleton((1 - w) * self.keypoints + w * other.keypoints,
                        (1 - w) * self.head + w * other.head,
                        (1 - w) * self.head_radius + w * other.head_radius, gaze,
                        other.facing, other.P)

    def point(self, name: str) -> np.ndarray:
        return self.keypoints[K[name]]

    def box(self) -> np.ndarray:
        """xyxy pixels around keypoints, limb thickness and head."""
        pad = 0.035 * self.P
        lo = self.keypoints.min(axis=0) - pad
        hi = self.keypoints.max(axis=0) + pad
        r = self.head_radius
        lo = np.minimum(lo, self.head - r)
        hi = np.maximum(hi, self.head + r)
        return np.array([lo[0], lo[1], hi[0], hi[1]])


@dataclass(frozen=True)
class BodyPose:
    """Where the body is: ``pose`` (stand/walk/sit/lie), feet/hips ``x``, floor row
    ``ground_y``, ``facing`` (+1 right), ``seat_y`` (seat or bed surface row, sit/lie),
    ``walked`` (pixels walked so far, walk), ``lean_back`` (sitting)."""

    pose: str
    x: float
    ground_y: float
    P: float
    facing: int
    seat_y: float = 0.0
    walked: float = 0.0
    lean_back: bool = False


def torso(body: BodyPose, bend: float = 0.0) -> Dict[str, np.ndarray]:
    """Hips, shoulders, head, knees and ankles of ``body`` (no arms).

    ``bend`` in [0, 1]: a standing person lowers the hips and tilts the torso forward.
    """
    P, f, x = body.P, body.facing, body.x
    def up(h: float) -> float:
        return body.ground_y - h * P
    lat = LATERAL * P
    pts: Dict[str, np.ndarray] = {}
    if body.pose == "lie":
        y = body.seat_y
        pts["hip"] = np.array([x, y - 0.06 * P])
        pts["shoulder"] = np.array([x - f * 0.30 * P, y - 0.07 * P])
        pts["head"] = np.array([x - f * 0.42 * P, y - 0.085 * P])
        for side, dy in (("left", -0.012 * P), ("right", 0.012 * P)):
            pts[f"{side}_hip"] = pts["hip"] + [0, dy]
            pts[f"{side}_shoulder"] = pts["shoulder"] + [0, dy]
            pts[f"{side}_knee"] = np.array([x + f * 0.23 * P, y - 0.065 * P + dy])
            pts[f"{side}_ankle"] = np.array([x + f * 0.46 * P, y - 0.05 * P + dy])
        return pts
    if body.pose == "sit":
        hip = np.array([x, body.seat_y - 0.03 * P])
        tilt = -0.2 if body.lean_back else 0.0
        for side, s in (("left", 1), ("right", -1)):
            pts[f"{side}_hip"] = hip + [s * 0.05 * lat, 0]
            knee = np.array([x + f * 0.21 * P + s * 0.04 * lat, body.seat_y - 0.04 * P])
            pts[f"{side}_knee"] = knee
            ankle_y = max(knee[1] + 0.08 * P, min(up(0.025), knee[1] + 0.245 * P))
            pts[f"{side}_ankle"] = np.array([knee[0] + f * 0.03 * P, ankle_y])
    else:
        hip_y = up(0.50 - 0.30 * bend)
        hip = np.array([x - f * 0.07 * P * bend, hip_y])
        tilt = 1.3 * bend
        swing = math.sin(2 * math.pi * body.walked / (STRIDE * P)) if body.pose == "walk" else 0.0
        lift = math.cos(2 * math.pi * body.walked / (STRIDE * P)) if body.pose == "walk" else 0.0
        for side, s in (("left", 1), ("right", -1)):
            pts[f"{side}_hip"] = hip + [s * 0.055 * lat, 0]
            ankle = np.array([x + s * 0.055 * lat + s * f * 0.12 * P * swing,
                              up(0.025 + 0.035 * max(0.0, s * lift))])
            knee_mid = (pts[f"{side}_hip"] + ankle) / 2
            knee = knee_mid + [f * (0.03 * P * abs(swing) + 0.16 * P * bend), 0]
            pts[f"{side}_knee"] = knee
            pts[f"{side}_ankle"] = ankle
    hip_c = (pts["left_hip"] + pts["right_hip"]) / 2
    axis = np.array([f * math.sin(tilt), -math.cos(tilt)])
    shoulder = hip_c + axis * 0.30 * P
    pts["hip"] = hip_c
    pts["shoulder"] = shoulder
    pts["left_shoulder"] = shoulder + [0.095 * lat, 0]
    pts["right_shoulder"] = shoulder + [-0.095 * lat, 0]
    pts["head"] = shoulder + axis * 0.115 * P + [f * 0.012 * P, 0]
    return pts


def build_skeleton(body: BodyPose, targets: Dict[str, Optional[np.ndarray]]) -> Skeleton:
    """The full skeleton: torso, then arms to ``targets`` (``"left"``/``"right"`` -> point or
    None for a resting arm); the face looks where the body faces until :func:`look` turns it."""
    P, f = body.P, body.facing
    bend = 0.0
    pts = torso(body)
    if body.pose in ("stand", "walk"):
        for step in (0.25, 0.5, 0.75, 1.0):
            if _reachable(pts, targets, P):
                break
            bend = step
            pts = torso(body, bend)
    kp = np.zeros((17, 2))
    for side in ("left", "right"):
        for part in ("shoulder", "hip", "knee", "ankle"):
            kp[K[f"{side}_{part}"]] = pts[f"{side}_{part}"]
        shoulder = pts[f"{side}_shoulder"]
        target = targets.get(side)
        if target is None:
            elbow, wrist = _resting_arm(body, pts, side)
        else:
            elbow, wrist = _two_bone(shoulder, np.asarray(target, float), P)
        kp[K[f"{side}_elbow"]] = elbow
        kp[K[f"{side}_wrist"]] = wrist
    head = pts["head"]
    r = HEAD_RADIUS * P
    gaze = _gaze_vector(head, f, None, None)
    _face_points(kp, head, r, gaze)
    return Skeleton(kp, head, r, gaze, f, P)


def look(skeleton: Skeleton, gaze_point: Optional[np.ndarray], gaze_mode: Optional[str]) -> None:
    """Turn the head toward ``gaze_point`` (pixels), or by ``gaze_mode``: ``"front"`` faces
    the camera, ``"away"`` turns away from the facing direction. Updates the face keypoints."""
    skeleton.gaze = _gaze_vector(skeleton.head, skeleton.facing, gaze_point, gaze_mode)
    _face_points(skeleton.keypoints, skeleton.head, skeleton.head_radius, skeleton.gaze)


def _reachable(pts: Dict[str, np.ndarray], targets: Dict[str, Optional[np.ndarray]],
               P: float) -> bool:
    for side, target in targets.items():
        if target is None:
            continue
        if np.hypot(*(np.asarray(target) - pts[f"{side}_shoulder"])) > REACH * P * 0.97:
            return False
    return True


def _two_bone(shoulder: np.ndarray, target: np.ndarray, P: float) -> Tuple[np.ndarray, np.ndarray]:
    """Elbow and wrist reaching ``target`` (straight toward it when out of reach); the elbow
    bends downward."""
    a, b = UPPER_ARM * P, FOREARM * P
    d_vec = target - shoulder
    d = float(np.hypot(*d_vec))
    if d < 1e-6:
        d_vec, d = np.array([0.0, 1.0]), 1.0
    u = d_vec / d
    if d >= a + b - 1e-6:
        return shoulder + u * a, shoulder + u * (a + b)
    d = max(d, abs(a - b) + 1e-3)
    along = (a * a - b * b + d * d) / (2 * d)
    h = math.sqrt(max(0.0, a * a - along * along))
    normal = np.array([-u[1], u[0]])
    if normal[1] < 0:
        normal = -normal
    elbow = shoulder + u * along + normal * h
    return elbow, target.copy()


def _resting_arm(body: BodyPose, pts: Dict[str, np.ndarray],
                 side: str) -> Tuple[np.ndarray, np.ndarray]:
    P, f = body.P, body.facing
    s = 1 if side == "left" else -1
    shoulder = pts[f"{side}_shoulder"]
    if body.pose == "sit":
        elbow = shoulder + [f * 0.03 * P, 0.15 * P]
        wrist = np.array([pts["hip"][0] + f * 0.13 * P + s * 0.02 * P, pts["hip"][1] - 0.03 * P])
        return elbow, wrist
    if body.pose == "lie":
        return shoulder + [f * 0.155 * P, 0.01 * P], shoulder + [f * 0.30 * P, 0.015 * P]
    swing = 0.0
    if body.pose == "walk":
        swing = -s * math.sin(2 * math.pi * body.walked / (STRIDE * P))
    axis = pts["shoulder"] - pts["hip"]
    axis = axis / max(1e-6, float(np.hypot(*axis)))
    down = -axis
    side_out = np.array([s * 0.025 * P, 0.0])
    elbow = shoulder + down * UPPER_ARM * P + side_out + [f * 0.05 * P * swing, 0]
    wrist = elbow + down * FOREARM * P + side_out * 0.5 + [f * 0.09 * P * swing, 0]
    return elbow, wrist


def _gaze_vector(head: np.ndarray, facing: int, gaze_point: Optional[np.ndarray],
                 gaze_mode: Optional[str]) -> Optional[np.ndarray]:
    if gaze_point is not None:
        v = np.asarray(gaze_point, float) - head
        n = float(np.hypot(*v))
        if n > 1e-6:
            return v / n
        return np.array([float(facing), 0.0])
    if gaze_mode == "front":
        return None
    if gaze_mode == "away":
        v = np.array([-float(facing), -0.25])
        return v / np.hypot(*v)
    return np.array([float(facing), 0.1]) / np.hypot(1.0, 0.1)


def _face_points(kp: np.ndarray, head: np.ndarray, r: float, gaze: Optional[np.ndarray]) -> None:
    if gaze is None:
        kp[K["nose"]] = head + [0, 0.25 * r]
        kp[K["left_eye"]] = head + [0.35 * r, -0.1 * r]
        kp[K["right_eye"]] = head + [-0.35 * r, -0.1 * r]
        kp[K["left_ear"]] = head + [0.95 * r, 0.05 * r]
        kp[K["right_ear"]] = head + [-0.95 * r, 0.05 * r]
        return
    up = np.array([gaze[1], -gaze[0]]) if gaze[0] >= 0 else np.array([-gaze[1], gaze[0]])
    kp[K["nose"]] = head + gaze * 1.05 * r
    eye = head + gaze * 0.55 * r + up * 0.3 * r
    kp[K["left_eye"]] = eye + gaze * 0.05 * r
    kp[K["right_eye"]] = eye - gaze * 0.05 * r
    kp[K["left_ear"]] = head - gaze * 0.2 * r
    kp[K["right_ear"]] = head - gaze * 0.2 * r
