"""tools/make_real_table.py: the stage plan, resumption and the Markdown table."""
import os

from tests.conftest import load_tool

real = load_tool('tools/make_real_table.py')


def test_every_row_and_network_config_exists(repo_root):
    for config, network in real.ROWS.values():
        assert (repo_root / config).is_file(), config
        assert network in real.NETWORKS
    for kind, config, parent, _ in real.NETWORKS.values():
        assert kind in ('init', 'train', 'fit') and (repo_root / config).is_file(), config
        assert parent is None or parent in real.NETWORKS


def test_dry_run_plans_parents_first_and_skips_finished_stages(tmp_path, capsys):
    data = tmp_path / 'bench'
    (data / 'annotations').mkdir(parents=True)
    (data / 'annotations' / 'pf_test.json').write_text('{}')
    work = tmp_path / 'work'
    done = work / 'shared' / 'imagenet'
    done.mkdir(parents=True)
    (done / 'init.pth').write_bytes(b'')
    assert real.main(['--dry-run', '--work-dir', str(work), '--data-root', str(data),
                      '--seeds', '3', '--methods', '(a) ImageNet, crop',
                      'PS-Net template, Learned']) == 0
    stages = [line.split(':')[0].replace('[real-table] ', '')
              for line in capsys.readouterr().out.splitlines() if line.startswith('[real-')]
    # the benchmark exists and the ImageNet checkpoint too: neither is made again
    assert stages == ['test/(a) ImageNet, crop/seed3', 'sscd/seed3', 'psnet/seed3',
                      'psnet_fitted/seed3', 'test/PS-Net template, Learned/seed3']


def test_training_reads_the_benchmark_and_starts_from_the_parent(tmp_path, capsys):
    run = real.RealTableRun(str(tmp_path), '/bench', dry_run=True)
    run.network(0, 'psnet')
    out = capsys.readouterr().out
    train = [line for line in out.splitlines() if line.startswith('[real-table] psnet/')][0]
    assert 'train_dataloader.dataset.data_root=/bench' in train
    assert 'model.backbone.init_cfg.prefix=image_encoder.backbone.' in train
    assert os.path.join(str(tmp_path), 'seed0', 'sscd', 'last.pth') in train


def test_markdown_has_one_line_per_row_with_std():
    table = {'(a) ImageNet, crop': {'overall': {'Recall@10': 91.7, 'Recall@20': 94.3,
                                                'mAP': 88.25, 'mAP_std': 0.5}}}
    text = real.markdown(table, [0, 1])
    assert '| (a) ImageNet, crop | 91.7 | 94.3 | 88.2 +/- 0.5 |' in text
    assert text.startswith('Real-photo table, seeds 0, 1')
