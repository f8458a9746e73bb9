"""Drawing scene graphs on frames and laying frames out for people to look at."""
from sgfb.visualization.draw import contact_sheet, draw_scene_graph, load_rgb, save_rgb

__all__ = ["contact_sheet", "draw_scene_graph", "load_rgb", "save_rgb"]
