"""tools/test.py: refused inputs end the run with one short message and a non-zero exit (a
checkpoint of another config, format errors, a split without queries or gallery, categories the
model cannot embed), and ``--data-root`` / ``--ann-file`` score any benchmark in one command."""
import json
import shutil

import pytest

from tests.conftest import load_tool
from .conftest import (REPO, psnet_args, read_pf, run_test_tool, set_metainfo, write_pf,
                       _save_model)

TRIPLET_CONFIG = REPO / 'configs' / 'cbam' / 'triplet_resnet50-narrow_20e_synthetic-128.py'


class _Result:
    """``returncode`` / ``stdout`` / ``stderr`` of an in-process ``main(argv)`` call."""

    def __init__(self, code, captured):
        self.returncode, self.stdout, self.stderr = code, captured.out, captured.err


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/test.py')


@pytest.fixture
def run_main(tool, capsys):
    """``tools/test.py``'s ``main`` in this process: for refusals before the Runner is built
    (a subprocess pays the imports again)."""

    def run(args):
        code = tool.main([str(a) for a in args])
        return _Result(code, capsys.readouterr())
    return run


def _short_error(proc, *words, max_lines=25):
    """The run failed with ``error: ...`` naming ``words``, without a config dump or a
    traceback."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert 'Traceback' not in out and 'Config:' not in out, out[-3000:]
    assert len(out.splitlines()) <= max_lines, out[-3000:]
    error = proc.stderr[proc.stderr.index('error: '):]
    for word in words:
        assert word in error, (word, error)
    return error


@pytest.fixture(scope='module')
def test_file(world):
    return world.set_root / 'annotations' / 'pf_test.json'


def test_a_checkpoint_of_another_config_is_refused_with_the_counts(world, test_file, tmp_path):
    args = [world.landmark_checkpoint if a == world.checkpoint else a for a in
            psnet_args(world, tmp_path / 'w', '--data-root', world.set_root,
                       '--ann-file', test_file)]
    proc = run_test_tool(args)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and 'Traceback' not in out, out[-3000:]
    error = proc.stderr[proc.stderr.index('error: '):].strip()
    assert error.startswith(f'error: checkpoint {world.landmark_checkpoint} does not fit the '
                            f'PSNetRetriever of this config: matched 0 of ')
    assert ' missing (' in error and ' unexpected (' in error
    assert error.endswith('--allow-partial-checkpoint loads it anyway')
    assert error == out.strip().splitlines()[-1]  # printed once, at the end
    assert not (tmp_path / 'w' / 'metrics.json').exists()

    allowed = run_test_tool(args[:-2] + ['--allow-partial-checkpoint'] + args[-2:])
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert '--allow-partial-checkpoint: checkpoint' in allowed.stdout + allowed.stderr
    assert json.loads((tmp_path / 'w' / 'metrics.json').read_text())[
        'plagiarism/num_queries'] == 3


def test_format_errors_are_one_message_at_the_end(world, test_file, tmp_path, run_main):
    data = read_pf(test_file)
    data['data_list'][2]['landmarks'][0] = [float('nan'), 3.0, 2]
    data['data_list'][4]['category'] = 'cape'
    bad = write_pf(tmp_path / 'bad.json', data['metainfo'], data['data_list'])
    proc = run_test_tool(psnet_args(world, tmp_path / 'w', '--ann-file', bad,
                                    '--data-root', world.set_root))
    error = _short_error(proc, f'{bad} is not a valid Plagiarized Fashion v1 file: 2 problem(s)',
                         "data_list[2] field 'landmarks[0]': expected finite numbers x and y, "
                         'got [nan, 3.0, 2]',
                         "data_list[4] field 'category': unknown category 'cape'")
    assert error.count('error: ') == 1

    data = read_pf(test_file)  # 18 entries, two problems each
    many = write_pf(tmp_path / 'many.json', data['metainfo'],
                    [dict(e, relation='copy', category='cape') for e in data['data_list']])
    proc = run_main(psnet_args(world, tmp_path / 'w', '--ann-file', many))
    error = _short_error(proc, 'problem(s)', '... and ', 'validate_pf.py FILE lists every problem',
                         max_lines=30)
    assert len(error.splitlines()) == 22  # the head, 20 problems, the pointer


def test_a_split_without_gallery_or_queries_is_refused_naming_the_file(world, test_file, tmp_path,
                                                                      run_main):
    data = read_pf(test_file)
    queries = write_pf(tmp_path / 'only_queries.json', data['metainfo'],
                       [e for e in data['data_list'] if e['split'] == 'query'])
    _short_error(run_main(psnet_args(world, tmp_path / 'w', '--ann-file', queries)),
                 f"{queries}: field 'data_list': no 'gallery' entry (3 entries: 3 query, "
                 '0 gallery)')
    empty = write_pf(tmp_path / 'empty.json', data['metainfo'], [])
    _short_error(run_main(psnet_args(world, tmp_path / 'w', '--ann-file', empty)),
                 f"{empty}: field 'data_list': no 'query' entry",
                 f"{empty}: field 'data_list': no 'gallery' entry")
    _short_error(run_main(psnet_args(world, tmp_path / 'w', '--ann-file',
                                     tmp_path / 'nope.json')),
                 f"test_dataloader.dataset: annotation file {tmp_path / 'nope.json'} does not "
                 'exist')


def test_categories_the_model_cannot_embed_are_refused(world, test_file, tmp_path, run_main):
    data = read_pf(test_file)
    meta = dict(data['metainfo'], categories=data['metainfo']['categories'] + ['cape'])
    entries = data['data_list']
    del entries[1]['df2_category_id']
    entries[1]['category'] = 'cape'
    entries[3]['df2_category_id'] = 8  # trousers: not searched by PS-Net
    ann = write_pf(tmp_path / 'cats.json', meta, entries)
    _short_error(run_main(psnet_args(world, tmp_path / 'w', '--ann-file', ann,
                                     '--data-root', world.set_root)),
                 f"{ann}: data_list[1] field 'category': 'cape' is not one of the model's "
                 'categories',
                 f"{ann}: data_list[3] field 'df2_category_id': expected one of the searched "
                 'DeepFashion2 categories')


@pytest.fixture(scope='module')
def triplet_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('triplet') / 'triplet.pth'
    _save_model(TRIPLET_CONFIG, path, 'mmpretrain')
    return path


def test_one_command_scores_an_outside_benchmark(world, triplet_checkpoint, tmp_path):
    """Issue 13, section 5: the query loader, the gallery (hook and prototype) and the
    PSNetPrecisionAtK gallery file all read FILE and DIR; none of the config's files exists."""
    assert not (REPO / 'data' / 'synthetic' / 'annotations' / 'pf_test.json').exists()
    bench = tmp_path / 'outside'
    entries = []
    for entry in read_pf(world.set_root / 'annotations' / 'pf_test.json')['data_list'][:12]:
        name = 'photos/' + entry['img_path'].replace('/', '_')
        (bench / 'photos').mkdir(parents=True, exist_ok=True)
        shutil.copyfile(world.set_root / entry['img_path'], bench / name)
        entries.append(dict(entry, img_path=name))
    ann = write_pf(tmp_path / 'labels' / 'benchmark.json', set_metainfo(world), entries)
    work = tmp_path / 'work'
    proc = run_test_tool([TRIPLET_CONFIG, triplet_checkpoint, '--data-root', bench,
                          '--ann-file', ann, '--work-dir', work])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads((work / 'metrics.json').read_text())
    assert metrics['plagiarism/num_queries'] == 2 and metrics['cbam/num_queries'] == 2
    assert metrics['bad_inputs'] == []
    table = proc.stdout[proc.stdout.index('metric '):]
    for key in ('plagiarism/mAP', 'plagiarism/Recall@10', 'cbam/P@5', 'cbam/mAP@20'):
        line = next(l for l in table.splitlines() if l.startswith(key + ' '))
        assert float(line.split()[-1]) == pytest.approx(metrics[key], abs=0.005)
    assert f'metrics: {work / "metrics.json"}' in proc.stdout


def test_bad_arguments_are_refused_before_any_work(world, test_file, tmp_path, run_main):
    out = tmp_path / 'no' / 'metrics.json'
    proc = run_main(psnet_args(world, tmp_path / 'w', '--ann-file', test_file, '--out', out))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f'error: --out {out}: folder {out.parent} does not exist'
    proc = run_main(psnet_args(world, tmp_path / 'w')[:1] + [tmp_path / 'none.pth'])
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: checkpoint file '{tmp_path / 'none.pth'}' does not exist"


def test_an_empty_or_truncated_checkpoint_is_named(world, test_file, tmp_path, run_main):
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    cut = tmp_path / 'cut.pth'
    data = world.checkpoint.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    text = tmp_path / 'notes.pth'
    text.write_text('weights are on the other disk\n')
    for path, words in ((empty, 'empty file (0 bytes)'),
                        (cut, 'a damaged or truncated zip archive'),
                        (text, "not a PyTorch checkpoint (a torch.save file starts with PK, "
                               "this one with b'weig')")):
        args = psnet_args(world, tmp_path / 'w', '--ann-file', test_file)
        args[1] = path
        _short_error(run_main(args), f'error: checkpoint {path}: {words}')
