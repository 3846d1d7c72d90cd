"""Benchmark the gallery index at catalogue scale: exact search against a bare faiss scan and
mmpretrain's retrieval, and compressed indexes (IVF-PQ, OPQ, HNSW) for millions of garments.

    python tools/analysis_tools/benchmark_index.py search --sizes 20000 200000 1000000
    python tools/analysis_tools/benchmark_index.py ann --size 1000000 \\
        --factory 'IVF1024,PQ64x8np' --params nprobe=16 nprobe=64 --shortlists 100 200

Features. A gallery of N garments (five region features of dimension ``--dim``, 128 as the
full-size PS-Net config, so 640 floats per garment) is made from real ones: each photo of
``clothing-small`` (``$PSNET_SHARED_DATA/clothing-small/train``, 3,068 garment photos) goes
through ImageNet EfficientNet-Lite0 (``ps_net.models.PSNetEfficientNetLite``, 224 x 288 px);
its 1280-channel map is average-pooled over five windows where the five regions of a flat-lay
garment lie, and each region is projected to ``--dim`` by its own PCA. A synthetic garment
mixes two photos (``t * a + (1 - t) * b`` with ``t ~ U(--mix-min, 1)`` per garment, 0.6 by
default: a design family per photo, ``--mix-min 0`` also makes garments halfway between two
unrelated photos), swaps each region for the same region of a third photo with probability
0.25 (a part taken from another design), adds noise drawn
from the photos' own region covariance (``--noise`` times its scale) and is L2-normalised; its
regions follow a validity pattern (all five 60 %, sleeveless 20 %, no collar 10 %, sleeves and
chest 5 %, chest only 5 %) and a category drawn from PS-Net's four. Queries: half are copies of
gallery garments with one or two regions replaced by another garment's and small noise (the
plagiarism case), half are new garments. The gallery is written once, as float16, to a memory
map in ``--work-dir`` and streamed from it in chunks.

``search`` times ``GalleryIndex`` with the exact faiss ``Flat`` backend against a bare
``faiss.IndexFlatIP`` over the same concatenated vectors (queries scaled by their lambda row,
all vectors in one set) and against mmpretrain's ``ImageToImageRetriever.matching`` (a dense
matmul with every gallery vector, then its sort) on the same vectors, single queries and
batches. ``ann`` builds one compressed index (training on ``--train-size`` garments), reports
build time, bytes per garment (the codes, the ids, the exact float16 vectors of the re-rank
apart), Recall@20 against exact eq. 1 (a streamed brute force) and query times for each search
setting and shortlist. Every figure is printed and appended as JSON lines to ``--out``.
Threads: ``--threads`` (default 1) for faiss and torch.
"""
import argparse
import glob
import hashlib
import json
import os
import os.path as osp
import platform
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: Region windows on the backbone map, as (row from, row to, column from, column to) fractions
#: of the map, for a flat-lay garment filling the photo (order of ``ps_net.structures.REGIONS``:
#: left sleeve, right sleeve, collar, chest, waist).
REGION_WINDOWS = ((0.15, 0.6, 0.0, 0.35), (0.15, 0.6, 0.65, 1.0), (0.0, 0.3, 0.3, 0.7),
                  (0.25, 0.65, 0.3, 0.7), (0.6, 1.0, 0.2, 0.8))

#: Validity patterns of the synthetic garments and their frequencies.
PATTERNS = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 1, 0, 1, 1], [1, 1, 0, 1, 0],
                     [0, 0, 0, 1, 0]], bool)
PATTERN_FREQ = np.array([0.6, 0.2, 0.1, 0.05, 0.05])

