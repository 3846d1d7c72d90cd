"""Frozen settings of the synthetic garment generator and their hash.

The defaults are frozen: every synthetic figure in the results tables depends on them, so a
change needs a note in ``docs/synthetic_data.md`` saying why. :func:`settings_hash` (recorded
there and in each generated file's ``metainfo``) tells two data sets made with different
settings apart.
"""
import dataclasses
import hashlib
import json
from typing import Dict, Mapping, Tuple

from .garments import LONG_SLEEVE_ANGLE

#: Bump when the rendering code changes what a given seed and settings produce.
GENERATOR_VERSION = 1

#: PS-Net paper, Table 1: share of modified regions per category ("Sleeves" covers both sleeves).
PAPER_TABLE1 = {
    'short_sleeved_top': {'sleeves': 0.12, 'collar': 0.06, 'chest': 0.72, 'waist': 0.10},
    'long_sleeved_top': {'sleeves': 0.13, 'collar': 0.34, 'chest': 0.38, 'waist': 0.15},
    'outwear': {'sleeves': 0.25, 'collar': 0.21, 'chest': 0.33, 'waist': 0.21},
    'dress': {'sleeves': 0.06, 'collar': 0.17, 'chest': 0.21, 'waist': 0.56},
}

#: Edit kinds of Table 1 (``sleeves`` names one or both sleeve regions in ``modified_regions``).
EDIT_KINDS = ('sleeves', 'collar', 'chest', 'waist')

#: DeepFashion2 categories the generator draws (upper body and dresses) and their default weights.
DEFAULT_CATEGORY_WEIGHTS = {
    1: 0.16, 2: 0.14, 3: 0.08, 4: 0.12, 5: 0.05, 6: 0.05,
    10: 0.12, 11: 0.10, 12: 0.10, 13: 0.08,
}


