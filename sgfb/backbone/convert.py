"""Backbone weight files: PySlowFast I3D / I3D-NL checkpoints and our own format.

Readable inputs (always through ``torch.load(weights_only=True)``; see
:mod:`sgfb.utils.checkpoint`):

- **PySlowFast** ``.pyth`` checkpoints: ``{"model_state": {...}, "epoch", "cfg", ...}`` with
  keys ``s1.pathway0_stem.conv.weight``, ``s{2..5}.pathway0_res{i}.branch1.weight``,
  ``...branch1_bn.*``, ``...branch2.{a,b,c}.weight``, ``...branch2.{a,b,c}_bn.*``,
  ``s{3,4}.pathway0_nonlocal{i}.conv_{theta,phi,g,out}.*`` and ``...nonlocal{i}.bn.*`` (``.norm.*``
  in newer PySlowFast), ``head.projection.{weight,bias}``. A ``module.`` prefix (DDP) is
  stripped. The classification head is dropped unless asked for (``keep_head``).
- **sgfb** backbone checkpoints (:data:`CHECKPOINT_FORMAT`, written by
  :func:`save_backbone_checkpoint` and ``tools/convert_i3d_weights.py``): ``{"format",
  "model_state", "config", "preprocessing", ...}``; also any dict whose ``model_state`` /
  ``state_dict`` holds our key names, optionally under a ``backbone.`` prefix (a full SGFB
  model), or a bare state dict.

Caffe2 ``.pkl`` files (the original LFB / video-nonlocal-net releases) are not read: they
are arbitrary pickles. Convert them with PySlowFast (``TRAIN.CHECKPOINT_TYPE: caffe2``, then
save) first.

Key mapping (PySlowFast -> ours; ``n`` = 2..5, PySlowFast's ``s{n}`` is our ``res{n}``)::

    s1.pathway0_stem.conv.*                 stem.conv.*
    s1.pathway0_stem.bn.*                   stem.norm.*
    s{n}.pathway0_res{i}.branch1.weight     res{n}.blocks.{i}.branch1_conv.weight
    s{n}.pathway0_res{i}.branch1_bn.*       res{n}.blocks.{i}.branch1_norm.*
    s{n}.pathway0_res{i}.branch2.{x}.weight res{n}.blocks.{i}.branch2.conv_{x}.weight
    s{n}.pathway0_res{i}.branch2.{x}_bn.*   res{n}.blocks.{i}.branch2.norm_{x}.*
    s{n}.pathway0_nonlocal{i}.conv_*.*      res{n}.nonlocal_blocks.{i}.conv_*.*
    s{n}.pathway0_nonlocal{i}.{bn,norm}.*   res{n}.nonlocal_blocks.{i}.norm.*
    head.projection.{weight,bias}           (dropped; kept apart as head["projection.*"])
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Tuple

import torch
from torch import nn

from sgfb.utils.checkpoint import load_checkpoint, save_checkpoint

CHECKPOINT_FORMAT = "sgfb.backbone/1"

_BN = r"(weight|bias|running_mean|running_var|num_batches_tracked)"
_PYSLOWFAST_RULES: List[Tuple[re.Pattern, str]] = [
    (re.compile(r"^s1\.pathway0_stem\.conv\.(weight|bias)$"), r"stem.conv.\1"),
    (re.compile(r"^s1\.pathway0_stem\.bn\." + _BN + "$"), r"stem.norm.\1"),
    (re.compile(r"^s([2-5])\.pathway0_res(\d+)\.branch1\.weight$"),
     r"res\1.blocks.\2.branch1_conv.weight"),
    (re.compile(r"^s([2-5])\.pathway0_res(\d+)\.branch1_bn\." + _BN + "$"),
     r"res\1.blocks.\2.branch1_norm.\3"),
    (re.compile(r"^s([2-5])\.pathway0_res(\d+)\.branch2\.([abc])\.weight$"),
     r"res\1.blocks.\2.branch2.conv_\3.weight"),
    (re.compile(r"^s([2-5])\.pathway0_res(\d+)\.branch2\.([abc])_bn\." + _BN + "$"),
     r"res\1.blocks.\2.branch2.norm_\3.\4"),
    (re.compile(r"^s([2-5])\.pathway0_nonlocal(\d+)\.(conv_theta|conv_phi|conv_g|conv_out)"
                r"\.(weight|bias)$"), r"res\1.nonlocal_blocks.\2.\3.\4"),
    (re.compile(r"^s([2-5])\.pathway0_nonlocal(\d+)\.(?:bn|norm)\." + _BN + "$"),
     r"res\1.nonlocal_blocks.\2.norm.\3"),
]
_PYSLOWFAST_HEAD = re.compile(r"^head\.(projection\.(?:weight|bias))$")
_SGFB_KEY = re.compile(r"^(stem|res[2-5])\.")


class BackboneWeightsError(ValueError):
    """A weight file that does not fit the model; the message names the file."""


@dataclass
class ConversionReport:
    """What became of a source state dict."""
    source_format: str                                   # "pyslowfast" | "sgfb"
    converted: int = 0                                   # tensors renamed into our keys
    unmatched: List[str] = field(default_factory=list)   # source keys no rule knows
    head: List[str] = field(default_factory=list)        # classification-head keys set apart

    def format(self) -> str:
        lines = [f"{self.source_format} checkpoint: {self.converted} tensors converted"]
        if self.head:
            lines.append(f"classification head set apart: {', '.join(self.head)}")
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} source keys not converted: "
                         + _preview(self.unmatched))
        return "\n".join(lines)


@dataclass
class LoadReport:
    """Result of :func:`load_backbone_weights`."""
    path: str
    conversion: ConversionReport
    loaded: int = 0
    missing: List[str] = field(default_factory=list)      # model keys the file lacks
    unexpected: List[str] = field(default_factory=list)   # converted keys the model lacks
    mismatched: List[str] = field(default_factory=list)   # "key: file shape vs model shape"

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched
                    or self.conversion.unmatched)

    def format(self) -> str:
        lines = [f"{self.path}: {self.conversion.format()}",
                 f"{self.loaded} tensors fit the model"]
        for label, keys in (("missing from the file", self.missing),
                            ("not in the model", self.unexpected),
                            ("shape mismatch", self.mismatched)):
            if keys:
                lines.append(f"{len(keys)} {label}: {_preview(keys)}")
        return "\n".join(lines)


def _preview(keys: List[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")


def _strip_prefix(state: Mapping[str, Any], prefix: str) -> Dict[str, Any]:
    if state and all(k.startswith(prefix) for k in state):
        return {k[len(prefix):]: v for k, v in state.items()}
    return dict(state)


def extract_state_dict(obj: Any, source: str = "<checkpoint>") -> Dict[str, torch.Tensor]:
    """The tensor dict inside a loaded checkpoint (``model_state``, ``state_dict``, ``model``
    or the dict itself), ``module.`` prefix removed."""
    if not isinstance(obj, Mapping):
        raise BackboneWeightsError(f"{source}: expected a checkpoint dict, got {type(obj).__name__}")
    state: Any = obj
    for key in ("model_state", "state_dict", "model"):
        if isinstance(obj.get(key), Mapping):
            state = obj[key]
            break
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise BackboneWeightsError(
            f"{source}: no tensors found; top-level keys: {_preview(sorted(map(str, obj)))}")
    return _strip_prefix(tensors, "module.")


def detect_format(state: Mapping[str, torch.Tensor], source: str = "<checkpoint>") -> str:
    """``"pyslowfast"`` or ``"sgfb"`` from the key names."""
    keys = list(state)
    if any(k.startswith("s1.pathway0_stem.") or re.match(r"^s[2-5]\.pathway0_res\d+\.", k)
           for k in keys):
        return "pyslowfast"
    if any(_SGFB_KEY.match(k) or _SGFB_KEY.match(k.removeprefix("backbone.")) for k in keys):
        return "sgfb"
    if any(k.startswith("s1.pathway1_") or "pathway1_" in k for k in keys):
        raise BackboneWeightsError(f"{source}: looks like a two-pathway (SlowFast) checkpoint; "
                                   "only single-pathway I3D checkpoints convert")
    hint = ""
    if any(re.match(r"^(conv1_w|res\d_\d+_branch)", k) for k in keys):
        hint = " (Caffe2 blob names: convert the file with PySlowFast first)"
    raise BackboneWeightsError(
        f"{source}: cannot tell the checkpoint format from its keys{hint}; expected PySlowFast "
        f"(s1.pathway0_stem.*, s2.pathway0_res0.*) or sgfb (stem.*, res2.*); "
        f"first keys: {_preview(keys, 5)}")


def convert_pyslowfast(state: Mapping[str, torch.Tensor], keep_head: bool = False
                       ) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor], ConversionReport]:
    """PySlowFast names -> ours. Returns ``(backbone state, head state, report)``; the head
    state (``projection.weight/bias``) is empty unless ``keep_head``."""
    report = ConversionReport("pyslowfast")
    out: Dict[str, torch.Tensor] = {}
    head: Dict[str, torch.Tensor] = {}
    for key, value in _strip_prefix(state, "module.").items():
        match = _PYSLOWFAST_HEAD.match(key)
        if match:
            report.head.append(key)
            if keep_head:
                head[match.group(1)] = value
            continue
        for pattern, target in _PYSLOWFAST_RULES:
            if pattern.match(key):
                out[pattern.sub(target, key)] = value
                break
        else:
            report.unmatched.append(key)
    report.converted = len(out)
    return out, head, report


def convert_sgfb(state: Mapping[str, torch.Tensor], keep_head: bool = False
                 ) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor], ConversionReport]:
    """Our own names, taken as they are (``backbone.`` prefix removed when present); keys
    that are not backbone keys are reported as unmatched, ``head.*`` set apart."""
    report = ConversionReport("sgfb")
    prefixed = any(k.startswith("backbone.") for k in state)
    out: Dict[str, torch.Tensor] = {}
    head: Dict[str, torch.Tensor] = {}
    for key, value in state.items():
        name = key.removeprefix("backbone.") if prefixed else key
        if prefixed and name == key:        # other parts of a full model (SGFB head, ...)
            report.unmatched.append(key)
        elif name.startswith("head."):
            report.head.append(key)
            if keep_head:
                head[name.removeprefix("head.")] = value
        elif _SGFB_KEY.match(name):
            out[name] = value
        else:
            report.unmatched.append(key)
    report.converted = len(out)
    return out, head, report


def convert_state_dict(state: Mapping[str, torch.Tensor], keep_head: bool = False,
                       source: str = "<checkpoint>"):
    """Either format -> ``(backbone state, head state, report)``."""
    if detect_format(state, source) == "pyslowfast":
        return convert_pyslowfast(state, keep_head)
    return convert_sgfb(state, keep_head)


def read_weights(path: str, keep_head: bool = False):
    """Load ``path`` safely and convert it: ``(backbone state, head state, report, raw dict)``."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"backbone weights not found: {path}")
    if path.endswith(".pkl"):
        raise BackboneWeightsError(
            f"{path}: Caffe2 .pkl checkpoints are not read (they are arbitrary pickles); "
            "convert the file to a PyTorch checkpoint with PySlowFast first")
    raw = load_checkpoint(path)
    state = extract_state_dict(raw, path)
    converted, head, report = convert_state_dict(state, keep_head, path)
    return converted, head, report, raw


