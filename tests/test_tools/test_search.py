"""tools/search.py: the model defaults to the index's, JSON with the documented fields, one
self-contained HTML report (and PNG) per query, exit status per the images' statuses."""
import json
import re

import pytest
from PIL import Image

from tests.conftest import load_tool
from tests.search_world import CONFIG, world  # noqa: F401  (a fixture)


@pytest.fixture
def tool():
    return load_tool('tools/search.py')


HIT_FIELDS = {'rank', 'id', 'path', 'score', 'verdict', 'category', 'region_cosines', 'box',
              'region_boxes'}
REGIONS = ['left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist']


def test_json_and_a_report_per_query(world, tool, tmp_path, capsys):
    good = str(world.data_root / world.gallery()[3]['img_path'])
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'\x00' * 10)
    out = tmp_path / 'results.json'
    reports = tmp_path / 'reports'
    code = tool.main([str(world.index), good, str(bad), '--topk', '4', '--json', str(out),
                      '--html', str(reports), '--png', str(reports), '--report-hits', '3'])
    assert code == 1  # one image could not be searched; the other is answered
    printed = capsys.readouterr().out
    assert f'{good}: ok' in printed and f'{bad}: unreadable' in printed
    payload = json.loads(out.read_text())
    assert payload['topk'] == 4 and payload['index'] == str(world.index)
    ok, broken = payload['results']
    assert set(ok) == {'input', 'status', 'reason', 'garments', 'skipped'}
    assert ok['input'] == good and ok['status'] == 'ok' and ok['skipped'] == []
    assert broken['status'] == 'unreadable' and broken['reason'] and broken['garments'] == []
    (garment, ) = ok['garments']
    assert garment['box'] == [0, 0, 64, 64] and garment['det_score'] is None
    assert list(garment['region_valid']) == REGIONS == list(garment['region_boxes'])
    hits = garment['hits']
    assert [h['rank'] for h in hits] == [1, 2, 3, 4]
    assert all(set(h) == HIT_FIELDS for h in hits)
    assert all(list(h['region_cosines']) == REGIONS for h in hits)
    assert [h['score'] for h in hits] == sorted((h['score'] for h in hits), reverse=True)
    assert all(h['verdict'] is None for h in hits)  # the index holds no thresholds
    assert sorted(p.name for p in reports.iterdir()) == [
        '000_' + re.sub(r'\.jpg$', '', good.split('/')[-1]) + ext
        for ext in ('.html', '.png')] + ['001_broken.html', '001_broken.png']
    page = (reports / sorted(p.name for p in reports.iterdir())[0]).read_text()
    assert '4 hits' in page and 'the first 3 shown' in page
    # self-contained: every picture is a data URI, nothing else is fetched
    assert re.findall(r'src="([^"]+)"', page) and all(
        s.startswith('data:image/png;base64,') for s in re.findall(r'src="([^"]+)"', page))
    assert not re.search(r'(href|url)\s*[=(]', page)
    assert 'unreadable' in (reports / '001_broken.html').read_text()
    assert Image.open(reports / '001_broken.png').size[0] > 100


def test_one_image_report_path_is_the_file_and_exit_0(world, tool, tmp_path):
    good = str(world.data_root / world.gallery()[0]['img_path'])
    html = tmp_path / 'one.html'
    assert tool.main([str(world.index), good, '--config', CONFIG, '--checkpoint',
                      str(world.checkpoint), '--html', str(html)]) == 0
    assert html.read_text().startswith('<!DOCTYPE html>')
    assert '10 hits' in html.read_text()  # top 20 of a 10-garment gallery


def test_an_index_of_another_model_is_refused(world, tool, capsys):
    good = str(world.data_root / world.gallery()[0]['img_path'])
    assert tool.main([str(world.index), good, '--checkpoint', str(world.other_checkpoint)]) == 2
    assert 'another embedding model' in capsys.readouterr().err


def test_report_paths():
    assert tool_report_paths()(None, ['a.jpg'], 'html') == [None]
    assert tool_report_paths()('x.html', ['a.jpg'], 'html') == ['x.html']
    assert tool_report_paths()('d', ['a/q.jpg', 'b/q.png'], 'png') == ['d/000_q.png',
                                                                        'd/001_q.png']


def tool_report_paths():
    return load_tool('tools/search.py').report_paths


def test_the_demo_ends_with_a_search_report(world, tmp_path, capsys):
    """tools/run_demo.py's last stage, on the tiny catalogue: index, search, report."""
    demo = load_tool('tools/run_demo.py')
    out = demo.search_query(CONFIG, str(world.checkpoint), str(world.data_root), 1,
                            str(tmp_path / 'search'), topk=5)
    assert out['query'] == str(world.data_root / world.queries()[1]['img_path'])
    page = open(out['report']).read()
    assert '5 hits' in page and Image.open(out['png']).size[0] > 1000
    results = json.loads(open(out['json']).read())['results']
    assert results[0]['input'] == out['query'] and results[0]['status'] == 'ok'
    from ps_net.index import GalleryIndex
    assert len(GalleryIndex.load(out['index'])) == len(world.gallery())
    assert f'[search] report: {out["report"]}' in capsys.readouterr().out
    with pytest.raises(ValueError, match=r'--query must be in \[0, 2\)'):
        demo.search_query(CONFIG, str(world.checkpoint), str(world.data_root), 2,
                          str(tmp_path / 'x'))
