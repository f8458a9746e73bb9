import numpy as np
import pytest
import torch

from sgfb.structures.vocab import OBJECTS, RELATIONSHIPS
from sgfb.structures.confidence import (OBJECT_ROWS, confidence_matrix, feature_dim,
                                          frame_features, layout_relationships)
from sgfb.feature_bank.fbo import (BankOnlyClassifier, FBONonLocal, FBOPool, SGFBHead,
                                   build_fbo, direct_nonlocal, masked_pool)
from sgfb.feature_bank.window import query_window, select_window
from sgfb.structures import SceneGraph

CUP, CHAIR = OBJECTS.index("cup/glass/bottle"), OBJECTS.index("chair")
HOLDING, LOOKING, OTHER = (RELATIONSHIPS.index(n) for n in
                           ("holding", "looking_at", "other_relationship"))


def test_confidence_matrix_of_a_hand_made_graph():
    rel = np.zeros((3, 26), np.float32)
    rel[0, HOLDING], rel[0, LOOKING] = 0.5, 0.25
    rel[1, HOLDING] = 0.9          # a second cup: each entry keeps the larger product
    rel[2, OTHER] = 1.0            # left out of the paper's 25
    g = SceneGraph.from_predictions(np.zeros((4, 4)), [0, CUP, CUP, CHAIR], [1.0, 0.8, 0.5, 0.6],
                                    [1, 2, 3], rel, person=0)
    c = confidence_matrix(g)
    assert c.shape == (35, 25) and feature_dim() == 875 and feature_dim("full") == 910
    paper = list(layout_relationships("paper"))
    row = OBJECT_ROWS.index(CUP)
    assert c[row, paper.index(HOLDING)] == pytest.approx(max(0.8 * 0.5, 0.5 * 0.9))
    assert c[row, paper.index(LOOKING)] == pytest.approx(0.8 * 0.25)
    assert np.count_nonzero(c) == 2  # chair's only relationship is other_relationship
    full = confidence_matrix(g, "full")
    assert full[OBJECT_ROWS.index(CHAIR), OTHER] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="layout"):
        confidence_matrix(g, "tiny")


def test_ground_truth_and_empty_frames():
    gt = SceneGraph.from_ground_truth([CUP], [[HOLDING]])
    feats = frame_features([gt, SceneGraph.empty()])
    assert feats.shape == (2, 875) and feats[0].sum() == 1.0 and feats[1].sum() == 0
    assert frame_features([]).shape == (0, 875)


TIMES = np.array([0.0, 1.0, 2.0, 5.0, 9.0])
FEATS = np.arange(5, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)


def test_window_at_start_end_and_empty():
    assert select_window(TIMES, 0.0, 4.0).tolist() == [0, 1, 2]        # start of the video
    assert select_window(TIMES, 9.0, 4.0).tolist() == [4]              # end
    assert select_window(TIMES, 7.0, 1.0).tolist() == []               # nothing inside
    assert select_window(TIMES, 3.0, float("inf")).tolist() == [0, 1, 2, 3, 4]
    feats, mask = query_window(TIMES, FEATS, 7.0, 1.0, slots=3)
    assert not mask.any() and not feats.any()
    feats, mask = query_window(TIMES, FEATS, 9.0, 4.0, slots=3)
    assert mask.tolist() == [True, False, False] and feats[:, 0].tolist() == [4, 0, 0]
    feats, mask = query_window(TIMES, FEATS, 4.0, float("inf"), slots=3)  # sub-sampled
    assert mask.all() and feats[:, 0].tolist() == [0, 2, 4]


def test_pooling_ignores_padding_and_empty_windows_give_zeros():
    bank = torch.tensor([[[1.0, -2.0], [3.0, 4.0], [99.0, 99.0]],
                         [[7.0, 7.0], [7.0, 7.0], [7.0, 7.0]]])
    mask = torch.tensor([[True, True, False], [False, False, False]])
    assert masked_pool(bank, mask, "max").tolist() == [[3.0, 4.0], [0.0, 0.0]]
    assert masked_pool(bank, mask, "mean").tolist() == [[2.0, 1.0], [0.0, 0.0]]
    assert FBOPool("max")(None, bank, mask).shape == (2, 2)


def test_nonlocal_ignores_padded_slots():
    torch.manual_seed(0)
    fbo = FBONonLocal(clip_dim=6, bank_dim=5, dim=8).eval()
    for block in fbo.blocks:  # non-zero output projection so the bank matters
        torch.nn.init.normal_(block.out.weight)
    clip, bank = torch.randn(2, 6), torch.randn(2, 4, 5)
    mask = torch.tensor([[True, True, False, False], [True, False, False, False]])
    out = fbo(clip, bank, mask)
    noisy = bank.clone()
    noisy[~mask] = 1e4
    assert torch.allclose(fbo(clip, noisy, mask), out, atol=1e-5)
    empty = fbo(clip, bank, torch.zeros(2, 4, dtype=torch.bool))
    assert torch.allclose(empty, fbo.clip_proj(clip), atol=1e-6)  # no bank: clip state only
    assert out.shape == (2, 8)


def test_nonlocal_block_equals_direct_computation():
    torch.manual_seed(1)
    fbo = FBONonLocal(clip_dim=4, bank_dim=4, dim=6, blocks=1).eval()
    block = fbo.blocks[0]
    torch.nn.init.normal_(block.out.weight)
    state, bank = torch.randn(1, 6), torch.randn(1, 3, 6)
    got = block(state, bank, torch.ones(1, 3, dtype=torch.bool))
    assert torch.allclose(got[0], direct_nonlocal(block, state[0], bank[0]), atol=1e-5)


def test_nonlocal_starts_as_identity_on_the_clip_state():
    fbo = FBONonLocal(clip_dim=4, bank_dim=3, dim=6).eval()
    clip, bank = torch.randn(2, 4), torch.randn(2, 5, 3)
    assert torch.allclose(fbo(clip, bank, torch.ones(2, 5, dtype=torch.bool)), fbo.clip_proj(clip))


@pytest.mark.parametrize("fbo, fbo_dim", [("mean", 875), ("max", 875), ("nl", 512),
                                          ("none", 0)])
def test_sgfb_head_shapes_and_backward(fbo, fbo_dim):
    operator, dim = build_fbo(fbo, 16, 875)
    assert dim == fbo_dim and (operator is None) == (fbo == "none")
    head = SGFBHead(clip_dim=16, num_classes=157, fbo=operator, fbo_dim=dim)
    assert head.classifier.in_features == 16 + fbo_dim
    clip, bank = torch.randn(3, 16), torch.rand(3, 10, 875)
    mask = torch.ones(3, 10, dtype=torch.bool)
    logits = head(clip, bank, mask)
    assert logits.shape == (3, 157)
    logits.sum().backward()


def test_fbo_names_and_head_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown feature bank operator 'sum'; choose from "
                                         "mean, max, nl, none"):
        build_fbo("sum", 16, 875)
    with pytest.raises(ValueError, match="with its output size"):
        SGFBHead(16, 157, FBOPool("max"), 0)


def test_bank_only_classifier():
    model = BankOnlyClassifier(875, 157)
    out = model(torch.rand(2, 10, 875), torch.ones(2, 10, dtype=torch.bool))
    assert out.shape == (2, 157)


def test_frames_exactly_on_the_window_edge_are_kept():
    fps = 30.0
    times = (np.arange(1, 40) - 1) / fps
    center = times[14]
    inside = select_window(times, center, 0.2)
    assert times[inside].min() == pytest.approx(center - 0.1) and inside.size == 7
