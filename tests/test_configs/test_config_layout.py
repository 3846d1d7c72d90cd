"""The configs under configs/: one naming scheme, one default scope each, no Python logic, and
diffs on the shared bases in configs/_base_/."""
import ast
import re
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs'
#: names users type (README); every other config follows :data:`NAME`
USER_TYPED = {'ps_net_hrnet_df2.py', 'ps_net_hrnet_plagiarized.py'}
#: OpenMMLab's ``{algorithm}_{modules}_{schedule}_{dataset}-{size}.py``: modules may be several
#: ``_``-joined parts (mmdet's ``r50_fpn``), the schedule is ``[variant-]<N>e`` or ``<N>x``, the
#: size is the input side (square) or ``WxH``
NAME = re.compile(r'^(?P<algorithm>[a-z0-9-]+)_(?P<modules>[a-z0-9-]+(?:_[a-z0-9-]+)*)'
                  r'_(?P<schedule>(?:[a-z-]+-)?\d+[ex])_(?P<dataset>[a-z0-9]+(?:-[a-z0-9]+)*)'
                  r'-(?P<size>\d+(?:x\d+)?)\.py$')
ALL = sorted(p for p in CONFIGS.rglob('*.py') if '__pycache__' not in p.parts)
#: mmdeploy-style deploy configs (configs/deploy/) follow mmdeploy's own naming
#: ``{task}_{backend}_{shape}.py`` and are not Runner configs
RUNNABLE = [p for p in ALL if not {'_base_', 'deploy'} & set(p.relative_to(CONFIGS).parts)]


def _ids(path: Path) -> str:
    return str(path.relative_to(CONFIGS))


@pytest.mark.parametrize('name, parts', [
    ('psnet_hrnet-narrow_20e_synthetic-128.py', ('psnet', 'hrnet-narrow', '20e', 'synthetic',
                                                 '128')),
    ('faster-rcnn_r50_fpn_1x_df2-1333x800.py', ('faster-rcnn', 'r50_fpn', '1x', 'df2',
                                                '1333x800')),
    ('faster-rcnn_r18-narrow_fpn_balanced-6e_synthetic-1500d-128.py',
     ('faster-rcnn', 'r18-narrow_fpn', 'balanced-6e', 'synthetic-1500d', '128')),
])
def test_name_pattern_splits_the_parts(name, parts):
    assert NAME.match(name).groups() == parts


@pytest.mark.parametrize('name', ['psnet-hrnet-narrow_synthetic-128.py', 'psnet_hrnet_df2.py',
                                  'psnet_hrnet-narrow_20e_synthetic.py'])
def test_name_pattern_rejects_names_without_schedule_or_size(name):
    assert NAME.match(name) is None


def test_every_config_follows_the_naming_scheme():
    names = [p.name for p in RUNNABLE if p.name not in USER_TYPED]
    assert len(names) == len(RUNNABLE) - len(USER_TYPED) > 20
    assert [n for n in names if not NAME.match(n)] == []


@pytest.mark.parametrize('path', ALL, ids=_ids)
def test_no_python_logic_in_configs(path):
    """Configs are data: no functions, lambdas or classes (mmengine drops functions silently)."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    assert [type(n).__name__ for n in ast.walk(tree) if isinstance(n, kinds)] == []


@pytest.mark.parametrize('path', RUNNABLE, ids=_ids)
def test_every_config_loads_with_one_default_scope(path):
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope in ('mmpretrain', 'mmpose', 'mmdet')
    assert cfg.custom_imports == dict(imports=['ps_net'], allow_failed_imports=False)
    for key in ('model', 'test_dataloader', 'test_evaluator'):
        assert cfg.get(key) is not None, key


def test_default_scope_is_set_once_per_chain_and_never_in_a_local_base():
    """The root config of each family sets ``default_scope``; the local bases never do."""
    setters = {p for p in ALL if re.search(r'^default_scope\s*=', p.read_text(), re.M)}
    assert not {p for p in setters if '_base_' in p.parts}
    for path in RUNNABLE:
        text = path.read_text()
        assert len(re.findall(r'^default_scope\s*=', text, re.M)) <= 1
        inherits_local = re.search(r"_base_ = \['\./[^:]*'\]", text) is not None
        assert (path in setters) != inherits_local, _ids(path)


def test_the_retrieval_data_preprocessor_is_written_once():
    defining = [p for p in ALL if 'num_classes=-1' in p.read_text()]
    assert [_ids(p) for p in defining] == ['_base_/models/retrieval_data_preprocessor.py']
    pre = Config.fromfile(str(defining[0])).data_preprocessor
    for name in ('ps_net_hrnet_df2.py', 'ps_net/psnet_hrnet-narrow_20e_synthetic-128.py',
                 'cbam/triplet_cbam-resnet50_20e_plagiarized-224.py'):
        assert Config.fromfile(str(CONFIGS / name)).model.data_preprocessor == pre, name


@pytest.mark.parametrize('name', sorted(USER_TYPED))
def test_main_configs_are_short_diffs_on_the_bases(name):
    path = CONFIGS / name
    assert len(path.read_text().splitlines()) <= 40
    bases = Config._get_base_files(str(path))
    assert './_base_/models/psnet_hrnet-w32.py' in bases
    assert any(b.startswith('./_base_/schedules/') for b in bases)
    assert any(b.startswith('./_base_/datasets/') for b in bases)


@pytest.mark.parametrize('psnet, landmark', [
    ('ps_net_hrnet_df2.py', 'landmark/psnet-landmark_hrnet-w32_12e_df2-224.py'),
    ('ps_net/psnet_hrnet-narrow_20e_synthetic-128.py',
     'landmark/psnet-landmark_hrnet-narrow_20e_synthetic-128.py'),
])
def test_psnet_landmark_branch_is_the_landmark_configs_model(psnet, landmark):
    """Same HRNet, neck and head dicts (mmpose-scoped inside the retriever): a checkpoint of the
    landmark config loads strictly; the retrieval branch has the landmark model's HRNet too."""
    model = Config.fromfile(str(CONFIGS / psnet)).model.to_dict()
    pose = Config.fromfile(str(CONFIGS / landmark)).model.to_dict()
    branch = model['landmark_branch']
    for part in ('neck', 'head'):
        assert branch[part].pop('_scope_') == 'mmpose'
        assert branch[part] == pose[part], part
    assert model['backbone']['extra'] == branch['backbone']['extra'] == pose['backbone']['extra']
    assert model['neck'] == dict(pose['neck'], _scope_='mmpose')
    assert 'init_cfg' not in branch['backbone']  # loaded from the landmark checkpoint
