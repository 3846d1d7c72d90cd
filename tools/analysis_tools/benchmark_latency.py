"""Benchmark query latency, embedding throughput and index-build throughput of PS-Net models.

    python tools/analysis_tools/benchmark_latency.py [--models narrow w32 real] \\
        [--model NAME=CONFIG] [--checkpoint NAME=CKPT] [--detector NAME=DET_CONFIG] \\
        [--backends pytorch onnx] [--benchmarks latency throughput build] [--threads 2] \\
        [--queries 5] [--gallery-size 20000] [--build-images 96] [--json OUT] [--md OUT]

Models: the presets :data:`PRESETS` (``narrow``: the CPU PS-Net at 128 px; ``w32``: the
full-size HRNet-W32 PS-Net at 224 px; ``real``: the real-photo EfficientNet-Lite0 template
model at 192 px), or ``--model NAME=CONFIG`` for another retriever config (``--detector
NAME=DET_CONFIG``: its garment detector, ``NAME=none`` for none). Without ``--checkpoint`` a
model has random weights (saved under ``--work-dir``): timing only, the figures of a trained
model of the same config are the same. Backends: ``pytorch`` (``GarmentEmbedder``) and
``onnx`` (the model exported by ``ps_net.deploy`` with
``configs/deploy/region-embedding_onnxruntime_dynamic-batch.py``, run by
``OnnxGarmentEmbedder``); the detector always runs in PyTorch.

Benchmarks (each row records ``--threads``, given to torch, faiss and onnxruntime, and
``os.getloadavg()`` before and after it: on a shared machine the figures are pessimistic):

* ``latency``: one query at a time, its stages timed with the calls ``PSNetSearcher`` makes:
  ``read`` (``load_image``), ``detect`` (the detector, one garment kept: the best detection,
  or the whole image when none is usable, as random weights give), ``crop`` (the test
  pipeline's crop and packing, and the data preprocessor), ``landmarks`` (landmark branch,
  decode and region division; onnx: only the decode and division, the landmark branch runs in
  graph 1 with the retrieval branch and is counted in ``embed``), ``embed`` (retrieval branch,
  attention, region head) and ``search`` (``GalleryIndex.search``, exact Flat, of a gallery of
  ``--gallery-size`` random garments with the model's dimension), median over ``--queries``
  photos (``--query-images``, default CCP street photos) after one warm-up;
* ``throughput``: region features of ``--batch-size`` crops per pass (the network only), and a
  plain forward of the backbones it runs (landmark and retrieval backbones, for onnx exported
  alone into ``--work-dir``): crops/s and their ratio; ``overhead`` is what everything after
  the backbones (necks, landmark head, decode and division, attention, region pooling and
  embeddings) adds to their plain forward;
* ``build``: index-build throughput of garment crops, reading, cropping and embedding
  (``load_image`` + ``pack`` + ``embed`` in batches of ``--batch-size``, detection apart) of
  ``--build-images`` catalogue photos (``--build-images-dir``, default clothing-small).

Prints one markdown table per benchmark; ``--json`` / ``--md`` write the rows (with the
machine, the command and the versions) and the tables. Figures: ``docs/deploy.md``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SHARED = os.environ.get('PSNET_SHARED_DATA', osp.join(osp.dirname(REPO), 'shared', 'data'))

#: name -> retriever config and garment detector config (None: each image is one garment).
PRESETS = {
    'narrow': ('configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py',
               'configs/detector/faster-rcnn_r18-narrow_fpn_16e_ccp-256.py'),
    'w32': ('configs/ps_net_hrnet_plagiarized.py',
            'configs/detector/faster-rcnn_r50_fpn_1x_df2-1333x800.py'),
    'real': ('configs/real/psnet-template_efficientnet-lite0_1e_photos-192.py',
             'configs/detector/faster-rcnn_r18-narrow_fpn_16e_ccp-256.py'),
}
DEPLOY_CFG = 'configs/deploy/region-embedding_onnxruntime_dynamic-batch.py'
STAGES = ('read', 'detect', 'crop', 'landmarks', 'embed', 'search')
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')


def _pairs(values: Sequence[str], flag: str) -> Dict[str, str]:
    out = {}
    for v in values:
        name, sep, value = v.partition('=')
        if not (sep and name and value):
            raise SystemExit(f'error: {flag} takes NAME=VALUE, got {v!r}')
        out[name] = value
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='*', default=['narrow', 'w32'],
                        help=f'presets to run ({", ".join(PRESETS)}; default: %(default)s)')
    parser.add_argument('--model', action='append', default=[], metavar='NAME=CONFIG',
                        help='another retriever config to run')
    parser.add_argument('--checkpoint', action='append', default=[], metavar='NAME=CKPT',
                        help='trained weights of a model (default: random weights)')
    parser.add_argument('--detector', action='append', default=[], metavar='NAME=DET_CONFIG',
                        help='the detector of a model (none: no detector)')
    parser.add_argument('--backends', nargs='+', default=['pytorch', 'onnx'],
                        choices=('pytorch', 'onnx'))
    parser.add_argument('--benchmarks', nargs='+', default=['latency', 'throughput', 'build'],
                        choices=('latency', 'throughput', 'build'))
    parser.add_argument('--threads', type=int, default=2,
                        help='torch, faiss and onnxruntime threads (default: %(default)s)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--queries', type=int, default=5, help='latency: timed queries')
    parser.add_argument('--query-images', default=osp.join(SHARED, 'ccp', 'photos'),
                        help='latency: folder of query photos (default: CCP street photos)')
    parser.add_argument('--gallery-size', type=int, default=20000,
                        help='latency: garments in the searched index (default: %(default)s)')
    parser.add_argument('--topk', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=16,
                        help='throughput / build: crops per pass (default: %(default)s)')
    parser.add_argument('--repeats', type=int, default=5,
                        help='throughput: timed passes (default: %(default)s)')
    parser.add_argument('--build-images', type=int, default=96,
                        help='build: catalogue photos embedded (default: %(default)s)')
    parser.add_argument('--build-images-dir', default=osp.join(SHARED, 'clothing-small', 'train'),
                        help='build: catalogue photos (default: clothing-small)')
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'benchmark_latency'),
                        help='random checkpoints and ONNX exports')
    parser.add_argument('--json', help='write the rows and the machine as JSON')
    parser.add_argument('--md', help='write the markdown tables')
    args = parser.parse_args(argv)
    args.model = _pairs(args.model, '--model')
    args.checkpoint = _pairs(args.checkpoint, '--checkpoint')
    args.detector = _pairs(args.detector, '--detector')
    return args


def _check(args: argparse.Namespace) -> Optional[str]:
    unknown = [m for m in args.models if m not in PRESETS]
    if unknown:
        return f'--models: unknown presets {unknown} (known: {", ".join(PRESETS)})'
    if not args.models and not args.model:
        return 'no model: pass --models and/or --model NAME=CONFIG'
    if min(args.threads, args.queries, args.batch_size, args.repeats, args.build_images,
           args.gallery_size, args.topk) < 1:
        return ('--threads, --queries, --batch-size, --repeats, --build-images, '
                '--gallery-size and --topk must be >= 1')
    for name, config in _models(args).items():
        if not osp.isfile(config[0]):
            return f'model {name}: config {config[0]} is not a file'
    return None


def _models(args: argparse.Namespace) -> Dict[str, tuple]:
    """name -> (config, checkpoint or None, detector config or None), repo-relative resolved."""
    out = {}
    for name in args.models:
        out[name] = PRESETS[name]
    out.update({n: (c, PRESETS.get(n, (None, None))[1]) for n, c in args.model.items()})
    resolved = {}
    for name, (config, det) in out.items():
        det = args.detector.get(name, det)
        det = None if det in (None, 'none') else det
        resolved[name] = tuple(p if p is None or osp.isabs(p) else osp.join(REPO, p)
                               for p in (config, args.checkpoint.get(name), det))
    return resolved


# ---------------------------------------------------------------------- machine and timing
def _cpu() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            names = [ln.split(':', 1)[1].strip() for ln in f if ln.startswith('model name')]
        return f'{names[0]} x {len(names)}' if names else platform.processor()
    except OSError:
        return platform.processor()


def machine(args: argparse.Namespace) -> dict:
    import onnxruntime
    import torch
    return dict(cpu=_cpu(), cores=os.cpu_count(), platform=platform.platform(),
                python=platform.python_version(), torch=torch.__version__,
                onnxruntime=onnxruntime.__version__, threads=args.threads, device=args.device,
                command='python ' + ' '.join([osp.relpath(__file__, REPO)] + sys.argv[1:]))


def _load() -> List[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _timed(fn: Callable, *a):
    import torch
    start = time.perf_counter()
    out = fn(*a)
    if torch.cuda.is_initialized():
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


def _images(folder: str, n: int, fallback: Callable[[int], List[str]]) -> List[str]:
    paths = sorted(p for p in glob.glob(osp.join(folder, '**', '*'), recursive=True)
                   if p.lower().endswith(IMAGE_EXTS))
    if not paths:
        return fallback(n)
    step = max(1, len(paths) // n)
    return (paths[::step] + paths)[:n]


def _synthetic_images(work_dir: str) -> Callable[[int], List[str]]:
    def make(n: int) -> List[str]:
        from ps_net.datasets.synthetic import generate_synthetic
        root = osp.join(work_dir, 'synthetic')
        if not osp.isdir(root):
            generate_synthetic(root, seed=0, num_designs=max(8, n // 4), img_size=128)
        paths = sorted(glob.glob(osp.join(root, '**', '*.jpg'), recursive=True) +
                       glob.glob(osp.join(root, '**', '*.png'), recursive=True))
        return (paths * (n // max(1, len(paths)) + 1))[:n]
    return make


# ---------------------------------------------------------------------- models
class Bench:
    """One model on one backend: the embedder, its PyTorch retriever, the detector."""

    def __init__(self, name: str, config: str, checkpoint: Optional[str], det_config,
                 backend: str, args: argparse.Namespace) -> None:
        import torch
        from ps_net.apis import GarmentEmbedder, OnnxGarmentEmbedder
        self.name, self.backend, self.args = name, backend, args
        os.makedirs(args.work_dir, exist_ok=True)
        if checkpoint is None:
            checkpoint = osp.join(args.work_dir, f'{name}_random.pth')
            if not osp.isfile(checkpoint):
                torch.save(dict(state_dict=_random_model(config).state_dict()), checkpoint)
        self.torch = GarmentEmbedder(config, checkpoint, args.device)
        self.model = self.torch.model
        if backend == 'onnx':
            onnx_file = _export(self.torch, config, checkpoint, name, args.work_dir)
            self.embedder = OnnxGarmentEmbedder(config, onnx_file, args.device, args.threads)
        else:
            self.embedder = self.torch
        self.detector = None
        if det_config is not None:
            from ps_net.apis import GarmentPipeline
            self.detector = GarmentPipeline(det_config, None, None, None, 0.0, args.device)
        self.with_landmarks = getattr(self.model, 'landmarks', None) is not None

    def regions_and_feats(self, packed: List[dict]) -> tuple:
        """The stage times ``{crop (preprocess), landmarks, embed}`` of packed garments, and
        their region features, validity and category indexes."""
        import torch
        from mmengine.dataset import pseudo_collate
        t = {}
        if self.backend == 'onnx':
            crops, t['crop'] = _timed(lambda: np.stack([np.asarray(p['inputs'])
                                                        for p in packed]))
            emb = self.embedder
            outputs, t1 = _timed(emb._run, 0, crops)
            samples = [p['data_samples'] for p in packed]
            if len(outputs) == 2:
                info, t['landmarks'] = _timed(emb._regions, torch.from_numpy(outputs[0]),
                                              samples)
            else:
                info, t['landmarks'] = _timed(emb._regions, len(crops), samples)
            (feats, ), t2 = _timed(emb._run, 1, outputs[-1], info['boxes'].numpy(),
                                   info['valid'].numpy())
            t['embed'] = t1 + t2
            return t, feats, info['valid'].numpy(), info['category'].numpy()
        model = self.model
        with torch.no_grad():
            data, t['crop'] = _timed(model.data_preprocessor, pseudo_collate(packed), False)
            x, samples = data['inputs'], data['data_samples']
            if self.with_landmarks:
                start = time.perf_counter()
                heatmaps = model.landmarks(x)
                info = model.regions(heatmaps, samples)
                t['landmarks'] = time.perf_counter() - start
                start = time.perf_counter()
                feat = model.attention(model.feature_map(x), heatmaps)
            else:
                info, t['landmarks'] = _timed(model.stripe_regions, len(x), samples, x.device)
                start = time.perf_counter()
                feat = model.feature_map(x)
            feats = model.head(feat, info['boxes'], info['valid'])
            t['embed'] = time.perf_counter() - start
        return t, feats.cpu().numpy(), info['valid'].cpu().numpy(), info['category'].cpu().numpy()


def _random_model(config: str):
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.model.landmark_checkpoint = None
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model).eval()


def _export(embedder, config: str, checkpoint: str, name: str, work_dir: str) -> str:
    from ps_net.deploy import export_embedding_onnx, load_deploy_config
    out = osp.join(work_dir, f'{name}.onnx')
    meta_ok = False
    if osp.isfile(out):
        from ps_net.deploy import read_embedding_metadata
        try:
            meta_ok = read_embedding_metadata(out)['fingerprint'] == embedder.fingerprint
        except ValueError:
            meta_ok = False
    if not meta_ok:
        export_embedding_onnx(embedder.model, embedder.cfg, load_deploy_config(
            osp.join(REPO, DEPLOY_CFG)), out, overwrite=True,
            source=dict(config=config, checkpoint=checkpoint))
    return out


# ---------------------------------------------------------------------- benchmarks
def _random_index(bench: Bench, size: int):
    from ps_net.index import GalleryIndex
    model = bench.model
    r, d = model.head.num_regions, model.head.embed_dim
    rng = np.random.default_rng(0)
    index = GalleryIndex.create(d, model.categories, model.region_weights.numpy(),
                                bench.embedder.fingerprint, 'Flat')
    patterns = np.array([[1] * r, [0, 0] + [1] * (r - 2)], bool)
    for start in range(0, size, 10000):
        n = min(10000, size - start)
        feats = rng.standard_normal((n, r, d)).astype(np.float32)
        valid = patterns[rng.integers(0, 2, n)]
        index.add(np.arange(start, start + n), feats, valid,
                  rng.integers(0, len(model.categories), n), [f'g{i}.jpg' for i in range(n)],
                  np.zeros((n, 4), np.float32))
    return index


def run_latency(bench: Bench, args: argparse.Namespace, images: List[str]) -> dict:
    index = _random_index(bench, args.gallery_size)
    names = bench.embedder.categories
    times: Dict[str, List[float]] = {s: [] for s in STAGES}
    load = _load()
    for q, path in enumerate([images[0]] + images):  # the first is a warm-up
        t = {}
        img, t['read'] = _timed(bench.embedder.load_image, path)
        box = None
        if bench.detector is not None:
            (boxes, _, _), t['detect'] = _timed(bench.detector.detect, img)
            if len(boxes) and boxes[0][2] > boxes[0][0] + 1 and boxes[0][3] > boxes[0][1] + 1:
                box = boxes[0]
        else:
            t['detect'] = 0.0
        packed, t_pack = _timed(bench.embedder.pack, img, box)
        stage, feats, valid, cats = bench.regions_and_feats([packed])
        t.update(stage)
        t['crop'] += t_pack
        _, t['search'] = _timed(index.search, feats, valid, [names[c] for c in cats], args.topk)
        if q:
            for s in STAGES:
                times[s].append(t[s])
    row = {s: statistics.median(v) for s, v in times.items()}
    row['total'] = statistics.median([sum(times[s][i] for s in STAGES)
                                      for i in range(len(times['read']))])
    return dict(row, queries=len(images), gallery=args.gallery_size,
                detector=bench.detector is not None, load_before=load, load_after=_load())


def _backbones(model):
    """The plain backbones the model runs (landmark HRNet, retrieval backbone)."""
    mods = [model.image_encoder[0]]
    if getattr(model, 'landmarks', None) is not None:
        mods.insert(0, model.landmarks.backbone)
    return mods


def run_throughput(bench: Bench, args: argparse.Namespace) -> dict:
    import torch
    from ps_net.deploy import PSNetBackboneGraph
    model, b = bench.model, args.batch_size
    w, h = model.input_size
    crops = np.random.default_rng(0).integers(0, 256, (b, 3, h, w), dtype=np.uint8)
    samples = None
    x = PSNetBackboneGraph(model).preprocess(torch.from_numpy(crops))
    if bench.backend == 'onnx':
        import onnxruntime as ort
        from ps_net.apis.onnx_embedder import onnxruntime_providers
        full = lambda: bench.embedder.forward_crops(crops, samples)  # noqa: E731
        path = _export_backbones(model, args.work_dir, bench.name)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = args.threads, 1
        sess = ort.InferenceSession(path, opts, providers=onnxruntime_providers(args.device))
        feed = {sess.get_inputs()[0].name: x.numpy()}
        plain = lambda: sess.run(None, feed)  # noqa: E731
    else:
        x = x.to(args.device)
        mods = _backbones(model)

        def full():
            with torch.no_grad():
                return model.region_features(x)

        def plain():
            with torch.no_grad():
                return [m(x) for m in mods]
    load = _load()
    full(), plain()  # warm-up
    t_full, t_plain = [], []
    for _ in range(args.repeats):  # interleaved, so that a change of load hits both alike
        t_full.append(_timed(full)[1])
        t_plain.append(_timed(plain)[1])
    t_full, t_plain = statistics.median(t_full), statistics.median(t_plain)
    row = dict(batch=b, crops_per_s=b / t_full, backbone_crops_per_s=b / t_plain,
               ratio=t_full / t_plain, overhead=t_full / t_plain - 1)
    if bench.backend == 'pytorch':
        row['components_ms'] = {k: v * 1000 for k, v in _components(model, x, args).items()}
    return dict(row, load_before=load, load_after=_load())


def _components(model, x, args: argparse.Namespace) -> Dict[str, float]:
    """Median seconds per batch of each part of the PyTorch region features."""
    import torch
    times: Dict[str, List[float]] = {}

    def step(name, fn, *a):
        out, took = _timed(fn, *a)
        times.setdefault(name, []).append(took)
        return out

    with torch.no_grad():
        for _ in range(args.repeats):
            if getattr(model, 'landmarks', None) is not None:
                lm = model.landmarks
                maps = step('landmark backbone', lm.backbone, x)
                heatmaps = step('landmark neck + head', lambda m: lm.head(lm.neck(m)), maps)
                info = step('decode + region division', model.regions, heatmaps)
            else:
                heatmaps = None
                info = step('template regions', model.stripe_regions, len(x), None, x.device)
            enc = model.image_encoder
            maps = step('retrieval backbone', enc[0], x)
            feat = step('retrieval neck', lambda m: enc[1](m)[-1] if len(enc) > 1 else m[-1],
                        maps)
            if heatmaps is not None:
                feat = step('attention', model.attention, feat, heatmaps)
            step('region head (RoIAlign + embeddings)', model.head, feat, info['boxes'],
                 info['valid'])
    return {k: statistics.median(v) for k, v in times.items()}


def _export_backbones(model, work_dir: str, name: str) -> str:
    import io
    import warnings

    import torch
    from ps_net.utils import atomic_write
    path = osp.join(work_dir, f'{name}.backbones.onnx')
    if osp.isfile(path):
        return path

    class Backbones(torch.nn.Module):
        def __init__(self, mods):
            super().__init__()
            self.mods = torch.nn.ModuleList(mods)

        def forward(self, x):
            return tuple(t for m in self.mods for t in m(x))

    w, h = model.input_size
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(Backbones(_backbones(model)).eval(), (torch.zeros(2, 3, h, w), ), buf,
                          dynamo=False, opset_version=17, input_names=['x'],
                          dynamic_axes={'x': {0: 'batch'}})
    atomic_write(path, buf.getvalue(), overwrite=True)
    return path


def run_build(bench: Bench, args: argparse.Namespace, images: List[str]) -> dict:
    emb, b = bench.embedder, args.batch_size

    def build(paths):
        for start in range(0, len(paths), b):
            emb.embed([emb.pack(emb.load_image(p)) for p in paths[start:start + b]], b)

    build(images[:min(len(images), 4)])  # warm-up
    load = _load()
    _, took = _timed(build, images)
    return dict(images=len(images), batch=b, images_per_s=len(images) / took,
                load_before=load, load_after=_load())


# ---------------------------------------------------------------------- report
def _ms(v: float) -> str:
    return f'{v * 1000:.1f}'


def tables(rows: List[dict]) -> str:
    """Markdown tables of the rows, one per benchmark."""
    out = []
    lat = [r for r in rows if r['benchmark'] == 'latency']
    if lat:
        out += ['| model | backend | ' + ' | '.join(f'{s} ms' for s in STAGES) +
                ' | total ms | load avg (1 min, before/after) |',
                '| --- | --- |' + ' ---: |' * (len(STAGES) + 1) + ' --- |']
        out += [f'| {r["model"]} | {r["backend"]} | ' +
                ' | '.join(_ms(r[s]) for s in STAGES) +
                f' | {_ms(r["total"])} | {r["load_before"][0]} / {r["load_after"][0]} |'
                for r in lat]
        out.append('')
    thr = [r for r in rows if r['benchmark'] == 'throughput']
    if thr:
        out += ['| model | backend | batch | region features crops/s | plain backbones crops/s '
                '| overhead after the backbones | load avg |',
                '| --- | --- | ---: | ---: | ---: | ---: | --- |']
        out += [f'| {r["model"]} | {r["backend"]} | {r["batch"]} | {r["crops_per_s"]:.1f} | '
                f'{r["backbone_crops_per_s"]:.1f} | {r["overhead"] * 100:+.0f} % | '
                f'{r["load_before"][0]} / {r["load_after"][0]} |' for r in thr]
        out.append('')
        parts = [r for r in thr if r.get('components_ms')]
        for r in parts:
            out += [f'{r["model"]} (pytorch, batch {r["batch"]}), ms per batch: ' + ', '.join(
                f'{k} {v:.1f}' for k, v in r['components_ms'].items()), '']
    bld = [r for r in rows if r['benchmark'] == 'build']
    if bld:
        out += ['| model | backend | images | batch | images/s (read + crop + embed) '
                '| load avg |', '| --- | --- | ---: | ---: | ---: | --- |']
        out += [f'| {r["model"]} | {r["backend"]} | {r["images"]} | {r["batch"]} | '
                f'{r["images_per_s"]:.1f} | {r["load_before"][0]} / {r["load_after"][0]} |'
                for r in bld]
        out.append('')
    return '\n'.join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ps_net.utils.cli import parse_checked
    args, code = parse_checked(parse_args, _check, argv)
    if args is None:
        return code
    import faiss
    import torch
    import ps_net  # noqa: F401
    from ps_net.utils import atomic_write
    torch.set_num_threads(args.threads)
    faiss.omp_set_num_threads(args.threads)
    fallback = _synthetic_images(args.work_dir)
    queries = _images(args.query_images, args.queries, fallback)
    catalogue = _images(args.build_images_dir, args.build_images, fallback)
    info = machine(args)
    rows = []
    for name, (config, ckpt, det) in _models(args).items():
        for backend in args.backends:
            bench = Bench(name, config, ckpt, det, backend, args)
            for kind in args.benchmarks:
                if kind == 'latency':
                    row = run_latency(bench, args, queries)
                elif kind == 'throughput':
                    row = run_throughput(bench, args)
                else:
                    row = run_build(bench, args, catalogue)
                row = dict(benchmark=kind, model=name, backend=backend,
                           config=osp.relpath(config, REPO), threads=args.threads, **row)
                rows.append(row)
                print(json.dumps({k: round(v, 5) if isinstance(v, float) else v
                                  for k, v in row.items()}), flush=True)
    text = tables(rows)
    print(f'\nmachine: {info["cpu"]}, {info["threads"]} threads; command: {info["command"]}\n')
    print(text)
    if args.json:
        atomic_write(args.json, json.dumps(dict(machine=info, rows=rows), indent=1) + '\n',
                     overwrite=True)
    if args.md:
        atomic_write(args.md, f'machine: {info["cpu"]}, {info["threads"]} threads\n\n'
                     f'command: `{info["command"]}`\n\n{text}', overwrite=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
