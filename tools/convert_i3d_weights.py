#!/usr/bin/env python
"""Convert a PySlowFast I3D / I3D-NL checkpoint (or re-check one of ours) into an sgfb
backbone checkpoint that carries its config and preprocessing.

    python tools/convert_i3d_weights.py I3D_NLN_8x8_R50.pyth i3d_nl_r50.pt --arch i3d_nl_r50 \\
        num_frames=8 sampling_rate=8
    python tools/convert_i3d_weights.py I3D_NLN_8x8_R101.pyth r101.pt --arch i3d_nl_r101 \\
        "nonlocal_locations=[[], [1, 3], [1, 3, 5], []]"

key=value pairs set BackboneConfig fields (nonlocal_locations, non_local, num_frames,
sampling_rate, crop_size, mean, std, ...). The model the config describes is built and the
converted weights must fill it exactly (every tensor, every shape); otherwise the tool names
the keys and exits 1 (``--allow-mismatch`` writes the model anyway: the tensors that fit,
the rest at their initial values). The
classification head (``head.projection.*``) is dropped unless ``--keep-head``, which stores it
under ``"head"``. Prints the conversion report; ends with the output path.
"""
from __future__ import annotations

from sgfb.backbone.archs import ARCHS
from sgfb.backbone.config import BackboneConfig
from sgfb.utils.checkpoint import save_checkpoint
from sgfb.utils.output_paths import check_output_location
from sgfb.utils.cli import run_cli, tool_parser
from sgfb.utils.config import apply_overrides


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("src", help="PySlowFast .pyth checkpoint (or an sgfb backbone checkpoint)")
    p.add_argument("out", help="output .pt file (sgfb.backbone/1)")
    p.add_argument("--arch", choices=sorted(ARCHS), default=BackboneConfig().arch)
    p.add_argument("--keep-head", action="store_true",
                   help="store the classification head (head.projection.*) under 'head'")
    p.add_argument("--allow-mismatch", action="store_true",
                   help="write the tensors that fit even when some are missing or extra")
    p.add_argument("overrides", nargs="*", help="BackboneConfig key=value, e.g. num_frames=8")
    args = p.parse_intermixed_args(argv)
    check_output_location(args.out, [args.src], "out", kind="file")

    from sgfb.backbone.build import build_backbone          # torch: only once the args are good
    from sgfb.backbone.convert import backbone_checkpoint, match_state, read_weights

    config = apply_overrides(BackboneConfig(arch=args.arch), args.overrides)
    config.weights = ""
    model = build_backbone(config)
    converted, head, conversion, raw = read_weights(args.src, keep_head=args.keep_head)
    usable, report = match_state(model, converted, args.src, conversion)
    print(report.format())
    if not report.ok and not args.allow_mismatch:
        print(f"not written: the weights do not fit {config.arch} (see above); "
              "fix the arch / key=value settings or pass --allow-mismatch")
        return 1
    model.load_state_dict(usable, strict=False)
    extra = {"source": args.src, "source_format": conversion.source_format}
    if isinstance(raw.get("epoch"), int):
        extra["source_epoch"] = raw["epoch"]
    if args.keep_head and head:
        extra["head"] = head
    save_checkpoint(args.out, backbone_checkpoint(model, config, **extra))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
