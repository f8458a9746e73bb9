"""The RelDN-style head learns what the frequency prior cannot: a geometry-only relation."""
import pytest
import torch

from sgfb.structures.vocab import AG_RELATIONSHIPS, OBJECTS
from sgfb.relations.frequency import FrequencyPrior, count_relationships, log_frequency_init
from sgfb.relations.head import RelationHead
from sgfb.relations.losses import relation_loss
from sgfb.relations.pairs import pairs_from_ground_truth
from sgfb.structures.scene_graph import SceneGraph

R = {name: i for i, name in enumerate(AG_RELATIONSHIPS)}
CUP = OBJECTS.index("cup/glass/bottle")
PERSON_BOX = [40., 40, 80, 120]


def frames():
    """Two frames, same object class and same attention/contact labels; the cup is above
    the person in one and beneath in the other."""
    common = [R["looking_at"], R["not_contacting"]]
    return [
        SceneGraph.from_ground_truth([CUP], [common + [R["above"]]], object_boxes=[[50., 0, 70, 30]],
                                     person_box=PERSON_BOX, image_size=(160, 160)),
        SceneGraph.from_ground_truth([CUP], [common + [R["beneath"]]],
                                     object_boxes=[[50., 130, 70, 150]], person_box=PERSON_BOX,
                                     image_size=(160, 160)),
    ]


def total(losses):
    return sum(losses.values())


@pytest.mark.parametrize("visual", [True, False])
def test_head_overfits_better_than_prior(features_factory, visual):
    graphs = frames()
    counts, pairs_per_class = count_relationships(graphs)
    pairs, targets = pairs_from_ground_truth(graphs)
    feats = features_factory([(160, 160)] * 2, scale=0.5, seed=3)

    prior = FrequencyPrior.from_counts(counts, pairs_per_class)
    prior_loss = total(relation_loss(prior(feats, pairs), targets, pairs.frame_index, 2)).item()

    torch.manual_seed(0)
    head = RelationHead(in_channels=8, hidden_dim=16, geometry_hidden=16, pool_size=3,
                        use_visual=visual,
                        frequency_init=torch.from_numpy(log_frequency_init(counts, 1.0, pairs_per_class)))
    optimiser = torch.optim.Adam(head.parameters(), lr=1e-2)
    for _ in range(150):
        optimiser.zero_grad()
        loss = total(relation_loss(head(feats, pairs), targets, pairs.frame_index, 2))
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        logits = head(feats, pairs)
    head_loss = total(relation_loss(logits, targets, pairs.frame_index, 2)).item()
    probs = logits.probabilities()
    prior_probs = prior(feats, pairs).probabilities()

    assert torch.allclose(prior_probs[0], prior_probs[1])       # the prior cannot tell them apart
    assert head_loss < 0.5 * prior_loss
    assert probs[0, R["above"]] > 0.9 and probs[0, R["beneath"]] < 0.1
    assert probs[1, R["beneath"]] > 0.9 and probs[1, R["above"]] < 0.1
