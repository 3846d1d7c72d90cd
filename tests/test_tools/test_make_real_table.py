"""tools/make_real_table.py: the stage plan, resumption and the Markdown table."""
import os

from tests.conftest import load_tool

real = load_tool('tools/make_real_table.py')


def test_every_row_and_network_config_exists(repo_root):
    for config, network in real.ROWS.values():
        assert (repo_root / config).is_file(), config
        assert network in real.NETWORKS
    for kind, config, parent, _ in real.NETWORKS.values():
        assert kind in ('init', 'train', 'landmark', 'fit', 'bound', 'synthetic') \
            and (repo_root / config).is_file(), config
        if kind == 'synthetic':  # a network of make table, tested there with the same config
            assert real.make_table.NETWORKS[parent][0] == config
        else:
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
                      'Learned', 'Oracle']) == 0
    stages = [line.split(':')[0].replace('[real-table] ', '')
              for line in capsys.readouterr().out.splitlines() if line.startswith('[real-')]
    # the benchmark exists and the ImageNet checkpoint too: neither is made again
    assert stages == ['test/(a) ImageNet, crop/seed3', 'sscd/seed3', 'psnet/seed3',
                      'psnet_fitted/seed3', 'test/Learned/seed3', 'psnet_bound/seed3']


def test_training_reads_the_benchmark_and_children_start_from_the_parent(tmp_path, capsys):
    run = real.RealTableRun(str(tmp_path), '/bench', dry_run=True)
    run.network(0, 'psnet_fitted')
    run.network(0, 'psnet_bound')
    lines = {line.split(':')[0].replace('[real-table] ', ''): line
             for line in capsys.readouterr().out.splitlines() if line.startswith('[real-table]')}
    sscd_ckpt = os.path.join(str(tmp_path), 'seed0', 'sscd', 'last.pth')
    assert 'train_dataloader.dataset.data_root=/bench' in lines['sscd/seed0']
    # the PS-Net network is the fine-tune's backbone pooled over regions: no training of its own
    assert f'model.backbone.init_cfg.checkpoint={sscd_ckpt}' in lines['psnet/seed0']
    assert 'train.py' not in lines['psnet/seed0']
    psnet_ckpt = os.path.join(str(tmp_path), 'seed0', 'psnet', 'init.pth')
    fit = lines['psnet_fitted/seed0']
    # weights fitted on the val split, never on the train split the fine-tune saw, nor on test
    assert f'{psnet_ckpt} --data-root /bench --ann-file annotations/pf_val.json' in fit
    assert '--seed 0' in fit
    assert f'{psnet_ckpt} --data-root /bench --out' in lines['psnet_bound/seed0']


def test_oracle_row_is_read_from_the_bound_file(tmp_path):
    bound = tmp_path / 'seed1' / 'psnet_bound' / 'bound.json'
    bound.parent.mkdir(parents=True)
    bound.write_text('{"mAP": {"uniform": 90.0, "learned": 91.0, "oracle": 93.5}}')
    run = real.RealTableRun(str(tmp_path), '/bench')
    assert run.row(1, 'Oracle') == {'overall': {'mAP': 93.5}}


def test_markdown_has_one_line_per_row_with_std():
    table = {'(a) ImageNet, crop': {'overall': {'Recall@10': 91.7, 'Recall@20': 94.3,
                                                'mAP': 88.25, 'mAP_std': 0.5}}}
    text = real.markdown(table, [0, 1])
    assert '| (a) ImageNet, crop | 91.7 | 94.3 | 88.2 +/- 0.5 |' in text
    assert text.startswith('Real-photo table, test split, seeds 0, 1')


def test_splits_score_each_annotation_file_apart(tmp_path, capsys):
    data = tmp_path / 'bench'
    (data / 'annotations').mkdir(parents=True)
    (data / 'annotations' / 'pf_test.json').write_text('{}')
    work = tmp_path / 'work'
    (work / 'shared' / 'imagenet').mkdir(parents=True)
    (work / 'shared' / 'imagenet' / 'init.pth').write_bytes(b'')
    assert real.main(['--dry-run', '--work-dir', str(work), '--data-root', str(data),
                      '--methods', '(a) ImageNet, crop', 'Oracle',
                      '--splits', 'test', 'test_unseen']) == 0
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith('[real-table] test')]
    assert [line.split(':')[0] for line in lines] == [
        '[real-table] test/(a) ImageNet, crop/seed0',
        '[real-table] test_unseen/(a) ImageNet, crop/seed0']
    assert str(data / 'annotations' / 'pf_test_unseen.json') in lines[1]
    assert os.path.join('rows', 'a_ImageNet_crop_test_unseen') in lines[1]


