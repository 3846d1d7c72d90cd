"""The Plagiarized Fashion v1 rules: validation, files and ground truth (the pf_format package)."""
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from ps_net.structures import PSNET_CATEGORIES, REGIONS
from ps_net.datasets import pf_format
from ps_net.datasets.pf_format import (PF_REQUIRED_FIELDS, PFFormatError, check_pf, dump_pf,
                                       iter_pf_issues, load_pf, pf_ground_truth,
                                       pf_ground_truth_arrays, pf_split_entries, pf_summary,
                                       pf_to_json, validate_pf)
from tests.test_package_layering import ps_net_imports


def _entry(img_path, split, design_id, relation, category, regions=(), **extra):
    return dict(img_path=img_path, split=split, design_id=design_id, relation=relation,
                category=category, modified_regions=list(regions), **extra)


def make_pf() -> dict:
    """A hand-made valid file: 3 queries, 7 gallery entries, queries and gallery interleaved.

    Gallery positions: g0=0 .. g6=6. Design 1 has two copies, a re-shot and a hard negative;
    design 2 one copy and no re-shot; design 3 a re-shot and no copy; design 9 has no query.
    """
    return dict(
        metainfo=dict(dataset_name='hand-made', format_version=1,
                      categories=list(PSNET_CATEGORIES), regions=list(REGIONS)),
        data_list=[
            _entry('images/q0.jpg', 'query', 1, 'original', 'dress', bbox=[12, 30, 380, 510]),
            _entry('images/g0.jpg', 'gallery', 1, 'plagiarized', 'dress', ['collar'],
                   landmarks=[[101.5, 40.0, 2], [250.0, 41.5, 1], [0, 0, 0]]),
            _entry('images/g1.jpg', 'gallery', 1, 'plagiarized', 'dress',
                   ['left_sleeve', 'right_sleeve', 'chest'],
                   region_boxes=dict(collar=[10, 10, 50, 30], chest=[5.5, 30, 60, 80])),
            _entry('images/q1.jpg', 'query', 2, 'original', 'outwear'),
            _entry('images/g2.jpg', 'gallery', 1, 'identical', 'dress'),
            _entry('images/g3.jpg', 'gallery', 1, 'irrelevant', 'dress'),
            _entry('images/g4.jpg', 'gallery', 2, 'plagiarized', 'outwear', ['waist', 'collar']),
            _entry('images/q2.jpg', 'query', 3, 'original', 'short_sleeved_top'),
            _entry('images/g5.jpg', 'gallery', 3, 'identical', 'short_sleeved_top'),
            _entry('/abs/images/g6.jpg', 'gallery', 9, 'original', 'long_sleeved_top'),
        ])


def _set(index, field, value):
    def mutate(data):
        data['data_list'][index][field] = value
    return mutate


def _delete(index, field):
    def mutate(data):
        del data['data_list'][index][field]
    return mutate


