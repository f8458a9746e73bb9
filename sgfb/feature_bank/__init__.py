"""Confidence matrices C[o, r] = s_o * s_r, per-video banks, window queries and FBO operators (Action Genome paper §4.2). Implemented under issue #5."""
