"""Full-size backbones are built once per session (tests that change one take a deepcopy)."""
import pytest
import torch

from sgfb.backbone import BackboneConfig, build_backbone


@pytest.fixture(scope="session")
def r50():
    torch.manual_seed(0)
    return build_backbone(BackboneConfig(arch="i3d_nl_r50")).eval()


@pytest.fixture(scope="session")
def r101():
    torch.manual_seed(0)
    return build_backbone(BackboneConfig(arch="i3d_nl_r101")).eval()


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """3D convolutions on two shared cores stall on OpenMP barriers: use one thread here
    (runs after the root conftest's two-thread setting, restores it afterwards)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
