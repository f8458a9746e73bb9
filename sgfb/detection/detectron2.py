"""detectron2 model-zoo Faster R-CNN weights -> an sgfb detector checkpoint.

The AG paper's detector is a Faster R-CNN ResNet-101 FPN (§4.1, §5.3). torchvision ships no
COCO R101-FPN; the file users hold is detectron2's model zoo
``COCO-Detection/faster_rcnn_R_101_FPN_3x`` (``model_final_f6e8b1.pkl``, linked from
detectron2's ``MODEL_ZOO.md``: box AP 42.0). It is a pickle of ``{"model": {name: numpy
array}, "__author__": ..., "matching_heuristics": ...}``, read here with the restricted
unpickler of :mod:`sgfb.data.safe_pickle` (plain containers and NumPy arrays only: a pickle
naming anything else is refused, nothing in it runs).

Differences from torchvision handled here or by the config the conversion writes:

- MSRA-style ResNet: the stride of a bottleneck is in its 1x1 ``conv1``
  (``detector.stride_in_1x1=true``, :func:`sgfb.detection.detector.move_stride_to_1x1`);
- caffe-style input: BGR 0..255 minus the BGR mean, unit std
  (``detector.pixel_format=caffe``, :class:`sgfb.detection.detector.CaffeTransform`);
- FrozenBN: ``*.norm.{weight,bias,running_mean,running_var}`` -> ``bn*`` / ``downsample.1``
  of torchvision's ``FrozenBatchNorm2d`` (``detector.norm_layer=frozen_bn``; eps 1e-5 in both);
- class order: detectron2's ``cls_score`` rows are the 80 COCO classes then background
  (last), its ``bbox_pred`` has 4 rows per COCO class and none for background; ours are
  background first, then the 36 AG classes (:data:`COCO_TO_AG`). AG classes with a COCO
  counterpart take its rows; the others (and our background box rows) start as detectron2
  initialises new classes (normal, std 0.01 for scores, 0.001 for boxes, bias 0);
- names: ``backbone.bottom_up.res{2..5}`` -> ``backbone.body.layer{1..4}``,
  ``fpn_lateral{2..5}`` / ``fpn_output{2..5}`` -> ``fpn.inner_blocks`` / ``fpn.layer_blocks``,
  ``proposal_generator.rpn_head`` -> ``rpn.head``, ``box_head.fc{1,2}`` -> ``fc{6,7}``.

Not converted: the pooler. torchvision pools boxes with ``MultiScaleRoIAlign`` (``aligned=False``,
sampling ratio 2), detectron2 with ROIAlignV2 (``aligned=True``, adaptive sampling), so box
features differ by a half-pixel shift of the sampling grid; fine-tuning on AG absorbs it.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from sgfb.data.safe_pickle import load_pickle
from sgfb.structures.vocab import AG_OBJECTS
from sgfb.detection.build import detector_state_shapes
from sgfb.detection.convert import MODEL_PREFIX, ConversionReport, StateDict, checkpoint_state
from sgfb.detection.config import DetectorConfig
from sgfb.utils.checkpoint import save_checkpoint

#: detectron2's 80 COCO classes, in its contiguous order (background is row 80).
COCO_CLASSES: Tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)
#: AG class -> the COCO class whose detector rows it starts from.
COCO_TO_AG: Dict[str, str] = {
    "person": "person", "bag": "handbag", "bed": "bed", "book": "book", "chair": "chair",
    "cup/glass/bottle": "cup", "dish": "bowl", "laptop": "laptop", "phone/camera": "cell phone",
    "refrigerator": "refrigerator", "sandwich": "sandwich", "sofa/couch": "couch",
    "table": "dining table", "television": "tv",
}
NUM_COCO = len(COCO_CLASSES)

_STEM = {"backbone.bottom_up.stem.conv1.weight": "backbone.body.conv1.weight"}
_BLOCK = re.compile(r"backbone\.bottom_up\.res([2-5])\.(\d+)\.(conv[123]|shortcut)(\.norm)?\.(\w+)$")
_FPN = re.compile(r"backbone\.fpn_(lateral|output)([2-5])\.(weight|bias)$")
_RPN = {"conv": "conv.0.0", "objectness_logits": "cls_logits", "anchor_deltas": "bbox_pred"}


def detectron2_name(key: str) -> Tuple[Optional[str], str]:
    """Our detector's name of a detectron2 key (``None`` and the reason when not kept).
    The box predictor is handled by :func:`map_box_predictor`."""
    if key in _STEM:
        return MODEL_PREFIX + _STEM[key], ""
    if key.startswith("backbone.bottom_up.stem.conv1.norm."):
        return MODEL_PREFIX + "backbone.body.bn1." + key.rsplit(".", 1)[1], ""
    m = _BLOCK.match(key)
    if m:
        stage, block, conv, norm, param = m.groups()
        layer = f"backbone.body.layer{int(stage) - 1}.{block}."
        if conv == "shortcut":
            return MODEL_PREFIX + layer + ("downsample.1." if norm else "downsample.0.") + param, ""
        return MODEL_PREFIX + layer + (f"bn{conv[-1]}." if norm else f"{conv}.") + param, ""
    m = _FPN.match(key)
    if m:
        kind, level, param = m.groups()
        blocks = "inner_blocks" if kind == "lateral" else "layer_blocks"
        return MODEL_PREFIX + f"backbone.fpn.{blocks}.{int(level) - 2}.0.{param}", ""
    if key.startswith("proposal_generator.rpn_head."):
        part, param = key[len("proposal_generator.rpn_head."):].rsplit(".", 1)
        if part in _RPN:
            return MODEL_PREFIX + f"rpn.head.{_RPN[part]}.{param}", ""
    m = re.match(r"roi_heads\.box_head\.fc([12])\.(weight|bias)$", key)
    if m:
        return MODEL_PREFIX + f"roi_heads.box_head.fc{int(m.group(1)) + 5}.{m.group(2)}", ""
    if key in ("pixel_mean", "pixel_std"):
        return None, "input normalisation (set by detector.pixel_format=caffe)"
    return None, "not part of a Faster R-CNN FPN detector"


def read_detectron2(path: str) -> Dict[str, np.ndarray]:
    """The ``{name: array}`` weights of a detectron2 ``.pkl`` (restricted unpickling)."""
    data = load_pickle(path)
    weights = data.get("model", data) if isinstance(data, dict) else None
    if not isinstance(weights, dict):
        raise ValueError(f"{path}: not a detectron2 weight pickle (expected a dict with 'model')")
    bad = [k for k, v in weights.items() if not isinstance(v, np.ndarray)]
    if bad:
        raise ValueError(f"{path}: entry {bad[0]!r} is {type(weights[bad[0]]).__name__}, not a "
                         "NumPy array")
    return weights


def map_box_predictor(weights: Dict[str, np.ndarray], target: StateDict,
                      seed: int = 0) -> Tuple[StateDict, List[str]]:
    """Our ``[37, D]`` class scores and ``[148, D]`` box deltas from detectron2's ``[81, D]``
    and ``[320, D]`` (background last, no background box rows); returns the tensors and the
    AG classes that start from a COCO class. Unmapped rows are initialised (module docstring)."""
    gen = torch.Generator().manual_seed(seed)
    out: StateDict = {}
    rows = {0: NUM_COCO}                                   # our background <- detectron2's last
    rows.update({1 + AG_OBJECTS.index(ag): COCO_CLASSES.index(coco) for ag, coco in COCO_TO_AG.items()})
    for part, std, per_class in (("cls_score", 0.01, 1), ("bbox_pred", 0.001, 4)):
        w_name = MODEL_PREFIX + f"roi_heads.box_predictor.{part}.weight"
        shape = tuple(target[w_name].shape)
        w = torch.randn(shape, generator=gen) * std
        b = torch.zeros(shape[0])
        src_w = torch.from_numpy(np.asarray(weights[f"roi_heads.box_predictor.{part}.weight"], np.float32))
        src_b = torch.from_numpy(np.asarray(weights[f"roi_heads.box_predictor.{part}.bias"], np.float32))
        for ours, theirs in rows.items():
            if part == "bbox_pred" and ours == 0:
                continue                                   # detectron2 has no background boxes
            w[ours * per_class:(ours + 1) * per_class] = src_w[theirs * per_class:(theirs + 1) * per_class]
            b[ours * per_class:(ours + 1) * per_class] = src_b[theirs * per_class:(theirs + 1) * per_class]
        out[w_name], out[MODEL_PREFIX + f"roi_heads.box_predictor.{part}.bias"] = w, b
    return out, sorted(COCO_TO_AG, key=AG_OBJECTS.index)


def convert_detectron2(weights: Dict[str, np.ndarray], cfg: DetectorConfig,
                       source_name: str = "<detectron2 weights>") -> Tuple[StateDict, ConversionReport]:
    """Map detectron2 weights onto the detector ``cfg`` builds; shape disagreements raise
    ``ValueError`` listing every key. ``report.dropped``: detectron2 keys left out and why."""
    target = detector_state_shapes(cfg)
    report = ConversionReport(source=source_name, format="detectron2")
    converted: StateDict = {}
    mismatched: List[str] = []
    for key, array in weights.items():
        if key.startswith("roi_heads.box_predictor."):
            continue
        name, reason = detectron2_name(key)
        if name is None or name not in target:
            report.dropped[key] = reason or "no such tensor in this detector"
            continue
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        if tuple(tensor.shape) != tuple(target[name].shape):
            mismatched.append(f"{key} {tuple(tensor.shape)} -> {name} {tuple(target[name].shape)}")
            continue
        converted[name] = tensor.to(target[name].dtype).clone()
        report.kept.append(name)
    predictor_keys = [f"roi_heads.box_predictor.{p}.{q}" for p in ("cls_score", "bbox_pred")
                      for q in ("weight", "bias")]
    if all(k in weights for k in predictor_keys):
        expected = {"cls_score": (NUM_COCO + 1,), "bbox_pred": (NUM_COCO * 4,)}
        for k in predictor_keys:
            if tuple(weights[k].shape[:1]) != expected[k.split(".")[2]]:
                mismatched.append(f"{k} {tuple(weights[k].shape)}: expected "
                                  f"{expected[k.split('.')[2]][0]} rows (80 COCO classes)")
        if not mismatched:
            predictor, mapped = map_box_predictor(weights, target)
            converted.update(predictor)
            report.kept += list(predictor)
            report.dropped.update({f"roi_heads.box_predictor rows of COCO '{c}'":
                                   "COCO class without an AG counterpart" for c in COCO_CLASSES
                                   if c not in COCO_TO_AG.values()})
    if mismatched:
        raise ValueError(f"{source_name}: {len(mismatched)} tensors disagree with the detector "
                         "(wrong backbone, representation_size or class count?):\n  "
                         + "\n  ".join(mismatched))
    report.missing = [k for k in target if k not in converted]
    if report.missing:
        raise ValueError(f"{source_name}: {len(report.missing)} tensors of this detector are not "
                         f"in the file (another backbone depth?), e.g. {report.missing[:3]}")
    return converted, report


def detectron2_config(**overrides) -> DetectorConfig:
    """The detector config matching ``faster_rcnn_R_101_FPN_3x`` (MSRA R101, caffe input,
    FrozenBN, 1024-d box head, anchors 32..512), AG classes; ``overrides`` replace fields."""
    values = dict(backbone="resnet101", stride_in_1x1=True, pixel_format="caffe",
                  norm_layer="frozen_bn", representation_size=1024,
                  anchor_sizes=(32, 64, 128, 256, 512))
    values.update(overrides)
    return DetectorConfig(**values)


def convert_detectron2_file(path: str, out_path: str, cfg: DetectorConfig) -> ConversionReport:
    """Convert a detectron2 ``.pkl`` into a detector checkpoint for ``cfg`` (see
    :func:`detectron2_config`)."""
    if not (cfg.stride_in_1x1 and cfg.pixel_format == "caffe"):
        raise ValueError("detectron2 MSRA weights need detector.stride_in_1x1=true and "
                         "detector.pixel_format=caffe")
    converted, report = convert_detectron2(read_detectron2(path), cfg, source_name=path)
    save_checkpoint(out_path, checkpoint_state(
        converted, cfg, report.missing,
        extra={"converted_from": {"path": path, "format": "detectron2"},
               "dropped": dict(report.dropped)}))
    return report