# (case id, mutation, entry index, field named in the message, words the message must hold)
ENTRY_CASES = [
    ('unknown relation', _set(1, 'relation', 'copy'), 1, 'relation', "'copy'"),
    ('relation not a string', _set(1, 'relation', 3), 1, 'relation', 'expected one of'),
    ('unknown region', _set(1, 'modified_regions', ['hood']), 1, 'modified_regions', "'hood'"),
    ('unknown category', _set(4, 'category', 'hat'), 4, 'category', "'hat'"),
    ('category not a string', _set(4, 'category', 1), 4, 'category', 'expected a string'),
    ('query not original', _set(3, 'relation', 'identical'), 3, 'relation',
     "expected 'original' for a query"),
    ('query irrelevant', _set(0, 'relation', 'irrelevant'), 0, 'relation',
     "expected 'original' for a query"),
    ('unknown split', _set(4, 'split', 'train'), 4, 'split', "'train'"),
    ('duplicate img_path', _set(4, 'img_path', 'images/g0.jpg'), 4, 'img_path',
     'duplicate of data_list[1]'),
    ('duplicate img_path after normalising', _set(5, 'img_path', './images//g0.jpg'), 5,
     'img_path', 'duplicate of data_list[1]'),
    ('empty img_path', _set(5, 'img_path', ''), 5, 'img_path', 'non-empty string'),
    ('regions on identical', _set(4, 'modified_regions', ['collar']), 4, 'modified_regions',
     "expected [] for relation 'identical'"),
    ('regions on original', _set(0, 'modified_regions', ['chest']), 0, 'modified_regions',
     "expected [] for relation 'original'"),
    ('regions on irrelevant', _set(5, 'modified_regions', ['waist']), 5, 'modified_regions',
     "expected [] for relation 'irrelevant'"),
    ('modified_regions not a list', _set(4, 'modified_regions', None), 4, 'modified_regions',
     'expected a list'),
    ('no region on plagiarized', _set(1, 'modified_regions', []), 1, 'modified_regions',
     'one or two'),
    ('three regions without both sleeves', _set(1, 'modified_regions',
                                                ['collar', 'chest', 'waist']),
     1, 'modified_regions', 'got 3 names'),
    ('three regions with one sleeve', _set(1, 'modified_regions',
                                           ['left_sleeve', 'collar', 'chest']),
     1, 'modified_regions', 'got 3 names'),
    ('four regions with both sleeves', _set(2, 'modified_regions',
                                            ['left_sleeve', 'right_sleeve', 'collar', 'chest']),
     2, 'modified_regions', 'got 4 names'),
    ('duplicate region', _set(1, 'modified_regions', ['collar', 'collar']), 1,
     'modified_regions', 'duplicate'),
    ('bbox x2 <= x1', _set(0, 'bbox', [50, 0, 50, 10]), 0, 'bbox', 'x2 > x1'),
    ('bbox y2 < y1', _set(0, 'bbox', [0, 20, 10, 10]), 0, 'bbox', 'y2 > y1'),
    ('bbox three numbers', _set(0, 'bbox', [0, 0, 10]), 0, 'bbox', '4 numbers'),
    ('bbox strings', _set(0, 'bbox', ['0', '0', '1', '1']), 0, 'bbox', 'finite numbers'),
    ('bbox NaN', _set(0, 'bbox', [0, 0, float('nan'), 1]), 0, 'bbox', 'finite numbers'),
    ('bbox as dict', _set(0, 'bbox', {'x1': 0}), 0, 'bbox', '4 numbers'),
    ('landmark v = 3', _set(1, 'landmarks', [[1, 2, 2], [1, 2, 3]]), 1, 'landmarks[1]',
     'visibility'),
    ('landmark v = -1', _set(1, 'landmarks', [[1, 2, -1]]), 1, 'landmarks[0]', 'visibility'),
    ('landmark v bool', _set(1, 'landmarks', [[1, 2, True]]), 1, 'landmarks[0]', 'visibility'),
    ('landmark v float', _set(1, 'landmarks', [[1, 2, 2.0]]), 1, 'landmarks[0]', 'visibility'),
    ('landmark pair', _set(1, 'landmarks', [[1, 2]]), 1, 'landmarks[0]', 'expected [x, y, v]'),
    ('landmark x string', _set(1, 'landmarks', [['1', 2, 2]]), 1, 'landmarks[0]',
     'finite numbers'),
    ('landmarks not a list', _set(1, 'landmarks', 'none'), 1, 'landmarks', 'expected a list'),
    ('region box unknown region', _set(2, 'region_boxes', {'hood': [0, 0, 1, 1]}), 2,
     'region_boxes.hood', "unknown region 'hood'"),
    ('region box degenerate', _set(2, 'region_boxes', {'collar': [0, 0, 0, 1]}), 2,
     'region_boxes.collar', 'x2 > x1'),
    ('region boxes a list', _set(2, 'region_boxes', [[0, 0, 1, 1]]), 2, 'region_boxes',
     'expected a dict'),
    ('design_id string', _set(4, 'design_id', '1'), 4, 'design_id', "expected an int, got '1'"),
    ('design_id bool', _set(4, 'design_id', True), 4, 'design_id', 'got True (bool)'),
    ('design_id float', _set(4, 'design_id', 1.0), 4, 'design_id', 'got 1.0 (float)'),
    ('design_id null', _set(4, 'design_id', None), 4, 'design_id', 'got None'),
] + [(f'missing {field}', _delete(6, field), 6, field, 'missing required field')
     for field in PF_REQUIRED_FIELDS]


