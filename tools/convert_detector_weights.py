#!/usr/bin/env python
"""Convert torchvision weights into an sgfb detector checkpoint (no download: local files).

    python tools/convert_detector_weights.py --source fasterrcnn_resnet50_fpn_coco.pth \\
        --out detector_r50_coco.pt --backbone resnet50
    python tools/convert_detector_weights.py --source resnet101.pth --out det_r101.pt \\
        --format imagenet [key=value ...]
    python tools/convert_detector_weights.py --source model_final_f6e8b1.pkl \\
        --out det_r101_detectron2.pt --format detectron2

``--format coco``: a torchvision Faster R-CNN state dict (the COCO box predictor is
dropped); ``imagenet``: a torchvision ResNet state dict (the classifier is dropped); ``auto``
(default) tells them apart by their keys. ``detectron2``: detectron2's model-zoo
``faster_rcnn_R_101_FPN_3x`` pickle (``model_final_f6e8b1.pkl``, from detectron2's
MODEL_ZOO.md), read with a restricted unpickler; the detector config becomes MSRA-style
(``stride_in_1x1=true``, ``pixel_format=caffe``, FrozenBN) and the COCO class rows are mapped
to AG's (:mod:`sgfb.detection.detectron2`); train with the same detector settings. ``key=value`` overrides set other detector config
fields (e.g. ``representation_size=1024``); ``--backbone small`` starts from
:func:`sgfb.detection.config.small_config`. Set the result as ``detector.weights``. Prints
what was kept, dropped and left at initialisation; see :mod:`sgfb.detection.convert`.
"""
from __future__ import annotations

import argparse
from typing import List, Optional

from sgfb.utils.cli import run_cli, tool_parser
from sgfb.utils.output_paths import check_output_location
from sgfb.detection.config import BACKBONES, DetectorConfig, small_config
from sgfb.detection.names import FORMATS
from sgfb.utils.config import apply_overrides


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = tool_parser(__doc__)
    parser.add_argument("--source", required=True, help="torchvision state dict (.pth)")
    parser.add_argument("--out", required=True, help="detector checkpoint to write")
    parser.add_argument("--format", choices=FORMATS + ("detectron2",), default="auto",
                        help="source format")
    parser.add_argument("--backbone", choices=sorted(BACKBONES), default="resnet101",
                        help="detector backbone (default resnet101)")
    parser.add_argument("overrides", nargs="*", help="detector config key=value overrides")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    check_output_location(args.out, [args.source], kind="file")
    from sgfb.detection.build import convert_weights       # torch: only once the args are good
    from sgfb.detection.detectron2 import convert_detectron2_file, detectron2_config
    if args.format == "detectron2":
        cfg = apply_overrides(detectron2_config(backbone=args.backbone), args.overrides)
        cfg.validate()
        report = convert_detectron2_file(args.source, args.out, cfg)
    else:
        base = small_config() if args.backbone == "small" else DetectorConfig(args.backbone)
        cfg = apply_overrides(base, args.overrides)
        cfg.validate()
        report = convert_weights(args.source, args.out, cfg, fmt=args.format)
    print(report.summary())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
