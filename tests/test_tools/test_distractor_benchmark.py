"""tools/analysis_tools/distractor_benchmark.py: a labelled file plus copy-less queries,
another file's gallery and photos; design ids shifted apart, paths absolute, nothing replaced."""
import json

import cv2
import numpy as np

from tests.conftest import load_tool

META = dict(format_version=1, categories=['short_sleeved_top', 'long_sleeved_top', 'outwear',
                                          'dress'],
            regions=['left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist'])


def entry(path, split, design, relation, modified=()):
    return dict(img_path=path, split=split, design_id=design, relation=relation,
                category='dress', modified_regions=list(modified))


def write_pf(path, entries):
    path.write_text(json.dumps(dict(metainfo=META, data_list=entries)))
    return str(path)


def test_benchmark_file(tmp_path, capsys):
    base = write_pf(tmp_path / 'base.json', [
        entry('q0.jpg', 'query', 0, 'original'), entry('g0.jpg', 'gallery', 0, 'identical'),
        entry('g1.jpg', 'gallery', 0, 'plagiarized', ['waist']),
        entry('g2.jpg', 'gallery', 3, 'irrelevant')])
    other = write_pf(tmp_path / 'other.json', [
        entry('a.jpg', 'query', 0, 'original'), entry('b.jpg', 'gallery', 0, 'plagiarized',
                                                       ['chest']),
        entry('c.jpg', 'query', 5, 'original'), entry('d.jpg', 'gallery', 5, 'identical')])
    (tmp_path / 'photos' / 'hat').mkdir(parents=True)
    (tmp_path / 'photos' / 'skirt').mkdir()
    cv2.imwrite(str(tmp_path / 'photos' / 'hat' / '1.jpg'), np.zeros((30, 20, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'photos' / 'skirt' / '2.jpg'), np.zeros((10, 40, 3), np.uint8))
    for root in ('root', 'o1', 'o2'):
        (tmp_path / root).mkdir()
    tool = load_tool('tools/analysis_tools/distractor_benchmark.py')
    out = tmp_path / 'bench.json'
    args = [base, '--data-root', str(tmp_path / 'root'), '--out', str(out),
            '--queries-from', other, str(tmp_path / 'o1'),
            '--gallery-from', other, str(tmp_path / 'o2'), '--photos', str(tmp_path / 'photos')]
    assert tool.main(args) == 0
    # the file given twice keeps one shift: its queries' copies are copies in the benchmark
    assert '3 queries (3 with a copy in the gallery)' in capsys.readouterr().out
    data = json.loads(out.read_text())['data_list']
    assert [(e['split'], e['design_id'], e['relation']) for e in data] == [
        ('query', 0, 'original'), ('gallery', 0, 'identical'), ('gallery', 0, 'plagiarized'),
        ('gallery', 3, 'irrelevant'),
        # the other file's ids shifted past the base's (max 3): one shift for both uses
        ('query', 4, 'original'), ('query', 9, 'original'),
        ('gallery', 4, 'plagiarized'), ('gallery', 9, 'identical'),
        # photos: one design each, past every id before them
        ('gallery', 10, 'original'), ('gallery', 11, 'original')]
    assert data[0]['img_path'] == str(tmp_path / 'root' / 'q0.jpg')
    assert data[4]['img_path'] == str(tmp_path / 'o1' / 'a.jpg')
    assert data[6]['img_path'] == str(tmp_path / 'o2' / 'b.jpg')
    assert data[8]['category'] == 'short_sleeved_top' and data[8]['bbox'] == [0, 0, 20, 30]
    assert data[9]['category'] == 'dress' and data[9]['bbox'] == [0, 0, 40, 10]

    before = out.read_text()
    assert tool.main(args) == 2  # never replaced
    assert 'exists' in capsys.readouterr().err and out.read_text() == before
    assert tool.main([base, '--data-root', str(tmp_path), '--out', str(tmp_path / 'x.json'),
                      '--photos', str(tmp_path / 'photos'), '--photo-classes', 'socks']) == 2
    assert 'socks' in capsys.readouterr().err
