"""tools/fit_region_weights.py on a tiny synthetic set: features extracted once, the weights
fitted by fit_region_weights, a checkpoint copy and a table that agree; the input untouched."""
import hashlib
import json
from pathlib import Path

import pytest
import torch

from tests.conftest import load_tool
from tests.test_tools.conftest import PSNET_CONFIG

CONFIG = PSNET_CONFIG


@pytest.fixture(scope='module')
def setup(tiny_psnet, tmp_path_factory):
    """The tiny synthetic set and untrained checkpoint (``tiny_psnet``), outputs in a folder
    of this module's."""
    out = tmp_path_factory.mktemp('fit_weights')
    (out / 'set').symlink_to(tiny_psnet[0] / 'set')
    return out, tiny_psnet[1]


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_tool_writes_a_checkpoint_copy_with_the_fitted_weights(setup, capsys):
    out, ckpt = setup
    digest = sha(ckpt)
    tool = load_tool('tools/fit_region_weights.py')
    args = [CONFIG, str(ckpt), '--data-root', str(out / 'set'), '--epochs', '3', '--batch', '8',
            '--steps', '0:0.1', '2:0.05', '--seed', '3']
    assert tool.main(args + ['--out', str(out / 'fitted.pth')]) == 0
    printed = capsys.readouterr().out
    assert 'triplets' in printed and 'fitted.pth' in printed
    assert sha(ckpt) == digest  # the input checkpoint is never written

    before = torch.load(ckpt, map_location='cpu', weights_only=False)
    after = torch.load(out / 'fitted.pth', map_location='cpu', weights_only=False)
    old, new = before['state_dict']['region_weights'], after['state_dict']['region_weights']
    assert new.dtype == old.dtype and not torch.equal(new, old)
    assert all(torch.equal(after['state_dict'][k], v)
               for k, v in before['state_dict'].items() if k != 'region_weights')
    torch.testing.assert_close(new.sum(1), torch.ones(len(new)))
    assert new.min() >= 0.05 - 1e-6
    table = json.loads((out / 'fitted.json').read_text())
    from ps_net.structures import REGIONS
    assert table['regions'] == list(REGIONS)
    rows = [[table['weights'][c][r] for r in REGIONS] for c in table['categories']]
    assert torch.equal(torch.tensor(rows, dtype=new.dtype), new)  # the table is the copy's
    assert table['epochs'] == 3 and table['batch'] == 8 and table['steps'] == [[0, 0.1],
                                                                              [2, 0.05]]
    assert after['meta']['region_weight_fit']['num_triplets'] == table['num_triplets']
    assert after['meta']['epoch'] == 20

    # the same as fit_region_weights on the triplets of the features extracted once
    from ps_net.apis.region_features import extract_region_features, load_retriever
    from ps_net.models.losses import fit_region_weights, plagiarism_triplet_distances
    cfg, model = load_retriever(CONFIG, str(ckpt))
    images, ids, rel = tool.labelled_images(cfg, ['original', 'plagiarized'],
                                            data_root=str(out / 'set'))
    feats, valid, cat = model.split_flat(torch.as_tensor(extract_region_features(model,
                                                                                 images)['flat']))
    gen = torch.Generator().manual_seed(3)
    trip = plagiarism_triplet_distances(feats, valid, cat, ids, rel, generator=gen)
    assert sum(table['num_triplets'].values()) == trip['d_ap'].shape[0] > 0
    expected = fit_region_weights(trip['d_ap'], trip['d_an'], trip['category_index'],
                                  trip['valid'], weights=model.region_weights, epochs=3, batch=8,
                                  steps=((0, 0.1), (2, 0.05)), generator=gen)
    assert torch.equal(expected, new)

    # outputs are never replaced, the input never named as output; nothing is written then
    assert tool.main(args + ['--out', str(out / 'fitted.pth')]) == 2
    assert 'exists' in capsys.readouterr().err
    assert tool.main(args + ['--out', str(ckpt)]) == 2
    assert 'must differ' in capsys.readouterr().err
    assert sha(ckpt) == digest


def test_argument_errors_before_any_model_is_built(tmp_path, capsys):
    tool = load_tool('tools/fit_region_weights.py')
    ckpt = tmp_path / 'c.pth'
    assert tool.main([CONFIG, str(ckpt)]) == 2
    assert 'c.pth' in capsys.readouterr().err
    ckpt.write_bytes(b'')
    for extra, text in ((['--steps', '1:0.1'], 'start at 0'), (['--steps', '0:2'], 'step'),
                        (['--batch', '0'], '--batch'), (['--floor', '0.5'], 'floor'),
                        (['--negatives', '0'], '--negatives')):
        assert tool.main([CONFIG, str(ckpt)] + extra) == 2
        assert text in capsys.readouterr().err
    assert tool.main([CONFIG, str(ckpt), '--steps', 'x']) == 2  # argparse: EPOCH:STEP
    assert 'EPOCH:STEP' in capsys.readouterr().err


def tool_main(argv):
    return load_tool('tools/fit_region_weights.py').main(argv)


