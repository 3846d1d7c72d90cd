"""tools/analysis_tools/region_locality.py: argument errors before any model is built."""
from tests.conftest import load_tool


def test_missing_checkpoint_is_a_usage_error(tmp_path, capsys):
    tool = load_tool('tools/analysis_tools/region_locality.py')
    code = tool.main(['configs/ps_net/psnet-hrnet-narrow_synthetic-128.py',
                      str(tmp_path / 'missing.pth')])
    assert code == 2
    assert 'missing.pth' in capsys.readouterr().err
