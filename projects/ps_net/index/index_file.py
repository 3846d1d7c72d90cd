"""The gallery index file: a checksummed container of JSON metadata and binary sections.

Layout (little-endian)::

    magic     8 bytes   b'PSNETIDX'
    version   uint32    FORMAT_VERSION
    length    uint64    number of bytes of the body
    sha256    32 bytes  of the body
    body      uint64 header length, the header (UTF-8 JSON), then the sections' bytes

The header holds the caller's metadata under ``meta`` and the table of sections under
``sections`` (name -> offset and size in the data after the header). Reading checks, in this
order, the magic, the version, the length and the checksum before it parses anything; JSON and
raw arrays of allow-listed dtypes are all it decodes (never a pickle).
"""
import hashlib
import json
import struct
from typing import Dict, Mapping, Tuple

import numpy as np

MAGIC = b'PSNETIDX'
FORMAT_VERSION = 1
_PREFIX = struct.Struct('<8sIQ32s')

#: dtypes a section may hold (anything else is refused on load).
ARRAY_DTYPES = ('<i8', '<i2', '<f4', '<f2', '|u1', '|b1')


class IndexLoadError(ValueError):
    """An index file that cannot be used; the subclass says why."""


class DamagedIndexError(IndexLoadError):
    """Not an index file, truncated, or its checksum does not match (a damaged copy)."""


class IndexVersionError(IndexLoadError):
    """Written in another format version than this code reads."""


class ModelFingerprintError(IndexLoadError):
    """Made by another embedding model than the caller expects."""


def encode_index_file(meta: dict, sections: Mapping[str, bytes]) -> bytes:
    """The bytes of an index file holding JSON ``meta`` and binary ``sections``."""
    table, offset = {}, 0
    for name, data in sections.items():
        table[name] = dict(offset=offset, nbytes=len(data))
        offset += len(data)
    header = json.dumps(dict(meta=meta, sections=table), allow_nan=False).encode('utf-8')
    body = b''.join([struct.pack('<Q', len(header)), header, *sections.values()])
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, len(body), hashlib.sha256(body).digest()) + body


def decode_index_file(data: bytes, source: str = 'index file'
                      ) -> Tuple[dict, Dict[str, memoryview]]:
    """``(meta, sections)`` of an index file's bytes, after every integrity check.

    Raises:
        DamagedIndexError: bad magic, truncated or over-long, checksum mismatch, bad header.
        IndexVersionError: another format version.
    """
    if len(data) < _PREFIX.size:
        raise DamagedIndexError(f'{source} is damaged: truncated ({len(data)} bytes, shorter '
                                f'than the {_PREFIX.size}-byte prefix)')
    magic, version, length, checksum = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise DamagedIndexError(f'{source} is not a ps_net gallery index (bad magic {magic!r})')
    if version != FORMAT_VERSION:
        raise IndexVersionError(f'{source} has index format version {version}; this code reads '
                                f'version {FORMAT_VERSION} (rebuild the index)')
    body = memoryview(data)[_PREFIX.size:]
    if len(body) != length:
        what = 'truncated' if len(body) < length else 'longer than written'
        raise DamagedIndexError(f'{source} is damaged: {what} ({len(body)} of {length} body '
                                f'bytes)')
    if hashlib.sha256(body).digest() != checksum:
        raise DamagedIndexError(f'{source} is damaged: sha256 checksum mismatch')
    try:
        (size, ) = struct.unpack_from('<Q', body)
        header = json.loads(bytes(body[8:8 + size]).decode('utf-8'))
        payload = body[8 + size:]
        sections = {name: payload[s['offset']:s['offset'] + s['nbytes']]
                    for name, s in header['sections'].items()}
        if any(len(sections[n]) != s['nbytes'] for n, s in header['sections'].items()):
            raise ValueError('a section runs past the end of the file')
        return header['meta'], sections
    except (ValueError, KeyError, TypeError, struct.error) as err:
        raise DamagedIndexError(f'{source} is damaged: unreadable header ({err})') from None


def array_section(array: np.ndarray) -> Tuple[bytes, dict]:
    """The bytes of an array and its ``dtype`` / ``shape`` description for the metadata."""
    array = np.ascontiguousarray(array)
    dtype = array.dtype.newbyteorder('<') if array.dtype.byteorder == '>' else array.dtype
    if dtype.str not in ARRAY_DTYPES:
        raise TypeError(f'arrays of dtype {dtype.str} are not stored in index files')
    return array.astype(dtype, copy=False).tobytes(), dict(dtype=dtype.str,
                                                           shape=list(array.shape))


def section_array(data: memoryview, spec: dict, name: str) -> np.ndarray:
    """A writable array from a section and its description, refusing unknown dtypes and a size
    that does not match the shape."""
    if spec.get('dtype') not in ARRAY_DTYPES:
        raise DamagedIndexError(f'section {name!r} has dtype {spec.get("dtype")!r}, not one of '
                                f'{ARRAY_DTYPES}')
    dtype, shape = np.dtype(spec['dtype']), tuple(int(s) for s in spec['shape'])
    if int(np.prod(shape)) * dtype.itemsize != len(data):
        raise DamagedIndexError(f'section {name!r} holds {len(data)} bytes, not a {shape} '
                                f'array of {dtype.str}')
    return np.frombuffer(data, dtype).reshape(shape).copy()
