"""PSNetGalleryHook embeds the gallery without autograd and records its bad inputs."""
from types import SimpleNamespace

import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader, Dataset

from ps_net.engine.hooks import PSNetGalleryHook
from ps_net.models import PSNetTripletRetriever


class _Gallery(Dataset):
    def __init__(self, n=6):
        self.images = torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(0))

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        meta = dict(sample_idx=i)
        if i == 4:
            meta['bad_input'] = dict(split='gallery', split_index=4, img_path='x.jpg',
                                     reason='file not found', action='skipped')
        return dict(inputs=(self.images[i] * 255).byte(), data_samples=DataSample(metainfo=meta))


def _collate(batch):
    return dict(inputs=[b['inputs'] for b in batch],
                data_samples=[b['data_samples'] for b in batch])


def test_gallery_is_embedded_without_autograd_and_bad_inputs_reach_the_metrics():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = PSNetTripletRetriever(
            backbone=dict(type='PSNetAttentionResNet', depth=18, stem_channels=8,
                          base_channels=8), prototype=torch.zeros(1, 64),
            data_preprocessor=dict(mean=[0, 0, 0], std=[255, 255, 255]))
    loader = DataLoader(_Gallery(), batch_size=4, collate_fn=_collate)
    evaluator = SimpleNamespace(dataset_meta={})
    runner = SimpleNamespace(model=model, logger=MMLogger.get_current_instance(),
                             test_loop=SimpleNamespace(evaluator=evaluator))
    hook = PSNetGalleryHook(test_gallery=loader)
    hook.before_test(runner)
    vecs = model.prototype_vecs
    assert vecs.shape == (6, 64) and not vecs.requires_grad and vecs.grad_fn is None
    with torch.no_grad():
        ref = model.extract_feat(model.data_preprocessor(_collate(
            [_Gallery()[i] for i in range(6)]), False)['inputs'])
    assert torch.allclose(vecs, ref, atol=1e-5)
    assert [r['split_index'] for r in evaluator.dataset_meta['gallery_bad_inputs']] == [4]
    assert hook.bad_inputs[0]['reason'] == 'file not found'
