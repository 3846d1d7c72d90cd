"""PS-Net losses: region triplet (eq. 2-3), plagiarism loss (eq. 4-6), coordinate ascent."""
import math

import pytest
import torch

from mmpretrain.registry import MODELS
from ps_net.models.losses import (PSNetRegionTripletLoss, alpha_tri, coordinate_ascent_step,
                                  normalise_weights, plagiarism_loss, region_distances,
                                  region_triplet_loss, triplet_hinge, weighted_triplet)

S2 = math.sqrt(2.0)
E0 = [1.0, 0.0]
E1 = [0.0, 1.0]
DIAG = [1 / S2, 1 / S2]


def feats(*rows):
    """(B, R, 2) features from nested lists of 2-d unit vectors."""
    return torch.tensor(rows, dtype=torch.float64)


@pytest.fixture
def triplets():
    """Two triplets, R = 2, hand-made unit features with known distances.

    Triplet 0: region 0 d_ap = 0, d_an = sqrt2 -> 0; region 1 d_ap = sqrt2, d_an = 0 -> sqrt2+m.
    Triplet 1: region 0 d_ap = d_an = |E0 - DIAG| -> m; region 1 d_ap = 0, d_an = sqrt2 -> 0.
    """
    a = feats([E0, E0], [E0, E1])
    p = feats([E0, E1], [DIAG, E1])
    n = feats([E1, E0], [DIAG, E0])
    return a, p, n


# ---------------------------------------------------------------- eq. 2-3 --------------------
def test_region_distances_hand_values():
    a = feats([E0, E0, DIAG])
    b = feats([E1, E0, E0])
    d = region_distances(a, b)
    assert d.shape == (1, 3)
    assert torch.allclose(d, torch.tensor([[S2, 0.0, math.sqrt(2 - S2)]], dtype=d.dtype))


def test_region_distances_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r'\(2, 5\)'):
        region_distances(torch.zeros(2, 5), torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r'\(1, 5, 3\)'):
        region_distances(torch.zeros(1, 5, 2), torch.zeros(1, 5, 3))


def test_region_triplet_loss_eq2_eq3_values(triplets):
    a, p, n = triplets
    m = 0.2
    per, active = region_triplet_loss(a, p, n, margin=m, reduction='none')
    assert torch.allclose(per, torch.tensor([S2 + m, m], dtype=per.dtype))  # eq. 2
    total, _ = region_triplet_loss(a, p, n, margin=m, reduction='sum')  # eq. 3
    assert total.item() == pytest.approx(S2 + 2 * m)
    mean, _ = region_triplet_loss(a, p, n, margin=m)
    assert mean.item() == pytest.approx((S2 + 2 * m) / 2)
    assert active.item() == 1.0
    # margin 0: triplet 1's tie is no longer active
    per0, active0 = region_triplet_loss(a, p, n, margin=0.0, reduction='none')
    assert per0.tolist() == pytest.approx([S2, 0.0])
    assert active0.item() == 0.5


def test_region_triplet_loss_masks_missing_regions(triplets):
    a, p, n = triplets
    m = 0.2
    # region 1 missing on the positive of triplet 0: its sqrt2 + m term disappears
    vp = torch.tensor([[True, False], [True, True]])
    ones = torch.ones(2, 2, dtype=torch.bool)
    per, active = region_triplet_loss(a, p, n, m, valid=[ones, vp, ones], reduction='none')
    assert per.tolist() == pytest.approx([0.0, m])
    assert active.item() == 0.5
    # same as the combined mask
    per2, _ = region_triplet_loss(a, p, n, m, valid=vp, reduction='none')
    assert torch.equal(per, per2)
    # a triplet with no valid region is left out of the mean and of the active share
    va = torch.tensor([[False, False], [True, True]])
    mean, active = region_triplet_loss(a, p, n, m, valid=va)
    assert mean.item() == pytest.approx(m) and active.item() == 1.0
    # all masked: zero loss, zero share, still differentiable
    a_req = a.clone().requires_grad_(True)
    loss, active = region_triplet_loss(a_req, p, n, m, valid=torch.zeros(2, 2, dtype=bool))
    loss.backward()
    assert loss.item() == 0 and active.item() == 0 and torch.all(a_req.grad == 0)


