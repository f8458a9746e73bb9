import subprocess
import sys

import pytest

from sgfb.utils.lazy import lazy_exports


def test_names_resolve_from_their_submodule_and_unknown_ones_are_named():
    getattr_ = lazy_exports("sgfb.utils", {"atomic_write": "atomic_io"})
    from sgfb.utils.atomic_io import atomic_write
    assert getattr_("atomic_write") is atomic_write
    with pytest.raises(AttributeError, match="module 'sgfb.utils' has no attribute 'nope'"):
        getattr_("nope")


def test_packages_import_torch_only_when_a_torch_name_is_used():
    code = ("import sys, sgfb.relations, sgfb.detection, sgfb.backbone\n"
            "light = 'torch' not in sys.modules\n"
            "sgfb.relations.SceneGraphPredictor\n"
            "print(light, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
