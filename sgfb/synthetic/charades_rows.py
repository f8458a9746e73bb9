"""The Charades CSV row of a synthetic video (columns of ``Charades_v1_train.csv``)."""
from __future__ import annotations

from typing import Dict

import numpy as np

from sgfb.synthetic.scripts import action_class_id
from sgfb.synthetic.tracks import World
from sgfb.synthetic.ids import ID_ALPHABET

SCENES = ("Bedroom", "Living room", "Kitchen",
          "Home Office / Study (A room in a house used for work)", "Hallway", "Dining room",
          "Bathroom", "Basement (A room below the ground floor)")


def charades_row(rng: np.random.Generator, video_id: str, world: World,
                 length: float) -> Dict[str, str]:
    """The CSV fields of one video; ``actions`` reads like ``c003 1.20 4.50;c001 0.00 3.10``."""
    names = [a.script.name for a in world.plan]
    if names:
        phrases = [n[0].lower() + n[1:] for n in names]
        script = "A person is " + ", then ".join(phrases) + "."
        description = "The person is " + " and ".join(phrases) + "."
    else:
        script = "A person walks around the room."
        description = "A person is in a room."
    return {
        "id": video_id,
        "subject": "".join(ID_ALPHABET[i] for i in rng.integers(len(ID_ALPHABET), size=4)),
        "scene": SCENES[int(rng.integers(len(SCENES)))],
        "quality": str(int(rng.integers(3, 8))),
        "relevance": str(int(rng.integers(4, 8))),
        "verified": "Yes",
        "script": script,
        "objects": ";".join(dict.fromkeys(o.split("/")[0] for o in world.objects)),
        "descriptions": description,
        "actions": ";".join(f"{action_class_id(a.action)} {a.start:.2f} {a.end:.2f}"
                            for a in world.plan),
        "length": f"{length:.2f}",
    }
