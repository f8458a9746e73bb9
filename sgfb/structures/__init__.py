"""Data structures shared by every stage."""
from sgfb.structures.graph_file import load_graphs, save_graphs
from sgfb.structures.scene_graph import SceneGraph

__all__ = ["SceneGraph", "load_graphs", "save_graphs"]
