"""Build a gallery index of a catalogue with a trained PS-Net retriever.

    python tools/build_index.py CONFIG CHECKPOINT --gallery PF_FILE_OR_FOLDER --out INDEX \
        [--data-root DIR] [--batch-size 32] [--chunk-size 256] [--factory Flat] \
        [--search-params nprobe=32] [--milvus-uri URI [--milvus-index FLAT] \
        [--milvus-index-params JSON] [--milvus-search-params JSON]] [--exact-dtype float32] \
        [--device cpu] [--overwrite] [--launcher none|pytorch]
    tools/dist_build_index.sh CONFIG CHECKPOINT NUM_PROCS --gallery ... --out ...

The gallery is a Plagiarized Fashion file (its ``gallery`` split entries, each with its garment
box and category; the id of an entry is its position among the file's gallery entries, the
gallery position of the file's ground truth; ``img_path`` relative to ``--data-root``, by
default the folder above the file's ``annotations/`` folder, else the file's folder) or a
folder (every image file under it, ``.jpg .jpeg .png .bmp .webp .tif .tiff``, in sorted order
of their relative paths, each one garment whose box is the whole image; the id is the
position in that order). Each garment goes through the config's test pipeline
(:class:`ps_net.apis.GarmentEmbedder`), the same features as the config's data set gives.

Resumable: the gallery is embedded in chunks of ``--chunk-size`` entries; each finished chunk
is written atomically to the sidecar folder ``INDEX.parts/`` and a rerun after an interruption
skips the finished chunks (the sidecar records the gallery, the model fingerprint and the
chunk and batch sizes; a sidecar of another build, e.g. of another model, is discarded). A
kill at any moment (even SIGKILL) leaves an existing index at ``INDEX`` as it was and the
finished chunks in the sidecar. The index is then written atomically (``GalleryIndex.save``)
with the model's config and checkpoint paths in its metadata (``tools/search.py`` defaults to
them) and a summary of the build, and the sidecar is removed. Images that cannot be read,
garments outside PS-Net's four categories and garments whose features are unusable (NaN /
inf, or a valid region with a zero feature) are skipped and summarised; the exit status is 1
when every entry was skipped (no index is written), 2 for bad arguments.

Distributed (``--launcher pytorch`` under ``torchrun``, ``tools/dist_build_index.sh``): the
processes share the chunks round robin (chunk c goes to rank ``c % world_size``) and write them
to the same sidecar (on several machines it must be on a shared file system); rank 0 merges
them into one index once every rank is done. The chunks are not split by mmengine's
``DefaultSampler``, which pads the last round with repeated samples: every entry is embedded
once, and the merged ids are checked to be distinct. On a GPU machine the process group is
mmengine's ``init_dist`` (NCCL); without a GPU it is gloo.
"""
import argparse
import hashlib
import io
import json
import os
import os.path as osp
import shutil
import sys
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')

