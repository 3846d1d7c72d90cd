"""Evidence for an IP reviewer: a query image's garments, their top hits and the regions that
match, as one self-contained HTML page and a PNG of the same content.

For every searched garment of a :class:`~ps_net.apis.SearchResult`: the query garment (the
model's input crop, its five regions drawn in :data:`~ps_net.visualization.top_hits.
REGION_COLOURS`, dashed where the garment-box template placed them) beside its hits (the same
crop of each gallery image around its stored garment box, its stored regions in the same
colours). Under every hit, one bar per region with its cosine cos(f_r, g_r), in the region's
colour, so the one or two regions a copy changed stand out: a region whose cosine is more than
:data:`DIFF_MARGIN` below the hit's eq. 1 score is flagged. Each hit's rank, score and, when the
index holds verdict thresholds, its verdict (identical / plagiarized / unrelated, also the
colour of its frame) head it. The HTML embeds every picture as a base64 ``data:`` URI (no
other file, no network); the PNG is drawn with mmengine's ``Visualizer`` through the tile and
legend helpers of :mod:`~ps_net.visualization.top_hits`.
"""
import base64
import html
import io
import os
from typing import List, Optional, Sequence

import mmcv
import numpy as np
from mmengine.visualization import Visualizer
from PIL import Image

from ..datasets.transforms.garment_crop import crop_garment, image_to_crop
from ..structures import REGIONS
from ..utils import atomic_write
from .top_hits import PADDING, REGION_COLOURS, draw_legend, draw_tile, pixels_to_points

#: Frame and label colour of a hit per verdict (no verdict: black, as the query).
VERDICT_COLOURS = {'identical': (40, 90, 200), 'plagiarized': (210, 40, 40),
                   'unrelated': (120, 120, 120)}
NO_VERDICT = (0, 0, 0)
#: A region whose cosine is below the hit's score by more than this is flagged as changed.
DIFF_MARGIN = 0.1
#: Height of one region's bar row in the PNG, in pixels.
BAR_ROW = 14
GAP = 6


def _hit_colour(verdict: Optional[str]) -> tuple:
    return VERDICT_COLOURS.get(verdict, NO_VERDICT) if verdict else NO_VERDICT


def flagged_regions(cosines: np.ndarray, score: float) -> np.ndarray:
    """``(R,)`` bool: the regions whose cosine is more than :data:`DIFF_MARGIN` below ``score``
    (a missing region, NaN, is never flagged).

    Example:
        >>> flagged_regions(np.array([0.95, np.nan, 0.9, 0.41, 0.93]), 0.85).tolist()
        [False, False, False, True, False]
    """
    cos = np.asarray(cosines, np.float64)
    return ~np.isnan(cos) & (np.nan_to_num(cos, nan=np.inf) < score - DIFF_MARGIN)


def _gallery_crop(hit, size: tuple) -> dict:
    """The hit's image cropped like the model's input around its garment box, with its stored
    region boxes moved into the crop; a grey tile when the image cannot be read."""
    valid = ~np.isnan(np.asarray(hit.region_boxes, np.float64)).any(1)
    try:
        img = mmcv.imread(hit.path)
        if img is None:
            raise OSError('unreadable')
        crop, center, scale = crop_garment(img, hit.box, size)
        boxes = np.zeros((len(REGIONS), 4))
        corners = image_to_crop(np.nan_to_num(hit.region_boxes).reshape(-1, 2), center, scale,
                                size).reshape(-1, 4)
        boxes[valid] = np.clip(corners[valid], 0, np.tile(size, 2))
        return dict(img=np.ascontiguousarray(crop[..., ::-1]), boxes=boxes, valid=valid,
                    missing=False)
    except Exception:  # noqa: BLE001  (a moved image must not stop the report)
        return dict(img=np.full((size[1], size[0], 3), 200, np.uint8),
                    boxes=np.zeros((len(REGIONS), 4)), valid=np.zeros(len(REGIONS), bool),
                    missing=True)


