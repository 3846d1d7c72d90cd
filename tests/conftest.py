"""Shared pytest fixtures."""
import logging
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """Real photos and format samples (``PSNET_SHARED_DATA``, default ``../shared/data``)."""
    return Path(os.environ.get('PSNET_SHARED_DATA', REPO_ROOT.parent / 'shared' / 'data'))


@pytest.fixture
def shared_data() -> Path:
    """The shared data folder; skips the test with a reason when it is absent."""
    root = shared_data_root()
    if not root.is_dir():
        pytest.skip(f'shared data folder {root} is absent (set PSNET_SHARED_DATA)')
    return root


@pytest.fixture(autouse=True)
def _no_closed_log_files():
    """Drop the file handlers of closed log files from every mmengine logger before a test.

    An mmengine logger outlives the Runner that opened its log file; once the file is closed
    the handler's stream is None, and ``BaseModule.init_weights`` (which writes its report into
    every ``FileHandler``'s stream directly, not through ``emit``) would fail on it.
    """
    from mmengine.logging import MMLogger
    for logger in list(MMLogger._instance_dict.values()):
        for handler in list(logger.handlers):
            if isinstance(handler, logging.FileHandler) and handler.stream is None:
                logger.removeHandler(handler)
    yield


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


def load_tool(relpath: str):
    """Import a command-line tool (``tools/...py``, not a package) as a module, to call its
    ``main(argv)`` in-process."""
    import importlib.util
    path = REPO_ROOT / relpath
    name = 'tool_' + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _isolated_default_scope():
    """Run every test without a default scope and undo any scope it sets (mmdet/mmpose
    inference, runners and ``register_all_modules`` set a process-wide default scope, which
    would make a later test's unprefixed build look in another library's registry)."""
    from mmengine.registry import DefaultScope
    before = DefaultScope._instance_dict.copy()
    DefaultScope._instance_dict.clear()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)
