"""The gallery index: a catalogue's garments, searched by PS-Net's eq. 1.

A :class:`GalleryIndex` stores, per gallery garment, its five L2-normalised region features
(the regions of ``ps_net.structures.REGIONS``, dimension D), an int64 id of the caller's, the
image path, the garment box, the category (a row of the region-weight table lambda) and which
regions it has. ``search`` returns, per query, the top-K garments by eq. 1
(``s = sum_r lambda_r cos(f_r, g_r)`` with the query category's lambda renormalised over the
regions both garments have), each hit with its score and the five per-region cosines.

How the search stays exact: the query's features are scaled by its lambda row and searched by
inner product against the garments' concatenated features, once per region-validity pattern
of the gallery, with the weights renormalised for that pattern; candidates are re-scored by
eq. 1 on the exact vectors and merged (ties by id). With faiss ``Flat`` this is the brute-force
top-K; IVF-PQ and HNSW (``factory=``) give a shortlist that is then re-ranked exactly.

Vectors live behind a small backend interface (:class:`~ps_net.index.backends.VectorBackend`;
:class:`~ps_net.index.backends.FaissBackend` in process,
:class:`~ps_net.index.backends.MilvusBackend` on milvus-lite or a Milvus server), with the same
search logic for both. ``save`` writes one atomic, checksummed, versioned file of JSON metadata
and raw arrays (no pickle), with the embedding model's :func:`model_fingerprint` and the
region-weight table; ``load`` refuses a damaged file, another format version, and (given the
expected fingerprint) an index of another model. Usage and the file format:
``docs/gallery_index.md``.

This package imports only ``ps_net.structures`` and ``ps_net.utils`` of ps_net.
"""
from .backends import BackendCannotRemove, FaissBackend, MilvusBackend, VectorBackend
from .fingerprint import model_fingerprint
from .flat_layout import split_flat
from .gallery_index import GalleryIndex
from .index_file import (FORMAT_VERSION, DamagedIndexError, IndexLoadError, IndexVersionError,
                         ModelFingerprintError)
from .index_hit import IndexHit

__all__ = [
    'BackendCannotRemove', 'FaissBackend', 'MilvusBackend', 'VectorBackend', 'model_fingerprint',
    'split_flat', 'GalleryIndex', 'FORMAT_VERSION', 'DamagedIndexError', 'IndexLoadError',
    'IndexVersionError', 'ModelFingerprintError', 'IndexHit'
]
