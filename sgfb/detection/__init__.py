"""Object detection for stage 1 (torchvision Faster R-CNN, R101-FPN by default; Action Genome paper §4.1). Implemented under issue #3."""
