"""Every predicate head behind the one interface: shapes, gradients, masking (frames with one
object, with no person, empty batches), where messages travel, and the registry."""
import numpy as np
import pytest
import torch

from sgfb.relations.encoder import frame_mean, frame_softmax, frame_sum
from sgfb.relations.frequency import FrequencyPrior
from sgfb.relations.graph_rcnn import GraphRCNNHead, top_k_per_frame
from sgfb.relations.head import RelationHead, RelationHeadConfig
from sgfb.relations.heads import HEAD_BUILDERS, HEAD_KINDS, TRAINED_KINDS, build_relation_head, is_temporal
from sgfb.relations.imp import IMPHead
from sgfb.relations.losses import relation_loss
from sgfb.relations.msdn import MSDNHead
from sgfb.relations.pairs import RelationPairs, frame_positions
from sgfb.relations.sttran import MaskedAttentionLayer, STTranHead, frame_ranks, window_offsets
from sgfb.relations.vrd import VRDHead

SIZES = [(120, 160), (100, 140), (96, 128)]   # (height, width); frame 2 has no person, no pairs
COUNTS = np.random.default_rng(0).integers(0, 9, (36, 26)).astype(float)


def pairs_batch():
    """Frame 0: three objects; frame 1: one object; frame 2: none. Pairs not sorted by frame."""
    subject = torch.tensor([[10., 10, 60, 110], [20, 5, 80, 95], [10, 10, 60, 110],
                            [10, 10, 60, 110]])
    objects = torch.tensor([[50., 60, 90, 100], [0, 0, 30, 30], [100, 20, 150, 60],
                            [5, 80, 40, 118]])
    return RelationPairs(subject, objects, torch.tensor([10, 7, 31, 4]),
                         torch.tensor([0, 1, 0, 0]), 3)


def make_head(kind, **overrides):
    torch.manual_seed(0)
    cfg = RelationHeadConfig(kind=kind, hidden_dim=16, geometry_hidden=8, pool_size=3,
                             attention_heads=2, **overrides)
    head = build_relation_head(cfg, in_channels=8, frequency_counts=COUNTS)
    torch.manual_seed(1)
    for name, module in head.named_modules():     # last layers start at zero: wake them up
        if name.endswith("scores") and isinstance(module, torch.nn.Linear):
            torch.nn.init.normal_(module.weight, std=0.5)
    return head.eval()


def test_registry_is_a_plain_dict_of_every_kind():
    assert HEAD_KINDS == tuple(HEAD_BUILDERS) == ("reldn", "frequency", "vrd", "imp", "msdn",
                                                  "graph_rcnn", "sttran")
    assert TRAINED_KINDS == ("reldn", "vrd", "imp", "msdn", "graph_rcnn", "sttran")
    types = {"reldn": RelationHead, "frequency": FrequencyPrior, "vrd": VRDHead, "imp": IMPHead,
             "msdn": MSDNHead, "graph_rcnn": GraphRCNNHead, "sttran": STTranHead}
    for kind, cls in types.items():
        assert type(make_head(kind)) is cls
    assert [k for k in HEAD_KINDS if is_temporal(make_head(k))] == ["sttran"]
    with pytest.raises(ValueError, match="unknown relation head kind 'motifs'"):
        build_relation_head(RelationHeadConfig(kind="motifs"), 8)