#: Skip kinds of the summary.
SKIP_KINDS = {'unreadable': 'unreadable image', 'category': 'outside the PS-Net categories',
              'box': 'unusable garment box', 'features': 'unusable features'}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the PS-Net retriever config')
    parser.add_argument('checkpoint', help='its trained checkpoint')
    parser.add_argument('--gallery', required=True,
                        help='a Plagiarized Fashion file (its gallery split) or a folder of '
                        'images')
    parser.add_argument('--out', required=True, help='the index file to write')
    parser.add_argument('--data-root', help="root of a PF file's img_path (default: the folder "
                        'above its annotations/ folder, else its folder)')
    parser.add_argument('--batch-size', type=int, default=32, help='garments per forward pass')
    parser.add_argument('--chunk-size', type=int, default=256,
                        help='entries per resumable chunk (default: %(default)s)')
    parser.add_argument('--factory', default='Flat', help="faiss factory string (default: "
                        "'Flat', exact; e.g. 'IVF1024,PQ32np' or 'HNSW32' for large galleries)")
    parser.add_argument('--search-params', default='', help="faiss search settings, e.g. "
                        "'nprobe=32'")
    parser.add_argument('--milvus-uri', help='store the vectors in Milvus instead of faiss: a '
                        'local file ending in .db (milvus-lite, in process) or a server URI '
                        'such as http://host:19530 (token from $MILVUS_TOKEN)')
    parser.add_argument('--milvus-index', default='FLAT', help='Milvus index type (default: '
                        '%(default)s, exact; on a server e.g. HNSW, IVF_PQ, DISKANN)')
    parser.add_argument('--milvus-index-params', default='{}', type=_json_dict,
                        help='Milvus index build parameters as JSON, e.g. \'{"M": 32}\'')
    parser.add_argument('--milvus-search-params', default='{}', type=_json_dict,
                        help='Milvus search parameters as JSON, e.g. \'{"ef": 256}\'')
    parser.add_argument('--exact-dtype', default='float32', choices=['float32', 'float16'],
                        help='dtype of the exact vectors kept for the re-rank')
    parser.add_argument('--device', default='cpu', help="torch device ('cuda' runs each "
                        'process of a distributed build on its local GPU)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing index')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none',
                        help='job launcher: pytorch under torchrun (tools/dist_build_index.sh)')
    return parser.parse_args(argv)


def _json_dict(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f'not JSON: {err}') from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f'expected a JSON object, got {text!r}')
    return value


def backend_config(args: argparse.Namespace) -> dict:
    """The vector backend of the index: Milvus with ``--milvus-uri``, else faiss."""
    if args.milvus_uri:
        return dict(type='milvus', uri=args.milvus_uri, index_type=args.milvus_index,
                    index_params=args.milvus_index_params,
                    search_params=args.milvus_search_params)
    return dict(type='faiss', factory=args.factory, search_params=args.search_params)


def _check(args: argparse.Namespace) -> Optional[str]:
    if args.batch_size < 1 or args.chunk_size < 1:
        return f'--batch-size and --chunk-size must be >= 1, got {args.batch_size} and ' \
               f'{args.chunk_size}'
    if not osp.exists(args.gallery):
        return f'--gallery {args.gallery} does not exist'
    if osp.exists(args.out) and not args.overwrite:
        return f'--out {args.out} exists (pass --overwrite to replace it)'
    for name in ('config', 'checkpoint'):
        if not osp.isfile(getattr(args, name)):
            return f'{name} {getattr(args, name)} is not a file'
    if args.launcher != 'none' and not all(k in os.environ for k in ('RANK', 'WORLD_SIZE')):
        return f'--launcher {args.launcher} needs torchrun (tools/dist_build_index.sh), which ' \
               f'sets RANK and WORLD_SIZE'
    return None


def gallery_entries(gallery: str, data_root: Optional[str] = None) -> List[dict]:
    """The garments to index: ``dict(id, img_path, bbox, category, df2_category_id)`` each,
    ``img_path`` absolute (see the module docstring for ids and paths)."""
    if osp.isdir(gallery):
        files = sorted(osp.relpath(osp.join(d, f), gallery)
                       for d, _, names in os.walk(gallery) for f in names
                       if f.lower().endswith(IMAGE_EXTENSIONS))
        return [dict(id=i, img_path=osp.abspath(osp.join(gallery, f)), bbox=None,
                     category=None, df2_category_id=None) for i, f in enumerate(files)]
    from ps_net.datasets.pf_format import load_pf, pf_split_entries
    _, entries = pf_split_entries(load_pf(gallery))
    if data_root is None:
        folder = osp.dirname(osp.abspath(gallery))
        data_root = osp.dirname(folder) if osp.basename(folder) == 'annotations' else folder
    return [dict(id=i, img_path=osp.abspath(osp.join(data_root, e['img_path'])),
                 bbox=e.get('bbox'), category=e['category'],
                 df2_category_id=e.get('df2_category_id')) for i, e in enumerate(entries)]