def test_region_triplet_loss_missing_region_features_never_leak(triplets):
    a, p, n = triplets
    p = p.clone()
    p[0, 1] = float('nan')  # the missing region's feature is garbage
    a = a.clone().requires_grad_(True)
    valid = torch.tensor([[True, False], [True, True]])
    loss, _ = region_triplet_loss(a, p, n, 0.2, valid=valid, reduction='sum')
    loss.backward()
    assert loss.item() == pytest.approx(0.2)
    assert torch.isfinite(a.grad).all()


def test_region_triplet_loss_gradient_finite_at_zero_distance():
    f = torch.nn.functional.normalize(torch.randn(3, 5, 4, dtype=torch.float64), dim=-1)
    a = f.clone().requires_grad_(True)
    loss, active = region_triplet_loss(a, f, -f, margin=0.2)  # d_ap = 0 everywhere
    loss.backward()
    assert loss.item() == 0 and active.item() == 0
    assert torch.isfinite(a.grad).all()


def test_region_triplet_loss_validates_arguments(triplets):
    a, p, n = triplets
    with pytest.raises(ValueError, match='-0.1'):
        region_triplet_loss(a, p, n, margin=-0.1)
    with pytest.raises(ValueError, match="'avg'"):
        region_triplet_loss(a, p, n, reduction='avg')
    with pytest.raises(ValueError, match=r'\(2, 3\)'):
        region_triplet_loss(a, p, n, valid=torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r'\(1, 2, 2\)'):
        region_triplet_loss(a, p[:1], n)


def test_region_triplet_module_is_registered_and_normalises(triplets):
    a, p, n = triplets
    module = MODELS.build(dict(type='PSNetRegionTripletLoss', margin=0.2, loss_weight=2.0,
                               reduction='sum', normalize=True))
    assert isinstance(module, PSNetRegionTripletLoss)
    loss, active = module(3 * a, 0.5 * p, 7 * n)  # scaling is undone by the L2 normalisation
    assert loss.item() == pytest.approx(2 * (S2 + 0.4))
    assert active.item() == 1.0
    with pytest.raises(ValueError, match="'max'"):
        PSNetRegionTripletLoss(reduction='max')
    # missing region with NaN features: masked before normalising, gradient finite
    p_nan = p.clone()
    p_nan[0, 1] = float('nan')
    a_req = a.clone().requires_grad_(True)
    loss, _ = module(a_req, p_nan, n, valid=torch.tensor([[True, False], [True, True]]))
    loss.backward()
    assert loss.item() == pytest.approx(2 * 0.2) and torch.isfinite(a_req.grad).all()
    # by default the features are taken as given (PSNetRegionHead's are unit vectors already)
    plain = PSNetRegionTripletLoss(margin=0.2, reduction='sum')
    assert not plain.normalize
    torch.testing.assert_close(plain(3 * a, 0.5 * p, 7 * n)[0],
                               region_triplet_loss(3 * a, 0.5 * p, 7 * n, 0.2,
                                                   reduction='sum')[0])


def test_triplet_hinge_hand_values_and_gradient():
    d_ap = torch.tensor([[1.0, 0.3], [0.5, 0.0]], requires_grad=True)
    d_an = torch.tensor([[0.5, 0.9], [0.5, 0.3]])
    hinge = triplet_hinge(d_ap, d_an, 0.2)  # max(d_ap - d_an + 0.2, 0)
    torch.testing.assert_close(hinge, torch.tensor([[0.7, 0.0], [0.2, 0.0]]))
    hinge.sum().backward()
    assert d_ap.grad.tolist() == [[1.0, 0.0], [1.0, 0.0]]  # no gradient where inactive
    assert triplet_hinge(torch.tensor(0.1), torch.tensor(0.4), 0.0).item() == 0.0


