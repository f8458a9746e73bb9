"""I3D-NL backbone: layout (stem, temporal kernels, non-local placement), shapes, parameter
counts against an independent formula, frozen batch norm, initialisation, config errors."""
import pytest
import torch
from torch import nn

from pytorchvideo.layers.nonlocal_net import NonLocal

from sgfb.backbone import ARCHS, BackboneConfig, FrozenBatchNorm3d, VideoBackbone, build_backbone
from sgfb.backbone.i3d import count_nonlocal, temporal_kernel_pattern

R101_RES4 = [3 if i % 2 == 0 else 1 for i in range(23)]


def small(**kw):
    torch.manual_seed(0)
    return build_backbone(BackboneConfig(arch="i3d_small", num_frames=8, crop_size=112, **kw))


# ---------------------------------------------------------------- layout

def test_temporal_kernel_pattern_r50(r50):
    assert r50.temporal_kernel_sizes() == {
        "stem": [5], "res2": [3, 3, 3], "res3": [3, 1, 3, 1], "res4": [3, 1, 3, 1, 3, 1],
        "res5": [1, 3, 1]}


def test_temporal_kernel_pattern_r101(r101):
    kernels = r101.temporal_kernel_sizes()
    assert kernels["res4"] == R101_RES4 and len(kernels["res4"]) == 23
    assert kernels["res2"] == [3, 3, 3] and kernels["res3"] == [3, 1, 3, 1]
    assert kernels["res5"] == [1, 3, 1] and kernels["stem"] == [5]


def test_pattern_helper_repeats_and_cuts_the_basis():
    assert temporal_kernel_pattern([1, 1, 1, 1]) == [[3], [3], [3], [1]]
    assert temporal_kernel_pattern([2, 5, 2, 2]) == [[3, 3], [3, 1, 3, 1, 3], [3, 1], [1, 3]]


def test_padding_keeps_time_and_kernels_are_inflated_only_in_conv_a(r50):
    for stage in r50.stages().values():
        for block in stage.blocks:
            a, b, c = block.branch2.conv_a, block.branch2.conv_b, block.branch2.conv_c
            assert a.kernel_size[1:] == (1, 1) and a.padding[0] == a.kernel_size[0] // 2
            assert b.kernel_size == (1, 3, 3) and c.kernel_size == (1, 1, 1)
            assert a.stride == (1, 1, 1)


def test_stem_and_pools(r50):
    assert r50.stem.conv.kernel_size == (5, 7, 7) and r50.stem.conv.stride == (1, 2, 2)
    assert r50.stem.conv.padding == (2, 3, 3)
    assert r50.stem.pool.kernel_size == (1, 3, 3) and r50.stem.pool.stride == (1, 2, 2)
    assert r50.temporal_pool.kernel_size == (2, 1, 1) and r50.temporal_pool.stride == (2, 1, 1)
    strides = [s.blocks[0].branch2.conv_b.stride for s in r50.stages().values()]
    assert strides == [(1, 1, 1), (1, 2, 2), (1, 2, 2), (1, 2, 2)]


def test_nonlocal_placement(r50, r101):
    assert count_nonlocal(r50) == 5 and count_nonlocal(r101) == 5
    assert r50.nonlocal_locations() == {"res2": [], "res3": [1, 3], "res4": [1, 3, 5], "res5": []}
    assert r101.nonlocal_locations() == {"res2": [], "res3": [1, 3], "res4": [6, 13, 20],
                                         "res5": []}
    nl = r101.res4.nonlocal_blocks["13"]
    assert isinstance(nl, NonLocal) and nl.instantiation == "softmax"
    assert nl.conv_theta.in_channels == 1024 and nl.conv_theta.out_channels == 512
    assert nl.pool.kernel_size == (1, 2, 2)


def test_nonlocal_runs_right_after_its_block():
    model = small()
    order = []
    for name, module in model.named_modules():
        if name.startswith("res3.") and name.count(".") == 2:
            module.register_forward_hook(lambda m, i, o, name=name: order.append(name))
    model.eval()(torch.randn(1, 3, 4, 64, 64))
    assert order == ["res3.blocks.0", "res3.nonlocal_blocks.0"]


