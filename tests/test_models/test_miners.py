"""Triplet miners: region triplets of plagiarized copies (the pre-train extension that
localises region features)."""
import numpy as np
import pytest
import torch

from ps_net.models.losses import copy_region_triplets, region_triplet_loss

IDS = [7, 7, 7, 7, 9, 9, 9]
REL = ['original', 'identical', 'plagiarized', 'plagiarized', 'original', 'identical',
       'irrelevant']


def _mods():
    mods = np.zeros((7, 5), bool)
    mods[2, 3] = True             # copy 2 changed the chest
    mods[3, [0, 1]] = True        # copy 3 changed both sleeves
    return mods


def test_kept_and_changed_triplets_of_each_copy():
    a, p, n, regions = copy_region_triplets(IDS, REL, _mods(), torch.Generator().manual_seed(0))
    assert len(a) == 4 and regions.shape == (4, 5)
    kept = [t for t in range(4) if p[t] in (2, 3)]
    changed = [t for t in range(4) if n[t] in (2, 3)]
    assert len(kept) == 2 and len(changed) == 2
    for t in kept:  # the copy is the positive on the regions it left unchanged
        assert a[t] in (0, 1) and n[t] in (4, 5)  # negatives: references of another design
        assert regions[t].tolist() == (~_mods()[p[t]]).tolist()
    for t in changed:  # the copy is the negative on the regions it modified
        assert {a[t], p[t]} == {0, 1}
        assert regions[t].tolist() == _mods()[n[t]].tolist()


def test_copies_without_references_or_a_second_reference_are_skipped():
    ids, rel = [1, 1, 2, 2], ['plagiarized', 'identical', 'plagiarized', 'original']
    mods = np.zeros((4, 5), bool)
    mods[[0, 2], 4] = True
    a, p, n, regions = copy_region_triplets(ids, rel, mods, torch.Generator().manual_seed(1))
    # each design has one reference: kept triplets only, no changed one
    assert sorted(p) == [0, 2] and sorted(a) == [1, 3] and sorted(n) == [1, 3]
    assert not regions[:, 4].any() and regions[:, :4].all()
    a, p, n, regions = copy_region_triplets([1], ['plagiarized'], mods[:1],
                                            torch.Generator().manual_seed(1))
    assert a == p == n == [] and regions.shape == (0, 5)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match='same B images'):
        copy_region_triplets(IDS, REL[:3], _mods(), torch.Generator())
    with pytest.raises(ValueError, match=r'shape \(7,\)'):
        copy_region_triplets(IDS, REL, np.zeros(7, bool), torch.Generator())


def test_the_loss_only_sees_the_counted_regions():
    """With the triplets' region masks, the loss is blind to the other regions' features."""
    a, p, n, regions = copy_region_triplets(IDS, REL, _mods(), torch.Generator().manual_seed(0))
    f = torch.nn.functional.normalize(torch.randn(7, 5, 8), dim=-1)
    counted = torch.as_tensor(regions)
    base, _ = region_triplet_loss(f[a], f[p], f[n], 0.2, valid=counted, reduction='none')
    g = f.clone()
    g[2, :3] = torch.nn.functional.normalize(torch.randn(3, 8), dim=-1)  # not copy 2's chest
    moved, _ = region_triplet_loss(g[a], g[p], g[n], 0.2, valid=counted, reduction='none')
    for t in range(len(a)):
        touched = 2 in (a[t], p[t], n[t])
        if touched and n[t] == 2:  # copy 2's changed triplet counts only its chest
            assert moved[t] == pytest.approx(base[t].item())
    assert not torch.allclose(moved, base)  # copy 2's kept triplet saw the change
