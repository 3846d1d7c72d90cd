"""Build a gallery index of a catalogue with a trained PS-Net retriever.

    python tools/build_index.py CONFIG CHECKPOINT --gallery PF_FILE_OR_FOLDER --out INDEX \
        [--data-root DIR] [--batch-size 32] [--chunk-size 256] [--factory Flat] \
        [--search-params nprobe=32] [--device cpu] [--overwrite]

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
chunk and batch sizes; a sidecar of another build is discarded). The index is then written
atomically (``GalleryIndex.save``) with the model's config and checkpoint paths in its
metadata (``tools/search.py`` defaults to them) and a summary of the build, and the sidecar
is removed. Images that cannot be read and garments outside PS-Net's four categories are
skipped and summarised; the exit status is 1 when every entry was skipped (no index is
written), 2 for bad arguments.
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
from typing import Dict, List, Optional, Sequence

import numpy as np

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')

#: Skip kinds of the summary.
SKIP_KINDS = {'unreadable': 'unreadable image', 'category': 'outside the PS-Net categories',
              'box': 'unusable garment box'}


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
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing index')
    return parser.parse_args(argv)


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
            kept['flat'].append(emb['flat'])
            kept['boxes'].append(emb['garment_boxes'])
            kept['region_boxes'].append(emb['region_boxes'])
            kept['ids'].append(np.array(ids, np.int64))
            kept['paths'].append(np.array(paths, dtype=str))
        progress.update(len(entries[start:start + batch_size]))
    return dict(_concat(kept), skipped=np.array(json.dumps(skipped)))


def _concat(parts: Dict[str, list]) -> Dict[str, np.ndarray]:
    return {k: np.concatenate(v) if v else np.zeros((0, ), np.int64 if k == 'ids' else str)
            for k, v in parts.items()}


def _manifest(args: argparse.Namespace, entries: Sequence[dict], fingerprint: str) -> dict:
    digest = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
    return dict(gallery=osp.abspath(args.gallery), entries=len(entries), entries_sha256=digest,
                fingerprint=fingerprint, chunk_size=args.chunk_size, batch_size=args.batch_size)


def _sidecar(parts: str, manifest: dict) -> None:
    """Keep a sidecar of this build, discard one of another build."""
    from ps_net.utils import atomic_write
    path = osp.join(parts, 'manifest.json')
    if osp.isdir(parts):
        try:
            with open(path, encoding='utf-8') as f:
                same = json.load(f) == manifest
        except (OSError, ValueError):
            same = False
        if same:
            return
        print(f'[build_index] {parts} holds chunks of another build: discarded')
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    from mmengine.utils import ProgressBar

    from ps_net.apis import GarmentEmbedder
    from ps_net.index import GalleryIndex, split_flat

    entries = gallery_entries(args.gallery, args.data_root)
    if not entries:
        print(f'error: no gallery entries in {args.gallery}', file=sys.stderr)
        return 1
    embedder = GarmentEmbedder(args.config, args.checkpoint, args.device)
    parts_dir = args.out + '.parts'
    _sidecar(parts_dir, _manifest(args, entries, embedder.fingerprint))
    chunks = [entries[i:i + args.chunk_size] for i in range(0, len(entries), args.chunk_size)]
    print(f'[build_index] {len(entries)} gallery entries from {args.gallery}, '
          f'{len(chunks)} chunks')
    progress = ProgressBar(len(entries))
    parts, resumed = [], 0
    for c, chunk in enumerate(chunks):
        path = osp.join(parts_dir, f'chunk_{c:06d}.npz')
        part = _load_part(path)
        if part is None:
            part = embed_chunk(embedder, chunk, args.batch_size, progress)
            _save_part(path, part)
        else:
            resumed += 1
            progress.update(len(chunk))
        parts.append(part)
    print()
    if resumed:
        print(f'[build_index] resumed: {resumed} of {len(chunks)} chunks were already done')
    merged = _concat({k: [p[k] for p in parts if len(p['ids'])] for k in
                      ('ids', 'flat', 'boxes', 'region_boxes', 'paths')})
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
                                embedder.fingerprint, args.factory,
                                search_params=args.search_params)
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
