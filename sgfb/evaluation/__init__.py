"""Metrics: Charades-protocol mAP (mean_ap) and scene-graph recall@K (sg_recall)."""
