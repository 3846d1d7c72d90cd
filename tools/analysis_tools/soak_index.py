"""Soak the gallery index: a catalogue answering many queries in batches, with its resident
memory measured and a sample of its answers checked against brute-force eq. 1.

    OMP_NUM_THREADS=1 python tools/analysis_tools/soak_index.py \\
        [--garments 100000] [--queries 100000] [--batch 1000] [--check 500] [--out FILE]

Garments: ``--garments`` synthetic garments, each five region features of dimension ``--dim``
(128, as ``configs/_base_/models/psnet_hrnet-w32.py``), noisy photos of designs (``--per-design``
garments per design share a prototype, as a catalogue's designs have several photos), with a
region-validity pattern (all five 60 %, sleeveless 20 %, no collar 10 %, sleeves and chest 5 %,
chest only 5 %) and one of PS-Net's four categories per design; ids are shuffled, not row
numbers. Queries: half are new photos of a catalogue design with one region replaced (the
plagiarism case), half new garments; each batch is drawn from ``(seed, batch)``, so no query is
kept in memory. Region weights: a ``(4, 5)`` table with rows that differ per category.

Steps: the exact index (faiss ``Flat``, :class:`ps_net.index.GalleryIndex`) is built, saved to a
temporary file, freed and loaded again; resident memory (``VmRSS`` of ``/proc/self/status``) is
read before the build (the libraries imported), after the load, after the first batch, after
every tenth of the batches and at the end, and its growth from the load to the end must stay
under ``--max-growth`` (5 %). Every ``queries / check``-th query keeps its answer; after the
run those answers are checked against eq. 1 computed by brute force in numpy (float64) over
the whole gallery (:func:`eq1_numpy`, itself compared with
``ps_net.structures.region_similarity`` on a slice). An answer is a mismatch unless it is a
top-K of eq. 1: K hits, each score within ``--tol`` of eq. 1, in descending order, and its
eq. 1 scores equal to the brute-force top-K scores rank by rank within ``--tol`` (so two hits
may swap only when tied). Speed: queries per second of search time (wall clock) and per
second of this process's CPU time (less sensitive to other jobs on a shared machine). Prints the
figures as JSON (and writes them to ``--out``); exits 1 when memory grew too much or any answer
is a mismatch.
"""
import argparse
import gc
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import time
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

R = 5  # regions (ps_net.structures.REGIONS)
NUM_CATEGORIES = 4  # ps_net.structures.PSNET_CATEGORIES

#: Validity patterns of the garments and queries and their frequencies.
PATTERNS = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 1, 0, 1, 1], [1, 1, 0, 1, 0],
                     [0, 0, 0, 1, 0]], bool)
PATTERN_FREQ = np.array([0.6, 0.2, 0.1, 0.05, 0.05])

#: A (4, R) region-weight table (rows: short-sleeved top, long-sleeved top, outwear, dress).
REGION_WEIGHTS = np.array([[.3, .3, .1, .2, .1], [.25, .25, .2, .2, .1], [.2, .2, .2, .2, .2],
                           [.05, .05, .3, .3, .3]])

#: Garments generated (and streamed by the brute force) per step; a multiple of every
#: ``--per-design``, so a design never spans two chunks.
CHUNK = 10080