def embed_chunk(embedder, entries: Sequence[dict], batch_size: int, progress) -> dict:
    """Region features of one chunk of entries: the arrays of a sidecar part (``ids``,
    ``flat``, ``boxes``, ``region_boxes``, ``paths``) and ``skipped``, a JSON list of
    ``[id, path, kind, reason]`` (kinds of :data:`SKIP_KINDS`)."""
    from ps_net.apis import UnsearchableGarment
    kept: Dict[str, list] = dict(ids=[], flat=[], boxes=[], region_boxes=[], paths=[])
    skipped = []
    for start in range(0, len(entries), batch_size):
        packed, ids, paths = [], [], []
        for e in entries[start:start + batch_size]:
            try:
                img = embedder.load_image(e['img_path'])
            except Exception as err:  # noqa: BLE001  (one bad image must not stop the build)
                skipped.append([e['id'], e['img_path'], 'unreadable',
                                f'{type(err).__name__}: {err}'])
                continue
            try:
                packed.append(embedder.pack(img, e['bbox'], e['category'],
                                            e['df2_category_id'], e['img_path']))
            except UnsearchableGarment as err:
                skipped.append([e['id'], e['img_path'], 'category', str(err)])
                continue
            except ValueError as err:
                skipped.append([e['id'], e['img_path'], 'box', str(err)])
                continue
            ids.append(e['id'])
            paths.append(e['img_path'])
        if packed:
            emb = embedder.embed(packed, batch_size)
            problems = unusable_features(emb['flat'])
            for i in sorted(problems):
                skipped.append([ids[i], paths[i], 'features', problems[i]])
            good = np.array([i not in problems for i in range(len(ids))], bool)
            kept['flat'].append(emb['flat'][good])
            kept['boxes'].append(emb['garment_boxes'][good])
            kept['region_boxes'].append(emb['region_boxes'][good])
            kept['ids'].append(np.array(ids, np.int64)[good])
            kept['paths'].append(np.array(paths, dtype=str)[good])
        progress.update(len(entries[start:start + batch_size]))
    return dict(_concat(kept), skipped=np.array(json.dumps(skipped)))


def unusable_features(flat: np.ndarray) -> Dict[int, str]:
    """Rows of the retriever's flat vectors that the index would refuse, with the reason: NaN
    or inf values, or a region marked valid whose feature is zero."""
    from ps_net.index import split_flat
    from ps_net.structures import REGIONS
    feats, valid, _ = split_flat(flat)
    problems = {int(i): 'NaN or inf features (is the checkpoint sound?)'
                for i in np.flatnonzero(~np.isfinite(flat).all(1))}
    zero = valid & (np.linalg.norm(np.nan_to_num(feats).astype(np.float64), axis=2) < 1e-12)
    for i, r in zip(*np.nonzero(zero)):
        problems.setdefault(int(i), f'region {REGIONS[r]!r} is valid but its feature is zero')
    return problems


def _concat(parts: Dict[str, list]) -> Dict[str, np.ndarray]:
    return {k: np.concatenate(v) if v else np.zeros((0, ), np.int64 if k == 'ids' else str)
            for k, v in parts.items()}


def _manifest(args: argparse.Namespace, entries: Sequence[dict], fingerprint: str) -> dict:
    digest = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
    return dict(gallery=osp.abspath(args.gallery), entries=len(entries), entries_sha256=digest,
                fingerprint=fingerprint, chunk_size=args.chunk_size, batch_size=args.batch_size)


