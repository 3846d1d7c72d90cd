"""The package's import directions (layering), checked on the source of every module.

Rules: ``structures`` imports no other part of ps_net; ``models`` never imports ``datasets``,
``evaluation``, ``engine``, ``apis`` or ``visualization``; ``evaluation`` never imports
``models``, ``engine`` or ``apis``; ``index`` imports only ``structures`` and ``utils`` of
ps_net; ``engine`` and ``visualization`` take no constant (an upper-case name) from a
``datasets`` module: shared names live in ``structures``.
"""
import ast
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'projects' / 'ps_net'

#: Layer -> the ps_net layers it must not import.
FORBIDDEN = {
    'structures': ('apis', 'datasets', 'engine', 'evaluation', 'models', 'utils',
                   'visualization', 'index'),
    'models': ('apis', 'datasets', 'engine', 'evaluation', 'visualization', 'index'),
    'evaluation': ('apis', 'engine', 'models', 'index'),
    'index': ('apis', 'datasets', 'engine', 'evaluation', 'models', 'visualization'),
}


def _module_name(path: Path, package: Path) -> List[str]:
    parts = list(path.relative_to(package.parent).with_suffix('').parts)
    return parts[:-1] if parts[-1] == '__init__' else parts


def ps_net_imports(path: Path, root: Path = PACKAGE
                   ) -> Iterator[Tuple[int, str, Tuple[str, ...]]]:
    """``(line, absolute module, imported names)`` of every ps_net import in a file, relative
    imports resolved against the file's package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path, root)
    if path.name != '__init__.py':
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'ps_net':
                    yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ''
            if module.split('.')[0] == 'ps_net':
                names = tuple(a.name for a in node.names)
                if module == 'ps_net' or module.count('.') == 0:
                    # ``from ps_net import models``: the names are the imported layers
                    for name in names:
                        yield node.lineno, f'ps_net.{name}', ()
                else:
                    yield node.lineno, module, names


def layering_violations(package: Path = PACKAGE) -> List[str]:
    """Every import of ``package`` that breaks a rule of this module's docstring."""
    problems = []
    for path in sorted(package.rglob('*.py')):
        name = _module_name(path, package)
        layer = name[1] if len(name) > 1 else None
        for line, module, names in ps_net_imports(path, package):
            parts = module.split('.')
            target = parts[1] if len(parts) > 1 else None
            where = f'{path.relative_to(package.parent)}:{line}'
            if layer in FORBIDDEN and target in FORBIDDEN[layer]:
                problems.append(f'{where}: {layer} imports {module}')
            if layer in ('engine', 'visualization') and target == 'datasets':
                consts = [n for n in names if n.isupper()]
                if consts:
                    problems.append(f'{where}: {layer} takes constants {consts} from {module} '
                                    f'(they belong in ps_net.structures)')
    return problems


def test_package_respects_layering():
    problems = layering_violations()
    assert not problems, 'forbidden import directions:\n' + '\n'.join(problems)


@pytest.mark.parametrize('layer,source,bad', [
    ('models', 'from ...datasets.pf_format import load_pf\n', True),
    ('models', 'from ps_net.evaluation import metrics\n', True),
    ('models', 'from ...structures import REGIONS\n', False),
    ('evaluation', 'from ps_net.models.retrievers import PSNetRetriever\n', True),
    ('evaluation', 'from ps_net import models\n', True),
    ('evaluation', 'from ...structures import region_similarity\n', False),
    ('engine', 'from ...datasets.pf_format import REGIONS\n', True),
    ('engine', 'from ...datasets.pf_format import load_pf\n', False),
    ('structures', 'from ...utils import atomic_write\n', True),
    ('index', 'from ...models.heads import PSNetRegionHead\n', True),
    ('index', 'from ...utils import atomic_write\n', False),
])
def test_checker_finds_forbidden_imports(tmp_path, layer, source, bad):
    """The checker itself: a planted import is reported exactly when it breaks a rule."""
    pkg = tmp_path / 'ps_net'
    (pkg / layer / 'sub').mkdir(parents=True)
    for d in (pkg, pkg / layer, pkg / layer / 'sub'):
        (d / '__init__.py').write_text('')
    (pkg / layer / 'sub' / 'planted.py').write_text(source)
    problems = layering_violations(pkg)
    assert bool(problems) == bad, problems
    if bad:
        assert 'planted.py:1' in problems[0]
