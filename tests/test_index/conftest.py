"""Synthetic galleries for the index tests: garments with missing regions, several categories
and weight tables, and brute-force eq. 1 to compare against."""
from typing import List, NamedTuple, Sequence

import numpy as np
import pytest
import torch

from ps_net.structures import PSNET_CATEGORIES, REGIONS, region_similarity

R = len(REGIONS)

#: Region-validity patterns of the synthetic garments: all regions, sleeveless (vest, sling),
#: no collar, sleeves and chest only, and one region only.
PATTERNS = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 1, 0, 1, 1], [1, 1, 0, 1, 0],
                     [0, 0, 0, 1, 0]], bool)


class Gallery(NamedTuple):
    ids: np.ndarray
    feats: np.ndarray
    valid: np.ndarray
    cats: np.ndarray
    paths: List[str]
    boxes: np.ndarray


def normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def make_gallery(n: int, dim: int, seed: int = 0, patterns: np.ndarray = PATTERNS,
                 designs: int = 0) -> Gallery:
    """``n`` garments with shuffled, non-contiguous ids; with ``designs`` > 0 the features are
    noisy variants of that many design prototypes (clusters, as real catalogues have)."""
    rng = np.random.default_rng(seed)
    if designs:
        protos = rng.standard_normal((designs, R, dim))
        feats = protos[rng.integers(0, designs, n)] + 0.5 * rng.standard_normal((n, R, dim))
    else:
        feats = rng.standard_normal((n, R, dim))
    ids = rng.permutation(n).astype(np.int64) * 7 + 1000
    valid = patterns[rng.integers(0, len(patterns), n)]
    cats = rng.integers(0, len(PSNET_CATEGORIES), n)
    boxes = np.tile(np.array([[1, 2, 30, 40]], np.float32), (n, 1)) + np.arange(n)[:, None]
    return Gallery(ids, normalise(feats), valid, cats, [f'g/{i}.jpg' for i in ids], boxes)


def make_weights(seed: int) -> np.ndarray:
    """A (categories, R) lambda table, rows summing to 1, some weights zero."""
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(R), len(PSNET_CATEGORIES))
    w[0, 3] = 0.0  # short-sleeved tops: chest ignored (a one-chest garment scores 0)
    return w / w.sum(1, keepdims=True)


def brute_force(gallery: Gallery, q_feats: np.ndarray, q_valid: np.ndarray,
                q_cats: Sequence[int], weights: np.ndarray, k: int):
    """Top-k ``(ids, scores)`` per query by eq. 1 over the whole gallery, ties by id."""
    sims = region_similarity(torch.from_numpy(q_feats.astype(np.float64)),
                             torch.from_numpy(q_valid),
                             torch.from_numpy(gallery.feats.astype(np.float64)),
                             torch.from_numpy(gallery.valid),
                             torch.from_numpy(weights[np.asarray(q_cats)])).numpy()
    out = []
    for s in sims:
        order = np.lexsort((gallery.ids, -np.round(s, 9)))[:k]
        out.append((gallery.ids[order], s[order]))
    return out


def assert_matches(hits, expected, atol: float = 1e-6):
    """Search results equal brute force: same ids in the same order, same scores."""
    assert len(hits) == len(expected)
    for q, (h, (ids, scores)) in enumerate(zip(hits, expected)):
        assert [x.id for x in h] == ids.tolist(), f'query {q}'
        np.testing.assert_allclose([x.score for x in h], scores, atol=atol, err_msg=f'query {q}')


@pytest.fixture
def gallery() -> Gallery:
    return make_gallery(400, 8, seed=1)
