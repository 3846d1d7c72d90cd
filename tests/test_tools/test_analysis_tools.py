"""tools/analysis_tools/region_{locality,weight_bound}.py: argument errors before any model is
built (the weight bound runs end to end in test_ps_net_runner.py)."""
import pytest

from tests.conftest import load_tool

CONFIG = 'configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py'


@pytest.mark.parametrize('tool', ['region_locality', 'region_weight_bound'])
def test_missing_checkpoint_is_a_usage_error(tool, tmp_path, capsys):
    code = load_tool(f'tools/analysis_tools/{tool}.py').main([CONFIG,
                                                               str(tmp_path / 'missing.pth')])
    assert code == 2
    assert 'missing.pth' in capsys.readouterr().err


def test_weight_bound_rejects_non_positive_levels(tmp_path, capsys):
    ckpt = tmp_path / 'c.pth'
    ckpt.write_bytes(b'')
    code = load_tool('tools/analysis_tools/region_weight_bound.py').main(
        [CONFIG, str(ckpt), '--levels', '0', '1'])
    assert code == 2
    assert '--levels must be positive, got [0.0, 1.0]' in capsys.readouterr().err
