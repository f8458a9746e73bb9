"""Hand-checked outputs of the ST-SGN layers, readouts and reducers on tiny graphs."""
import numpy as np
import pytest
import torch
from torch import nn

from sgfb.structures.vocab import OBJECTS, RELATIONSHIPS
from sgfb.stsgn.encoders import GraphEncoder
from sgfb.stsgn.graphs import FrameGraphs
from sgfb.stsgn.layers import CenterlessCGConv, ElementwiseNNConv, make_gine
from sgfb.stsgn.reducers import GRUReducer, PoolReducer
from sgfb.structures import SceneGraph

# node 0 = person, nodes 1 and 2 = objects; edges object -> person
X = torch.tensor([[1.0, -2.0], [0.5, 1.0], [-3.0, 2.0]])
EDGE_INDEX = torch.tensor([[1, 2], [0, 0]])
E = torch.tensor([[0.0, -2.0], [1.0, 1.0]])


def test_gine_equation():
    conv = make_gine(2)
    with torch.no_grad():
        conv.nn.weight.copy_(torch.eye(2))
        conv.nn.bias.zero_()
        conv.eps.fill_(0.5)
    out = conv(X, EDGE_INDEX, E)
    # person: 1.5 * [1, -2] + relu([0.5, -1]) + relu([-2, 3]) = [1.5 + 0.5, -3 + 3]
    assert out[0].tolist() == [2.0, 0.0]
    assert out[1].tolist() == [0.75, 1.5] and out[2].tolist() == [-4.5, 3.0]


def test_gine_mlp_by_hand():
    conv = make_gine(2, mlp_layers=2)
    first, relu, second = conv.nn
    assert isinstance(relu, torch.nn.ReLU)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]])); first.bias.zero_()
        second.weight.copy_(torch.eye(2)); second.bias.fill_(1.0)
        conv.eps.fill_(0.5)
    # person's aggregate [2, 0] (test above) -> first: [2, 0] -> relu -> + 1: [3, 1]
    assert conv(X, EDGE_INDEX, E)[0].tolist() == [3.0, 1.0]
    with pytest.raises(ValueError, match="at least one layer"):
        make_gine(2, mlp_layers=0)


def test_gine_mlp_layers_reach_the_model_and_only_gine():
    from sgfb.stsgn.model import ModelConfig, build_stsgn
    gine = build_stsgn(ModelConfig("gine-person-bigru", channels=8, gine_mlp_layers=3))
    assert len(gine.encoder.convs[0].nn) == 5       # Linear, ReLU, Linear, ReLU, Linear
    plain = build_stsgn(ModelConfig("gine-person-bigru", channels=8))
    assert isinstance(plain.encoder.convs[0].nn, torch.nn.Linear)
    nn_conv = build_stsgn(ModelConfig("nn-person-bigru", channels=8, gine_mlp_layers=3))
    assert sum(p.numel() for p in nn_conv.parameters()) == sum(
        p.numel() for p in build_stsgn(ModelConfig("nn-person-bigru", channels=8)).parameters())


def test_centerless_cgconv_equation():
    conv = CenterlessCGConv(2, 2)
    with torch.no_grad():
        conv.lin_f.weight.zero_(); conv.lin_f.bias.zero_()          # gate = 0.5
        conv.lin_s.weight.zero_(); conv.lin_s.bias.zero_()
        conv.lin_s.weight[0, 0] = 1.0                                # uses x_j[0]
        conv.lin_s.weight[1, 3] = 1.0                                # uses e_ji[1]
    out = conv(X, EDGE_INDEX, E)
    sp = torch.nn.functional.softplus
    expected_person = X[0] + 0.5 * (sp(torch.tensor([0.5, -2.0])) + sp(torch.tensor([-3.0, 1.0])))
    assert torch.allclose(out[0], expected_person)
    assert torch.equal(out[1:], X[1:])  # objects receive no message
    # the centre node does not enter the message: changing x_0 shifts the output by exactly that
    x2 = X.clone(); x2[0] += 10
    assert torch.allclose(conv(x2, EDGE_INDEX, E)[0] - out[0], torch.tensor([10.0, 10.0]))


def test_elementwise_nnconv_equation():
    conv = ElementwiseNNConv(2, 2)
    with torch.no_grad():
        conv.edge_net.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        conv.edge_net.bias.copy_(torch.tensor([1.0, 0.0]))
    out = conv(X, EDGE_INDEX, E)
    # h(e1) = [1, -4], h(e2) = [2, 2]; person = [1,-2] + [0.5, -4] + [-6, 4]
    assert out[0].tolist() == [-4.5, -2.0]
    assert torch.equal(out[1:], X[1:])


def _graphs():
    cup, chair = OBJECTS.index("cup/glass/bottle"), OBJECTS.index("chair")
    holding, beneath = RELATIONSHIPS.index("holding"), RELATIONSHIPS.index("beneath")
    return FrameGraphs.from_scene_graphs([
        SceneGraph.from_ground_truth([cup, chair], [[holding], [beneath]], frame_key="A.mp4/000001.png"),
        SceneGraph.from_ground_truth([], [], frame_key="A.mp4/000002.png"),  # person alone
    ])