def report_cells(garment, max_hits: int = 10) -> List[dict]:
    """The query cell and one cell per hit (up to ``max_hits``) of a searched garment: the
    crop and its regions, the caption, the frame colour, and for hits the cosines, the flagged
    regions, score, verdict, id, path and category."""
    size = (garment.crop.shape[1], garment.crop.shape[0])
    cells = [dict(img=garment.crop, boxes=garment.crop_boxes, valid=garment.valid,
                  fallback=garment.fallback, caption='query', colour=NO_VERDICT, hit=None)]
    for hit in garment.hits[:max_hits]:
        crop = _gallery_crop(hit, size)
        caption = f'#{hit.rank} {hit.score:.3f}' + (f' {hit.verdict}' if hit.verdict else '')
        cells.append(dict(crop, fallback=np.zeros(len(REGIONS), bool), caption=caption,
                          colour=_hit_colour(hit.verdict), hit=hit,
                          flagged=flagged_regions(hit.region_cosines, hit.score)))
    return cells


# ---------------------------------------------------------------------------------- PNG
def _bars(vis: Visualizer, cell: dict, width: int) -> np.ndarray:
    """Under a hit: per region its name, a bar of its cosine in the region's colour and the
    value (red and outlined when flagged); under the query: which regions it has."""
    vis.set_image(np.full((BAR_ROW * len(REGIONS) + 4, width, 3), 255, np.uint8))
    x0, x1 = 62, width - 34  # the bar area
    hit = cell['hit']
    for r, (name, colour) in enumerate(zip(REGIONS, REGION_COLOURS)):
        y = 2 + r * BAR_ROW
        vis.draw_texts(name, np.array([4, y + 1]), colors=(0, 0, 0), font_sizes=6)
        if hit is None:
            state = 'template' if cell['fallback'][r] else 'found' if cell['valid'][r] else \
                'missing'
            vis.draw_texts(state, np.array([x0, y + 1]), colors=colour if cell['valid'][r]
                           else (150, 150, 150), font_sizes=6)
            continue
        cos = hit.region_cosines[r]
        flagged = bool(cell['flagged'][r])
        if not np.isnan(cos):
            length = max(float(cos), 0.0) * (x1 - x0)
            if length >= 1:
                vis.draw_bboxes(np.array([x0, y + 2, x0 + length, y + BAR_ROW - 3]),
                                edge_colors=colour, face_colors=colour, alpha=1.0,
                                line_widths=pixels_to_points(vis, 1))
        if flagged:
            vis.draw_bboxes(np.array([x0 - 1, y + 1, x1 + 1, y + BAR_ROW - 2]),
                            edge_colors=VERDICT_COLOURS['plagiarized'], alpha=1.0,
                            line_widths=pixels_to_points(vis, 1))
        text = 'n/a' if np.isnan(cos) else f'{cos:.2f}'
        vis.draw_texts(text, np.array([x1 + 3, y + 1]), font_sizes=6,
                       colors=VERDICT_COLOURS['plagiarized'] if flagged else (0, 0, 0))
    return vis.get_image()


def _text_strip(vis: Visualizer, text: str, width: int, height: int = 18) -> np.ndarray:
    vis.set_image(np.full((height, width, 3), 255, np.uint8))
    vis.draw_texts(text, np.array([4, 3]), colors=(0, 0, 0), font_sizes=7)
    return vis.get_image()


def _hstack(images: Sequence[np.ndarray], gap: int = GAP) -> np.ndarray:
    h = max(i.shape[0] for i in images)
    out = []
    for k, img in enumerate(images):
        if k:
            out.append(np.full((h, gap, 3), 255, np.uint8))
        out.append(np.pad(img, ((0, h - img.shape[0]), (0, 0), (0, 0)), constant_values=255))
    return np.concatenate(out, axis=1)


def _vstack(images: Sequence[np.ndarray]) -> np.ndarray:
    w = max(i.shape[1] for i in images)
    return np.concatenate([np.pad(i, ((0, 0), (0, w - i.shape[1]), (0, 0)), constant_values=255)
                           for i in images], axis=0)