def test_valid_file_has_no_problem():
    assert validate_pf(make_pf(), source='ok.json') == []
    check_pf(make_pf(), 'ok.json')  # does not raise


@pytest.mark.parametrize('mutate,index,field,words', [c[1:] for c in ENTRY_CASES],
                         ids=[c[0] for c in ENTRY_CASES])
def test_each_malformed_entry_is_named(mutate, index, field, words):
    data = make_pf()
    mutate(data)
    problems = validate_pf(data, source='bad.json')
    located = [p for p in problems if p.startswith(f"bad.json: data_list[{index}] field '{field}'")]
    assert len(located) == 1, problems
    assert words in located[0]
    with pytest.raises(PFFormatError) as err:
        check_pf(data, 'bad.json')
    assert isinstance(err.value, ValueError)
    assert located[0] in str(err.value)
    assert err.value.problems == problems


def test_messages_say_expected_and_got():
    data = make_pf()
    data['data_list'][1]['relation'] = 'copy'
    assert validate_pf(data, source='f.json') == [
        "f.json: data_list[1] field 'relation': expected one of ('original', 'identical', "
        "'plagiarized', 'irrelevant'), got 'copy' (str)"]


def test_every_problem_is_reported_not_just_the_first():
    data = make_pf()
    data['data_list'][0]['relation'] = 'plagiarized'      # query not original (+ no region)
    data['data_list'][2]['category'] = 'hat'
    del data['data_list'][5]['split']
    data['data_list'][8]['img_path'] = 'images/q1.jpg'
    data['data_list'][9]['bbox'] = [0, 0, -1, 5]
    fields = [(i.index, i.field) for i in iter_pf_issues(data)]
    assert fields == [(0, 'relation'), (0, 'modified_regions'), (2, 'category'), (5, 'split'),
                      (9, 'bbox'), (8, 'img_path')]
    with pytest.raises(PFFormatError, match='6 problem'):
        check_pf(data, 'many.json')


def test_two_sleeves_and_one_other_is_one_edit_plus_one():
    data = make_pf()
    data['data_list'][1]['modified_regions'] = ['left_sleeve', 'right_sleeve']
    data['data_list'][6]['modified_regions'] = ['right_sleeve']
    assert validate_pf(data) == []


def test_extra_fields_are_allowed():
    data = make_pf()
    data['metainfo']['landmark_layout'] = 'deepfashion2'
    data['metainfo']['note'] = 'made by hand'
    data['data_list'][0]['photographer'] = 'x'
    assert validate_pf(data) == []


def test_file_may_declare_other_categories_and_regions():
    data = make_pf()
    data['metainfo']['categories'] = ['hat', 'dress']
    data['metainfo']['regions'] = ['brim', 'collar']
    problems = validate_pf(data, source='own.json')
    bad = sorted({int(p.split('[')[1].split(']')[0]) for p in problems})
    # every entry not of category dress or hat, and every region not brim/collar, is refused
    assert bad == [2, 3, 6, 7, 8, 9]
    assert all("'category'" in p or "'modified_regions'" in p or "'region_boxes." in p
               for p in problems)


