"""sgfb: human action recognition through spatio-temporal scene graphs.

Implements Scene Graph Feature Banks (Action Genome, CVPR 2020) and ST-SGN.
"""
__version__ = "0.1.0"
