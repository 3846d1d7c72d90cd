"""The soak of the gallery index (tools/analysis_tools/soak_index.py, ``make soak``) at a small
size: answers equal to brute-force eq. 1, and the resident-memory check that fails the run."""
import json

import numpy as np
import pytest
import torch

from ps_net.structures import region_similarity
from tests.conftest import load_tool

soak = load_tool('tools/analysis_tools/soak_index.py')

SMALL = ['--garments', '2000', '--queries', '2000', '--batch', '250', '--check', '200']


def test_small_soak_answers_equal_brute_force_eq1(tmp_path, capsys):
    out = tmp_path / 'soak.json'
    assert soak.main(SMALL + ['--out', str(out), '--work-dir', str(tmp_path)]) == 0
    figures = json.loads(out.read_text())
    assert figures['garments'] == figures['queries'] == 2000
    assert figures['checked'] == 200
    assert figures['mismatches'] == 0 and figures['mismatched_queries'] == []
    assert figures['identical_answers'] == 200  # no ties here: the same ids in the same order
    assert figures['max_score_error'] <= figures['tol']
    assert figures['eq1_numpy_vs_region_similarity'] < 1e-12
    rss = figures['rss_mb']
    assert rss['peak'] >= rss['end'] > 0 and rss['loaded'] > 0
    assert figures['rss_growth_pct'] == pytest.approx(
        100 * (rss['end'] - rss['loaded']) / rss['loaded'], abs=0.1)
    assert figures['queries_per_s'] > 0
    assert list(tmp_path.iterdir()) == [out]  # the index file went with its temporary folder
    assert 'passed: 2000 queries' in capsys.readouterr().err


def test_memory_growth_over_the_limit_fails_the_run(monkeypatch, capsys):
    """The run exits 1 and says by how much memory grew (resident memory faked: 1000 kB at
    the start and after the load, then ``later`` kB at every reading; the peak 2000 kB)."""
    def fake(later):
        calls = []

        def resident_kb(status='/proc/self/status', field='VmRSS'):
            if field == 'VmHWM':
                return 2000
            calls.append(1)
            return 1000 if len(calls) <= 2 else later
        return resident_kb

    argv = ['--garments', '300', '--queries', '100', '--batch', '50', '--check', '10']
    monkeypatch.setattr(soak, 'resident_kb', fake(1100))
    assert soak.main(argv) == 1
    err = capsys.readouterr().err
    assert 'resident memory grew 10.0 % from the load to the end (limit 5.0 %)' in err
    monkeypatch.setattr(soak, 'resident_kb', fake(1040))  # 4 %: under the limit
    assert soak.main(argv) == 0


def test_memory_growth():
    assert soak.memory_growth(1000, 1049) == pytest.approx(0.049)
    assert soak.memory_growth(1000, 900) == pytest.approx(-0.1)
    with pytest.raises(ValueError, match='positive'):
        soak.memory_growth(0, 10)


def test_resident_kb_reads_proc_status(tmp_path):
    status = tmp_path / 'status'
    status.write_text('Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n')
    assert soak.resident_kb(str(status)) == 1024
    assert soak.resident_kb(str(status), field='VmHWM') == 2048
    status.write_text('Name:\tpython\n')
    with pytest.raises(ValueError, match='no VmRSS'):
        soak.resident_kb(str(status))
    status.write_text('VmRSS:\t  1 MB\n')
    with pytest.raises(ValueError, match='expected kB'):
        soak.resident_kb(str(status))


def test_resident_kb_sees_an_allocation():
    try:
        before = soak.resident_kb()
    except (OSError, ValueError):
        pytest.skip('no /proc/self/status (not Linux)')
    block = np.ones(256 * 2**20 // 8)  # 256 MiB, every page written
    after = soak.resident_kb()
    # at least half of it: the allocator may reuse pages a long test session already holds
    assert after - before >= 128 * 1024, (before, after)
    del block


def test_eq1_numpy_equals_region_similarity():
    rng = np.random.default_rng(0)
    q = soak._normalise(rng.standard_normal((6, 5, 8)))
    g = soak._normalise(rng.standard_normal((9, 5, 8)))
    qv = soak.PATTERNS[rng.integers(0, 5, 6)]
    gv = soak.PATTERNS[rng.integers(0, 5, 9)]
    qv[0], gv[0] = [0, 0, 0, 1, 0], [1, 1, 1, 0, 1]  # no region in common: 0
    lam = soak.REGION_WEIGHTS[rng.integers(0, 4, 6)]
    s = soak.eq1_numpy(q, qv, lam, g, gv)
    ref = region_similarity(torch.from_numpy(q).double(), torch.from_numpy(qv),
                            torch.from_numpy(g).double(), torch.from_numpy(gv),
                            torch.from_numpy(lam)).numpy()
    np.testing.assert_allclose(s, ref, rtol=0, atol=1e-12)
    assert s[0, 0] == 0


def test_check_answers_catches_every_kind_of_wrong_answer():
    """A correct answer passes; a worse garment, a wrong score, a wrong order or a missing hit
    is a mismatch; two hits tied within tol may swap."""
    rng = np.random.default_rng(1)
    n, k = 50, 5
    feats = soak._normalise(rng.standard_normal((n, 5, 4)))
    feats[1] = feats[0]  # a duplicate garment: the query's two best hits tie
    chunk = (0, feats, np.ones((n, 5), bool), np.zeros(n, np.int64))
    ids = np.arange(n) * 3 + 5
    queries = (feats[:1], np.ones((1, 5), bool), np.zeros(1, np.int64))
    s = soak.eq1_numpy(queries[0], queries[1], soak.REGION_WEIGHTS[[0]], chunk[1], chunk[2])[0]
    order = np.lexsort((ids, -s))
    worst = ids[order[-1]]

    def check(hit_ids, hit_scores):
        hit_ids = np.array([hit_ids])
        best_s, best_i, truth = soak.brute_force(queries, hit_ids, iter([chunk]), ids, k)
        return soak.check_answers(np.array([hit_scores], float), truth, best_s, hit_ids,
                                  best_i, tol=1e-6)

    right_ids, right_s = ids[order[:k]], s[order[:k]]
    assert check(right_ids, right_s) == dict(mismatches=0, mismatched=[], identical=1,
                                             max_score_error=0.0)
    worse = np.r_[right_ids[:-1], worst]
    assert check(worse, np.r_[right_s[:-1], s[order[-1]]])['mismatches'] == 1
    assert check(right_ids, right_s + np.r_[0, 0, 1e-3, 0, 0])['mismatches'] == 1
    assert check(right_ids[::-1], right_s[::-1])['mismatches'] == 1
    assert check(np.r_[right_ids[:-1], -1], np.r_[right_s[:-1], np.nan])['mismatches'] == 1
    assert list(right_ids[:2]) == [5, 8] and right_s[0] == right_s[1]  # the tie, by id
    swapped = check(right_ids[[1, 0, 2, 3, 4]], right_s[[1, 0, 2, 3, 4]])
    assert swapped['mismatches'] == 0 and swapped['identical'] == 0


def test_bad_arguments_fail_before_any_work(tmp_path, capsys):
    for argv, message in ((['--work-dir', str(tmp_path / 'missing')], 'is not a folder'),
                          (['--out', str(tmp_path)], 'is a folder'),
                          (['--check', '10', '--queries', '5'], 'must not exceed'),
                          (['--garments', '0'], '--garments must be >= 1')):
        with pytest.raises(SystemExit) as exc:
            soak.parse_args(argv)
        assert exc.value.code == 2
        assert message in capsys.readouterr().err