# ---------------------------------------------------------------- eq. 4 ----------------------
D_AP = torch.tensor([[0.5, 0.1, 0.3, 0.0, 0.2],
                     [0.2, 0.2, 0.2, 0.2, 0.2]], dtype=torch.float64)
D_AN = torch.tensor([[0.2, 0.9, 0.3, 0.1, 0.1],
                     [0.1, 0.5, 0.2, 0.6, 0.3]], dtype=torch.float64)
# hinge with m = 0.2:    [[0.5, 0, 0.2, 0.1, 0.3], [0.3, 0, 0.2, 0, 0.1]]
HINGE = torch.tensor([[0.5, 0.0, 0.2, 0.1, 0.3], [0.3, 0.0, 0.2, 0.0, 0.1]],
                     dtype=torch.float64)
W = torch.tensor([0.4, 0.1, 0.2, 0.2, 0.1], dtype=torch.float64)


def test_weighted_triplet_eq4_values():
    out = weighted_triplet(D_AP, D_AN, W, margin=0.2)
    assert out.tolist() == pytest.approx((HINGE * W).sum(1).tolist())
    assert out.tolist() == pytest.approx([0.2 + 0.04 + 0.02 + 0.03, 0.12 + 0.04 + 0.01])
    # one weight row per triplet
    rows = torch.stack([W, torch.full((5,), 0.2, dtype=torch.float64)])
    out = weighted_triplet(D_AP, D_AN, rows, margin=0.2)
    assert out.tolist() == pytest.approx([0.29, 0.6 * 0.2])
    # uniform weights 1/5: the eq. 2 sum divided by 5
    uniform = weighted_triplet(D_AP, D_AN, torch.full((5,), 0.2, dtype=torch.float64), 0.2)
    assert uniform.tolist() == pytest.approx((HINGE.sum(1) / 5).tolist())


def test_weighted_triplet_renormalises_weights_of_missing_regions():
    valid = torch.tensor([[False, False, True, True, True], [True] * 5])
    out = weighted_triplet(D_AP, D_AN, W, 0.2, valid=valid)
    # triplet 0 keeps regions 2-4, weights 0.2, 0.2, 0.1 renormalised to 0.4, 0.4, 0.2
    assert out[0].item() == pytest.approx(0.2 * 0.4 + 0.1 * 0.4 + 0.3 * 0.2)
    assert out[1].item() == pytest.approx(0.17)
    # an all-true mask is eq. 4 unchanged; an all-false row contributes 0
    assert torch.allclose(weighted_triplet(D_AP, D_AN, W, 0.2, valid=torch.ones(2, 5, dtype=bool)),
                          weighted_triplet(D_AP, D_AN, W, 0.2))
    none = torch.zeros(2, 5, dtype=torch.bool)
    assert weighted_triplet(D_AP, D_AN, W, 0.2, valid=none).tolist() == [0.0, 0.0]
    # masked distances may be NaN
    d_ap = D_AP.clone()
    d_ap[0, 0] = float('nan')
    out_nan = weighted_triplet(d_ap, D_AN, W, 0.2, valid=valid)
    assert torch.allclose(out_nan, out)


def test_weighted_triplet_validates():
    with pytest.raises(ValueError, match=r'\(4,\)'):
        weighted_triplet(D_AP, D_AN, torch.ones(4), 0.2)
    with pytest.raises(ValueError, match=r'\(2, 4\)'):
        weighted_triplet(D_AP, D_AN[:, :4], W, 0.2)
    with pytest.raises(ValueError, match='nan'):
        weighted_triplet(D_AP, D_AN, W, float('nan'))


# ---------------------------------------------------------------- eq. 5 ----------------------
def test_alpha_tri_eq5_hand_values():
    d = torch.tensor([[1.0, 1.0, 1.0, 1.0, 1.0],   # uniform difference: 1
                      [1.0, 0.0, 0.0, 0.0, 0.0],   # one region modified: 1/5
                      [0.4, 0.2, 0.2, 0.1, 0.1]], dtype=torch.float64)  # avg 0.2 / max 0.4
    assert alpha_tri(d, eps=0.0).tolist() == pytest.approx([1.0, 0.2, 0.5])
    assert alpha_tri(d).tolist() == pytest.approx([1.0, 0.2, 0.5], rel=1e-6)


