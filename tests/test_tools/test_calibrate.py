"""tools/calibrate.py on a tiny synthetic set: the thresholds stored in the index are those
fitted on the labelled split's eq. 1 scores, the test figures are those of the pure functions,
a rerun reads the cached features, and an index of another model is refused untouched."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import load_tool
from tests.test_tools.conftest import PSNET_CONFIG as CONFIG


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope='module')
def setup(tiny_psnet, tmp_path_factory):
    """The tiny set, its checkpoint, the model and an index of that model (a few garments of
    the test split) whose region weights differ from the model's."""
    from ps_net.apis.region_features import extract_region_features, load_retriever
    from ps_net.index import GalleryIndex, model_fingerprint

    out = tmp_path_factory.mktemp('calibrate')
    root, ckpt = tiny_psnet[0] / 'set', tiny_psnet[1]
    cfg, model = load_retriever(CONFIG, str(ckpt))
    tool = load_tool('tools/calibrate.py')
    gallery = tool.labelled_split(cfg, 'annotations/pf_test.json', str(root))
    feats, valid, cats = model.split_flat(torch.as_tensor(
        extract_region_features(model, gallery, limit=6)['flat']))
    weights = np.random.default_rng(0).dirichlet(np.ones(5), len(model.categories))
    index = GalleryIndex.create(feats.shape[-1], model.categories, weights,
                                model_fingerprint(model.state_dict()))
    index.add(np.arange(6), feats, valid, cats.tolist(), [f'{i}.jpg' for i in range(6)],
              np.zeros((6, 4)))
    index.save(out / 'gallery.psidx')
    return out, root, ckpt, cfg, model, tool


def expected_pairs(setup, ann_file):
    """Scores and labels of every query-gallery pair, computed here from scratch."""
    from ps_net.apis.region_features import extract_region_features
    from ps_net.evaluation.functional import pair_labels
    from ps_net.index import GalleryIndex
    from ps_net.structures import region_similarity

    out, root, _, cfg, model, tool = setup
    dataset = tool.labelled_split(cfg, ann_file, str(root))
    f, v, c = model.split_flat(torch.as_tensor(extract_region_features(model, dataset)['flat']))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    q = [i for i, info in enumerate(infos) if info['split'] == 'query']
    g = [i for i, info in enumerate(infos) if info['split'] == 'gallery']
    weights = torch.as_tensor(GalleryIndex.load(out / 'gallery.psidx').region_weights)
    scores = region_similarity(f[q].double(), v[q], f[g].double(), v[g], weights[c[q]]).numpy()
    labels = pair_labels([infos[i]['design_id'] for i in q], [infos[i]['design_id'] for i in g],
                         [infos[i]['relation'] for i in g])
    return scores, labels


def test_calibration_is_stored_in_the_index_and_reported(setup, capsys):
    from ps_net.evaluation.functional import (copy_detection_metrics, fit_verdict_thresholds,
                                              label_precision_recall)
    from ps_net.index import GalleryIndex

    out, root, ckpt, _, _, tool = setup
    before = GalleryIndex.load(out / 'gallery.psidx')
    args = [CONFIG, str(ckpt), '--index', str(out / 'gallery.psidx'), '--data-root', str(root),
            '--ann-file', 'annotations/pf_train.json', '--cache-dir', str(out / 'cache')]
    assert tool.main(args + ['--test-ann-file', 'annotations/pf_test.json']) == 0
    printed = capsys.readouterr().out
    assert 'thresholds (f1)' in printed and 'DISC21' in printed and 'micro-AP' in printed

    scores, labels = expected_pairs(setup, 'annotations/pf_train.json')
    fitted = fit_verdict_thresholds(scores, labels)
    index = GalleryIndex.load(out / 'gallery.psidx')
    assert index.verdict_thresholds == pytest.approx(fitted, abs=1e-6)
    assert index.verdicts['criterion'] == 'f1'
    assert index.verdicts['calibration']['pairs'] == scores.size
    # the index is otherwise the same
    assert index.ids.tolist() == before.ids.tolist()
    assert np.array_equal(index.region_weights, before.region_weights)

    report = json.loads((out / 'gallery_calibration.json').read_text())
    assert report['thresholds'] == index.verdict_thresholds
    t_scores, t_labels = expected_pairs(setup, 'annotations/pf_test.json')
    expected = label_precision_recall(t_scores, t_labels, report['thresholds'])
    for label, figures in expected.items():
        for key, value in figures.items():
            got = report['test']['labels'][label][key]
            assert (got is None and np.isnan(value)) or got == pytest.approx(value)
    disc = copy_detection_metrics(t_scores, t_labels != 2)
    assert report['test']['copy_detection']['micro_ap'] == pytest.approx(disc['micro_ap'])
    assert report['test']['copy_detection']['positives'] == disc['positives'] > 0
    assert report['test']['copy_detection']['recall_at_p90'] == pytest.approx(
        disc['recall_at_p90'])

    # a rerun with another criterion reads the cached features and refits on them
    cached = sorted((out / 'cache').iterdir())
    assert len(cached) == 2
    assert tool.main(args + ['--criterion', 'precision', '--target-precision', '0.5']) == 0
    assert 'embedded' not in capsys.readouterr().err
    assert sorted((out / 'cache').iterdir()) == cached
    index = GalleryIndex.load(out / 'gallery.psidx')
    assert index.verdict_thresholds == pytest.approx(
        fit_verdict_thresholds(scores, labels, 'precision', 0.5), abs=1e-6)
    assert index.verdicts['criterion'] == 'precision' and 'test' not in index.verdicts


def test_an_index_of_another_model_is_refused(setup, capsys):
    from ps_net.index import GalleryIndex

    out, root, ckpt, _, model, tool = setup
    GalleryIndex.create(8, model.categories, None, 'sha256:other').save(out / 'other.psidx')
    digest = sha(out / 'other.psidx')
    assert tool.main([CONFIG, str(ckpt), '--index', str(out / 'other.psidx'), '--data-root',
                      str(root), '--ann-file', 'annotations/pf_train.json']) == 2
    assert 'another embedding model' in capsys.readouterr().err
    assert sha(out / 'other.psidx') == digest
    assert not (out / 'other_calibration.json').exists()


def test_argument_errors(tmp_path, capsys):
    tool = load_tool('tools/calibrate.py')
    assert tool.main([CONFIG, str(tmp_path / 'c.pth'), '--index', 'x', '--ann-file', 'a']) == 2
    assert 'c.pth' in capsys.readouterr().err
    (tmp_path / 'c.pth').write_bytes(b'')
    (tmp_path / 'i.psidx').write_bytes(b'')
    base = [CONFIG, str(tmp_path / 'c.pth'), '--index', str(tmp_path / 'i.psidx'),
            '--ann-file', 'a']
    assert tool.main(base + ['--target-precision', '0']) == 2
    assert '--target-precision' in capsys.readouterr().err
    assert tool.main(base + ['--json', str(tmp_path / 'i.psidx')]) == 2
    assert 'must differ' in capsys.readouterr().err
    assert tool.main(base + ['--criterion', 'recall']) == 2  # argparse choices
