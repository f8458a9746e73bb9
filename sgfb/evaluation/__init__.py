"""Scene-graph recall, mAP, top-1 and few-shot splits."""
