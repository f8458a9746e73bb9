"""sgfb: human action recognition through spatio-temporal scene graphs.

Implements Scene Graph Feature Banks (Action Genome, CVPR 2020) and ST-SGN.
"""
__version__ = "0.1.0"

import warnings as _warnings

# torch-geometric still calls torch.jit.script at import time; the warning is not ours to fix.
_warnings.filterwarnings("ignore", message=r"`torch.jit.script` is deprecated",
                         category=FutureWarning)