@pytest.mark.parametrize("readout", ["person", "mean", "max"])
def test_readouts(readout):
    enc = GraphEncoder("nn", readout, num_relationships=25, channels=4)
    with torch.no_grad():
        enc.node_embedding.weight.copy_(torch.arange(36 * 4, dtype=torch.float).reshape(36, 4) / 100)
        enc.edge_encoder.weight.zero_(); enc.edge_encoder.bias.zero_()
        enc.convs[0].edge_net.weight.zero_(); enc.convs[0].edge_net.bias.zero_()
    g = _graphs()
    out = enc(torch.tensor([0, 1]), g)
    emb = enc.node_embedding.weight
    nodes0 = emb[g.node_type[:3]]
    expected0 = {"person": nodes0[0], "mean": nodes0.mean(0), "max": nodes0.max(0).values}[readout]
    assert torch.allclose(out[0], expected0)
    assert torch.allclose(out[1], emb[0])  # person alone: every readout is the person


def test_frame_graph_layout_and_relmat():
    g = _graphs()
    assert g.node_offsets.tolist() == [0, 3, 4]
    assert g.node_type.tolist() == [0, OBJECTS.index("cup/glass/bottle"), OBJECTS.index("chair"), 0]
    batch = g.gather(torch.tensor([1, 0]))
    assert batch.edge_index.tolist() == [[2, 3], [1, 1]] and batch.person.tolist() == [0, 1]
    m = g.relationship_matrices().reshape(2, 36, 25)
    paper = list(g.relationships)
    assert m[0, OBJECTS.index("cup/glass/bottle"), paper.index(RELATIONSHIPS.index("holding"))] == 1
    assert m[0].sum() == 2 and m[1].sum() == 0


def test_predicted_graph_edges_are_confidences_and_no_person_gets_a_sink():
    rel = np.zeros((1, 26), np.float32); rel[0, RELATIONSHIPS.index("holding")] = 0.5
    pred = SceneGraph.from_predictions([[0, 0, 1, 1], [0, 0, 2, 2]], [0, 10], [0.9, 0.8], [1], rel, 0)
    nobody = SceneGraph.from_predictions([[0, 0, 1, 1]], [10], [0.7], [], np.zeros((0, 26)), None)
    g = FrameGraphs.from_scene_graphs([pred, nobody])
    holding = list(g.relationships).index(RELATIONSHIPS.index("holding"))
    assert g.edge_vector[1, holding] == pytest.approx(0.4)
    assert g.node_type.tolist() == [0, 10, 0, 10] and g.edge_vector[3].sum() == 0


def test_pool_reducers():
    # sequence 0: [1, 5], [3, -1]; sequence 1: [2, 2]
    x = torch.tensor([[1.0, 5.0], [3.0, -1.0], [2.0, 2.0]])
    lengths = torch.tensor([2, 1])
    for mode, expected in (("max", [[3.0, 5.0], [2.0, 2.0]]), ("mean", [[2.0, 2.0], [2.0, 2.0]])):
        red = PoolReducer(mode, 2, 2)
        with torch.no_grad():
            red.linear.weight.copy_(torch.eye(2)); red.linear.bias.zero_()
        assert red(x, lengths).tolist() == expected
    red = PoolReducer("max", 2, 2)
    with torch.no_grad():
        red.linear.weight.copy_(-torch.eye(2)); red.linear.bias.zero_()
    assert red(x, lengths).tolist() == [[0.0, 0.0], [0.0, 0.0]]  # ReLU after the linear


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_reducer_sequences_do_not_leak(bidirectional):
    torch.manual_seed(0)
    red = GRUReducer(3, 4, bidirectional)
    seq, other = torch.randn(2, 3), torch.randn(5, 3)
    alone = red(seq, torch.tensor([2]))
    both = red(torch.cat([other, seq]), torch.tensor([5, 2]))
    assert both.shape == (2, 4)
    assert torch.allclose(both[1], alone[0], atol=1e-6)
    assert red(seq[:1], torch.tensor([1])).shape == (1, 4)  # length 1


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_reducer_equals_packed_pytorch_gru(bidirectional):
    """Our recurrence computes what a packed (bi)GRU computes, gradients included."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
    torch.manual_seed(1)
    red = GRUReducer(3, 6, bidirectional)
    ref = nn.GRU(3, 3 if bidirectional else 6, batch_first=True, bidirectional=bidirectional)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(ref, name).copy_(getattr(red.forward_gru, name))
            if bidirectional:
                getattr(ref, name + "_reverse").copy_(getattr(red.backward_gru, name))
    lengths = torch.tensor([2, 5, 1, 3])
    x = torch.randn(int(lengths.sum()), 3, requires_grad=True)
    padded = pad_sequence(list(x.split(lengths.tolist())), batch_first=True)
    _, h = ref(pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False))
    expected = torch.cat(list(h), -1) if bidirectional else h[-1]
    got = red(x, lengths)
    assert torch.allclose(got, expected, atol=1e-6)
    (g_ref,) = torch.autograd.grad(expected.sum(), x)
    (g_ours,) = torch.autograd.grad(got.sum(), x)
    assert torch.allclose(g_ours, g_ref, atol=1e-6)


@pytest.mark.parametrize("conv", ["gine", "cg", "nn"])
def test_person_readout_shortcut_equals_full_update(conv):
    torch.manual_seed(0)
    enc = GraphEncoder(conv, "person", num_relationships=25, channels=6, num_layers=2)
    g = _graphs()
    frames = torch.tensor([0, 1, 0])
    batch = g.gather(frames)
    x = enc.node_embedding(batch.node_type)
    e = enc.edge_encoder(batch.edge_vector)
    x = torch.relu(enc.convs[0](x, batch.edge_index, e))
    full = enc.convs[1](x, batch.edge_index, e)[batch.person]
    assert torch.allclose(enc(frames, g), full, atol=1e-6)