#: Stream ids of the generators: design prototypes, gallery chunks, query batches, ids.
_PROTO, _GALLERY, _QUERIES, _IDS = 1, 2, 3, 4


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--garments', type=int, default=100000, help='gallery size')
    parser.add_argument('--queries', type=int, default=100000, help='queries answered')
    parser.add_argument('--batch', type=int, default=1000, help='queries per search call')
    parser.add_argument('--check', type=int, default=500,
                        help='answers checked against brute-force eq. 1 (evenly spaced)')
    parser.add_argument('--topk', type=int, default=20)
    parser.add_argument('--dim', type=int, default=128, help='region feature dimension D')
    parser.add_argument('--per-design', type=int, default=4, choices=(1, 2, 3, 4, 5, 6, 7, 8),
                        help='gallery garments per design')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--max-growth', type=float, default=0.05,
                        help='largest allowed resident-memory growth, load to end (fraction)')
    parser.add_argument('--tol', type=float, default=1e-6,
                        help='largest eq. 1 score difference accepted in the check')
    parser.add_argument('--threads', type=int, default=1, help='faiss and torch threads')
    parser.add_argument('--work-dir', help='folder for the index file (default: a temporary '
                        'folder, removed at the end)')
    parser.add_argument('--out', help='also write the figures (JSON) to this file (its folder '
                        'is made)')
    args = parser.parse_args(argv)
    for name in ('garments', 'queries', 'batch', 'check', 'topk', 'dim', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be >= 1')
    if args.check > args.queries:
        parser.error('--check must not exceed --queries')
    if args.work_dir is not None and not osp.isdir(args.work_dir):
        parser.error(f'--work-dir {args.work_dir!r} is not a folder')
    if args.out is not None and osp.isdir(args.out):
        parser.error(f'--out {args.out!r} is a folder; give a file name')
    return args


# ---------------------------------------------------------------------- memory
def resident_kb(status: str = '/proc/self/status', field: str = 'VmRSS') -> int:
    """Resident memory of this process in kB (``VmRSS``; ``VmHWM`` is the peak)."""
    with open(status) as f:
        for line in f:
            if line.startswith(field + ':'):
                value, unit = line.split()[1:3]
                if unit != 'kB':
                    raise ValueError(f'{status}: {field} in {unit!r}, expected kB')
                return int(value)
    raise ValueError(f'{status} has no {field} line (not Linux?)')


def memory_growth(before_kb: int, after_kb: int) -> float:
    """Relative growth ``(after - before) / before`` (negative when memory was returned)."""
    if before_kb <= 0:
        raise ValueError(f'resident memory must be positive, got {before_kb} kB')
    return (after_kb - before_kb) / before_kb


# ---------------------------------------------------------------------- data
def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def _designs(first: int, count: int, dim: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """Prototypes ``(count, R, D)`` and categories of designs ``first ..``, each from its own
    stream (so a design is the same wherever it is drawn)."""
    protos = np.empty((count, R, dim), np.float32)
    cats = np.empty(count, np.int64)
    for j in range(count):
        rng = np.random.default_rng([seed, _PROTO, first + j])
        protos[j] = rng.standard_normal((R, dim), np.float32)
        cats[j] = rng.integers(NUM_CATEGORIES)
    return protos, cats


def _patterns(rng: np.random.Generator, n: int) -> np.ndarray:
    return PATTERNS[rng.choice(len(PATTERNS), n, p=PATTERN_FREQ)]


def gallery_chunks(n: int, dim: int, per_design: int, seed: int
                   ) -> Iterator[Tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """``(first row, feats (m, R, D) float32 L2-normalised, valid (m, R), categories (m,))``
    of the ``n`` garments, :data:`CHUNK` rows at a time; the same every call."""
    if CHUNK % per_design:
        raise ValueError(f'per_design {per_design} must divide the chunk size {CHUNK}')
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        first = start // per_design
        protos, cats = _designs(first, -(-m // per_design), dim, seed)
        design = np.arange(m) // per_design
        rng = np.random.default_rng([seed, _GALLERY, start])
        feats = _normalise(protos[design] + 0.5 * rng.standard_normal((m, R, dim), np.float32))
        valid = _patterns(rng, m)
        feats[~valid] = 0
        yield start, feats, valid, cats[design]


def garment_ids(n: int, seed: int) -> np.ndarray:
    """The garments' ids: shuffled and spread (``3 * k + 5``), not the row numbers."""
    return np.random.default_rng([seed, _IDS]).permutation(n).astype(np.int64) * 3 + 5


def query_batch(b: int, size: int, num_designs: int, dim: int, seed: int
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch ``b`` of the queries: ``(feats, valid, categories)``; the first half new photos
    of catalogue designs with one region replaced, the rest new garments."""
    rng = np.random.default_rng([seed, _QUERIES, b])
    copies = size // 2
    design = rng.integers(num_designs, size=copies)
    protos = np.empty((size, R, dim), np.float32)
    cats = rng.integers(NUM_CATEGORIES, size=size)
    for i, j in enumerate(design.tolist()):
        protos[i:i + 1], cats[i:i + 1] = _designs(j, 1, dim, seed)
    protos[copies:] = rng.standard_normal((size - copies, R, dim), np.float32)
    protos[np.arange(copies), rng.integers(R, size=copies)] = \
        rng.standard_normal((copies, dim), np.float32)  # the edited region
    feats = _normalise(protos + 0.5 * rng.standard_normal((size, R, dim), np.float32))
    valid = _patterns(rng, size)
    feats[~valid] = 0
    return feats, valid, cats


def query_batches(n: int, batch: int, num_designs: int, dim: int, seed: int
                  ) -> Iterator[Tuple[int, Tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """``(first query number, batch)`` of the ``n`` queries."""
    for b, start in enumerate(range(0, n, batch)):
        yield start, query_batch(b, min(batch, n - start), num_designs, dim, seed)


# ---------------------------------------------------------------------- exact eq. 1
def eq1_numpy(qf: np.ndarray, qv: np.ndarray, q_weights: np.ndarray, gf: np.ndarray,
              gv: np.ndarray) -> np.ndarray:
    """Eq. 1 in numpy, float64: ``s[q, g] = sum_r w_r cos(f_r, g_r)`` with the query's weights
    masked to the regions both have and renormalised to sum 1 (0 when none is shared).

    Args:
        qf: ``(Q, R, D)`` L2-normalised query features; qv ``(Q, R)`` bool.
        q_weights: ``(Q, R)`` the lambda row of each query's category.
        gf: ``(G, R, D)`` L2-normalised gallery features; gv ``(G, R)`` bool.
    """
    wq = q_weights.astype(np.float64) * qv
    gmask = gv.astype(np.float64)
    num = np.zeros((len(qf), len(gf)))
    for r in range(qf.shape[1]):
        cos = qf[:, r].astype(np.float64) @ gf[:, r].astype(np.float64).T
        num += wq[:, r, None] * gmask[None, :, r] * cos
    den = wq @ gmask.T
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def brute_force(queries: Tuple[np.ndarray, np.ndarray, np.ndarray], hit_ids: np.ndarray,
                chunks: Iterator, ids: np.ndarray, k: int
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stream the gallery once: per query the eq. 1 top-K ``(scores, ids)`` (ties by id) and
    the eq. 1 score of each of its ``hit_ids`` (``(Q, K')``, -1 padding; NaN for an id not in
    the gallery)."""
    qf, qv, qc = queries
    lam = REGION_WEIGHTS[qc]
    best_s = np.full((len(qf), 0), -np.inf)
    best_i = np.zeros((len(qf), 0), np.int64)
    truth = np.full(hit_ids.shape, np.nan)
    for start, feats, valid, _ in chunks:
        chunk_ids = ids[start:start + len(feats)]
        s = eq1_numpy(qf, qv, lam, feats, valid)
        order = np.argsort(chunk_ids)
        pos = np.searchsorted(chunk_ids[order], hit_ids)
        pos = np.minimum(pos, len(order) - 1)
        found = chunk_ids[order][pos] == hit_ids
        rows = order[pos]
        truth[found] = np.take_along_axis(s, rows, 1)[found]
        cand_s = np.concatenate([best_s, s], 1)
        cand_i = np.concatenate([best_i, np.broadcast_to(chunk_ids, s.shape)], 1)
        keep = np.stack([np.lexsort((ci, -cs))[:k] for ci, cs in zip(cand_i, cand_s)])
        best_s = np.take_along_axis(cand_s, keep, 1)
        best_i = np.take_along_axis(cand_i, keep, 1)
    return best_s, best_i, truth


def check_answers(hit_scores: np.ndarray, truth: np.ndarray, best_s: np.ndarray,
                  hit_ids: np.ndarray, best_i: np.ndarray, tol: float) -> Dict[str, object]:
    """Compare index answers with brute-force eq. 1 (module docstring).

    Args:
        hit_scores: ``(Q, K)`` the index's scores (NaN padding for missing hits).
        truth: ``(Q, K)`` eq. 1 of the same hits; best_s, best_i: ``(Q, K)`` the brute-force
            top-K scores and ids; hit_ids: ``(Q, K)`` the index's ids (-1 padding).

    Returns:
        ``mismatches`` (count), ``mismatched`` (the query rows), ``identical`` (answers equal
        to the brute force id for id), ``max_score_error`` (largest |index - eq. 1|).
    """
    err = np.abs(hit_scores - truth)
    complete = ~np.isnan(err).any(1)
    score_ok = complete & (np.nan_to_num(err, nan=np.inf) <= tol).all(1)
    ordered = (np.diff(hit_scores, axis=1) <= 0).all(1)
    ranks_ok = (np.abs(-np.sort(-np.nan_to_num(truth, nan=-np.inf), 1) - best_s) <= tol).all(1)
    ok = score_ok & ordered & ranks_ok
    return dict(mismatches=int((~ok).sum()), mismatched=np.flatnonzero(~ok).tolist(),
                identical=int((hit_ids == best_i).all(1).sum()),
                max_score_error=float(np.nanmax(err)) if complete.any() else float('nan'))


def check_eq1_numpy(queries: Tuple[np.ndarray, np.ndarray, np.ndarray], chunk) -> float:
    """Largest difference of :func:`eq1_numpy` and ``ps_net.structures.region_similarity``
    on the queries and one gallery chunk."""
    import torch

    from ps_net.structures import region_similarity
    qf, qv, qc = queries
    _, feats, valid, _ = chunk
    ref = region_similarity(torch.from_numpy(qf).double(), torch.from_numpy(qv),
                            torch.from_numpy(feats).double(), torch.from_numpy(valid),
                            torch.from_numpy(REGION_WEIGHTS[qc])).numpy()
    return float(np.abs(eq1_numpy(qf, qv, REGION_WEIGHTS[qc], feats, valid) - ref).max())


# ---------------------------------------------------------------------- the run
def _build(path: str, args: argparse.Namespace, ids: np.ndarray) -> float:
    from ps_net.index import GalleryIndex
    from ps_net.structures import PSNET_CATEGORIES
    t = time.perf_counter()
    index = GalleryIndex.create(args.dim, PSNET_CATEGORIES, REGION_WEIGHTS, 'sha256:soak')
    for start, feats, valid, cats in gallery_chunks(args.garments, args.dim, args.per_design,
                                                    args.seed):
        n = len(feats)
        index.add(ids[start:start + n], feats, valid, cats,
                  [f'garment_{i}.jpg' for i in ids[start:start + n]], np.zeros((n, 4)))
    index.save(path, overwrite=True)
    return time.perf_counter() - t


def run(args: argparse.Namespace) -> dict:
    """The soak (module docstring); returns its figures."""
    import faiss
    import torch

    from ps_net.index import GalleryIndex
    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rss = dict(start=resident_kb())  # the libraries imported, no index yet
    ids = garment_ids(args.garments, args.seed)
    num_designs = -(-args.garments // args.per_design)
    every = args.queries // args.check
    sample = np.arange(args.check) * every  # query numbers whose answers are kept
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp:
        path = osp.join(tmp, 'soak.psidx')
        build_s = _build(path, args, ids)
        rss['peak_build_save'] = resident_kb(field='VmHWM')
        file_mb = os.path.getsize(path) / 2**20
        gc.collect()
        index = GalleryIndex.load(path)
    rss['loaded'] = resident_kb()
    k = min(args.topk, args.garments)
    hit_ids = np.full((args.check, k), -1, np.int64)
    hit_scores = np.full((args.check, k), np.nan)
    search_s = search_cpu_s = 0.0
    trace: List[int] = []  # resident memory after every tenth of the batches
    trace_every = max(1, -(-args.queries // args.batch) // 10)
    for start, (qf, qv, qc) in query_batches(args.queries, args.batch, num_designs, args.dim,
                                             args.seed):
        t, c = time.perf_counter(), time.process_time()
        hits = index.search(qf, qv, qc, topk=args.topk)
        search_s += time.perf_counter() - t
        search_cpu_s += time.process_time() - c
        for i in np.flatnonzero((sample >= start) & (sample < start + len(qf))).tolist():
            answer = hits[sample[i] - start]
            hit_ids[i, :len(answer)] = [h.id for h in answer]
            hit_scores[i, :len(answer)] = [h.score for h in answer]
        if start == 0:
            rss['first_batch'] = resident_kb()
        if (start // args.batch + 1) % trace_every == 0:
            trace.append(resident_kb())
    rss['end'], rss['peak'] = resident_kb(), resident_kb(field='VmHWM')  # peak: any step
    growth = memory_growth(rss['loaded'], rss['end'])
    del index
    gc.collect()

    # the kept answers against brute-force eq. 1 (regenerated queries and gallery)
    t = time.perf_counter()
    parts = []
    for start, batch in query_batches(args.queries, args.batch, num_designs, args.dim,
                                      args.seed):
        keep = sample[(sample >= start) & (sample < start + len(batch[0]))] - start
        parts.append(tuple(x[keep] for x in batch))
    queries = tuple(np.concatenate([p[j] for p in parts]) for j in range(3))
    del parts
    eq1_error = check_eq1_numpy(tuple(x[:50] for x in queries), next(gallery_chunks(
        min(args.garments, 2000), args.dim, args.per_design, args.seed)))
    best_s, best_i, truth = brute_force(
        queries, hit_ids, gallery_chunks(args.garments, args.dim, args.per_design, args.seed),
        ids, k)
    check = check_answers(hit_scores, truth, best_s, hit_ids, best_i, args.tol)
    return dict(
        garments=args.garments, queries=args.queries, batch=args.batch, topk=args.topk,
        dim=args.dim, seed=args.seed, threads=args.threads, build_s=round(build_s, 1),
        index_file_mb=round(file_mb, 1), search_s=round(search_s, 1),
        queries_per_s=round(args.queries / search_s, 1), search_cpu_s=round(search_cpu_s, 1),
        queries_per_cpu_s=round(args.queries / search_cpu_s, 1),
        rss_mb={k: round(v / 1024, 1) for k, v in rss.items()},
        rss_trace_mb=[round(v / 1024, 1) for v in trace],
        rss_growth_mb=round((rss['end'] - rss['loaded']) / 1024, 1),
        rss_growth_pct=round(100 * growth, 2), max_growth_pct=100 * args.max_growth,
        checked=args.check, mismatches=check['mismatches'],
        mismatched_queries=[int(sample[i]) for i in check['mismatched']][:20],
        identical_answers=check['identical'], max_score_error=check['max_score_error'],
        tol=args.tol, eq1_numpy_vs_region_similarity=eq1_error,
        check_s=round(time.perf_counter() - t, 1), cpus=os.cpu_count(),
        platform=platform.platform(), python=platform.python_version())


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.out:  # before the run, so a bad --out fails now and not after it
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    figures = run(args)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        from ps_net.utils import atomic_write
        atomic_write(args.out, text + '\n', overwrite=True)
    failed: List[str] = []
    if figures['rss_growth_pct'] >= figures['max_growth_pct']:
        failed.append(f'resident memory grew {figures["rss_growth_pct"]} % from the load to '
                      f'the end (limit {figures["max_growth_pct"]} %)')
    if figures['mismatches']:
        failed.append(f'{figures["mismatches"]} of {figures["checked"]} answers are not the '
                      f'eq. 1 top-{figures["topk"]} (queries {figures["mismatched_queries"]})')
    if figures['eq1_numpy_vs_region_similarity'] > 1e-12:
        failed.append('the numpy eq. 1 differs from region_similarity by '
                      f'{figures["eq1_numpy_vs_region_similarity"]}')
    for line in failed:
        print(f'[soak_index] FAILED: {line}', file=sys.stderr)
    if not failed:
        print(f'[soak_index] passed: {figures["queries"]} queries at '
              f'{figures["queries_per_s"]}/s, memory {figures["rss_growth_pct"]:+} %, '
              f'{figures["checked"]} answers equal to eq. 1', file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
