"""The embedded synthetic garment data set (``tools/make_synthetic.py``).

Garments of every DeepFashion2 upper-body and dress category are drawn from random silhouettes
(:mod:`.garments`), fabrics (:mod:`.textures`, real crops of garment photos where available) and
prints (:mod:`.prints`); plagiarized copies change one or two regions (:mod:`.edits`) and every
image is re-shot like a photograph (:mod:`.reshoot`). :func:`generate_synthetic` writes the
Plagiarized Fashion and COCO files (:mod:`.writer`).
"""
import os
from pathlib import Path
from typing import Optional

from .config import (DEFAULT_CATEGORY_WEIGHTS, EDIT_KINDS, GENERATOR_VERSION, PAPER_TABLE1,
                     SyntheticConfig, settings_hash)
from .edits import apply_edits, edit_shares, sample_edit_kinds
from .writer import generate_synthetic


def default_texture_dir() -> Optional[str]:
    """``$PSNET_SHARED_DATA/clothing-small`` (default ``../shared/data`` beside the repository)
    when it exists, else None (procedural textures only)."""
    repo = Path(__file__).resolve().parents[4]
    root = Path(os.environ.get('PSNET_SHARED_DATA', repo.parent / 'shared' / 'data'))
    folder = root / 'clothing-small'
    return str(folder) if folder.is_dir() else None


__all__ = [
    'DEFAULT_CATEGORY_WEIGHTS', 'EDIT_KINDS', 'GENERATOR_VERSION', 'PAPER_TABLE1',
    'SyntheticConfig', 'settings_hash', 'apply_edits', 'edit_shares', 'sample_edit_kinds',
    'generate_synthetic', 'default_texture_dir'
]
