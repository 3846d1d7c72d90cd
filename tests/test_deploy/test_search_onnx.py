"""tools/search.py --backend onnx: the export of the model an index was built with gives the
PyTorch backend's hits (same ids and order, scores within 1e-4); an export of another model is
refused by the index's fingerprint; a wrong backend / checkpoint pairing is a usage error."""
import json

import pytest

from tests.conftest import load_tool
from tests.search_world import CONFIG, world  # noqa: F401  (a fixture)

pytest.importorskip('onnxruntime', reason='onnxruntime is not installed '
                    '(requirements/deploy.txt)')

DEPLOY_CFG = 'configs/deploy/region-embedding_onnxruntime_dynamic-batch.py'


@pytest.fixture(scope='module')
def exports(world, tmp_path_factory):  # noqa: F811
    from tests.conftest import REPO_ROOT
    root = tmp_path_factory.mktemp('search_onnx')
    tool = load_tool('tools/deployment/pytorch2onnx.py')
    paths = {}
    for name, ckpt in (('same', world.checkpoint), ('other', world.other_checkpoint)):
        paths[name] = root / name / 'psnet.onnx'
        assert tool.main([CONFIG, str(ckpt), str(REPO_ROOT / DEPLOY_CFG), '--out',
                          str(paths[name]), '--no-verify']) == 0
    return paths


def test_onnx_backend_gives_the_pytorch_hits(world, exports, tmp_path):  # noqa: F811
    tool = load_tool('tools/search.py')
    images = [str(world.data_root / e['img_path']) for e in world.queries()]
    images += [str(world.data_root / world.gallery()[i]['img_path']) for i in (0, 5)]
    results = {}
    for backend, extra in (('pytorch', []), ('onnx', ['--checkpoint', str(exports['same'])])):
        out = tmp_path / f'{backend}.json'
        assert tool.main([str(world.index), *images, '--topk', '6', '--batch-size', '3',
                          '--json', str(out), '--backend', backend, *extra]) == 0
        results[backend] = json.loads(out.read_text())['results']
    for ref, got in zip(results['pytorch'], results['onnx']):
        (g_ref, ), (g_got, ) = ref['garments'], got['garments']
        assert g_got['category'] == g_ref['category']
        assert g_got['region_boxes'] == g_ref['region_boxes']
        assert [h['id'] for h in g_got['hits']] == [h['id'] for h in g_ref['hits']]
        assert max(abs(a['score'] - b['score'])
                   for a, b in zip(g_got['hits'], g_ref['hits'])) <= 1e-4
    assert results['onnx'][2]['garments'][0]['hits'][0]['id'] == 0  # a gallery photo finds itself


def test_export_of_another_model_and_wrong_pairings_are_refused(world, exports,  # noqa: F811
                                                                 capsys):
    tool = load_tool('tools/search.py')
    image = str(world.data_root / world.queries()[0]['img_path'])
    assert tool.main([str(world.index), image, '--backend', 'onnx', '--checkpoint',
                      str(exports['other'])]) == 2
    assert 'another embedding model' in capsys.readouterr().err
    assert tool.main([str(world.index), image, '--backend', 'onnx']) == 2
    assert '--backend onnx needs --checkpoint FILE.onnx' in capsys.readouterr().err
    assert tool.main([str(world.index), image, '--checkpoint', str(exports['same'])]) == 2
    assert 'pass --backend onnx' in capsys.readouterr().err