def test_nonlocal_switches_and_overrides():
    assert count_nonlocal(small(non_local=False)) == 0
    assert count_nonlocal(small()) == 1
    model = build_backbone(BackboneConfig(arch="i3d_nl_r101",
                                          nonlocal_locations=[[], [1, 3], [1, 3, 5], []]))
    assert model.nonlocal_locations()["res4"] == [1, 3, 5]


# ---------------------------------------------------------------- shapes, forward, backward

def test_small_forward_backward_shapes():
    model = small()
    clips = torch.randn(2, 3, 8, 112, 112)
    assert model.out_dim == 512
    assert model.forward_features(clips).shape == (2, 512, 4, 4, 4)
    feature = model(clips)
    assert feature.shape == (2, 512)
    feature.square().mean().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert torch.allclose(model.forward_features(clips).mean((2, 3, 4)), model(clips))


@pytest.mark.parametrize("arch", ["r50", "r101"])
def test_full_size_forward_on_a_tiny_clip(arch, request):
    model = request.getfixturevalue(arch)
    with torch.no_grad():
        fmap = model.forward_features(torch.randn(1, 3, 8, 64, 64))
        feature = model(torch.randn(1, 3, 8, 64, 64))
    assert model.out_dim == 2048
    assert fmap.shape == (1, 2048, 4, 2, 2) and feature.shape == (1, 2048)
    assert torch.isfinite(feature).all()


def test_pooled_feature_feeds_the_sgfb_head():
    from sgfb.feature_bank.fbo import SGFBHead, build_fbo
    model = small()
    head = SGFBHead(model.out_dim, 157, *build_fbo("nl", model.out_dim, 875))
    bank, mask = torch.rand(2, 5, 875), torch.ones(2, 5, dtype=torch.bool)
    assert head(model(torch.randn(2, 3, 8, 112, 112)), bank, mask).shape == (2, 157)


def test_bad_input_layout_is_named():
    with pytest.raises(ValueError, match=r"\[B, 3, T, H, W\]"):
        small()(torch.randn(2, 8, 3, 112, 112))


def test_preprocessing_is_plain_and_complete():
    model = small()
    pre = model.preprocessing
    assert pre["num_frames"] == 8 and pre["crop_size"] == 112 and pre["sampling_rate"] == 4
    assert pre["mean"] == [0.45] * 3 and pre["std"] == [0.225] * 3
    assert all(isinstance(v, (int, float, str, list)) for v in pre.values())


# ---------------------------------------------------------------- parameter counts

def formula_params(depths, width, nonlocal_locations, kernels):
    """Independent count: convs (no bias) + BN affine, projection shortcuts, NL blocks."""
    total = 3 * width * 5 * 7 * 7 + 2 * width
    dim_in = width
    for s, depth in enumerate(depths):
        inner = width * 2 ** s
        out = 4 * inner
        for i in range(depth):
            d = dim_in if i == 0 else out
            total += d * inner * kernels[s][i] + inner * inner * 9 + inner * out
            total += 2 * (inner + inner + out)
            if i == 0:
                total += d * out + 2 * out
        for _ in nonlocal_locations[s]:
            half = out // 2
            total += 3 * (out * half + half) + (half * out + out) + 2 * out
        dim_in = out
    return total


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_param_counts(r50, r101):
    r50_kernels = [[3, 3, 3], [3, 1, 3, 1], [3, 1, 3, 1, 3, 1], [1, 3, 1]]
    r101_kernels = [[3, 3, 3], [3, 1, 3, 1], R101_RES4, [1, 3, 1]]
    assert n_params(r50) == formula_params((3, 4, 6, 3), 64, ARCHS["i3d_nl_r50"].nonlocal_locations,
                                           r50_kernels)
    assert n_params(r101) == formula_params((3, 4, 23, 3), 64,
                                            ARCHS["i3d_nl_r101"].nonlocal_locations, r101_kernels)
    # plain I3D R50 + a 400-way head is PySlowFast's "28.0M"; R101-I3D-NL about 58.3M
    plain = formula_params((3, 4, 6, 3), 64, [[]] * 4, r50_kernels)
    assert 27.9e6 < plain + 2048 * 400 + 400 < 28.1e6
    assert 58.0e6 < n_params(r101) < 58.6e6