def test_landmark_regions_row_trains_the_landmark_model_on_the_synthetic_set(tmp_path, capsys):
    run = real.RealTableRun(str(tmp_path / 'work'), '/bench', dry_run=True,
                            synthetic_root=str(tmp_path / 'syn'))
    run.network(0, 'psnet_landmarks_fitted')
    lines = {line.split(':')[0].replace('[real-table] ', ''): line
             for line in capsys.readouterr().out.splitlines() if line.startswith('[real-table]')}
    assert list(lines) == ['sscd/seed0', 'synthetic_photo', 'landmarks/seed0',
                           'psnet_landmarks/seed0', 'psnet_landmarks_fitted/seed0']
    # no benchmark test photo and no landmark validation photo among the synthetic textures
    assert '--exclude-textures /bench/test_photos.txt' in lines['synthetic_photo']
    assert 'clothing-small_landmarks_val.json' in lines['synthetic_photo']
    assert f'train_dataloader.dataset.data_root={tmp_path / "syn"}' in lines['landmarks/seed0']
    landmark_ckpt = os.path.join(str(tmp_path / 'work'), 'shared', 'landmarks', 'last.pth')
    init = lines['psnet_landmarks/seed0']
    assert f'model.landmark_checkpoint={landmark_ckpt}' in init
    assert os.path.join('seed0', 'sscd', 'last.pth') in init


def test_transfer_rows_score_make_tables_synthetic_networks_on_the_photos(tmp_path, capsys):
    table_dir, landmarks = tmp_path / 'table_synthetic', tmp_path / 'lm' / 'epoch_20.pth'
    run = real.RealTableRun(str(tmp_path / 'work'), '/bench', dry_run=True,
                            synthetic_table_dir=str(table_dir),
                            synthetic_data_root=str(tmp_path / 'syn'),
                            synthetic_landmarks=str(landmarks))
    run.row(2, '(e) synthetic Learned')
    run.row(2, '(e) synthetic Traditional')
    lines = {line.split(':')[0].split('] ')[1]: line
             for line in capsys.readouterr().out.splitlines() if line.startswith('[')}
    # the synthetic set and the landmark branch first, then make table's own networks and dirs
    assert list(lines) == ['synthetic_data', 'landmarks', 'seed2/psnet', 'seed2/psnet_weights',
                           'test/(e) synthetic Learned/seed2', 'seed2/noatt',
                           'test/(e) synthetic Traditional/seed2']
    assert f'--data-root {tmp_path / "syn"}' in lines['synthetic_data']
    assert '--skip-training' in lines['synthetic_data']
    assert f'--work-dir {table_dir / "seed2" / "psnet_weights"}' in lines['seed2/psnet_weights']
    test = lines['test/(e) synthetic Learned/seed2']
    # scored on the photo benchmark, with the synthetic landmark branch
    assert '--data-root /bench --ann-file /bench/annotations/pf_test.json' in test
    assert f'model.landmark_checkpoint={landmarks}' in test
    assert str(table_dir / 'seed2' / 'psnet_weights' / 'last.pth') in test


def test_transfer_rows_reuse_a_finished_make_table_run(tmp_path, capsys):
    table_dir, landmarks = tmp_path / 'table_synthetic', tmp_path / 'lm.pth'
    landmarks.write_bytes(b'')
    (tmp_path / 'syn' / 'annotations').mkdir(parents=True)
    (tmp_path / 'syn' / 'annotations' / 'pf_test.json').write_text('{}')
    wd = table_dir / 'seed0' / 'noatt'
    wd.mkdir(parents=True)
    (wd / 'epoch_20.pth').write_bytes(b'')
    (wd / 'last_checkpoint').write_text(str(wd / 'epoch_20.pth'))
    (wd / 'done').write_text('')
    run = real.RealTableRun(str(tmp_path / 'work'), '/bench', dry_run=True,
                            synthetic_table_dir=str(table_dir),
                            synthetic_data_root=str(tmp_path / 'syn'),
                            synthetic_landmarks=str(landmarks))
    assert run.network(0, 'synthetic_noatt') == str(wd / 'epoch_20.pth')
    run.row(0, '(e) synthetic Traditional')
    stages = [line.split(':')[0] for line in capsys.readouterr().out.splitlines()
              if line.startswith('[')]
    assert stages == ['[real-table] test/(e) synthetic Traditional/seed0']
