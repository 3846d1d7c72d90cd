"""PSNetDesignSampler: P x K batches, relations filter, determinism."""
from collections import Counter

import pytest

import ps_net  # noqa: F401
from mmpretrain.registry import DATASETS
from ps_net.datasets import PSNetDesignSampler
from ps_net.datasets.synthetic import generate_synthetic


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('pk')
    generate_synthetic(str(root), seed=2, num_designs=12, img_size=64)
    return DATASETS.build(dict(type='PlagiarizedFashionDataset', data_root=str(root),
                               ann_file='annotations/pf_train.json', lazy_init=False))


def test_batches_hold_p_designs_of_k_images(dataset):
    sampler = PSNetDesignSampler(dataset, num_designs=2, per_design=2, seed=0)
    idx = list(sampler)
    assert len(idx) == len(sampler) and len(idx) % 4 == 0
    for b in range(0, len(idx), 4):
        infos = [dataset.get_data_info(i) for i in idx[b:b + 4]]
        designs = Counter(i['design_id'] for i in infos)
        assert len(designs) == 2 and set(designs.values()) == {2}
        assert {i['relation'] for i in infos} <= {'original', 'identical'}
    sampler.set_epoch(1)
    assert list(sampler) != idx
    sampler.set_epoch(0)
    assert list(sampler) == idx


def test_relations_and_arguments(dataset):
    s = PSNetDesignSampler(dataset, 2, 3, relations=('original', 'plagiarized'), seed=0)
    rel = {dataset.get_data_info(i)['relation'] for i in s}
    assert rel <= {'original', 'plagiarized'} and 'plagiarized' in rel
    with pytest.raises(ValueError, match='num_designs and per_design'):
        PSNetDesignSampler(dataset, 1, 2)
    with pytest.raises(ValueError, match='at least num_designs'):
        PSNetDesignSampler(dataset, 50, 2)
