"""Every Markdown link of README.md and docs/*.md resolves: the file exists and so does the
heading an ``#anchor`` names; every docs page is linked from the README."""
import re
from pathlib import Path
from typing import List, Set, Tuple

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / 'README.md', *sorted((REPO / 'docs').glob('*.md'))]


def _prose(text: str) -> str:
    """The text without fenced code blocks (links and headings there are not Markdown)."""
    return re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)


def heading_anchor(heading: str) -> str:
    """GitHub's anchor of a heading.

    >>> heading_anchor('Licence of the data and of models trained on it')
    'licence-of-the-data-and-of-models-trained-on-it'
    >>> heading_anchor('`make table` and `make demo`')
    'make-table-and-make-demo'
    """
    return re.sub(r'[^\w\- ]', '', heading.strip().lower()).replace(' ', '-')


def anchors(page: Path) -> Set[str]:
    return {heading_anchor(h) for h in re.findall(r'^#+\s+(.*)$', _prose(page.read_text()),
                                                  flags=re.M)}


def links(page: Path) -> List[Tuple[str, str]]:
    """``(path, anchor)`` of every relative link of a page (URLs left out)."""
    found = re.findall(r'\]\(([^)\s]+)\)', _prose(page.read_text()))
    return [tuple(t.partition('#')[::2]) for t in found if not re.match(r'[a-z]+://', t)]


def test_there_are_docs_pages():
    assert len(PAGES) > 1
    assert len(links(REPO / 'README.md')) >= len(PAGES) - 1


@pytest.mark.parametrize('page', PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    for path, anchor in links(page):
        target = (page.parent / path).resolve() if path else page
        if REPO not in target.parents and not target.exists():
            continue  # beside the clone (../shared), absent on this machine
        assert target.exists(), f'{page.name}: {path} does not exist'
        if anchor and target.suffix == '.md':
            assert anchor in anchors(target), f'{page.name}: no heading #{anchor} in {path}'


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(REPO / path).resolve() for path, _ in links(REPO / 'README.md')}
    assert [p.name for p in PAGES[1:] if p not in linked] == []


def named_paths(page: Path) -> List[str]:
    """The repository paths a page names (``configs/...``, ``tools/...``, ...), patterns left out."""
    found = re.findall(r'(?<![\w./-])((?:configs|tools|projects|tests|requirements|docs)/'
                       r'[\w./{},*-]*[\w}*])', page.read_text())
    return sorted({p for p in found if not any(c in p for c in '{*')})


@pytest.mark.parametrize('page', PAGES, ids=lambda p: p.name)
def test_named_paths_exist(page):
    missing = [p for p in named_paths(page) if not (REPO / p).exists()]
    assert missing == [], f'{page.name} names paths that do not exist: {missing}'


def test_a_broken_link_is_caught(tmp_path):
    page = tmp_path / 'page.md'
    page.write_text('# Title\n\n[a](missing.md) [b](#title) [c](#nowhere)\n'
                    '```\n[d](in_code.md)\n```\n')
    assert links(page) == [('missing.md', ''), ('', 'title'), ('', 'nowhere')]
    assert anchors(page) == {'title'}
    page.write_text('Run `python tools/train.py configs/x/y_1x.py`, see projects/ps_net/ and\n'
                    '`configs/cbam/triplet_{a,b}.py`, the `work_dirs/configs/z.py` output.\n')
    assert named_paths(page) == ['configs/x/y_1x.py', 'projects/ps_net', 'tools/train.py']
