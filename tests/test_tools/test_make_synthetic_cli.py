"""tools/make_synthetic.py options that reach the generator's config."""
import pytest

from tests.conftest import load_tool

tool = load_tool('tools/make_synthetic.py')


@pytest.fixture
def seen(monkeypatch):
    """The config each ``tool.main`` call hands the generator (``seen['config']``)."""
    seen = {}

    def fake_generate(out, config, **kwargs):
        seen['config'] = config
        return dict(images=1)
    monkeypatch.setattr(tool, 'generate_synthetic', fake_generate)
    return seen


def test_real_texture_prob_reaches_the_config(tmp_path, seen):
    assert tool.main(['--out', str(tmp_path / 's'), '--texture-dir', 'none',
                      '--real-texture-prob', '0.9']) == 0
    assert seen['config'].real_texture_prob == 0.9
    assert tool.main(['--out', str(tmp_path / 's'), '--texture-dir', 'none']) == 0
    assert seen['config'].real_texture_prob == tool.SyntheticConfig().real_texture_prob


@pytest.mark.parametrize('value', ['-0.1', '1.5'])
def test_real_texture_prob_outside_zero_one_is_refused(tmp_path, capsys, value):
    assert tool.main(['--out', str(tmp_path / 's'), '--real-texture-prob', value]) == 2
    assert '--real-texture-prob must be in [0, 1]' in capsys.readouterr().err


def test_long_sleeve_angle_reaches_the_config_and_bad_ranges_are_refused(tmp_path, seen, capsys):
    assert tool.main(['--out', str(tmp_path / 's'), '--texture-dir', 'none',
                      '--long-sleeve-angle', '55', '88']) == 0
    assert seen['config'].long_sleeve_angle == (55.0, 88.0)
    assert tool.main(['--out', str(tmp_path / 's'), '--texture-dir', 'none']) == 0
    assert seen['config'].long_sleeve_angle == (55.0, 68.0)
    seen.clear()
    assert tool.main(['--out', str(tmp_path / 's'), '--texture-dir', 'none',
                      '--long-sleeve-angle', '60', '100']) == 2
    assert 'long_sleeve_angle: expected 0 <= min <= max <= 90' in capsys.readouterr().err
    assert seen == {}  # refused before anything is generated