@pytest.mark.parametrize('mutate,field,words', [
    (lambda d: d.pop('metainfo'), 'metainfo', 'missing'),
    (lambda d: d.update(metainfo=[]), 'metainfo', 'expected a dict'),
    (lambda d: d['metainfo'].pop('format_version'), 'metainfo.format_version', 'missing'),
    (lambda d: d['metainfo'].update(format_version=2), 'metainfo.format_version',
     'expected 1, got 2'),
    (lambda d: d['metainfo'].update(format_version='1'), 'metainfo.format_version',
     "got '1' (str)"),
    (lambda d: d['metainfo'].pop('categories'), 'metainfo.categories', 'missing'),
    (lambda d: d['metainfo'].update(categories=[]), 'metainfo.categories', 'non-empty'),
    (lambda d: d['metainfo'].update(regions=['collar', 'collar']), 'metainfo.regions',
     'duplicates'),
    (lambda d: d['metainfo'].update(dataset_name=3), 'metainfo.dataset_name', 'string'),
    (lambda d: d.pop('data_list'), 'data_list', 'missing'),
    (lambda d: d.update(data_list={}), 'data_list', 'expected a list'),
])
def test_file_level_problems(mutate, field, words):
    data = make_pf()
    mutate(data)
    problems = validate_pf(data, source='f.json')
    assert any(p.startswith(f"f.json: field '{field}'") and words in p for p in problems), \
        problems


def test_missing_categories_skips_category_membership_only():
    data = make_pf()
    del data['metainfo']['categories']
    data['data_list'][1]['relation'] = 'copy'
    problems = validate_pf(data, source='f.json')
    assert len(problems) == 2
    assert "field 'metainfo.categories'" in problems[0]
    assert "data_list[1] field 'relation'" in problems[1]


def test_not_a_dict_and_entry_not_a_dict():
    assert validate_pf([1, 2], source='l.json') == [
        "l.json: field '<file>': expected a dict with metainfo and data_list, got [1, 2] (list)"]
    data = make_pf()
    data['data_list'][3] = 'images/q1.jpg'
    assert validate_pf(data, source='f.json') == [
        "f.json: data_list[3] field '<entry>': expected a dict, got 'images/q1.jpg' (str)"]


def test_pf_format_error_survives_pickle():
    err = PFFormatError(['a.json: data_list[0] field \'split\': x'], 'a.json')
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems and str(again) == str(err)


# --------------------------------------------------------------------------- files
def test_load_and_dump_round_trip(tmp_path):
    path = tmp_path / 'pf.json'
    dump_pf(make_pf(), str(path))
    assert path.read_text(encoding='utf-8') == pf_to_json(make_pf())
    assert load_pf(str(path)) == make_pf()
    assert [p.name for p in tmp_path.iterdir()] == ['pf.json']  # no temp file left


def test_dump_refuses_to_overwrite(tmp_path):
    path = tmp_path / 'pf.json'
    path.write_text('keep me')
    with pytest.raises(FileExistsError, match='refusing to overwrite'):
        dump_pf(make_pf(), str(path))
    assert path.read_text() == 'keep me'
    dump_pf(make_pf(), str(path), overwrite=True)
    assert json.loads(path.read_text()) == make_pf()
    assert [p.name for p in tmp_path.iterdir()] == ['pf.json']


def test_dump_writes_nothing_for_invalid_data(tmp_path):
    data = make_pf()
    data['data_list'][0]['split'] = 'val'
    with pytest.raises(PFFormatError, match=r"data_list\[0\] field 'split'"):
        dump_pf(data, str(tmp_path / 'pf.json'))
    assert list(tmp_path.iterdir()) == []


def test_load_names_file_for_bad_json_and_bad_content(tmp_path):
    broken = tmp_path / 'broken.json'
    broken.write_text('{"metainfo": ')
    with pytest.raises(PFFormatError, match='broken.json: not valid JSON'):
        load_pf(str(broken))
    bad = tmp_path / 'bad.json'
    data = make_pf()
    data['data_list'][7]['category'] = 'skirt'
    bad.write_text(json.dumps(data))
    with pytest.raises(PFFormatError, match=r"bad.json: data_list\[7\] field 'category'"):
        load_pf(str(bad))


def test_summary_counts():
    assert pf_summary(make_pf()) == dict(
        entries=10, query=3, gallery=7,
        relations=dict(original=4, identical=2, plagiarized=3, irrelevant=1))


# --------------------------------------------------------------------------- ground truth
def _lists(arrays):
    return [a.tolist() for a in arrays]