def draw_search_report(result, out_path: Optional[str] = None, max_hits: int = 10,
                       columns: int = 5, scale: Optional[int] = None) -> Image.Image:
    """The PNG of the report: per searched garment a title line, the query cell and its hit
    cells (``columns`` hits per row), then the legend of the region colours.

    Args:
        result: A :class:`~ps_net.apis.SearchResult`.
        out_path: PNG to write atomically (None: only return the picture).
        max_hits: Hits drawn per garment.
        columns: Hit cells per row.
        scale: Upscaling of the crops; None scales them to about 256 pixels.

    Returns:
        The picture.
    """
    if max_hits < 1 or columns < 1:
        raise ValueError(f'max_hits and columns must be >= 1, got {max_hits} and {columns}')
    vis = Visualizer(name='ps_net_search_report')
    blocks = []
    for g, garment in enumerate(result.garments, 1):
        cells = report_cells(garment, max_hits)
        s = scale or max(1, int(round(256 / max(garment.crop.shape[:2]))))
        drawn = []
        for cell in cells:
            tile = draw_tile(vis, cell['img'], cell['boxes'], cell['valid'], cell['fallback'],
                             cell['caption'], cell['colour'], s)
            drawn.append(_vstack([tile, _bars(vis, cell, tile.shape[1])]))
        blank = np.full_like(drawn[0], 255)
        rows = [_hstack([drawn[0] if i == 0 else blank] + drawn[1 + i:1 + i + columns])
                for i in range(0, max(len(drawn) - 1, 1), columns)]
        title = (f'{result.input}: garment {g} of {len(result.garments)}, {garment.category}, '
                 f'{len(garment.hits)} hits' + (f' (top {max_hits} shown)'
                                                if len(garment.hits) > max_hits else ''))
        blocks += [_text_strip(vis, title, rows[0].shape[1])] + rows
    if not blocks:
        blocks = [_text_strip(vis, f'{result.input}: {result.status}: {result.reason}', 640)]
    for s in result.skipped:
        blocks.append(_text_strip(vis, f'not searched: {s.category_name}: {s.reason}',
                                  blocks[0].shape[1]))
    sheet = _vstack(blocks)
    sheet = Image.fromarray(_vstack([sheet, draw_legend(vis, sheet.shape[1])]))
    if out_path is not None:
        buf = io.BytesIO()
        sheet.save(buf, 'PNG')
        atomic_write(out_path, buf.getvalue(), overwrite=True)
    return sheet