#: Rows generated, added and scanned per step.
CHUNK = 50000
TOPK = 20


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--work-dir', default=osp.expanduser('~/.cache/ps_net/benchmark_index'),
                        help='cache of the photo features, the gallery memory map and the '
                        'exact results (default: %(default)s)')
    common.add_argument('--photos', default=osp.join(os.environ.get(
        'PSNET_SHARED_DATA', osp.join(REPO, '..', 'shared', 'data')), 'clothing-small', 'train'),
        help='folder of <class>/*.jpg garment photos (default: clothing-small)')
    common.add_argument('--dim', type=int, default=128, help='region feature dimension D')
    common.add_argument('--noise', type=float, default=0.5, help='noise scale (x the photos\' '
                        'region spread)')
    common.add_argument('--mix-min', type=float, default=0.6,
                        help='smallest weight of the first of the two photos mixed')
    common.add_argument('--queries', type=int, default=200)
    common.add_argument('--seed', type=int, default=0)
    common.add_argument('--threads', type=int, default=1, help='faiss and torch threads')
    common.add_argument('--batch', type=int, default=32, help='queries per batched search')
    common.add_argument('--single', type=int, default=50, help='queries timed one by one')
    common.add_argument('--out', help='append the results as JSON lines to this file')
    s = sub.add_parser('search', parents=[common], help='exact search against a bare faiss '
                       'Flat scan and mmpretrain retrieval')
    s.add_argument('--sizes', type=int, nargs='+', default=[20000, 200000, 1000000])
    a = sub.add_parser('ann', parents=[common], help='a compressed index: recall, bytes, '
                       'build and query time')
    a.add_argument('--size', type=int, default=1000000)
    a.add_argument('--factory', required=True, help="faiss factory, e.g. 'IVF1024,PQ64x8np'")
    a.add_argument('--params', nargs='+', default=[''], help="faiss search settings to try, "
                   "e.g. nprobe=16 nprobe=64")
    a.add_argument('--shortlists', type=int, nargs='+', default=[200],
                   help='candidates per validity pattern re-ranked exactly')
    a.add_argument('--train-size', type=int, default=50000)
    return parser.parse_args(argv)


# ---------------------------------------------------------------------- features
def photo_region_features(photos: str, dim: int, cache: str) -> Dict[str, np.ndarray]:
    """``feats`` (P, R, dim) L2-normalised region features of the photos, ``scale`` (R, dim,
    dim) a square root of each region's covariance (for the noise), ``labels`` (P,)."""
    files = sorted(glob.glob(osp.join(photos, '*', '*.jpg')))
    if not files:
        raise FileNotFoundError(f'no <class>/*.jpg photos under {photos}')
    key = hashlib.sha256(json.dumps([dim, [osp.relpath(f, photos) for f in files]]).encode()
                         ).hexdigest()[:16]
    path = osp.join(cache, f'photos_{key}.npz')
    if osp.exists(path):
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    import mmcv
    import torch

    from ps_net.models.backbones import PSNetEfficientNetLite
    net = PSNetEfficientNetLite(out_indices=(5, ), pretrained=True)
    net.init_weights()
    net.eval()
    classes = sorted({osp.basename(osp.dirname(f)) for f in files})
    pooled, labels = [], []
    print(f'[benchmark_index] embedding {len(files)} photos with ImageNet EfficientNet-Lite0')
    with torch.no_grad():
        for s in range(0, len(files), 32):
            batch = [mmcv.imresize(mmcv.imread(f, channel_order='rgb'), (224, 288))
                     for f in files[s:s + 32]]
            x = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).float() / 127.5 - 1
            fmap = net(x)[0]  # (B, 1280, 9, 7)
            h, w = fmap.shape[2:]
            regions = []
            for r0, r1, c0, c1 in REGION_WINDOWS:
                rows = slice(int(np.floor(r0 * h)), max(int(np.ceil(r1 * h)), 1))
                cols = slice(int(np.floor(c0 * w)), max(int(np.ceil(c1 * w)), 1))
                regions.append(fmap[:, :, rows, cols].mean((2, 3)))
            pooled.append(torch.stack(regions, 1).numpy())
            labels += [classes.index(osp.basename(osp.dirname(f))) for f in files[s:s + 32]]
    raw = np.concatenate(pooled).astype(np.float64)  # (P, R, 1280)
    feats = np.empty(raw.shape[:2] + (dim, ))
    scale = np.empty((raw.shape[1], dim, dim))
    for r in range(raw.shape[1]):
        x = raw[:, r] - raw[:, r].mean(0)
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        proj = x @ vt[:dim].T
        proj /= np.linalg.norm(proj, axis=1, keepdims=True)
        feats[:, r] = proj
        cov = np.cov(proj, rowvar=False)
        evals, evecs = np.linalg.eigh(cov)
        scale[r] = evecs * np.sqrt(np.clip(evals, 0, None))  # noise = z @ scale.T
    out = dict(feats=feats.astype(np.float32), scale=scale.astype(np.float32),
               labels=np.array(labels, np.int16))
    os.makedirs(cache, exist_ok=True)
    np.savez(path, **out)
    return out


