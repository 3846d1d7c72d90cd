"""Install ps_net: fashion plagiarism retrieval as an OpenMMLab plugin.

The package lives in ``projects/ps_net`` (the OpenMMLab ``projects/`` layout) and is imported
as ``ps_net``. mmcv is built from source by ``tools/setup_env.sh`` (``make setup``); see
``requirements/`` for the exact pins.
"""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_version() -> str:
    text = (HERE / 'projects' / 'ps_net' / 'version.py').read_text()
    return re.search(r"__version__ = '([^']+)'", text).group(1)


def read_requirements(name: str) -> list:
    lines = (HERE / 'requirements' / name).read_text().splitlines()
    return [ln.split('#')[0].strip() for ln in lines if ln.split('#')[0].strip()]


setup(
    name='ps_net',
    version=read_version(),
    description='Fashion plagiarism retrieval (PS-Net, CBAM) as an OpenMMLab plugin',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.10',
    package_dir={'ps_net': 'projects/ps_net'},
    packages=['ps_net'] + ['ps_net.' + p for p in find_packages('projects/ps_net')],
    install_requires=read_requirements('runtime.txt') + ['mmcv==2.1.0'],
    extras_require={'tests': read_requirements('tests.txt'),
                    'deploy': read_requirements('deploy.txt')},
    zip_safe=False,
)