def test_ground_truth_plagiarized_task():
    queries, gallery = pf_split_entries(make_pf())
    gt = pf_ground_truth(queries, gallery)  # the default task
    assert gt.task == 'plagiarized' and gt.num_queries == 3 and gt.num_gallery == 7
    assert _lists(gt.positives) == [[0, 1], [4], []]
    assert _lists(gt.ignored) == [[2], [], [5]]
    assert gt.skipped.tolist() == [False, False, True]
    assert gt.num_skipped == 1 and gt.evaluated.tolist() == [0, 1]
    assert repr(gt) == "PFGroundTruth(task='plagiarized', queries=3, gallery=7, skipped=1)"
    assert all(a.dtype == np.int64 for a in gt.positives + gt.ignored)


def test_ground_truth_identical_task():
    queries, gallery = pf_split_entries(make_pf())
    gt = pf_ground_truth(queries, gallery, task='identical')
    assert _lists(gt.positives) == [[2], [], [5]]
    assert _lists(gt.ignored) == [[0, 1], [4], []]
    assert gt.skipped.tolist() == [False, True, False]


def test_same_design_original_and_irrelevant_are_negatives():
    queries, gallery = pf_split_entries(make_pf())
    for task in ('plagiarized', 'identical'):
        matrix = pf_ground_truth(queries, gallery, task).relevance_matrix()
        assert matrix.dtype == np.int8 and matrix.shape == (3, 7)
        assert matrix[0, 3] == 0  # design 1, irrelevant
        assert (matrix[:, 6] == 0).all()  # design 9, original, no query
    assert pf_ground_truth(queries, gallery).relevance_matrix().tolist() == [
        [1, 1, -1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, -1, 0]]


def test_ground_truth_arrays_match_a_brute_force_rule():
    rng = np.random.default_rng(0)
    relations = np.array(['original', 'identical', 'plagiarized', 'irrelevant'])
    q_ids = rng.integers(0, 20, 50)
    g_ids = rng.integers(0, 25, 400)
    g_rel = relations[rng.integers(0, 4, 400)]
    for task, other in (('plagiarized', 'identical'), ('identical', 'plagiarized')):
        gt = pf_ground_truth_arrays(q_ids, g_ids, g_rel, task)
        for q, d in enumerate(q_ids):
            same = g_ids == d
            assert gt.positives[q].tolist() == np.flatnonzero(same & (g_rel == task)).tolist()
            assert gt.ignored[q].tolist() == np.flatnonzero(same & (g_rel == other)).tolist()


def test_ground_truth_arrays_are_read_only_and_edge_cases():
    gt = pf_ground_truth_arrays([5, 5], [5, 5], ['plagiarized', 'identical'])
    with pytest.raises(ValueError):
        gt.positives[0][0] = 3  # shared between queries of one design: read-only
    empty = pf_ground_truth_arrays([1], [], [])
    assert empty.num_gallery == 0 and empty.skipped.tolist() == [True]
    assert pf_ground_truth_arrays([], [1], ['plagiarized']).num_queries == 0


def test_ground_truth_rejects_unknown_task_and_mismatched_lengths():
    with pytest.raises(ValueError, match="got 'copies'"):
        pf_ground_truth([], [], task='copies')
    with pytest.raises(ValueError, match='differ in length'):
        pf_ground_truth_arrays([1], [1, 2], ['identical'])


def test_package_layers_and_public_names():
    """Validation needs no other layer; files need validation; ground truth needs neither."""
    folder = Path(pf_format.__file__).parent
    layers = ('validation', 'files', 'ground_truth')
    uses = {layer: {m.rsplit('.', 1)[-1] for _, m, _ in ps_net_imports(folder / f'{layer}.py')
                    if m.startswith('ps_net.datasets.pf_format.')} & set(layers)
            for layer in layers}
    assert uses == {'validation': set(), 'files': {'validation'}, 'ground_truth': set()}
    for name in pf_format.__all__:  # every public name is re-exported from its layer
        obj = getattr(pf_format, name)
        home = getattr(obj, '__module__', None)
        assert home is None or home.startswith('ps_net.datasets.pf_format.'), name
    assert {'load_pf', 'check_pf', 'pf_ground_truth_arrays', 'PF_TASKS'} <= set(pf_format.__all__)
