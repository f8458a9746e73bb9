"""Training loop, distributed set-up, checkpoints and logging."""
