"""The reviewer's report: region colours on both images, a bar per region with the changed
regions flagged, verdicts and scores; a self-contained HTML page that a real browser renders."""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from ps_net.apis import QueryGarment, SearchHit, SearchResult, SkippedGarment
from ps_net.visualization.search_report import (DIFF_MARGIN, VERDICT_COLOURS,
                                                draw_search_report, flagged_regions,
                                                search_report_html, write_search_report)
from ps_net.visualization.top_hits import PADDING, REGION_COLOURS

NAN = np.nan
REGION_BOXES = np.array([[2, 8, 14, 24], [50, 8, 62, 24], [22, 2, 42, 10], [16, 10, 48, 34],
                         [16, 34, 48, 60]], np.float64)


def _gallery_image(path, colour):
    img = np.full((64, 64, 3), 255, np.uint8)
    img[6:60, 10:54] = colour
    Image.fromarray(img).save(path)
    return str(path)


def make_result(tmp_path, verdicts=('identical', 'plagiarized', 'unrelated')):
    """A query garment (a 128 px crop) and three hits; hit 2 changed its chest region."""
    crop = np.zeros((128, 128, 3), np.uint8)
    crop[16:112, 24:104] = (200, 180, 40)
    cosines = [[.99, .98, .99, .97, .99], [.95, NAN, .93, .31, .94], [.2, .1, .15, .3, .25]]
    scores = [.985, .78, .2]
    hits = []
    for rank, (cos, score, verdict, colour) in enumerate(
            zip(cosines, scores, verdicts, [(200, 180, 40), (190, 170, 60), (20, 90, 160)]), 1):
        boxes = REGION_BOXES.copy()
        if rank == 2:
            boxes[1] = NAN  # its right sleeve is unknown
        hits.append(SearchHit(rank=rank, id=100 + rank, path=_gallery_image(
            tmp_path / f'g{rank}.png', colour), score=score, region_cosines=np.array(cos),
            category='short_sleeved_top', box=(0, 0, 64, 64), region_boxes=boxes,
            verdict=verdict))
    crop_boxes = (REGION_BOXES + 8) * 1.6  # the 128 px crop of a 64 px box with margin 1.25
    garment = QueryGarment(box=(0, 0, 64, 64), category='short_sleeved_top', df2_category_id=1,
                           det_score=0.93, region_boxes=REGION_BOXES, valid=np.ones(5, bool),
                           fallback=np.array([0, 0, 0, 1, 0], bool), hits=hits, crop=crop,
                           crop_boxes=crop_boxes)
    skipped = SkippedGarment(box=(0, 40, 60, 64), category_name='trousers', df2_category_id=8,
                             det_score=0.7, reason='trousers is not one of the PS-Net categories')
    return SearchResult('suspect.jpg', 'ok', garments=[garment], skipped=[skipped])


def test_flagged_regions():
    cos = np.array([.95, NAN, .93, .31, .94])
    assert flagged_regions(cos, .78).tolist() == [False, False, False, True, False]
    assert not flagged_regions(np.array([.9] * 5), .9 + DIFF_MARGIN - 1e-6).any()


