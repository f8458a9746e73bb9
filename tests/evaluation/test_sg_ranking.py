"""Per-frame ranking done for all frames at once, and the per-frame fallback that keeps
NumPy's tie order where equal scores decide it (STTran's top-100 under ``no``)."""
import numpy as np
import pytest

from sgfb.structures.vocab import GROUP_SLICES
from sgfb.evaluation.sg_candidates import rank_predictions
from sgfb.evaluation.sg_protocols import PROTOCOLS
from sgfb.evaluation.sg_ranking import (frame_segments, rank_numpy_reversed, rank_segments,
                                        rank_stable, top_per_frame_numpy)
from sgfb.structures import SceneGraph
from sgfb.structures.graph_table import GraphTable


# ----------------------------------------------------------------------------- helpers
def test_frame_segments_and_order_check():
    starts, lengths = frame_segments(np.array([0, 0, 2, 2, 2, 5]))
    assert starts.tolist() == [0, 2, 5] and lengths.tolist() == [2, 3, 1]
    with pytest.raises(ValueError, match="non-decreasing"):
        frame_segments(np.array([1, 0]))


def test_rank_stable_and_numpy_reversed_by_hand():
    frame = np.array([0, 0, 0, 1, 1, 1, 1])
    score = np.array([.2, .9, .5, .3, .3, .8, .3])
    assert rank_stable(frame, score).tolist() == [2, 0, 1, 1, 2, 0, 3]
    # frame 1 ties: NumPy's default argsort of [.3 .3 .8 .3], reversed, on that array alone
    tie = np.argsort(score[3:])[::-1]
    expected = np.empty(4, int)
    expected[tie] = np.arange(4)
    assert rank_numpy_reversed(frame, score).tolist() == [2, 0, 1] + expected.tolist()


def test_rank_many_frames_equals_per_frame_sorts():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 40, 300)
    frame = np.repeat(np.arange(300), lengths)
    score = np.round(rng.uniform(0, 1, frame.shape[0]) * 4) / 4      # many ties
    stable, numpy_rev = rank_stable(frame, score), rank_numpy_reversed(frame, score)
    start = 0
    for n in lengths.tolist():
        s = score[start:start + n]
        want = np.empty(n, int)
        want[np.argsort(-s, kind="stable")] = np.arange(n)
        assert stable[start:start + n].tolist() == want.tolist()
        want[np.argsort(s)[::-1]] = np.arange(n)
        assert numpy_rev[start:start + n].tolist() == want.tolist()
        start += n


def test_top_per_frame_picks_clean_cuts_and_defers_ties_at_the_cut():
    value = np.array([.1, .9, .5, .7,        # cap 2: .9 .7, cut clean
                      .4, .8, .4, .4,        # .8 then one of three .4: tie at the cut
                      .6,                    # fewer than cap: all
                      .3, .3, .3, .3])       # all equal: tie at the cut
    starts, lengths = np.array([0, 4, 8, 9]), np.array([4, 4, 1, 4])
    fast, exact = top_per_frame_numpy(starts, lengths, value, cap=2)
    assert fast.tolist() == [1, 3, 8] and exact.tolist() == [1, 3]
    fast, exact = top_per_frame_numpy(starts, lengths, value, cap=1)
    assert fast.tolist() == [1, 5, 8] and exact.tolist() == [3]


# ----------------------------------------------------------------------------- sttran "no"
def sttran_no_per_frame(g: SceneGraph, cap: int):
    """STTran's ``no`` on one frame, loop by loop: rows attention/spatial/contacting, each
    zero outside its group; argsort(-overall)[:cap]; triplets ranked by argsort()[::-1]."""
    pairs = np.stack([np.full(g.num_pairs, g.person), g.pair_objects], 1)
    rel_inds = np.concatenate([pairs, pairs[:, ::-1], pairs])
    rows = []
    for sl in GROUP_SLICES.values():
        b = np.zeros((g.num_pairs, 26))
        b[:, sl] = g.relations[:, sl]
        rows.append(b)
    rel = np.concatenate(rows)
    pair32 = (g.scores[rel_inds[:, 0]] * g.scores[rel_inds[:, 1]]).astype(np.float64)
    top = np.argsort(-(pair32[:, None] * rel).ravel())[:cap]
    ri, k = np.divmod(top, 26)
    s = g.scores.astype(np.float64)
    score = s[rel_inds[ri, 0]] * s[rel_inds[ri, 1]] * rel[ri, k]
    rank = np.empty(top.shape[0], int)
    rank[score.argsort()[::-1]] = np.arange(top.shape[0])
    return sorted(zip(rank.tolist(), rel_inds[ri, 0].tolist(), rel_inds[ri, 1].tolist(),
                      k.tolist()))


