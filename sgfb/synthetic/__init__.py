"""A synthetic Action Genome / Charades world in the real file formats.

A person acts out short scripts of relationship changes (picking up a cup: not_contacting ->
touching -> holding; sitting down: standing_on floor -> sitting_on chair; ...) among objects
of the 35 AG classes in randomly furnished rooms; videos, AG annotation pickles and Charades
CSVs are written exactly like the real downloads. See :func:`make_synthetic`.
"""
from sgfb.synthetic.generate import SyntheticSummary, generate_video, make_synthetic
from sgfb.synthetic.scripts import ACTIONS, ActionScript, action_class_id
from sgfb.synthetic.statistics import GraphStatistics, graph_statistics
from sgfb.synthetic.world import build_world

__all__ = ["make_synthetic", "SyntheticSummary", "generate_video", "ACTIONS", "ActionScript",
           "action_class_id", "GraphStatistics", "graph_statistics", "build_world"]