def test_alpha_tri_eps_and_zero_distances():
    zero = torch.zeros(1, 5)
    assert alpha_tri(zero).item() == 0.0          # 0 / (0 + eps)
    assert alpha_tri(zero, eps=0.0).item() == 0.0  # 0 / 0 is mapped to 0, never NaN
    d = torch.ones(1, 5, dtype=torch.float64)
    assert alpha_tri(d, eps=1.0).item() == pytest.approx(0.5)  # eps is in the denominator
    with pytest.raises(ValueError, match='-1'):
        alpha_tri(d, eps=-1)


def test_alpha_tri_has_no_gradient_and_masks():
    d = torch.tensor([[0.4, 0.2, 0.2, 0.1, 0.1]], requires_grad=True)
    a = alpha_tri(d)
    assert not a.requires_grad and a.grad_fn is None
    valid = torch.tensor([[False, True, True, True, True]])  # the 0.4 region is missing
    assert alpha_tri(d, valid, eps=0.0).item() == pytest.approx(0.15 / 0.2)
    d_nan = d.detach().clone()
    d_nan[0, 0] = float('nan')
    assert alpha_tri(d_nan, valid, eps=0.0).item() == pytest.approx(0.75)
    assert alpha_tri(d, torch.zeros(1, 5, dtype=torch.bool)).item() == 0.0


# ---------------------------------------------------------------- eq. 6 ----------------------
def test_plagiarism_loss_eq6_values_and_gradient():
    d_ap = D_AP.clone().requires_grad_(True)
    d_an = D_AN.clone().requires_grad_(True)
    loss = plagiarism_loss(d_ap, d_an, W, margin=0.2)
    alpha = torch.tensor([0.22 / 0.5, 1.0], dtype=torch.float64)  # eq. 5 per triplet
    expected = ((HINGE * W).sum(1) * alpha).sum()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    loss.backward()
    # alpha is a constant: d L / d d_ap = lambda_r * alpha_tri on active terms only
    active = (HINGE > 0).to(torch.float64)
    assert torch.allclose(d_ap.grad, active * W * alpha[:, None], rtol=1e-6)
    assert torch.allclose(d_an.grad, -active * W * alpha[:, None], rtol=1e-6)
    assert plagiarism_loss(D_AP[:0], D_AN[:0], W).item() == 0.0


def test_plagiarism_loss_with_masks():
    valid = torch.tensor([[False, False, True, True, True], [True] * 5])
    loss = plagiarism_loss(D_AP, D_AN, W, 0.2, valid)
    l0 = 0.2 * 0.4 + 0.1 * 0.4 + 0.3 * 0.2
    a0 = (0.5 / 3) / 0.3
    assert loss.item() == pytest.approx(l0 * a0 + 0.17 * 1.0, rel=1e-6)


