"""Scene graph feature banks (Action Genome paper §4.2): confidence matrices
C[o, r] = s_o * s_r per frame, window queries over a video's bank, and the feature bank
operators (mean, max, non-local) with the SGFB and bank-only heads. Issue #5 adds bank
extraction over datasets, the I3D-NL backbone and training."""
