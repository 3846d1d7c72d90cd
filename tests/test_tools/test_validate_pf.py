"""tools/dataset_converters/validate_pf.py: output text and exit status."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_datasets.test_pf_format import make_pf
from tests.conftest import load_tool

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'dataset_converters' / 'validate_pf.py'


validate_tool = load_tool('tools/dataset_converters/validate_pf.py')

SUMMARY = ('{path}: OK: 10 entries (3 query, 7 gallery); relations: original 4, identical 2, '
           'plagiarized 3, irrelevant 1')


def _write(path, data):
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


@pytest.fixture
def good(tmp_path):
    return _write(tmp_path / 'good.json', make_pf())


@pytest.fixture
def bad(tmp_path):
    data = make_pf()
    data['data_list'][3]['relation'] = 'plagiarized'
    data['data_list'][3]['modified_regions'] = ['collar']
    data['data_list'][6]['modified_regions'] = ['hood']
    return _write(tmp_path / 'bad.json', data)


def test_valid_file_prints_summary(good, capsys):
    assert validate_tool.main([good]) == 0
    assert capsys.readouterr().out == SUMMARY.format(path=good) + '\n'


def test_every_problem_printed_and_status_1(good, bad, capsys):
    assert validate_tool.main([bad, good]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{bad}: data_list[3] field 'relation': expected 'original' for a query (every query "
        "is an original), got 'plagiarized'",
        f"{bad}: data_list[6] field 'modified_regions': unknown region(s) ['hood']; expected "
        "names from metainfo.regions ['left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist']",
        SUMMARY.format(path=good),
    ]
    assert err == '2 problem(s) in 1 of 2 file(s)\n'


def test_unreadable_files(tmp_path, capsys):
    broken = _write(tmp_path / 'broken.json', '{"metainfo": {}, ')
    missing = str(tmp_path / 'missing.json')
    assert validate_tool.main([broken, missing]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f'{broken}: not valid JSON: ')
    assert lines[1].startswith(f'{missing}: cannot read the file: ')


def test_command_line(good, bad):
    ok = subprocess.run([sys.executable, str(TOOL), good], cwd=REPO, capture_output=True,
                        text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == SUMMARY.format(path=good) + '\n'
    fail = subprocess.run([sys.executable, str(TOOL), good, bad], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert fail.returncode == 1
    assert f"{bad}: data_list[3] field 'relation'" in fail.stdout
    assert f"{bad}: data_list[6] field 'modified_regions'" in fail.stdout
    assert '2 problem(s) in 1 of 2 file(s)' in fail.stderr
    usage = subprocess.run([sys.executable, str(TOOL)], cwd=REPO, capture_output=True,
                           text=True, timeout=300)
    assert usage.returncode == 2 and 'FILE' in usage.stderr