def test_tool_writes_the_fitted_weights_into_an_index(setup, capsys):
    """--index: the index gets the copy's weights (its rows in the index's category order),
    keeps its garments and fingerprint, and drops verdicts calibrated under the old weights;
    an index of another model is refused before anything is fitted or written."""
    import numpy as np

    from ps_net.apis.region_features import load_retriever
    from ps_net.index import GalleryIndex, model_fingerprint

    out, ckpt = setup
    _, model = load_retriever(CONFIG, str(ckpt))
    fp = model_fingerprint(model.state_dict())
    feats = np.random.default_rng(0).standard_normal((3, 5, 8)).astype(np.float32)
    order = list(reversed(model.categories))  # another row order than the model's
    args = [CONFIG, str(ckpt), '--data-root', str(out / 'set'), '--epochs', '2', '--batch', '8',
            '--steps', '0:0.1', '--seed', '1']

    other = GalleryIndex.create(8, order, None, 'sha256:another-model')
    other.save(out / 'other.psidx')
    digest = sha(out / 'other.psidx')
    assert tool_main(args + ['--out', str(out / 'x.pth'), '--index',
                             str(out / 'other.psidx')]) == 2
    assert 'another embedding model' in capsys.readouterr().err
    assert sha(out / 'other.psidx') == digest and not (out / 'x.pth').exists()

    index = GalleryIndex.create(8, order, None, fp)
    index.add([4, 5, 6], feats, np.ones((3, 5), bool), [0, 1, 2], ['a', 'b', 'c'],
              np.zeros((3, 4)))
    index.set_verdicts({'identical': 0.9, 'plagiarized': 0.6})
    index.save(out / 'cat.psidx')
    assert tool_main(args + ['--out', str(out / 'idx.pth'), '--index',
                             str(out / 'cat.psidx')]) == 0
    assert 'region weights replaced' in capsys.readouterr().out
    new = torch.load(out / 'idx.pth', map_location='cpu',
                     weights_only=False)['state_dict']['region_weights']
    loaded = GalleryIndex.load(out / 'cat.psidx', expected_fingerprint=fp)
    rows = [model.categories.index(c) for c in order]
    assert np.array_equal(loaded.region_weights, new[rows].double().numpy())
    assert loaded.verdicts is None and loaded.ids.tolist() == [4, 5, 6]
    assert not np.array_equal(loaded.region_weights, np.full((4, 5), 0.2))


def test_down_weighting_a_copys_modified_region_moves_it_up():
    """A customer's labelled pairs whose copies change the chest: the fitted lambda lowers the
    chest weight, and in the index the query's copy (its chest changed) moves from last to
    first above garments that are moderately similar everywhere."""
    import numpy as np

    from ps_net.index import GalleryIndex
    from ps_net.models.losses import fit_region_weights, plagiarism_triplet_distances
    from ps_net.structures import PSNET_CATEGORIES, REGIONS

    chest = REGIONS.index('chest')
    eye = np.eye(8)
    # design k: every region e_0 + 0.3 e_k (normalised): designs are close (hard negatives)
    originals = np.stack([np.tile(eye[0] + 0.3 * eye[k], (5, 1)) for k in range(1, 7)])
    originals /= np.linalg.norm(originals, axis=-1, keepdims=True)
    copies = originals.copy()
    copies[:, chest] *= -1  # each copy changes its chest
    feats = torch.as_tensor(np.concatenate([originals, copies]))
    trip = plagiarism_triplet_distances(
        feats, torch.ones(12, 5, dtype=torch.bool), [0] * 12, list(range(6)) * 2,
        ['original'] * 6 + ['plagiarized'] * 6)
    uniform = torch.full((len(PSNET_CATEGORIES), 5), 0.2)
    fitted = fit_region_weights(trip['d_ap'], trip['d_an'], trip['category_index'],
                                trip['valid'], weights=uniform, epochs=3, steps=((0, 0.1),))
    assert fitted[0, chest] == pytest.approx(0.05) and torch.equal(fitted[1:], uniform[1:])

    query = originals[0]
    u = np.tile(eye[7], (5, 1))  # orthogonal to every region of the query

    def similar(c):  # cosine c with the query in every region
        return c * query + np.sqrt(1 - c * c) * u

    gallery = np.stack([copies[0], similar(0.85), similar(0.75), similar(0.65)])
    index = GalleryIndex.create(8, PSNET_CATEGORIES, uniform, 'sha256:m')
    index.add([10, 11, 12, 13], gallery, np.ones((4, 5), bool), [0] * 4, list('abcd'),
              np.zeros((4, 4)))

    def ranking():
        hits = index.search(query[None], np.ones((1, 5), bool), [0], topk=4)[0]
        return [h.id for h in hits], hits[[h.id for h in hits].index(10)].score

    ids, score = ranking()
    assert ids == [11, 12, 13, 10] and score == pytest.approx((4 - 1) / 5)
    index.set_region_weights(fitted)
    ids, score = ranking()
    assert ids == [10, 11, 12, 13] and score == pytest.approx(1 - 2 * 0.05)