def _sidecar(parts: str, manifest: dict) -> None:
    """Keep a sidecar of this build, discard one of another build (naming what differs)."""
    from ps_net.utils import atomic_write
    path = osp.join(parts, 'manifest.json')
    if osp.isdir(parts):
        try:
            with open(path, encoding='utf-8') as f:
                old = json.load(f)
        except (OSError, ValueError):
            old = None
        if old == manifest:
            return
        keys = [k for k in manifest if not isinstance(old, dict) or old.get(k) != manifest[k]]
        differ = 'no readable manifest' if not isinstance(old, dict) else \
            f'{", ".join(keys)} {"differs" if len(keys) == 1 else "differ"}'
        print(f'[build_index] {parts} holds chunks of another build: discarded ({differ})')
        shutil.rmtree(parts)
    os.makedirs(parts)
    atomic_write(path, json.dumps(manifest, indent=1) + '\n')


def _save_part(path: str, part: dict) -> None:
    from ps_net.utils import atomic_write
    buf = io.BytesIO()
    np.savez(buf, **part)
    atomic_write(path, buf.getvalue(), overwrite=True)


def _load_part(path: str) -> Optional[dict]:
    """A finished chunk, or None when it is absent or unreadable (then it is redone)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError):
        return None


def _init_distributed(launcher: str) -> Tuple[int, int]:
    """``(rank, world_size)``; starts the process group for ``--launcher pytorch``: mmengine's
    ``init_dist`` (NCCL) on a GPU machine, gloo without a GPU (mmengine 0.10.7's launcher calls
    ``torch.cuda.set_device``, which fails there)."""
    if launcher == 'none':
        return 0, 1
    import torch
    import torch.distributed as torch_dist
    from mmengine.dist import get_dist_info, init_dist
    if torch.cuda.is_available():
        init_dist(launcher)
    elif not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    return get_dist_info()


def _device(device: str, launcher: str) -> str:
    if launcher != 'none' and device == 'cuda':
        return f'cuda:{os.environ.get("LOCAL_RANK", "0")}'
    return device


def _log(rank: int, message: str, file=None) -> None:
    if rank == 0:
        print(message, file=file or sys.stdout, flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    rank, world = _init_distributed(args.launcher)
    code = build(args, rank, world)
    if world > 1:
        from mmengine.dist import broadcast_object_list

        from ps_net.engine.launch import finish_distributed
        codes = [code]
        broadcast_object_list(codes, src=0)  # every process exits with rank 0's status
        code = codes[0]
        finish_distributed()
    return code


def build(args: argparse.Namespace, rank: int = 0, world: int = 1) -> int:
    """Embed this process's chunks; rank 0 then merges every chunk into the index."""
    from mmengine.utils import ProgressBar

    from ps_net.apis import GarmentEmbedder

    entries = gallery_entries(args.gallery, args.data_root)
    if not entries:
        what = (f'no image files ({" ".join(IMAGE_EXTENSIONS)}) under the folder'
                if osp.isdir(args.gallery) else "no entry of split 'gallery' in its data_list")
        _log(rank, f'error: no gallery entries in {args.gallery}: {what}', sys.stderr)
        return 1
    embedder = GarmentEmbedder(args.config, args.checkpoint, _device(args.device, args.launcher))
    parts_dir = args.out + '.parts'
    if rank == 0:
        _sidecar(parts_dir, _manifest(args, entries, embedder.fingerprint))
    _barrier(world)
    chunks = [entries[i:i + args.chunk_size] for i in range(0, len(entries), args.chunk_size)]
    mine = list(range(rank, len(chunks), world))
    _log(rank, f'[build_index] {len(entries)} gallery entries from {args.gallery}, '
         f'{len(chunks)} chunks' + (f' over {world} processes' if world > 1 else ''))
    progress = ProgressBar(sum(len(chunks[c]) for c in mine)) if rank == 0 else _NoProgress()
    done, resumed = {}, 0
    for c in mine:
        path = _chunk_path(parts_dir, c)
        done[c] = _load_part(path)
        if done[c] is None:
            done[c] = embed_chunk(embedder, chunks[c], args.batch_size, progress)
            _save_part(path, done[c])
        else:
            resumed += 1
            progress.update(len(chunks[c]))
    _log(rank, '')
    _barrier(world)
    if world > 1:
        resumed = _sum_over_ranks(resumed)
    if rank != 0:
        return 0
    if resumed:
        print(f'[build_index] resumed: {resumed} of {len(chunks)} chunks were already done')
    parts = [done[c] if c in done else _load_part(_chunk_path(parts_dir, c))
             for c in range(len(chunks))]
    missing = [c for c, p in enumerate(parts) if p is None]
    if missing:
        print(f'error: chunk {missing[0]} of {parts_dir} is missing or unreadable after every '
              f'process finished ({len(missing)} such chunks); rerun to redo them',
              file=sys.stderr)
        return 1
    return _write_index(args, entries, embedder, parts, parts_dir)