# ---------------------------------------------------------------- frozen BN, init

def test_frozen_bn_has_no_params_and_never_moves():
    model = small(frozen_bn=True)
    assert not any(isinstance(m, nn.BatchNorm3d) for m in model.modules())
    frozen = [m for m in model.modules() if isinstance(m, FrozenBatchNorm3d)]
    assert frozen and all(len(list(m.parameters())) == 0 for m in frozen)
    assert n_params(model) == sum(m.weight.numel() + (m.bias.numel() if m.bias is not None else 0)
                                  for m in model.modules() if isinstance(m, nn.Conv3d))
    for m in frozen:  # give them non-trivial statistics
        m.running_mean.uniform_(-0.1, 0.1)
        m.running_var.uniform_(0.5, 1.5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    clips = torch.randn(2, 3, 4, 64, 64)
    model.train()
    out_train = model(clips)
    out_train.sum().backward()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert torch.allclose(out_train, model.eval()(clips))


def test_frozen_bn_matches_batchnorm_in_eval_and_loads_its_state():
    bn = nn.BatchNorm3d(6, eps=1e-3)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 6, 3, 4, 5)
    frozen = FrozenBatchNorm3d.convert(bn)
    assert isinstance(frozen, FrozenBatchNorm3d)
    assert torch.allclose(frozen(x), bn.eval()(x), atol=1e-6)
    other = FrozenBatchNorm3d(6, eps=1e-3)
    other.load_state_dict(bn.state_dict())       # num_batches_tracked accepted and ignored
    assert torch.allclose(other(x), bn(x), atol=1e-6)
    seq = FrozenBatchNorm3d.convert(nn.Sequential(nn.Conv3d(3, 6, 1), nn.BatchNorm3d(6)))
    assert isinstance(seq[1], FrozenBatchNorm3d)


def test_nonlocal_blocks_start_as_identity_and_final_bn_is_zero():
    model = small()
    nl = model.res3.nonlocal_blocks["0"]
    x = torch.randn(2, nl.conv_theta.in_channels, 2, 4, 4)
    assert torch.equal(nl.train()(x), x)
    finals = [b.branch2.norm_c.weight for s in model.stages().values() for b in s.blocks]
    assert all(float(w.detach().abs().sum()) == 0 for w in finals)
    kept = small(zero_init_final_bn=False)
    assert all(float(b.branch2.norm_c.weight.detach().min()) == 1 for s in kept.stages().values()
               for b in s.blocks)


def test_dropout_only_in_train_mode():
    model = small(dropout=0.5).eval()
    clips = torch.randn(1, 3, 4, 64, 64)
    assert torch.equal(model(clips), model(clips))
    assert isinstance(model.dropout, nn.Dropout)


# ---------------------------------------------------------------- config errors

def test_unknown_arch_lists_choices():
    with pytest.raises(ValueError, match="i3d_nl_r101"):
        build_backbone(BackboneConfig(arch="i3d_nl_r152"))


def test_bad_nonlocal_location_is_named():
    with pytest.raises(ValueError, match="res4.*0..5.*\\[6\\]"):
        build_backbone(BackboneConfig(arch="i3d_nl_r50",
                                      nonlocal_locations=[[], [1, 3], [6], []]))
    with pytest.raises(ValueError, match="4 lists"):
        small(nonlocal_locations=[[0]])


def test_config_overrides_parse_nested_lists():
    from sgfb.utils.config import apply_overrides
    config = apply_overrides(BackboneConfig(), ["arch=i3d_nl_r101",
                                                "nonlocal_locations=[[], [1, 3], [1, 3, 5], []]",
                                                "frozen_bn=true", "num_frames=8"])
    assert config.nonlocal_locations == [[], [1, 3], [1, 3, 5], []]
    assert config.frozen_bn is True and config.num_frames == 8


def test_video_backbone_checks_its_arguments():
    with pytest.raises(ValueError, match="res3: 2 temporal kernels for 1 blocks"):
        VideoBackbone(stage_depths=(1, 1, 1, 1), width=8, stem_temporal_kernel=5,
                      temporal_kernels=[[3], [3, 1], [3], [1]],
                      nonlocal_locations=[[], [], [], []])
