"""tools/dist_build_index.sh: two gloo processes build the same index as one process, every
garment once (the chunks are shared round robin, never padded with repeated garments)."""
import socket

from tests.search_world import CONFIG, world  # noqa: F401  (a fixture)

from .index_build_helpers import REPO, assert_same_index, run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_build_the_single_process_index(world, tmp_path):
    from ps_net.index import GalleryIndex
    # the world's index: one process, 10 garments in chunks of 4 (rank 0: chunks 0 and 2,
    # rank 1: chunk 1, so the ranks' shares differ)
    single = world.index
    dist = tmp_path / 'dist.psidx'
    cmd = ['bash', str(REPO / 'tools' / 'dist_build_index.sh'), CONFIG, str(world.checkpoint),
           '2', '--gallery', str(world.pf_test), '--out', str(dist), '--batch-size', '4',
           '--chunk-size', '4']
    done = run(cmd, PORT=str(_free_port()))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count('3 chunks over 2 processes') == 1  # rank 0 alone reports
    assert 'indexed 10 of 10 entries; skipped 0' in done.stdout
    assert not (tmp_path / 'dist.psidx.parts').exists()

    index = GalleryIndex.load(dist)
    assert index.ids.tolist() == list(range(10))  # each garment once, in gallery order
    assert_same_index(dist, single, atol=1e-4)  # the world's torch may use more threads


def test_the_pytorch_launcher_outside_torchrun_is_a_usage_error(world, tmp_path, capsys):
    from tests.conftest import load_tool
    tool = load_tool('tools/build_index.py')
    assert tool.main([CONFIG, str(world.checkpoint), '--gallery', str(world.pf_test), '--out',
                      str(tmp_path / 'x.psidx'), '--launcher', 'pytorch']) == 2
    assert 'needs torchrun' in capsys.readouterr().err
    assert not (tmp_path / 'x.psidx').exists()