# ---------------------------------------------------------------- weights --------------------
def test_normalise_weights_keeps_floor_and_sum():
    out = normalise_weights(torch.tensor([0.3, 0.2, 0.2, 0.2, 0.2]), floor=0.05)
    assert out.sum().item() == pytest.approx(1.0)
    assert torch.allclose(out, torch.tensor([0.3, 0.2, 0.2, 0.2, 0.2]) / 1.1)
    low = normalise_weights(torch.tensor([-0.05, 0.4, 0.3, 0.2, 0.2]), floor=0.05)
    assert low[0].item() == pytest.approx(0.05) and low.sum().item() == pytest.approx(1.0)
    assert torch.all(low >= 0.05 - 1e-7)
    # proportions of the free entries are kept
    assert (low[1] / low[2]).item() == pytest.approx(4 / 3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(200):
        w = torch.rand(5, generator=gen, dtype=torch.float64) ** 4 - 0.1
        out = normalise_weights(w, 0.05)
        assert out.sum().item() == pytest.approx(1.0)
        assert out.min().item() >= 0.05 - 1e-12
    assert normalise_weights(torch.zeros(5), 0.05).tolist() == pytest.approx([0.2] * 5)
    assert normalise_weights(torch.ones(5), 0.2).tolist() == pytest.approx([0.2] * 5)


def test_normalise_weights_validates():
    with pytest.raises(ValueError, match='0.3'):
        normalise_weights(torch.ones(5), floor=0.3)
    with pytest.raises(ValueError, match='nan'):
        normalise_weights(torch.tensor([float('nan'), 1.0]))


def _random_distances(seed: int, t: int = 12):
    gen = torch.Generator().manual_seed(seed)
    d_ap = torch.rand(t, 5, generator=gen, dtype=torch.float64)
    d_an = torch.rand(t, 5, generator=gen, dtype=torch.float64)
    valid = torch.rand(t, 5, generator=gen) > 0.15
    return d_ap, d_an, valid


@pytest.mark.parametrize('seed', range(8))
def test_coordinate_ascent_never_raises_the_loss(seed):
    d_ap, d_an, valid = _random_distances(seed)

    def loss_fn(w):
        return float(plagiarism_loss(d_ap, d_an, w, 0.2, valid))

    w = torch.full((5,), 0.2, dtype=torch.float64)
    for step in (0.1, 0.1, 0.05, 0.01):
        start = loss_fn(w)
        before = w.clone()
        new, moves = coordinate_ascent_step(loss_fn, w, step, floor=0.05)
        assert torch.equal(w, before)  # pure: the input row is untouched
        assert loss_fn(new) <= start
        prev = start
        for mv in moves:  # every accepted move is a strict decrease, chained
            assert mv.loss_before == pytest.approx(prev) and mv.loss_after < mv.loss_before
            assert abs(mv.delta) == step
            prev = mv.loss_after
        if moves:
            assert loss_fn(new) == pytest.approx(moves[-1].loss_after)
        else:
            assert torch.equal(new, w)
        assert new.sum().item() == pytest.approx(1.0)
        assert new.min().item() >= 0.05 - 1e-12
        w = new


def test_coordinate_ascent_is_pure_and_follows_order():
    w = torch.full((5,), 0.2, dtype=torch.float64)
    seen = []

    def loss_fn(x):
        seen.append(x.clone())
        return 1.0  # nothing is ever better

    new, moves = coordinate_ascent_step(loss_fn, w, 0.1, order=[3, 1])
    assert moves == [] and torch.equal(new, w) and torch.equal(w, torch.full((5,), 0.2,
                                                                             dtype=torch.float64))
    # current, then +/- on region 3, then +/- on region 1
    assert len(seen) == 5
    assert seen[1][3] > 0.2 and seen[2][3] < 0.2 and seen[3][1] > 0.2 and seen[4][1] < 0.2


def test_coordinate_ascent_reverts_when_both_directions_are_worse():
    w0 = torch.tensor([0.3, 0.1, 0.2, 0.2, 0.2], dtype=torch.float64)

    def loss_fn(w):  # minimum exactly at w0
        return float(((w - w0) ** 2).sum())

    new, moves = coordinate_ascent_step(loss_fn, w0, 0.05)
    assert moves == [] and torch.equal(new, w0)


def test_coordinate_ascent_ignores_nan_and_noisy_losses():
    w = torch.full((5,), 0.2)
    new, moves = coordinate_ascent_step(lambda x: float('nan'), w, 0.1)
    assert moves == [] and torch.equal(new, w)
    gen = torch.Generator().manual_seed(1)
    new, moves = coordinate_ascent_step(lambda x: torch.rand(1, generator=gen).item(), w, 0.1)
    for a, b in zip(moves, moves[1:]):
        assert b.loss_before == a.loss_after and b.loss_after < b.loss_before


def test_coordinate_ascent_skips_minus_step_at_the_floor():
    w = normalise_weights(torch.tensor([0.0, 1.0, 1.0, 1.0, 1.0], dtype=torch.float64), 0.05)
    calls = []

    def loss_fn(x):
        calls.append(x.clone())
        return float(x[0])  # lower is better for region 0: only -step could help

    new, moves = coordinate_ascent_step(loss_fn, w, 0.1, order=[0])
    assert moves == [] and torch.equal(new, w)
    assert len(calls) == 2  # current and +step; -step equals w (at the floor) and is skipped


def test_coordinate_ascent_moves_towards_lower_loss():
    # Plagiarised copies modified on the chest (region 3): large D_r(I, I+) there. Lowering the
    # chest weight lowers L_pla, so repeated cycles drive it to the floor and raise the others.
    t = 16
    gen = torch.Generator().manual_seed(0)
    d_ap = 0.05 + 0.05 * torch.rand(t, 5, generator=gen, dtype=torch.float64)
    d_ap[:, 3] = 0.9
    d_an = 0.3 + 0.05 * torch.rand(t, 5, generator=gen, dtype=torch.float64)

    def loss_fn(w):
        return float(plagiarism_loss(d_ap, d_an, w, 0.2))

    w = torch.full((5,), 0.2, dtype=torch.float64)
    start = loss_fn(w)
    for _ in range(10):
        w, _ = coordinate_ascent_step(loss_fn, w, 0.1, floor=0.05)
    assert w[3].item() == pytest.approx(0.05)
    assert loss_fn(w) < 0.5 * start
    assert w.sum().item() == pytest.approx(1.0)


def test_coordinate_ascent_validates():
    w = torch.full((5,), 0.2)
    with pytest.raises(ValueError, match='1.5'):
        coordinate_ascent_step(lambda x: 0.0, w, 1.5)
    with pytest.raises(ValueError, match='0.9'):
        coordinate_ascent_step(lambda x: 0.0, torch.tensor([0.9, 0.2, 0.2, 0.2, 0.2]), 0.1)
    with pytest.raises(ValueError, match=r'\[5\]'):
        coordinate_ascent_step(lambda x: 0.0, w, 0.1, order=[5])
    with pytest.raises(ValueError, match='0.01'):
        coordinate_ascent_step(lambda x: 0.0, torch.tensor([0.01, 0.2475, 0.2475, 0.2475,
                                                            0.2475], dtype=torch.float64), 0.1,
                               floor=0.05)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_coordinate_ascent_on_fixed_triplets_ends_at_a_vertex(seed):
    """With every region valid, eq. 6 is linear in lambda: L_pla = sum_r lambda_r H_r with
    H_r = sum_n alpha_n max(D_r(I, I+) - D_r(I, I-) + m, 0). On the floored simplex its minimum
    gives every region the floor but the one of smallest H_r, so coordinate ascent on one fixed
    set of triplets heads for that vertex (what a large weight-learning batch shows)."""
    gen = torch.Generator().manual_seed(seed)
    d_ap = torch.rand(40, 5, generator=gen, dtype=torch.float64)
    d_an = torch.rand(40, 5, generator=gen, dtype=torch.float64)
    w = torch.full((5, ), 0.2, dtype=torch.float64)
    h = (alpha_tri(d_ap)[:, None] * (d_ap - d_an + 0.2).clamp(min=0)).sum(0)
    uniform = plagiarism_loss(d_ap, d_an, w).item()
    torch.testing.assert_close(torch.tensor(uniform, dtype=torch.float64), (h * w).sum())
    for step in [0.1] * 20 + [0.05] * 20 + [0.01] * 40:
        w, _ = coordinate_ascent_step(lambda x: plagiarism_loss(d_ap, d_an, x).item(), w, step)
    best = int(h.argmin())
    assert int(w.argmax()) == best and w[best] > 0.75
    others = torch.cat([w[:best], w[best + 1:]])
    assert (others < 0.06).all()
    assert plagiarism_loss(d_ap, d_an, w).item() < uniform
