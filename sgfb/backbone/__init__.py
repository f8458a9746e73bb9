"""3D video backbones (I3D ResNet with non-local blocks) for stage 2. Implemented under issue #5."""