def match_state(model: nn.Module, state: Mapping[str, torch.Tensor], path: str,
                conversion: ConversionReport) -> Tuple[Dict[str, torch.Tensor], LoadReport]:
    """Compare converted ``state`` with ``model``'s keys and shapes. ``num_batches_tracked``
    is optional both ways (frozen BNs have none)."""
    target = model.state_dict()
    report = LoadReport(path, conversion)
    usable: Dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key not in target:
            if not key.endswith("num_batches_tracked"):
                report.unexpected.append(key)
        elif tuple(value.shape) != tuple(target[key].shape):
            report.mismatched.append(
                f"{key}: file {tuple(value.shape)} vs model {tuple(target[key].shape)}")
        else:
            usable[key] = value
    report.missing = [k for k in target if k not in state
                      and not k.endswith("num_batches_tracked")]
    report.loaded = len(usable)
    return usable, report


def load_backbone_weights(model: nn.Module, path: str, strict: bool = True) -> LoadReport:
    """Load a PySlowFast or sgfb weight file into ``model``.

    ``strict`` (default): every model tensor must come from the file with its shape, and every
    tensor of the file (but the classification head) must find its place; otherwise
    :class:`BackboneWeightsError` names the file and the keys, and the model is unchanged.
    ``strict=False`` loads what fits and returns the report of the rest.
    """
    converted, _, conversion, _ = read_weights(path)
    usable, report = match_state(model, converted, path, conversion)
    if strict and not report.ok:
        problems = []
        if report.missing:
            problems.append(f"{len(report.missing)} model tensors missing from the file: "
                            f"{_preview(report.missing)}")
        if report.unexpected:
            problems.append(f"{len(report.unexpected)} file tensors the model does not have: "
                            f"{_preview(report.unexpected)}")
        if report.mismatched:
            problems.append(f"{len(report.mismatched)} shape mismatches: "
                            f"{_preview(report.mismatched, 4)}")
        if conversion.unmatched:
            problems.append(f"{len(conversion.unmatched)} {conversion.source_format} keys "
                            f"with no counterpart: {_preview(conversion.unmatched)}")
        arch = getattr(model, "arch", "") or type(model).__name__
        raise BackboneWeightsError(
            f"{path}: weights do not fit backbone {arch} ({conversion.source_format} "
            f"checkpoint): " + "; ".join(problems)
            + " (check arch / non_local / nonlocal_locations, or load with strict=False)")
    missing_ok = model.load_state_dict(usable, strict=False)
    extra = [k for k in missing_ok.unexpected_keys if not k.endswith("num_batches_tracked")]
    if extra:  # cannot happen after match_state; kept as a guard
        raise BackboneWeightsError(f"{path}: unexpected keys {_preview(extra)}")
    return report


def backbone_checkpoint(model: nn.Module, config: Any, **extra: Any) -> Dict[str, Any]:
    """Our checkpoint dict for a backbone: weights, config, preprocessing (plain types)."""
    config_dict = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config)
    config_dict["weights"] = ""     # the checkpoint is the weights
    return {"format": CHECKPOINT_FORMAT,
            "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "config": config_dict,
            "preprocessing": dict(getattr(model, "preprocessing", {})),
            **extra}


def save_backbone_checkpoint(path: str, model: nn.Module, config: Any, **extra: Any) -> None:
    save_checkpoint(path, backbone_checkpoint(model, config, **extra))
