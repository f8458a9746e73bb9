"""Checkpoints, configs and command-line plumbing (the training loop and distributed
set-up arrive with stage 1)."""
