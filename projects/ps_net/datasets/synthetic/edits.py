"""Plagiarism operators: modify one region of a design, and nothing outside it.

Each operator returns the modified design and the names of the regions it changed (by the
wearer's left and right: the image-left sleeve is ``right_sleeve``). Operators only touch what
is drawn inside their region's box: the chest print box lies below any collar, collar edits keep
the neck width (so the shoulder line does not move), hem edits keep the hem corners, and the
canvas affine of a copy is the original's.

Edit kinds and the operators behind them:

* ``chest``: new print, logo text replaced or added, print mirrored, mosaic added, print
  recoloured, print added to a plain front;
* ``collar``: neckline shape changed, neckline depth changed, trim colour changed or added
  (outwear: lapel width, opening depth, lapel colour);
* ``sleeves``: one or both sleeves in another fabric, both sleeves shorter or longer, a cuff band
  on one or both sleeves;
* ``waist``: hem shape, hem band, belt, skirt fabric (dresses).
"""
import dataclasses
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

from ...structures import DF2_SLEEVELESS, df2_to_psnet
from .config import EDIT_KINDS, SyntheticConfig
from .garments import (DRESSES, LONG_SLEEVE_ANGLE, NECKLINES, SLEEVE_LENGTH, sample_hem,
                       sample_neckline, sample_shape)
from .prints import sample_print, sample_text
from .render import Design, fit_canvas, print_box, sample_design
from .textures import PhotoBank, sample_color, sample_texture

SIDE_REGION = ('right_sleeve', 'left_sleeve')  # image left, image right


def edit_shares(category_id: int, config: SyntheticConfig) -> Dict[str, float]:
    """Normalised first-edit shares of a category (sleeveless garments drop ``sleeves``)."""
    shares = dict(config.frequencies()[df2_to_psnet(category_id)])
    if category_id in DF2_SLEEVELESS:
        shares['sleeves'] = 0.0
    total = sum(shares.values())
    return {k: shares[k] / total for k in EDIT_KINDS}


def sample_edit_kinds(category_id: int, config: SyntheticConfig,
                      rng: np.random.Generator) -> List[str]:
    """One edit kind drawn by the category's shares, then a second one with
    ``config.two_region_prob`` from the remaining kinds (renormalised)."""
    shares = edit_shares(category_id, config)
    kinds = list(EDIT_KINDS)
    first = kinds[rng.choice(len(kinds), p=[shares[k] for k in kinds])]
    out = [first]
    rest = [k for k in kinds if k != first and shares[k] > 0]
    if rest and rng.uniform() < config.two_region_prob:
        p = np.asarray([shares[k] for k in rest])
        out.append(rest[rng.choice(len(rest), p=p / p.sum())])
    return out


def _chest(d: Design, rng, bank: PhotoBank, real_prob: float) -> Tuple[Design, List[str]]:
    p = d.print
    if p is None:
        return dataclasses.replace(d, print=sample_print(rng, print_box(d.shape), bank,
                                                         real_prob)), ['chest']
    op = ('new', 'text', 'mirror', 'mosaic', 'recolor')[rng.integers(5)]
    p = dict(p)
    if op == 'new':
        p = sample_print(rng, p['box'], bank, real_prob)
    elif op == 'text':
        p['text'] = sample_text(rng, avoid=p.get('text'))
        p.setdefault('text_color', list(sample_color(rng)))
        if 'text' not in p['kind']:
            p['kind'] = 'graphic+text' if p['kind'] == 'graphic' else p['kind']
    elif op == 'mirror':
        p['mirror'] = not p['mirror']
    elif op == 'mosaic':
        fx, fy = rng.uniform(0, 0.4, size=2)
        p['mosaic'] = [float(fx), float(fy), float(fx + rng.uniform(0.45, 0.6)),
                       float(fy + rng.uniform(0.45, 0.6)), float(rng.uniform(0.08, 0.15))]
    else:
        p['shapes'] = [dict(s, color=list(sample_color(rng))) for s in p.get('shapes', [])]
        p['background'] = list(sample_color(rng))
    return dataclasses.replace(d, print=p), ['chest']


def _collar(d: Design, rng, bank: PhotoBank, real_prob: float) -> Tuple[Design, List[str]]:
    s = d.shape
    op = ('shape', 'depth', 'trim')[rng.integers(3)]
    if op == 'trim':
        trim = s.trim_width or float(rng.choice([0.012, 0.022]))
        return dataclasses.replace(d, trim_color=sample_color(rng),
                                   shape=dataclasses.replace(s, trim_width=trim)), ['collar']
    if s.family == 'outwear':
        new = dataclasses.replace(
            s, lapel_width=float(rng.uniform(0.04, 0.09)) if op == 'shape' else s.lapel_width,
            neck_depth=float(rng.uniform(0.18, 0.28)) if op == 'depth' else s.neck_depth)
        return dataclasses.replace(d, shape=new), ['collar']
    styles = [n for n in NECKLINES if n != s.neckline and (n != 'boat' or s.neck_half >= 0.15)]
    style = styles[rng.integers(len(styles))] if op == 'shape' else s.neckline
    drawn = sample_neckline(s.category_id, rng)
    depth = {'round': (0.07, 0.13), 'v': (0.15, 0.22), 'square': (0.10, 0.16),
             'boat': (0.03, 0.06), 'shirt': (0.05, 0.08)}[style]
    new = dataclasses.replace(s, neckline=style, neck_depth=float(rng.uniform(*depth)),
                              trim_width=float(drawn['trim_width']) if op == 'shape'
                              else s.trim_width)
    return dataclasses.replace(d, shape=new), ['collar']