def test_png_draws_regions_frames_and_bars_in_matching_colours(tmp_path):
    result = make_result(tmp_path)
    out = tmp_path / 'report.png'
    pic = draw_search_report(result, str(out))
    assert Image.open(out).size == pic.size
    arr = np.asarray(pic)
    cell_w = 128 * 2 + PADDING[0] + PADDING[2]
    top = 18  # the title strip
    # frames: query black, then the verdict colours
    assert tuple(arr[top + 2, 2]) == (0, 0, 0)
    for k, verdict in enumerate(('identical', 'plagiarized', 'unrelated'), 1):
        assert tuple(arr[top + 2, k * (cell_w + 6) + 2]) == VERDICT_COLOURS[verdict]
    # the collar box's top edge in its colour on the query crop and on a hit, at the same
    # place (the hit's crop is the same crop of its 64 px image, its boxes moved into it)
    y, x = top + PADDING[1] + 2 * 16, PADDING[0] + 2 * 64
    assert tuple(arr[y, x]) == REGION_COLOURS[2]
    assert tuple(arr[y, cell_w + 6 + x]) == REGION_COLOURS[2]
    # bars under hit 2: the chest bar (cos .31) is much shorter than the collar bar (.93)
    # and outlined in red; the right sleeve (no cosine) has no bar
    bars_top = top + PADDING[1] + 256 + PADDING[3]
    x0 = 2 * (cell_w + 6)
    rows = {r: arr[bars_top + 2 + r * 14 + 7, x0:x0 + cell_w] for r in range(5)}

    def bar_length(r):
        return int((rows[r] == REGION_COLOURS[r]).all(-1).sum())

    assert bar_length(2) > 2.5 * bar_length(3) > 0 and bar_length(1) == 0
    outline = arr[bars_top + 2 + 3 * 14 + 1, x0 + 70:x0 + 150]
    assert (outline == VERDICT_COLOURS['plagiarized']).all(-1).mean() > 0.9
    # the legend of the region colours at the bottom, the skipped garment noted above it
    assert tuple(arr[pic.height - 8, 8]) == REGION_COLOURS[0]


def test_html_is_self_contained_and_shows_verdicts_scores_and_flags(tmp_path):
    result = make_result(tmp_path)
    page = search_report_html(result)
    assert page.startswith('<!DOCTYPE html>') and '3 hits' in page
    srcs = re.findall(r'src="([^"]+)"', page)
    assert len(srcs) == 4 and all(s.startswith('data:image/png;base64,') for s in srcs)
    assert not re.search(r'(href|url)\s*[=(]', page)
    for verdict in ('identical', 'plagiarized', 'unrelated'):
        assert f'>{verdict}</span>' in page
    assert 'score 0.780' in page and page.count('class="bar flag"') == 1
    assert re.search(r'class="bar flag" data-region="chest"', page)
    assert 'trousers is not one of the PS-Net categories' in page
    for r, c in enumerate(REGION_COLOURS):  # the legend uses the drawing's colours
        assert 'background:rgb({},{},{})'.format(*c) in page
    # no verdicts (an index without thresholds): no badge, the scores stay
    plain = search_report_html(make_result(tmp_path, verdicts=(None, None, None)))
    assert 'class="verdict"' not in plain and 'score 0.985' in plain
    # a gallery image that moved: a grey tile, said so, the report still written
    os.remove(result.garments[0].hits[0].path)
    assert '(image missing)' in search_report_html(result)
    bad = SearchResult('<bytes 3>', 'unreadable', 'ValueError: empty bytes')
    assert 'unreadable' in search_report_html(bad) and 'empty bytes' in search_report_html(bad)
    assert draw_search_report(bad).size[0] >= 640


def chromium() -> str:
    """The headless browser; with CI=true a missing one fails instead of skipping."""
    path = shutil.which('chromium') or shutil.which('chromium-browser')
    if path is None:
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail('chromium is not installed (CI=true: .ci/run installs the Debian '
                        'package)')
        pytest.skip('chromium is not installed (apt-get install chromium)')
    return path


def _browser(tmp_path, *args):
    cmd = [chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
           '--no-first-run', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', f'--user-data-dir={tmp_path / "profile"}', *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_renders_in_a_real_browser(tmp_path):
    result = make_result(tmp_path)
    html_path, png_path = tmp_path / 'report.html', tmp_path / 'report.png'
    write_search_report(result, str(html_path), str(png_path))
    url = html_path.resolve().as_uri()
    shot = tmp_path / 'shot.png'
    run = _browser(tmp_path, f'--screenshot={shot}', '--window-size=1280,900', url)
    assert shot.exists(), run.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert('RGB'), np.float64)
    assert pixels.shape[:2] == (900, 1280)
    assert pixels.std() > 20  # not a blank page
    # the hit pictures were decoded: the red plagiarized frame and the region colours show
    assert (np.abs(pixels - REGION_COLOURS[2]).sum(-1) < 30).sum() > 50
    dom = _browser(tmp_path, '--dump-dom', url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '3 hits' in dom.stdout and 'plagiarized' in dom.stdout
    assert dom.stdout.count('<img') == 4
    assert Image.open(png_path).size[0] > 1000
