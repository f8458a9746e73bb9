"""Checkpointed models, built from configs: the scene-graph model (detector + relation
head) and the SGFB action model."""