def _region_noise(rng: np.random.Generator, shape: tuple, scale: np.ndarray) -> np.ndarray:
    """Gaussian noise of ``shape`` (n, R, D) with each region's covariance ``scale scale^T``."""
    z = rng.standard_normal(shape, np.float32).transpose(1, 0, 2)  # (R, n, D)
    return np.matmul(z, scale.transpose(0, 2, 1)).transpose(1, 0, 2)


def synth_chunk(photos: Dict[str, np.ndarray], n: int, noise: float, mix_min: float,
                rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` synthetic garments: features (n, R, D) float32 (missing regions zero), validity
    (n, R) and category indexes (n,) (the mixing of the module docstring)."""
    base, scale = photos['feats'], photos['scale']
    p, r, d = base.shape
    a, b, c = (rng.integers(0, p, n) for _ in range(3))
    t = mix_min + (1 - mix_min) * rng.random((n, 1, 1), np.float32)
    feats = t * base[a] + (1 - t) * base[b]
    swap = rng.random((n, r)) < 0.25
    feats[swap] = base[c][swap]
    feats += noise * _region_noise(rng, (n, r, d), scale)
    feats /= np.linalg.norm(feats, axis=2, keepdims=True)
    valid = PATTERNS[rng.choice(len(PATTERNS), n, p=PATTERN_FREQ)]
    feats[~valid] = 0
    return feats.astype(np.float32), valid, rng.integers(0, 4, n)


class Gallery:
    """The synthetic gallery in ``work_dir``: float16 features, validity and categories in
    memory maps, generated once chunk by chunk (a larger gallery extends a smaller one)."""

    def __init__(self, args: argparse.Namespace, size: int):
        self.photos = photo_region_features(args.photos, args.dim, args.work_dir)
        r, d = self.photos['feats'].shape[1:]
        stem = _stem(args, with_queries=False)
        done = 0
        if osp.exists(stem + '.json'):
            with open(stem + '.json') as f:
                done = json.load(f)['rows']
        rows = max(done, -(-size // CHUNK) * CHUNK)
        cols = dict(feats=((r, d), np.float16), valid=((r, ), np.bool_), cats=((), np.int16))
        for name, (shape, dtype) in cols.items():
            path = f'{stem}.{name}'
            with open(path, 'ab') as f:  # grow to ``rows`` (the first ``done`` rows stay)
                f.truncate(rows * int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize)
            setattr(self, name, np.memmap(path, dtype, 'r+', shape=(rows, ) + shape))
        for s in range(done, rows, CHUNK):
            feats, valid, cats = synth_chunk(self.photos, CHUNK, args.noise, args.mix_min,
                                             np.random.default_rng([args.seed, s // CHUNK]))
            self.feats[s:s + CHUNK], self.valid[s:s + CHUNK], self.cats[s:s + CHUNK] = \
                feats, valid, cats
            print(f'[benchmark_index] generated garments {s + CHUNK:,} of {rows:,}', flush=True)
        if done < rows:
            for name in cols:
                getattr(self, name).flush()
            with open(stem + '.json', 'w') as f:
                json.dump(dict(rows=rows), f)
        self.size = size

    def chunks(self, size: Optional[int] = None, step: int = CHUNK):
        """``(start, feats, valid, cats)`` of the first ``size`` rows, the features as float32
        L2-normalised again after their float16 rounding (as the index normalises them)."""
        size = self.size if size is None else size
        for s in range(0, size, step):
            e = min(s + step, size)
            yield s, self.rows(np.arange(s, e)), np.asarray(self.valid[s:e]), \
                np.asarray(self.cats[s:e], np.int64)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """Features of ``rows`` (sorted) as float32, each region L2-normalised (zero when
        missing)."""
        feats = np.asarray(self.feats[rows], np.float32)
        norms = np.linalg.norm(feats, axis=2, keepdims=True)
        return np.divide(feats, norms, out=np.zeros_like(feats), where=norms > 0)


def make_queries(g: Gallery, args: argparse.Namespace
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half copies of gallery garments (one or two regions replaced, small noise), half new
    garments (the module docstring)."""
    n, noise = args.queries, args.noise
    rng = np.random.default_rng([args.seed, 10**6])
    copies = n // 2
    src = np.sort(rng.choice(g.size, copies, replace=False))
    other = rng.integers(0, g.size, copies)
    qf = g.rows(src)
    qv = np.asarray(g.valid[src])
    qc = np.asarray(g.cats[src], np.int64)
    donor = g.rows(np.sort(other))[np.argsort(np.argsort(other))]
    for i in range(copies):
        regions = np.flatnonzero(qv[i])
        for rr in rng.choice(regions, min(len(regions), int(rng.integers(1, 3))), replace=False):
            if np.linalg.norm(donor[i, rr]) > 0:
                qf[i, rr] = donor[i, rr]
    qf += 0.1 * noise * _region_noise(rng, qf.shape, g.photos['scale'])
    qf /= np.maximum(np.linalg.norm(qf, axis=2, keepdims=True), 1e-12)
    qf[~qv] = 0
    nf, nv, nc = synth_chunk(g.photos, n - copies, noise, args.mix_min, rng)
    return (np.concatenate([qf, nf]).astype(np.float32), np.concatenate([qv, nv]),
            np.concatenate([qc, nc]))


def region_weights() -> np.ndarray:
    """A (4, R) lambda table as PS-Net learns one: rows differ per category."""
    return np.array([[.3, .3, .1, .2, .1], [.25, .25, .2, .2, .1], [.2, .2, .2, .2, .2],
                     [.05, .05, .3, .3, .3]])


def exact_top_k(g: Gallery, q: Tuple[np.ndarray, ...], lam: np.ndarray, cache: str
                ) -> np.ndarray:
    """``(Q, TOPK)`` gallery rows of the exact eq. 1 top-K (brute force over the memory map,
    float64, ties by row), cached per gallery size."""
    path = cache + f'.truth{g.size}.npy'
    if osp.exists(path):
        return np.load(path)
    import torch

    from ps_net.structures import region_similarity
    qf, qv, qc = (torch.from_numpy(x) for x in q)
    best_s = np.full((len(qf), 0), -np.inf)
    best_i = np.zeros((len(qf), 0), np.int64)
    for s, feats, valid, _ in g.chunks(step=20000):
        sims = region_similarity(qf.double(), qv, torch.from_numpy(feats).double(),
                                 torch.from_numpy(valid), torch.from_numpy(lam[qc.numpy()])
                                 ).numpy()
        cand_s = np.concatenate([best_s, sims], 1)
        cand_i = np.concatenate([best_i, np.broadcast_to(np.arange(s, s + len(feats)),
                                                         sims.shape)], 1)
        order = np.stack([np.lexsort((ci, -cs))[:TOPK] for ci, cs in zip(cand_i, cand_s)])
        best_s = np.take_along_axis(cand_s, order, 1)
        best_i = np.take_along_axis(cand_i, order, 1)
    np.save(path, best_i)
    return best_i


# ---------------------------------------------------------------------- timing
def timed(fns: Dict[str, object], queries: np.ndarray, single: int, batch: int,
          reps: int = 3) -> Dict[str, Dict[str, float]]:
    """Milliseconds per query of each ``fn(rows)`` of ``fns``, one query at a time (the first
    ``single``) and in batches of ``batch`` (all queries): CPU time of this process
    (``*_cpu_ms``; what the search costs, steadier on a shared machine) and wall time
    (``*_wall_ms``). The functions take turns call by call, each call is made ``reps`` times
    and its fastest run counts (after one warm-up call of each function), so that bursts of
    load from other processes on the machine hit every function alike."""
    n = min(single, len(queries))
    plans = (('single', [np.arange(i, i + 1) for i in range(n)]),
             ('batch', [np.arange(s, min(s + batch, len(queries)))
                        for s in range(0, len(queries), batch)]))
    out = {name: {} for name in fns}
    for fn in fns.values():
        fn(np.arange(1))
    for mode, calls in plans:
        best = {name: np.full((len(calls), 2), np.inf) for name in fns}
        for _ in range(reps):
            for j, rows in enumerate(calls):
                for name, fn in fns.items():
                    cpu, wall = time.process_time(), time.perf_counter()
                    fn(rows)
                    took = (time.process_time() - cpu, time.perf_counter() - wall)
                    best[name][j] = np.minimum(best[name][j], took)
        count = sum(len(r) for r in calls)
        for name, b in best.items():
            out[name][f'{mode}_cpu_ms'] = b[:, 0].sum() / count * 1e3
            out[name][f'{mode}_wall_ms'] = b[:, 1].sum() / count * 1e3
    return out


def build_gallery_index(g: Gallery, factory: str, params: str, exact_dtype: str,
                        train_size: int = 0, seed: int = 0):
    from ps_net.index import GalleryIndex
    from ps_net.structures import PSNET_CATEGORIES
    index = GalleryIndex.create(g.feats.shape[2], PSNET_CATEGORIES, region_weights(),
                                'sha256:benchmark', factory, search_params=params,
                                exact_dtype=exact_dtype, gpu=False)
    times = {}
    if index.needs_training:
        t = time.perf_counter()
        rows = np.sort(np.random.default_rng(seed).choice(g.size, min(train_size, g.size),
                                                          replace=False))
        index.train(g.rows(rows), np.asarray(g.valid[rows]))
        times['train_s'] = time.perf_counter() - t
    t = time.perf_counter()
    for s, feats, valid, cats in g.chunks():
        ids = np.arange(s, s + len(feats))
        index.add(ids, feats, valid, cats, [''] * len(ids), np.zeros((len(ids), 4), np.float32))
    times['add_s'] = time.perf_counter() - t
    return index, times


def recall(hits: List[list], truth: np.ndarray) -> float:
    return float(np.mean([len({h.id for h in hs} & set(t.tolist())) / len(t)
                          for hs, t in zip(hits, truth)]))


def run_search(args: argparse.Namespace) -> List[dict]:
    import faiss
    import torch
    from mmengine.registry import DefaultScope
    from mmpretrain.models import ImageToImageRetriever

    rows = []
    g = Gallery(args, max(args.sizes))
    for size in args.sizes:
        g.size = size
        q = make_queries(g, args)
        lam = region_weights()
        truth = exact_top_k(g, q, lam, _stem(args))
        qf, qv, qc = q
        weighted = (qf * lam[qc][..., None]).reshape(len(qf), -1).astype(np.float32)

        bare = faiss.IndexFlatIP(weighted.shape[1])
        for _, feats, _, _ in g.chunks():
            bare.add(feats.reshape(len(feats), -1))
        vecs = torch.from_numpy(faiss.rev_swig_ptr(bare.get_xb(), bare.ntotal * bare.d)
                                ).view(bare.ntotal, bare.d)  # the same memory, no copy
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            retriever = ImageToImageRetriever(torch.nn.Identity(), prototype=vecs,
                                              similarity_fn=lambda a, b: a @ b.T, topk=TOPK)
        retriever.prototype_vecs, retriever.prototype_inited = vecs, True
        qt = torch.from_numpy(weighted)
        index, _ = build_gallery_index(g, 'Flat', '', 'float32')
        exact = recall(index.search(qf, qv, qc, TOPK), truth)
        ms = timed(dict(
            ours=lambda r: index.search(qf[r], qv[r], qc[r], TOPK),
            flat=lambda r: bare.search(weighted[r], TOPK),
            mmpretrain=lambda r: retriever._get_predictions(retriever.matching(qt[r]), None)),
            qf, args.single, args.batch)
        ours_ms, flat_ms, mm_ms = ms['ours'], ms['flat'], ms['mmpretrain']
        del index, retriever, vecs, bare
        for mode in ('single', 'batch'):
            row = dict(bench='search', size=size, mode=mode,
                       batch=1 if mode == 'single' else args.batch, flat_recall_at_20=exact)
            for clock in ('cpu', 'wall'):
                key = f'{mode}_{clock}_ms'
                row.update({f'gallery_index_{clock}_ms': ours_ms[key],
                            f'faiss_flat_{clock}_ms': flat_ms[key],
                            f'mmpretrain_{clock}_ms': mm_ms[key],
                            f'ratio_to_faiss_flat_{clock}': ours_ms[key] / flat_ms[key],
                            f'ratio_to_mmpretrain_{clock}': ours_ms[key] / mm_ms[key]})
            rows.append(_emit(args, row))
    return rows


def run_ann(args: argparse.Namespace) -> List[dict]:
    import faiss
    g = Gallery(args, args.size)
    q = make_queries(g, args)
    truth = exact_top_k(g, q, region_weights(), _stem(args))
    qf, qv, qc = q
    index, times = build_gallery_index(g, args.factory, args.params[0], 'float16',
                                       args.train_size, args.seed)
    subs = list(index._subs.values())
    ivf = faiss.try_extract_index_ivf(subs[0].index)
    code = _code_bytes(subs[0].index)
    stored = sum(len(s.state()) for s in subs) + len(index._template.state())
    rows = []
    for params in args.params:
        for sub in [index._template] + subs:
            sub.search_params = params
            sub._apply_search_params(sub.index)
        for shortlist in args.shortlists:
            ms = timed(dict(ann=lambda r: index.search(qf[r], qv[r], qc[r], TOPK,
                                                       shortlist=shortlist)),
                       qf, args.single, args.batch, reps=1)['ann']
            hits = index.search(qf, qv, qc, TOPK, shortlist=shortlist)
            row = dict(bench='ann', size=args.size, factory=args.factory, params=params,
                       shortlist=shortlist, recall_at_20=recall(hits, truth),
                       recall_copies=recall(hits[:len(qf) // 2], truth[:len(qf) // 2]),
                       recall_new=recall(hits[len(qf) // 2:], truth[len(qf) // 2:]),
                       code_bytes=code, id_bytes=8 if ivf is not None else None,
                       index_bytes_per_garment=stored / args.size,
                       exact_float16_bytes=int(index._store.feats[:1].nbytes),
                       train_size=min(args.train_size, args.size), **times, **ms)
            rows.append(_emit(args, row))
    return rows


def _code_bytes(index) -> int:
    """Bytes of one vector's code in a faiss index (IVF lists, or an ``IndexIDMap``'s index;
    for HNSW its storage's codes, the graph's links apart)."""
    import faiss
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        return int(ivf.code_size)
    inner = faiss.downcast_index(index.index if hasattr(index, 'id_map') else index)
    if hasattr(inner, 'storage'):
        inner = faiss.downcast_index(inner.storage)
    return int(inner.code_size)


def _stem(args: argparse.Namespace, with_queries: bool = True) -> str:
    stem = osp.join(args.work_dir, f'gallery_d{args.dim}_noise{args.noise}_mix{args.mix_min}'
                    f'_seed{args.seed}')
    return stem + f'_q{args.queries}' if with_queries else stem


def _emit(args: argparse.Namespace, row: dict) -> dict:
    import faiss
    import torch
    row.update(dim=args.dim, threads=args.threads, faiss=faiss.__version__,
               torch=torch.__version__, cpus=os.cpu_count(), machine=platform.machine(),
               queries=args.queries)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}),
          flush=True)
    if args.out:
        with open(args.out, 'a') as f:
            f.write(json.dumps(row) + '\n')
    return row


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    import faiss
    import torch
    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    (run_search if args.command == 'search' else run_ann)(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
