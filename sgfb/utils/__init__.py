"""Pieces every stage uses and that know nothing of sgfb's models: atomic files,
checkpoints, configs, the process group, worker pools and the command-line wrapper."""