def _sleeves(d: Design, rng, bank: PhotoBank, real_prob: float) -> Tuple[Design, List[str]]:
    s = d.shape
    op = ('fabric', 'length', 'cuff')[rng.integers(3)]
    sides = [[0], [1], [0, 1]][rng.integers(3)] if op != 'length' else [0, 1]
    if op == 'length':
        lo, hi = SLEEVE_LENGTH[s.sleeve_kind]
        cur = s.sleeve_length[0]
        while True:
            new = float(rng.uniform(lo, hi))
            if abs(new - cur) >= 0.3 * (hi - lo):
                break
        d = dataclasses.replace(d, shape=dataclasses.replace(s, sleeve_length=(new, new)))
    elif op == 'fabric':
        tex = sample_texture(rng, sample_color(rng), bank, real_prob)
        d = dataclasses.replace(d, sleeves=tuple(tex if i in sides else d.sleeves[i]
                                                 for i in range(2)))
    else:
        color = sample_color(rng)
        d = dataclasses.replace(d, cuffs=tuple(color if i in sides else d.cuffs[i]
                                               for i in range(2)))
    return d, [SIDE_REGION[i] for i in sides]


def _waist(d: Design, rng, bank: PhotoBank, real_prob: float) -> Tuple[Design, List[str]]:
    s = d.shape
    ops = ['hem', 'hem_band', 'belt'] + (['skirt'] if s.category_id in DRESSES else [])
    op = ops[rng.integers(len(ops))]
    if op == 'hem':
        while True:
            hem = sample_hem(s.category_id, rng)
            if hem['hem'] != s.hem:
                break
        d = dataclasses.replace(d, shape=dataclasses.replace(s, **hem))
    elif op == 'hem_band':
        d = dataclasses.replace(d, hem_band=sample_color(rng))
    elif op == 'belt':
        d = dataclasses.replace(d, belt=sample_color(rng))
    else:
        d = dataclasses.replace(d, skirt=sample_texture(rng, sample_color(rng), bank, real_prob))
    return d, ['waist']


OPERATORS: Dict[str, Callable] = {
    'chest': _chest, 'collar': _collar, 'sleeves': _sleeves, 'waist': _waist}


def apply_edits(design: Design, kinds: Sequence[str], rng: np.random.Generator,
                bank: PhotoBank, real_prob: float) -> Tuple[Design, List[str]]:
    """Apply one operator per edit kind; return the copy and its ``modified_regions``.

    Raises:
        ValueError: for an unknown kind, or ``sleeves`` on a sleeveless category.
    """
    regions: List[str] = []
    for kind in kinds:
        if kind not in OPERATORS:
            raise ValueError(f'edit kind must be one of {EDIT_KINDS}, got {kind!r}')
        if kind == 'sleeves' and design.shape.sleeveless:
            raise ValueError(f'category {design.shape.category_id} has no sleeves to edit')
        design, names = OPERATORS[kind](design, rng, bank, real_prob)
        regions += names
    order = ('left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist')
    return design, sorted(set(regions), key=order.index)


def sample_irrelevant(design: Design, rng: np.random.Generator, bank: PhotoBank,
                      real_prob: float,
                      long_sleeve_angle: Tuple[float, float] = LONG_SLEEVE_ANGLE) -> Design:
    """A hard negative: same category, a silhouette half-way to a new one, a fabric of a
    similar colour, and a new print and collar."""
    s, new = design.shape, sample_shape(design.shape.category_id, rng, long_sleeve_angle)
    mixed = {f.name: (getattr(s, f.name) + getattr(new, f.name)) / 2
             for f in dataclasses.fields(s) if isinstance(getattr(s, f.name), float)}
    shape = dataclasses.replace(new, **{k: v for k, v in mixed.items()
                                        if k not in ('neck_depth', 'hem_dev', 'lapel_width',
                                                     'trim_width')})
    other = sample_design(s.category_id, rng, bank, real_prob, base_color=design.base_color,
                          shape=shape)
    if design.print is not None and other.print is None:
        other = dataclasses.replace(other, print=sample_print(rng, print_box(shape), bank,
                                                              real_prob))
    return dataclasses.replace(other, canvas=fit_canvas(shape))