@pytest.mark.parametrize("kind", TRAINED_KINDS)
def test_shapes_gradients_and_masking(features_factory, kind):
    feats = features_factory(SIZES, scale=0.5)
    head = make_head(kind).train()
    pairs = pairs_batch()
    out = head(feats, pairs)
    assert (out.attention.shape, out.spatial.shape, out.contacting.shape) == ((4, 3), (4, 6), (4, 17))
    probs = out.probabilities()
    assert torch.isfinite(probs).all() and torch.allclose(probs[:, :3].sum(1), torch.ones(4))
    loss = sum(relation_loss(out, torch.ones(4, 26), pairs.frame_index, 3).values())
    loss.backward()
    unused = [n for n, p in head.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert unused == [], unused


@pytest.mark.parametrize("kind", TRAINED_KINDS)
def test_empty_batch_and_frame_without_person(features_factory, kind):
    head = make_head(kind)
    empty = RelationPairs(torch.zeros(0, 4), torch.zeros(0, 4), torch.zeros(0, dtype=torch.long),
                          torch.zeros(0, dtype=torch.long), 2)
    out = head(features_factory(SIZES[:2]), empty)
    assert out.flat().shape == (0, 26)
    # the one-object frame gives the same scores alone as next to other frames (no leakage
    # through empty frames), for every single-frame head
    feats = features_factory(SIZES, seed=4)
    pairs = pairs_batch()
    alone = RelationPairs(pairs.subject_boxes[1:2], pairs.object_boxes[1:2],
                          pairs.object_labels[1:2], torch.tensor([0]), 1)
    one = features_factory(SIZES[1:2], seed=4)
    one.maps = {k: v[1:2, :, :one.maps[k].shape[2], :one.maps[k].shape[3]] for k, v in feats.maps.items()}
    with torch.no_grad():
        assert torch.allclose(head(one, alone).flat(), head(feats, pairs).flat()[1:2], atol=1e-5)


@pytest.mark.parametrize("kind", ["reldn", "vrd", "imp", "msdn", "graph_rcnn", "sttran"])
def test_pair_order_does_not_matter(features_factory, kind):
    feats = features_factory(SIZES, scale=0.75)
    head = make_head(kind)
    pairs = pairs_batch()
    perm = torch.tensor([2, 0, 3, 1])
    shuffled = RelationPairs(pairs.subject_boxes[perm], pairs.object_boxes[perm],
                             pairs.object_labels[perm], pairs.frame_index[perm], 3)
    with torch.no_grad():
        assert torch.allclose(head(feats, shuffled).flat(), head(feats, pairs).flat()[perm], atol=1e-5)


@pytest.mark.parametrize("kind,passes", [("reldn", False), ("vrd", False), ("imp", True),
                                         ("msdn", True), ("graph_rcnn", True), ("sttran", True)])
def test_messages_stay_in_their_frame(features_factory, kind, passes):
    """Moving another object of frame 0 changes pair 0's scores only for the message-passing
    heads; moving frame 1's object never changes frame 0's pairs."""
    feats = features_factory(SIZES, seed=2)
    head = make_head(kind)
    pairs = pairs_batch()
    moved_same = pairs.object_boxes.clone()
    moved_same[2] = torch.tensor([60., 40, 120, 90])          # frame 0's third object
    moved_other = pairs.object_boxes.clone()
    moved_other[1] = torch.tensor([40., 30, 90, 80])          # frame 1's only object
    with torch.no_grad():
        base = head(feats, pairs).flat()
        same = head(feats, RelationPairs(pairs.subject_boxes, moved_same, pairs.object_labels,
                                         pairs.frame_index, 3)).flat()
        other = head(feats, RelationPairs(pairs.subject_boxes, moved_other, pairs.object_labels,
                                          pairs.frame_index, 3)).flat()
    assert (not torch.allclose(same[0], base[0], atol=1e-6)) == passes
    assert torch.allclose(other[[0, 2, 3]], base[[0, 2, 3]], atol=1e-6)


# ---------------------------------------------------------------------- hand-computed pieces
def test_frame_reductions_on_literals():
    values = torch.tensor([[1.], [2.], [4.], [8.]])
    frame = torch.tensor([0, 2, 0, 2])
    assert frame_sum(values, frame, 3).flatten().tolist() == [5., 0., 10.]
    assert frame_mean(values, frame, 3).flatten().tolist() == [2.5, 0., 5.]
    soft = frame_softmax(torch.tensor([0., float(np.log(3.)), 1., 1.]), torch.tensor([0, 0, 1, 1]), 2)
    assert torch.allclose(soft, torch.tensor([0.25, 0.75, 0.5, 0.5]))


def test_imp_messages_hand_computed():
    head = IMPHead(in_channels=8, hidden_dim=2, pool_size=3)
    for gate in (head.gate_out, head.gate_in, head.gate_subject, head.gate_object):
        torch.nn.init.zeros_(gate.weight)
        torch.nn.init.constant_(gate.bias, 1e4)     # sigmoid = 1: plain sums
    person = torch.tensor([[1., 0.], [0., 1.]])      # frames 0, 1
    objects = torch.tensor([[2., 0.], [0., 3.], [5., 5.]])
    edges = torch.tensor([[1., 1.], [2., 2.], [4., 0.]])
    frame = torch.tensor([0, 0, 1])
    to_person, to_object, to_edge = head.messages(person, objects, edges, frame)
    assert to_person.tolist() == [[3., 3.], [4., 0.]]          # person sums its frame's edges
    assert to_object.tolist() == edges.tolist()                # an object hears its one edge
    assert to_edge.tolist() == [[3., 0.], [1., 3.], [5., 6.]]  # edge hears subject + object
    torch.nn.init.constant_(head.gate_in.bias, -1e4)            # gate closed: silence
    assert head.messages(person, objects, edges, frame)[1].abs().sum() == 0


def test_msdn_refinement_hand_computed():
    head = MSDNHead(in_channels=8, hidden_dim=2, pool_size=3)
    for gate in (head.subject_from_phrase, head.object_from_phrase, head.phrase_from_subject,
                 head.phrase_from_object):
        torch.nn.init.zeros_(gate.linear.weight)
        torch.nn.init.zeros_(gate.linear.bias)                 # gates 0.5
    for refine in (head.refine_object, head.refine_phrase):
        refine[0].weight.data = torch.eye(2)
        torch.nn.init.zeros_(refine[0].bias)                   # F = ReLU
    person = torch.tensor([[1., 1.]])
    objects = torch.tensor([[2., 0.], [0., 4.]])
    phrases = torch.tensor([[2., 2.], [4., 0.]])
    p, o, ph = head.refine(person, objects, phrases, torch.tensor([0, 0]))
    assert p.tolist() == [[1 + 0.5 * 3, 1 + 0.5 * 1]]          # + half the mean phrase
    assert o.tolist() == [[3., 1.], [2., 4.]]                  # + half its phrase
    assert ph.tolist() == [[2 + 1.5, 2 + 0.5], [4 + 0.5, 0 + 2.5]]


def test_graph_rcnn_top_k_and_pruning(features_factory):
    scores = torch.tensor([0.2, 0.9, 0.5, 0.7, 0.1])
    frame = torch.tensor([0, 1, 0, 0, 1])
    assert top_k_per_frame(scores, frame, 2).tolist() == [False, True, True, True, True]
    assert top_k_per_frame(scores, frame, 1).tolist() == [False, True, False, True, False]
    assert top_k_per_frame(scores, frame, 0).all()
    # keeping one pair per frame: pruned pairs send nothing to the person, so moving a pruned
    # object leaves the kept pair of its frame unchanged (and changes it when all are kept)
    feats = features_factory(SIZES, seed=5)
    pairs = pairs_batch()
    head = make_head("graph_rcnn", relation_proposals=1)
    with torch.no_grad():
        enc = head.encoder(feats, pairs)
        keep = top_k_per_frame(head.relatedness(enc.subject, enc.object, pairs.object_labels),
                               pairs.frame_index, 1)
    frame0 = [0, 2, 3]
    kept = [p for p in frame0 if keep[p]]
    pruned = [p for p in frame0 if not keep[p]]
    assert len(kept) == 1 and keep[1]                         # frame 1's only pair is kept
    moved = pairs.object_boxes.clone()
    moved[pruned[0]] = torch.tensor([60., 40, 120, 90])
    changed = RelationPairs(pairs.subject_boxes, moved, pairs.object_labels, pairs.frame_index, 3)
    full = make_head("graph_rcnn", relation_proposals=0)
    with torch.no_grad():
        assert torch.allclose(head(feats, changed).flat()[kept], head(feats, pairs).flat()[kept],
                              atol=1e-6)
        assert not torch.allclose(full(feats, changed).flat()[kept], full(feats, pairs).flat()[kept],
                                  atol=1e-6)
        assert torch.allclose(make_head("graph_rcnn", relation_proposals=3)(feats, pairs).flat(),
                              full(feats, pairs).flat())       # K >= objects: nothing pruned


def test_sttran_window_and_videos(features_factory):
    keys = ["a.mp4/000010.png", "a.mp4/000030.png", "b.mp4/000005.png", "a.mp4/000020.png"]
    video, time = frame_positions(keys)
    assert video.tolist() == [0, 0, 1, 0] and time.tolist() == [10, 30, 5, 20]
    subject = torch.tensor([[10., 10, 60, 90]] * 4)
    objects = torch.tensor([[50., 40, 90, 80], [5, 5, 30, 30], [20, 50, 70, 90], [40, 40, 80, 80]])
    pairs = RelationPairs(subject, objects, torch.tensor([3, 5, 7, 9]), torch.arange(4),
                          4).with_frame_keys(keys)
    assert frame_ranks(pairs).tolist() == [0, 2, 0, 1]
    offset, allowed = window_offsets(pairs, 1)
    assert offset[0].tolist() == [0, 2, 0, 1]
    assert allowed.int().tolist() == [[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 0], [1, 1, 0, 1]]

    feats = features_factory([(96, 128)] * 4, seed=6)
    head = make_head("sttran", window=1)
    moved = objects.clone()
    moved[1] = torch.tensor([60., 10, 100, 50])                # frame a/30, two frames from a/10
    with torch.no_grad():
        base = head(feats, pairs).flat()
        out = head(feats, RelationPairs(subject, moved, pairs.object_labels, pairs.frame_index, 4,
                                        pairs.frame_video, pairs.frame_time)).flat()
    assert torch.allclose(out[[0, 2]], base[[0, 2]], atol=1e-6)    # outside window / other video
    assert not torch.allclose(out[3], base[3], atol=1e-6)          # a/20 is its neighbour
    # without videos every frame stands alone
    alone = RelationPairs(subject, moved, pairs.object_labels, pairs.frame_index, 4)
    with torch.no_grad():
        single = head(feats, alone).flat()
    assert torch.allclose(single[3], head(feats, RelationPairs(
        subject, objects, pairs.object_labels, pairs.frame_index, 4)).flat()[3], atol=1e-6)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="iteration"):
        IMPHead(8, 4, iterations=0)
    with pytest.raises(ValueError, match="divisible"):
        STTranHead(8, hidden_dim=6, attention_heads=4)