# ---------------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:18px;margin:0 0 4px} h2{font-size:15px;margin:18px 0 6px}
.meta{color:#555;font-size:13px;margin:2px 0}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
.row{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
.card{border:1px solid #ddd;border-radius:4px;padding:6px;width:270px;font-size:12px}
.card img{display:block;width:100%;image-rendering:pixelated}
.card .head{font-weight:bold;margin:4px 0}
.verdict{color:#fff;padding:1px 5px;border-radius:3px;font-weight:bold}
.bar{display:flex;align-items:center;margin:2px 0}
.bar .name{width:78px} .bar .track{flex:1;height:10px;background:#eee;position:relative}
.bar .fill{height:10px} .bar .val{width:44px;text-align:right}
.bar.flag .track{outline:1px solid #d22} .bar.flag .val{color:#d22;font-weight:bold}
.path{color:#777;word-break:break-all}
"""


def _rgb(colour: tuple) -> str:
    return 'rgb({},{},{})'.format(*colour)


def _data_uri(rgb: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, 'PNG')
    return 'data:image/png;base64,' + base64.b64encode(buf.getvalue()).decode('ascii')


def _bars_html(cell: dict) -> str:
    rows = []
    hit = cell['hit']
    for r, (name, colour) in enumerate(zip(REGIONS, REGION_COLOURS)):
        if hit is None:
            state = 'template' if cell['fallback'][r] else 'found' if cell['valid'][r] else \
                'missing'
            shown = colour if cell['valid'][r] else (150, 150, 150)
            rows.append(f'<div class="bar"><span class="name">{name}</span>'
                        f'<span style="color:{_rgb(shown)}">{state}</span></div>')
            continue
        cos = float(hit.region_cosines[r])
        width = 0 if np.isnan(cos) else max(cos, 0) * 100
        flag = ' flag' if cell['flagged'][r] else ''
        value = 'n/a' if np.isnan(cos) else f'{cos:.3f}'
        title = ' title="more than {:.2f} below the score: changed?"'.format(DIFF_MARGIN) \
            if flag else ''
        rows.append(f'<div class="bar{flag}" data-region="{name}"{title}>'
                    f'<span class="name">{name}</span><span class="track"><span class="fill" '
                    f'style="display:block;width:{width:.1f}%;background:{_rgb(colour)}">'
                    f'</span></span><span class="val">{value}</span></div>')
    return ''.join(rows)


def search_report_html(result, max_hits: int = 10, scale: Optional[int] = None) -> str:
    """The report as one self-contained HTML page (pictures as ``data:`` URIs).

    The page names the query and its status, then per searched garment ``"<N> hits"`` (the
    hits the search returned; the first ``max_hits`` are shown), the query card and one card
    per hit: rank, score, verdict (when present), the crop with its regions, one bar per
    region with its cosine, the garment's id, category and image path.
    """
    esc = html.escape
    vis = Visualizer(name='ps_net_search_report')
    legend = ''.join(f'<span><i style="background:{_rgb(c)}"></i>{r}</span>'
                     for r, c in zip(REGIONS, REGION_COLOURS))
    parts = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
             f'<title>ps_net search: {esc(os.path.basename(result.input))}</title>'
             f'<style>{_CSS}</style></head><body>',
             f'<h1>Query: {esc(result.input)}</h1>',
             f'<p class="meta">status: <b id="status">{esc(result.status)}</b>'
             + (f' ({esc(result.reason)})' if result.reason else '') + '</p>',
             f'<p class="legend">{legend}</p>']
    for g, garment in enumerate(result.garments, 1):
        cells = report_cells(garment, max_hits)
        s = scale or max(1, int(round(256 / max(garment.crop.shape[:2]))))
        shown = '' if len(garment.hits) <= max_hits else f', the first {max_hits} shown'
        parts.append(f'<h2>Garment {g}: {esc(garment.category)}'
                     + (f' (detection score {garment.det_score:.2f})'
                        if garment.det_score is not None else '')
                     + f' &mdash; <span class="hit-count">{len(garment.hits)} hits</span>'
                     f'{shown}</h2><div class="row">')
        for cell in cells:
            tile = draw_tile(vis, cell['img'], cell['boxes'], cell['valid'], cell['fallback'],
                             '', cell['colour'], s)[:-PADDING[3] + 4]
            hit = cell['hit']
            if hit is None:
                head = 'query'
                info = f'<div class="path">box {[round(v) for v in garment.box]}</div>'
            else:
                badge = (f' <span class="verdict" style="background:{_rgb(cell["colour"])}">'
                         f'{esc(hit.verdict)}</span>') if hit.verdict else ''
                head = f'#{hit.rank} score {hit.score:.3f}{badge}'
                info = (f'<div>id {hit.id}, {esc(hit.category)}'
                        + (' (image missing)' if cell['missing'] else '') + '</div>'
                        f'<div class="path" title="{esc(hit.path)}">'
                        f'{esc(os.path.basename(hit.path))}</div>')
            parts.append(f'<div class="card"><div class="head">{head}</div>'
                         f'<img alt="{esc(cell["caption"])}" src="{_data_uri(tile)}">'
                         f'{_bars_html(cell)}{info}</div>')
        parts.append('</div>')
    for s in result.skipped:
        parts.append(f'<p class="meta">not searched: {esc(s.category_name)} box '
                     f'{[round(v) for v in s.box]}: {esc(s.reason)}</p>')
    parts.append('</body></html>\n')
    return ''.join(parts)


def write_search_report(result, html_path: Optional[str] = None,
                        png_path: Optional[str] = None, max_hits: int = 10) -> None:
    """Write the HTML report and / or its PNG, each atomically."""
    if html_path is not None:
        atomic_write(html_path, search_report_html(result, max_hits), overwrite=True)
    if png_path is not None:
        draw_search_report(result, png_path, max_hits)


__all__ = ['VERDICT_COLOURS', 'DIFF_MARGIN', 'draw_search_report', 'flagged_regions',
           'report_cells', 'search_report_html', 'write_search_report']
