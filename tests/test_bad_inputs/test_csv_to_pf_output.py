"""csv_to_pf.py names a bad output location before reading the CSV (a missing folder is
tested in tests/test_tools/test_csv_to_pf.py)."""
import pytest

from tests.conftest import load_tool

csv_tool = load_tool('tools/dataset_converters/csv_to_pf.py')


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / 'in.csv'
    path.write_text('img_path,split,design_id,relation,category,modified_regions\n'
                    'a.jpg,query,1,original,dress,\n')
    return path


def test_output_under_a_file_is_named_before_any_work(csv_file, tmp_path, monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise AssertionError('the CSV was converted before the output was checked')

    monkeypatch.setattr(csv_tool, 'csv_to_pf', fail)
    out = csv_file / 'out.json'  # the "folder" is the CSV itself
    assert csv_tool.main([str(csv_file), str(out)]) == 1
    assert capsys.readouterr().err.strip() == (f'error: OUT.json {out}: {csv_file} is a file, '
                                               f'not a folder')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['in.csv']
