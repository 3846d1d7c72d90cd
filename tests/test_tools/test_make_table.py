"""tools/make_table.py: stage plan, metric parsing, seed aggregation and Markdown."""
import json

import pytest

from tests.conftest import load_tool

table_tool = load_tool('tools/make_table.py')

METHODS = ['Learned', 'Manual', 'NoManipulation', 'Traditional', 'NoAttention', 'PCB',
           'Ensemble', 'ResNet50', 'SE-ResNet50', 'CBAM-ResNet50']


def test_method_keys_are_exactly_the_issue_names():
    assert list(table_tool.ROWS) == METHODS


def test_every_row_config_and_network_config_exists(repo_root):
    for config, networks in table_tool.ROWS.values():
        assert (repo_root / config).is_file(), config
        assert all(n in table_tool.NETWORKS for n in networks)
    for config, _, _, parent in table_tool.NETWORKS.values():
        assert (repo_root / config).is_file(), config
        assert parent is None or parent in table_tool.NETWORKS


def test_row_from_metrics_groups_overall_categories_and_cbam_columns():
    metrics = {'plagiarism/Recall@10': 60.0, 'plagiarism/Recall@20': 70.0,
               'plagiarism/Recall@30': 80.0, 'plagiarism/mAP': 40.0,
               'plagiarism/HitRate@10': 90.0, 'plagiarism/num_queries': 45.0,
               'plagiarism/dress/mAP': 30.0, 'plagiarism/dress/Recall@10': 50.0,
               'plagiarism/dress/num_queries': 12.0, 'cbam/P@5': 20.0, 'cbam/mAP@10': 25.0,
               'cbam/eq6_mAP@10': 99.0}
    row = table_tool.row_from_metrics(metrics)
    assert row == {'overall': {'Recall@10': 60.0, 'Recall@20': 70.0, 'Recall@30': 80.0,
                               'mAP': 40.0, 'P@5': 20.0, 'mAP@10': 25.0},
                   'dress': {'Recall@10': 50.0, 'mAP': 30.0}}


def test_aggregate_tables_mean_and_std_beside():
    a = {'Learned': {'overall': {'mAP': 40.0}, 'dress': {'mAP': 10.0}}}
    b = {'Learned': {'overall': {'mAP': 50.0}, 'dress': {'mAP': 20.0}}}
    out = table_tool.aggregate_tables([a, b])
    assert out == {'Learned': {'overall': {'mAP': 45.0, 'mAP_std': 5.0},
                               'dress': {'mAP': 15.0, 'mAP_std': 5.0}}}
    assert table_tool.aggregate_tables([a]) == a


def test_markdown_has_rows_ratio_and_lambda():
    table = {'Learned': {'overall': {'mAP': 50.0, 'Recall@10': 70.0}, 'dress': {'mAP': 45.0}},
             'Traditional': {'overall': {'mAP': 25.0}}}
    lam = {'mean': {'Learned': {'regions': ['a', 'b'], 'weights': {'dress': {'a': .3, 'b': .7}}}}}
    md = table_tool.markdown(table, lam, [0])
    assert '| Learned | 70.0 |' in md
    assert 'Learned / Traditional mAP: 2.00' in md
    assert '| dress | 0.300 | 0.700 |' in md


def test_dry_run_orders_training_before_testing(capsys, tmp_path):
    lm = tmp_path / 'lm.pth'
    lm.write_bytes(b'x')
    assert table_tool.main(['--dry-run', '--work-dir', str(tmp_path / 't'), '--seeds', '3',
                            '--methods', 'Learned', 'Ensemble',
                            '--landmark-checkpoint', str(lm)]) == 0
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith('[table] seed3')]
    names = [l.split(':')[0].split()[1] for l in lines]
    assert names[:3] == ['seed3/psnet', 'seed3/psnet_weights', 'seed3/test/Learned']
    assert 'seed3/test/Ensemble' in names
    assert names.index('seed3/psnet_lr2') < names.index('seed3/test/Ensemble')
    learned = next(l for l in lines if 'seed3/psnet_weights' in l)
    assert 'randomness.seed=3' in learned and f'model.landmark_checkpoint={lm}' in learned
    assert 'load_from=' in learned
    ens = next(l for l in lines if 'test/Ensemble' in l)
    assert "model.checkpoints=[" in ens and ens.count('.pth') >= 3


def test_copy_triplet_variant_swaps_only_the_pretrain_configs(capsys, tmp_path, repo_root):
    for configs in table_tool.VARIANTS.values():
        assert all(name in table_tool.NETWORKS and (repo_root / c).is_file()
                   for name, c in configs.items())
    lm = tmp_path / 'lm.pth'
    lm.write_bytes(b'x')
    assert table_tool.main(['--dry-run', '--work-dir', str(tmp_path / 't'), '--seeds', '0',
                            '--methods', 'Learned', 'Traditional', '--variant', 'copy-triplets',
                            '--landmark-checkpoint', str(lm)]) == 0
    lines = {l.split(':')[0].split()[1]: l for l in capsys.readouterr().out.splitlines()
             if l.startswith('[table] seed0')}
    assert table_tool.COPY in lines['seed0/psnet']
    assert table_tool.COPY_NOATT in lines['seed0/noatt']
    assert '/psnet-copy-triplets_' in lines['seed0/psnet']
    assert '/psnet-copy-triplets-no-attention_' in lines['seed0/noatt']
    # the weight phase is shared
    assert '/psnet-region-weights_hrnet-narrow_4e_synthetic-128.py' in lines['seed0/psnet_weights']
    assert 'copy-triplets' not in lines['seed0/test/Learned']
    with pytest.raises(ValueError, match="variant must be one of"):
        table_tool.TableRun(str(tmp_path), str(lm), variant='nope')