def graph(rel, scores, key):
    m = rel.shape[0] + 1
    boxes = np.tile([0, 0, 10, 10], (m, 1))
    return SceneGraph.from_predictions(boxes, np.arange(m), np.asarray(scores, np.float32),
                                       np.arange(1, m), rel.astype(np.float32), person=0,
                                       frame_key=key)


def frames_with_ties():
    rng = np.random.default_rng(7)
    out = []
    # 2 pairs: 52 non-zero of 156 values, so the top 100 cut falls among equal zeros
    out.append(graph(rng.uniform(.1, 1, (2, 26)), rng.uniform(.3, 1, 3), "A.mp4/1"))
    # every score equal
    out.append(graph(np.full((5, 26), .5), np.ones(6), "A.mp4/2"))
    # 5 pairs (130 non-zero): the cut is clean; pairs 3 and 4 are identical, so their
    # scores tie above the cut
    rel = rng.uniform(.1, 1, (5, 26))
    rel[4] = rel[3]
    scores = np.r_[1, rng.uniform(.3, 1, 5)]
    scores[5] = scores[4]
    out.append(graph(rel, scores, "A.mp4/3"))
    # 5 pairs, values quantised to quarters: equal values everywhere, also at the cut
    out.append(graph(np.round(rng.uniform(0, 1, (5, 26)) * 4) / 4, np.ones(6), "A.mp4/4"))
    # 6 distinct pairs, no ties at all
    out.append(graph(rng.uniform(.1, 1, (6, 26)), rng.uniform(.3, 1, 7), "B.mp4/1"))
    # 1 pair (78 values, fewer than 100): every value picked, zeros tie
    out.append(graph(rng.uniform(.1, 1, (1, 26)), [1, .5], "B.mp4/2"))
    return out


@pytest.mark.parametrize("cap", [100, 30])
def test_sttran_no_equals_the_per_frame_evaluator_with_ties(cap):
    graphs = frames_with_ties()
    table = GraphTable.from_graphs(graphs)
    proto = PROTOCOLS["sttran"].replace(no_cap=cap)
    r = rank_predictions(table, np.arange(len(graphs)), "no", proto, 0.9, max_rank=10 ** 6)
    nodes = table.node_offsets
    for f, g in enumerate(graphs):
        mine = r.frame == f
        got = sorted(zip(r.rank[mine].tolist(), (r.subject[mine] - nodes[f]).tolist(),
                         (r.object[mine] - nodes[f]).tolist(), r.predicate[mine].tolist()))
        assert got == sttran_no_per_frame(g, cap), g.frame_key


def test_sttran_no_takes_the_fallback_only_where_ties_decide(monkeypatch):
    from sgfb.evaluation import sg_candidates
    seen = {}

    def top(*args, **kw):
        seen["fast"], seen["cut_tied"] = out = top_per_frame_numpy(*args, **kw)
        return out

    def ranks(frame, score):
        out = rank_segments(frame, score)
        seen["picks_tied"] = np.unique(frame[out[1][out[3]]]).tolist()
        return out

    monkeypatch.setattr(sg_candidates, "top_per_frame_numpy", top)
    monkeypatch.setattr(sg_candidates, "rank_segments", ranks)
    graphs = frames_with_ties()
    rank_predictions(GraphTable.from_graphs(graphs), np.arange(len(graphs)), "no",
                     PROTOCOLS["sttran"], 0.9, max_rank=100)
    # zeros at the cut, all equal, quantised: deferred at the cut; the identical pairs and
    # the 1-pair frame's zeros: picked by arrays, then deferred for tied triplet scores;
    # the frame without ties never leaves the array path
    assert seen["cut_tied"].tolist() == [0, 1, 3]
    assert seen["picks_tied"] == [2, 5]
