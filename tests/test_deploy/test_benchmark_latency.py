"""tools/analysis_tools/benchmark_latency.py without timing anything: the arguments are checked
before any work and the markdown tables carry every figure of the rows (timing itself is
never asserted: figures go to docs/deploy.md)."""
import pytest

from tests.conftest import load_tool


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/analysis_tools/benchmark_latency.py')


@pytest.mark.parametrize('argv, message', [
    (['--models', 'tiny'], 'unknown presets'),
    (['--models'], 'no model'),
    (['--threads', '0'], 'must be >= 1'),
    (['--models', '--model', 'x=configs/missing.py'], 'is not a file'),
])
def test_bad_arguments_exit_2_before_any_work(tool, argv, message, capsys, tmp_path):
    assert tool.main(argv + ['--work-dir', str(tmp_path / 'w')]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / 'w').exists()


def test_model_names_resolve_presets_overrides_and_no_detector(tool):
    args = tool.parse_args(['--models', 'narrow', '--model', 'mine=configs/a.py',
                            '--detector', 'narrow=none', '--checkpoint', 'mine=/w/a.pth'])
    models = tool._models(args)
    assert list(models) == ['narrow', 'mine']
    config, ckpt, det = models['narrow']
    assert config.endswith(tool.PRESETS['narrow'][0]) and ckpt is None and det is None
    assert models['mine'][0].endswith('configs/a.py') and models['mine'][1] == '/w/a.pth'
    assert models['mine'][2] is None  # not a preset: no detector unless given


def test_tables_hold_every_figure(tool):
    load = [1.5, 1.0, 0.5]
    rows = [dict(benchmark='latency', model='narrow', backend='onnx', read=0.001, detect=0.1,
                 crop=0.002, landmarks=0.003, embed=0.02, search=0.004, total=0.13,
                 load_before=load, load_after=[2.0, 1.0, 0.5]),
            dict(benchmark='throughput', model='narrow', backend='pytorch', batch=16,
                 crops_per_s=30.0, backbone_crops_per_s=40.0, overhead=0.3333,
                 components_ms={'attention': 12.5}, load_before=load, load_after=load),
            dict(benchmark='build', model='real', backend='onnx', images=96, batch=16,
                 images_per_s=55.25, load_before=load, load_after=load)]
    text = tool.tables(rows)
    assert '| narrow | onnx | 1.0 | 100.0 | 2.0 | 3.0 | 20.0 | 4.0 | 130.0 | 1.5 / 2.0 |' in text
    assert '| narrow | pytorch | 16 | 30.0 | 40.0 | +33 % | 1.5 / 1.5 |' in text
    assert 'attention 12.5' in text
    assert '| real | onnx | 96 | 16 | 55.2 | 1.5 / 1.5 |' in text