def _freeze(mapping: Mapping) -> Tuple:
    return tuple(sorted((k, _freeze(v) if isinstance(v, Mapping) else v)
                        for k, v in mapping.items()))


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """Settings of one synthetic data set (all but the seed, image size and output folder).

    Args:
        split_fractions: (train, val, test) shares of designs; designs never cross splits.
        num_identical: re-shots of the original per design (relation ``identical``).
        num_plagiarized: modified copies per design (relation ``plagiarized``).
        num_irrelevant: hard negatives per design (similar but different designs).
        two_region_prob: probability that a copy modifies a second region.
        region_frequencies: per PS-Net category, the share of each edit kind of
            :data:`EDIT_KINDS` for a copy's first edit (defaults to the paper's Table 1); a second
            edit is drawn from the same shares without the first. Sleeveless garments (vest,
            sling, vest and sling dresses) drop ``sleeves`` and renormalise.
        category_weights: DeepFashion2 category id -> sampling weight.
        real_texture_prob: probability that a fabric or print uses a real photo crop (when a
            texture folder is given).
        occlusion_prob: probability that a re-shot has an occluder (landmarks under it: v=1).
        scale_range: garment scale in the shot, relative to the flat render.
        max_rotation_deg: largest in-plane rotation of a shot.
        max_shift: largest shift of the garment centre, as a share of the image side.
        jpeg_quality: (min, max) JPEG quality of the written images.
        long_sleeve_angle: (min, max) angle of a long sleeve below the horizontal, degrees
            (90: hanging straight down, as in many flat-lay photos).
    """
    split_fractions: Tuple[float, float, float] = (0.7, 0.15, 0.15)
    num_identical: int = 1
    num_plagiarized: int = 2
    num_irrelevant: int = 2
    two_region_prob: float = 0.25
    region_frequencies: Tuple = _freeze(PAPER_TABLE1)
    category_weights: Tuple = _freeze(DEFAULT_CATEGORY_WEIGHTS)
    real_texture_prob: float = 0.35
    occlusion_prob: float = 0.25
    scale_range: Tuple[float, float] = (0.72, 1.0)
    max_rotation_deg: float = 12.0
    max_shift: float = 0.07
    jpeg_quality: Tuple[int, int] = (72, 95)
    long_sleeve_angle: Tuple[float, float] = LONG_SLEEVE_ANGLE

    def __post_init__(self) -> None:
        if isinstance(self.region_frequencies, Mapping):
            object.__setattr__(self, 'region_frequencies', _freeze(self.region_frequencies))
        if isinstance(self.category_weights, Mapping):
            object.__setattr__(self, 'category_weights', _freeze(self.category_weights))
        fr = tuple(self.split_fractions)
        if len(fr) != 3 or min(fr) < 0 or abs(sum(fr) - 1) > 1e-6:
            raise ValueError(f'split_fractions must be 3 shares >= 0 summing to 1, got {fr!r}')
        for name in ('num_identical', 'num_plagiarized', 'num_irrelevant'):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f'{name} must be an int >= 0, got {value!r}')
        lo, hi = self.long_sleeve_angle
        if not 0 <= lo <= hi <= 90:
            raise ValueError(f'long_sleeve_angle: expected 0 <= min <= max <= 90 degrees, got '
                             f'{self.long_sleeve_angle}')
        for name in ('two_region_prob', 'real_texture_prob', 'occlusion_prob'):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {value!r}')
        for cat, shares in self.frequencies().items():
            if set(shares) != set(EDIT_KINDS) or min(shares.values()) < 0 \
                    or sum(shares.values()) <= 0:
                raise ValueError(f'region_frequencies[{cat!r}] must give a share >= 0 to each '
                                 f'of {EDIT_KINDS}, got {shares!r}')
        for cid, weight in self.weights().items():
            if cid not in DEFAULT_CATEGORY_WEIGHTS or weight < 0:
                raise ValueError(f'category_weights: expected DeepFashion2 upper-body or dress '
                                 f'ids {sorted(DEFAULT_CATEGORY_WEIGHTS)} with weights >= 0, '
                                 f'got {cid!r}: {weight!r}')
        lo, hi = self.jpeg_quality
        if not 1 <= lo <= hi <= 100:
            raise ValueError(f'jpeg_quality must be (min, max) within 1-100, got '
                             f'{self.jpeg_quality!r}')

    def frequencies(self) -> Dict[str, Dict[str, float]]:
        """Region frequencies as a plain ``{category: {edit_kind: share}}`` dict."""
        return {cat: dict(shares) for cat, shares in self.region_frequencies}

    def weights(self) -> Dict[int, float]:
        """Category weights as a plain ``{df2_category_id: weight}`` dict."""
        return dict(self.category_weights)

    def to_dict(self) -> dict:
        """JSON-ready settings (what :func:`settings_hash` hashes); a setting added after the
        defaults were frozen (:data:`ADDED_SETTINGS`) is left out while it has its default, so
        the frozen hash of the default set stands."""
        out = dataclasses.asdict(self)
        for name in ADDED_SETTINGS:
            if getattr(self, name) == getattr(SyntheticConfig, name):
                del out[name]
        out['region_frequencies'] = self.frequencies()
        out['category_weights'] = {str(k): v for k, v in self.weights().items()}
        out['generator_version'] = GENERATOR_VERSION
        return out


#: settings added after the defaults were frozen (their defaults draw what the frozen set drew)
ADDED_SETTINGS = ('long_sleeve_angle', )


def settings_hash(config: SyntheticConfig) -> str:
    """First 16 hex digits of the SHA-256 of the settings (and the generator version).

    Example:
        >>> settings_hash(SyntheticConfig()) == settings_hash(SyntheticConfig())
        True
        >>> settings_hash(SyntheticConfig()) != settings_hash(SyntheticConfig(num_identical=2))
        True
    """
    text = json.dumps(config.to_dict(), sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
