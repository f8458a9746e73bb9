"""ST-SGN (graph networks over scene-graph sequences) and the RelMat baseline; see
docs/stsgn.md. Models: sgfb.stsgn.model; tasks: sgfb.stsgn.tasks; runs from files:
sgfb.training.stsgn."""
