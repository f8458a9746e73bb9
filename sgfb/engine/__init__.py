"""Training machinery shared by the stages: configs, solver, resumable sampler, the
DDP-aware training loop with exact resume, checkpoints and command-line plumbing."""