class _NoProgress:
    """The progress bar of the ranks other than 0 (only rank 0 prints)."""

    def update(self, num_tasks: int = 1) -> None:
        pass


def _chunk_path(parts_dir: str, c: int) -> str:
    return osp.join(parts_dir, f'chunk_{c:06d}.npz')


def _barrier(world: int) -> None:
    if world > 1:
        from mmengine.dist import barrier
        barrier()


def _sum_over_ranks(value: int) -> int:
    from mmengine.dist import all_reduce
    import torch
    t = torch.tensor([value], dtype=torch.int64)
    all_reduce(t, op='sum')
    return int(t.item())


def _write_index(args: argparse.Namespace, entries: Sequence[dict], embedder,
                 parts: List[dict], parts_dir: str) -> int:
    from ps_net.index import GalleryIndex, split_flat
    merged = _concat({k: [p[k] for p in parts if len(p['ids'])] for k in
                      ('ids', 'flat', 'boxes', 'region_boxes', 'paths')})
    ids, counts = np.unique(merged['ids'], return_counts=True)
    if (counts > 1).any():  # chunks are disjoint: a repeat would be a bug, never an entry
        raise RuntimeError(f'gallery id {ids[counts > 1][0]} was embedded twice')
    skipped = [s for p in parts for s in json.loads(str(p['skipped']))]
    kinds = Counter(kind for _, _, kind, _ in skipped)
    print(f'[build_index] indexed {len(merged["ids"])} of {len(entries)} entries; skipped '
          f'{len(skipped)}' + ''.join(f', {n} {SKIP_KINDS[k]}' for k, n in sorted(kinds.items())))
    for id_, path, kind, reason in skipped:
        print(f'  skipped {id_} {path}: {reason}')
    if not len(merged['ids']):
        print(f'error: every gallery entry was skipped; no index written to {args.out}',
              file=sys.stderr)
        shutil.rmtree(parts_dir, ignore_errors=True)
        return 1
    feats, valid, _ = split_flat(merged['flat'])
    index = GalleryIndex.create(feats.shape[2], embedder.categories,
                                embedder.model.region_weights.cpu().numpy(),
                                embedder.fingerprint, backend=backend_config(args),
                                exact_dtype=args.exact_dtype)
    if index.needs_training:
        index.train(feats, valid)
    index.add_flat(merged['ids'], merged['flat'], merged['paths'].tolist(), merged['boxes'],
                   merged['region_boxes'])
    index.metadata['model'] = dict(config=osp.abspath(args.config),
                                   checkpoint=osp.abspath(args.checkpoint))
    index.metadata['gallery'] = dict(
        source=osp.abspath(args.gallery), kind='folder' if osp.isdir(args.gallery) else 'pf',
        entries=len(entries), indexed=int(len(merged['ids'])),
        skipped={SKIP_KINDS[k]: n for k, n in sorted(kinds.items())})
    index.save(args.out, overwrite=args.overwrite)
    shutil.rmtree(parts_dir, ignore_errors=True)
    print(f'[build_index] wrote {args.out}: {index!r}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
