"""A demo-like output folder for the benches that read one (DEMO/dataset, DEMO/banks): the
shared tiny world, with its ground-truth banks in the place of the predicted ones."""
import os

from sgfb.data.action_genome import ActionGenome
from sgfb.feature_bank.extract import extract_banks


def demo_folder(sg_dataset, path):
    path.mkdir()
    os.symlink(sg_dataset["dataset"], path / "dataset")
    ag = ActionGenome.load(str(sg_dataset["annotations"]), preset="keep_all",
                           fps=str(sg_dataset["charades"] / "video_fps.json"))
    assert not extract_banks(ag, str(path / "banks"), progress=False).failed
    return path
