"""The report's "where these predictions come from" parts: a warning banner (e.g. a
synthetic-world model run on real footage) and the provenance card (checkpoints, class list,
software, decoding backend) built from ``VideoResult.provenance`` (:mod:`sgfb.utils.provenance`)."""
from __future__ import annotations

import html
from typing import Any, Dict, List, Mapping, Sequence

from sgfb.inference.result import VideoResult
from sgfb.utils.provenance import UNKNOWN, describe_training

CSS = """
.warning { background: #fff4d6; border: 1px solid #e0b100; border-radius: 8px;
           padding: .75rem 1.25rem; margin: 1rem 0; font-weight: 600; color: #5c4300; }
.provenance td { font-size: .88rem; word-break: break-all; }
.provenance code { font-size: .85rem; }
"""

CHECKPOINT_TITLES = {"scene_graph": "scene-graph model (stage 1)", "action": "action model"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def run_warnings(results: Sequence[VideoResult]) -> List[str]:
    """Each distinct warning of the run, in order of first appearance."""
    seen: Dict[str, None] = {}
    for result in results:
        for warning in result.provenance.get("warnings", []):
            seen.setdefault(str(warning), None)
    return list(seen)


def warning_banner(results: Sequence[VideoResult]) -> str:
    warnings = run_warnings(results)
    if not warnings:
        return ""
    videos = [r.video_id for r in results if r.provenance.get("warnings")]
    return ('<div class="warning" role="alert">' + "<br>".join(
        f"Warning: {_e(w)}." for w in warnings)
        + f'<br><span class="muted">Concerns {len(videos)} of {len(results)} videos: '
        + _e(", ".join(videos[:10])) + (" ..." if len(videos) > 10 else "") + "</span></div>")


def _checkpoint_row(name: str, record: Mapping[str, Any]) -> str:
    title = CHECKPOINT_TITLES.get(name, name)
    return (f"<tr><th>{_e(title)}</th><td><code>{_e(record.get('path', UNKNOWN))}</code><br>"
            f"sha256 <code>{_e(record.get('sha256', UNKNOWN))}</code> · "
            f"{_e(describe_training(record))} · sgfb {_e(record.get('sgfb_version', UNKNOWN))}"
            f"</td></tr>")


def provenance_section(results: Sequence[VideoResult]) -> str:
    """The provenance card (from the first result that has one; a run shares its models)."""
    prov = next((r.provenance for r in results if r.provenance), None)
    if not prov:
        return ('<section class="card" id="provenance"><h2>Provenance</h2><p class="muted">'
                'These results carry no provenance (written by an older version).</p></section>')
    rows = [_checkpoint_row(k, v) for k, v in prov.get("checkpoints", {}).items()]
    classes = prov.get("class_list", {})
    rows.append(f"<tr><th>action classes</th><td>{_e(classes.get('count', UNKNOWN))} classes "
                f"from {_e(classes.get('source', UNKNOWN))}</td></tr>")
    backends = sorted({str(r.provenance.get("decoding_backend", UNKNOWN))
                       for r in results if r.provenance})
    rows.append(f"<tr><th>video decoding</th><td>{_e(', '.join(backends))}</td></tr>")
    software = ", ".join(f"{k} {v}" for k, v in prov.get("software", {}).items())
    rows.append(f"<tr><th>software</th><td>{_e(software)}</td></tr>")
    return ('<section class="card" id="provenance"><h2>Provenance</h2>'
            '<table class="provenance"><tbody>' + "".join(rows) + "</tbody></table></section>")
