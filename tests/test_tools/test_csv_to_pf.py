"""tools/dataset_converters/csv_to_pf.py: conversion, error locations, atomic no-clobber write."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ps_net.datasets.pf_format import PFFormatError, dump_pf, load_pf
from tests.test_datasets.test_pf_format import make_pf
from tests.conftest import load_tool

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'dataset_converters' / 'csv_to_pf.py'
HEADER = 'img_path,split,design_id,relation,category,modified_regions'


csv_tool = load_tool('tools/dataset_converters/csv_to_pf.py')


def _plain_pf() -> dict:
    """The hand-made file without its optional fields (a CSV carries only the required ones)."""
    data = make_pf()
    for entry in data['data_list']:
        for key in ('bbox', 'landmarks', 'region_boxes'):
            entry.pop(key, None)
    return data


def _pf_to_csv(data: dict, path: Path, separator: str = ';') -> Path:
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(HEADER.split(','))
        for e in data['data_list']:
            writer.writerow([e['img_path'], e['split'], e['design_id'], e['relation'],
                             e['category'], separator.join(e['modified_regions'])])
    return path


def _write_csv(path: Path, rows) -> str:
    path.write_text('\n'.join([HEADER] + list(rows)) + '\n', encoding='utf-8')
    return str(path)


def _run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_round_trip_gives_an_identical_file(tmp_path):
    expected = tmp_path / 'expected.json'
    dump_pf(_plain_pf(), str(expected))
    in_csv = _pf_to_csv(_plain_pf(), tmp_path / 'in.csv')
    out = tmp_path / 'out.json'
    proc = _run(in_csv, out, '--dataset-name', 'hand-made')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f'wrote {out}: 10 entries (3 query, 7 gallery)\n'
    assert out.read_bytes() == expected.read_bytes()
    assert load_pf(str(out)) == _plain_pf()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['expected.json', 'in.csv', 'out.json']


def test_pipe_separator_default_name_and_own_categories(tmp_path):
    in_csv = _write_csv(tmp_path / 'shop.csv', [
        'a.jpg,query,1,original,hat,',
        'b.jpg,gallery,1,plagiarized,hat,brim | crown',
        ' c.jpg , gallery , 1 , identical , hat , ',
    ])
    data = csv_tool.csv_to_pf(in_csv, categories=['hat'], regions=['brim', 'crown'])
    assert data['metainfo'] == dict(dataset_name='shop', format_version=1, categories=['hat'],
                                    regions=['brim', 'crown'])
    assert data['data_list'][1]['modified_regions'] == ['brim', 'crown']
    assert data['data_list'][2] == dict(img_path='c.jpg', split='gallery', design_id=1,
                                        relation='identical', category='hat',
                                        modified_regions=[])


def test_categories_option_accepts_commas(tmp_path):
    in_csv = _write_csv(tmp_path / 'in.csv', ['a.jpg,query,1,original,hat,'])
    out = tmp_path / 'out.json'
    assert csv_tool.main([in_csv, str(out), '--categories', 'hat,cap', 'scarf']) == 0
    assert json.loads(out.read_text())['metainfo']['categories'] == ['hat', 'cap', 'scarf']


def test_errors_name_line_and_column(tmp_path):
    in_csv = _write_csv(tmp_path / 'in.csv', [
        'q.jpg,query,1,original,dress,',            # line 2: fine
        'a.jpg,gallery,x1,plagiarized,dress,collar',  # line 3: design_id not an int
        'b.jpg,gallery,1,copy,dress,',              # line 4: unknown relation
        'c.jpg,gallery,1,plagiarized,dress,hood;collar',  # line 5: unknown region
        'q.jpg,gallery,1,identical,hat,',           # line 6: duplicate path and category
        'd.jpg,gallery,1,plagiarized,dress,collar;;chest',  # line 7: empty region name
        'e.jpg,gallery,1,identical,dress',          # line 8: a cell short
    ])
    with pytest.raises(PFFormatError) as err:
        csv_tool.csv_to_pf(in_csv)
    problems = err.value.problems
    assert problems == [
        f"{in_csv}: line 3, column 'design_id': expected an integer, got 'x1'",
        f"{in_csv}: line 7, column 'modified_regions': expected region names separated by "
        "\";\" or \"|\", got an empty name in 'collar;;chest'",
        f"{in_csv}: line 8, column 'modified_regions': missing value (the row has fewer cells "
        'than the header)',
        f"{in_csv}: line 4, column 'relation': expected one of ('original', 'identical', "
        "'plagiarized', 'irrelevant'), got 'copy' (str)",
        f"{in_csv}: line 5, column 'modified_regions': unknown region(s) ['hood']; expected "
        "names from metainfo.regions ['left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist']",
        f"{in_csv}: line 6, column 'category': unknown category 'hat'; expected one of "
        "metainfo.categories ['short_sleeved_top', 'long_sleeved_top', 'outwear', 'dress']",
        f"{in_csv}: line 6, column 'img_path': expected a unique image, got 'q.jpg', a "
        'duplicate of line 2',
    ]


@pytest.mark.parametrize('header,words', [
    ('img_path,split,design_id,relation,category', "missing column(s) ['modified_regions']"),
    (HEADER + ',bbox', "unknown column(s) ['bbox']"),
    ('', 'expected a header row'),
])
def test_header_problems(tmp_path, header, words):
    path = tmp_path / 'in.csv'
    path.write_text(header + ('\n' if header else ''))
    with pytest.raises(PFFormatError) as err:
        csv_tool.csv_to_pf(str(path))
    assert err.value.problems[0].startswith(f'{path}: line 1')
    assert words in err.value.problems[0]


def test_bad_option_is_named(tmp_path):
    in_csv = _write_csv(tmp_path / 'in.csv', ['a.jpg,query,1,original,dress,'])
    with pytest.raises(PFFormatError, match='--regions: expected unique names'):
        csv_tool.csv_to_pf(in_csv, regions=['collar', 'collar'])


def test_invalid_csv_writes_nothing(tmp_path):
    in_csv = _write_csv(tmp_path / 'in.csv', ['a.jpg,gallery,1,plagiarized,dress,'])
    out = tmp_path / 'out.json'
    proc = _run(in_csv, out)
    assert proc.returncode == 1
    assert f"{in_csv}: line 2, column 'modified_regions': expected one or two" in proc.stderr
    assert '1 problem(s); nothing written' in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['in.csv']


def test_refuses_to_overwrite_without_force(tmp_path, capsys):
    in_csv = str(_pf_to_csv(_plain_pf(), tmp_path / 'in.csv', separator='|'))
    out = tmp_path / 'out.json'
    out.write_text('precious')
    assert csv_tool.main([in_csv, str(out)]) == 1
    assert 'exists; refusing to overwrite it (pass --force)' in capsys.readouterr().err
    assert out.read_text() == 'precious'
    assert csv_tool.main([in_csv, str(out), '--force', '--dataset-name', 'hand-made']) == 0
    assert json.loads(out.read_text()) == _plain_pf()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['in.csv', 'out.json']


def test_missing_input(tmp_path, capsys):
    assert csv_tool.main([str(tmp_path / 'nope.csv'), str(tmp_path / 'out.json')]) == 1
    assert 'nope.csv' in capsys.readouterr().err
    assert not (tmp_path / 'out.json').exists()


def test_missing_output_folder_is_named_before_any_work(tmp_path, monkeypatch):
    in_csv = _write_csv(tmp_path / 'in.csv', ['a.jpg,query,1,original,dress,'])
    out = tmp_path / 'no' / 'such' / 'out.json'

    def fail(*args, **kwargs):
        raise AssertionError('the CSV was converted before the output folder was checked')

    monkeypatch.setattr(csv_tool, 'csv_to_pf', fail)
    assert csv_tool.main([in_csv, str(out)]) == 1
    proc = _run(in_csv, out)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f'error: OUT.json {out}: folder {out.parent} does not exist '
                                   f'(create it first)')
    assert 'in.csv' not in proc.stderr and '.tmp' not in proc.stderr
    (tmp_path / 'a_folder').mkdir()
    assert csv_tool.main([in_csv, str(tmp_path / 'a_folder')]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a_folder', 'in.csv']


def test_csv_without_rows_writes_nothing(tmp_path, capsys):
    in_csv = _write_csv(tmp_path / 'in.csv', [])
    out = tmp_path / 'out.json'
    assert csv_tool.main([in_csv, str(out)]) == 1
    assert capsys.readouterr().err.strip() == (
        f'{in_csv}: no data row after the header; nothing written')
    assert not out.exists()