def test_video_clips_have_equal_lengths():
    from sgfb.relations.frames import video_clips
    from sgfb.evaluation.sg_prediction import prediction_batches
    keys = [f"a.mp4/{i:06d}.png" for i in (5, 1, 3, 4, 2)] + ["b.mp4/000001.png"]
    # a's frames in time order are indices 1, 4, 2, 3, 0
    assert video_clips(keys, 2) == [[1, 4], [2, 3], [3, 0], [5]]
    assert video_clips(keys, 5) == [[1, 4, 2, 3, 0], [5]]
    assert prediction_batches(keys, 4, by_video=True) == [[1, 4, 2, 3, 0], [5]]
    assert prediction_batches(keys, 4, by_video=False) == [[0, 1, 2, 3], [4, 5]]
    with pytest.raises(ValueError, match="clip length"):
        video_clips(keys, 0)


def test_sttran_frequency_bias_starts_at_the_prior(features_factory):
    """Untrained (zero last layer), the temporal head with its frequency bias equals the
    frequency prior; without it, it is uniform."""
    cfg = RelationHeadConfig(kind="sttran", hidden_dim=16, pool_size=3, attention_heads=2)
    head = build_relation_head(cfg, 8, COUNTS).eval()
    prior = build_relation_head(RelationHeadConfig(kind="frequency"), 8, COUNTS)
    pairs = pairs_batch()
    feats = features_factory(SIZES)
    with torch.no_grad():
        assert torch.allclose(head(feats, pairs).flat(), prior(feats, pairs).flat(), atol=1e-6)
        cfg.use_frequency = False
        plain = build_relation_head(cfg, 8, COUNTS).eval()
        assert plain.frequency is None and plain(feats, pairs).flat().abs().max() == 0


def test_attention_layer_pre_and_post_norm():
    """With its attention and feed-forward outputs at zero, a pre-norm layer passes its
    tokens through unchanged; a post-norm layer layer-normalises them (twice)."""
    x = torch.tensor([[1., 2., 3., 6.], [0., 0., 1., -1.]])
    bias = torch.zeros(2, 2, 2)
    for norm_first in (True, False):
        layer = MaskedAttentionLayer(4, 2, dropout=0.0, norm_first=norm_first).eval()
        with torch.no_grad():
            for linear in (layer.out, layer.ff[-1]):
                linear.weight.zero_()
                linear.bias.zero_()
            y = layer(x, bias)
        if norm_first:
            assert torch.equal(y, x)
        else:
            normed = (x - x.mean(1, keepdim=True)) / torch.sqrt(x.var(1, unbiased=False, keepdim=True) + 1e-5)
            assert torch.allclose(y, normed, atol=1e-4)
    assert make_head("sttran").spatial[0].norm_first            # pre-norm by default
    assert not make_head("sttran", norm_first=False).temporal_layers[0].norm_first
