"""The Milvus backend: one Milvus collection per vector set, searched by inner product.

A local file URI (``'catalogue.db'``) runs milvus-lite in this process (tests, one machine); an
``http://host:19530`` URI talks to a Milvus standalone or cluster with the same calls
(``pymilvus.MilvusClient``). The gallery index keeps the query weighting of eq. 1, the exact
re-rank and the merging (:class:`~ps_net.index.GalleryIndex`); this backend only stores
vectors and returns candidates, like :class:`~ps_net.index.backends.FaissBackend`.
"""
import json
import os
import uuid
from typing import Dict, Optional, Tuple

import numpy as np

from .base import VectorBackend

#: Most candidates Milvus returns per query (its ``topk`` limit).
MAX_TOPK = 16384

#: Index types whose search scans every vector (exact inner products); any other type gives
#: a shortlist that the gallery index re-ranks exactly.
EXACT_INDEX_TYPES = ('FLAT', 'BRUTE_FORCE')

#: Rows per insert call and queries per search call (Milvus caps a request's size).
INSERT_BATCH = 4096
SEARCH_BATCH = 256

_ID, _VEC = 'id', 'vec'
_clients: Dict[Tuple[str, str], object] = {}


def _uri(uri: str) -> str:
    """A local milvus-lite file as an absolute path (the index file may be read from
    elsewhere); a server URI as given."""
    if '://' in uri or not uri.endswith('.db'):
        if '://' not in uri:
            raise ValueError(f'Milvus URI {uri!r}: a local milvus-lite file must end in .db, a '
                             f'server URI looks like http://host:19530')
        return uri
    return os.path.abspath(uri)


def milvus_client(uri: str, db_name: str = '', token_env: str = 'MILVUS_TOKEN'):
    """One shared ``MilvusClient`` per URI and database (a token, if any, is read from the
    environment variable ``token_env``: it is never written to an index file).

    Raises:
        ImportError: pymilvus (or milvus-lite for a file URI) is not installed.
        ConnectionError: the server cannot be reached or the file cannot be opened.
    """
    key = (uri, db_name)
    if key not in _clients:
        try:
            from pymilvus import MilvusClient
        except ImportError as err:
            raise ImportError('the Milvus backend needs pymilvus (and milvus-lite for a local '
                              '.db file): requirements/deploy.txt') from err
        try:
            _clients[key] = MilvusClient(uri=uri, db_name=db_name,
                                         token=os.environ.get(token_env, ''))
        except ImportError:
            raise
        except Exception as err:  # noqa: BLE001  (pymilvus raises its own exception types)
            cause = f' (caused by {type(err.__cause__).__name__}: {err.__cause__})' \
                if err.__cause__ is not None else ''
            raise ConnectionError(f'cannot open Milvus at {uri}: {err}{cause}') from err
    return _clients[key]


class MilvusBackend(VectorBackend):
    """Vectors in a Milvus collection (int64 primary key ``id``, float vector ``vec``,
    metric ``IP``), created on the first :meth:`add`.

    Every vector set of a gallery index (one per region-validity pattern) is its own
    collection ``<collection_prefix>_<32 hex>``; the index file records the collection names
    and counts (:meth:`state`), the vectors stay in Milvus. An empty template creates nothing.

    Args:
        dim: Vector dimension.
        uri: ``'path/catalogue.db'`` (milvus-lite in process; stored as an absolute path) or a
            server URI such as ``'http://milvus:19530'``.
        index_type: Milvus vector index: ``'FLAT'`` (exact, the default; milvus-lite builds
            FLAT, IVF_FLAT, IVF_SQ8, HNSW), or on a server ``'HNSW'``, ``'IVF_PQ'``,
            ``'IVF_SQ8'``, ``'DISKANN'``, ``'GPU_CAGRA'`` (approximate: the gallery index
            re-ranks a shortlist exactly).
        index_params: The index's build parameters, e.g. ``dict(M=32, efConstruction=256)``
            (HNSW) or ``dict(nlist=4096, m=64, nbits=8)`` (IVF_PQ).
        search_params: Search parameters, e.g. ``dict(ef=256)`` or ``dict(nprobe=32)``.
        db_name: Milvus database ('' is the default one).
        collection_prefix: Prefix of the collection names.
        consistency_level: Milvus consistency of searches; ``'Strong'`` (default) sees every
            write that returned before the search.
        token_env: Environment variable holding the server token (``user:password``), if any.
        collection: The collection of this vector set (set by :meth:`restore`).
        gpu: Ignored (a Milvus server chooses its own devices).
    """

    type_name = 'milvus'

    def __init__(self, dim: int, uri: str, index_type: str = 'FLAT',
                 index_params: Optional[dict] = None, search_params: Optional[dict] = None,
                 db_name: str = '', collection_prefix: str = 'psnet',
                 consistency_level: str = 'Strong', token_env: str = 'MILVUS_TOKEN',
                 collection: Optional[str] = None, gpu: Optional[bool] = None):
        super().__init__(dim)
        self.uri = _uri(str(uri))
        self.index_type = str(index_type).upper()
        self.index_params = dict(index_params or {})
        self.search_params = dict(search_params or {})
        self.db_name = db_name
        self.collection_prefix = collection_prefix
        self.consistency_level = consistency_level
        self.token_env = token_env
        self.exact = self.index_type in EXACT_INDEX_TYPES
        self.collection = collection
        self._count = 0
        self._client = milvus_client(self.uri, db_name, token_env)
        if collection is not None:
            if not self._client.has_collection(collection):
                raise ValueError(f'Milvus at {self.uri} has no collection {collection!r} '
                                 f'(dropped, or another server / database)')
            self._client.load_collection(collection)
            rows = self._client.query(collection, filter='', output_fields=['count(*)'],
                                      consistency_level=consistency_level)
            self._count = int(rows[0]['count(*)'])

    def _create(self) -> None:
        from pymilvus import DataType
        client = self._client
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(_ID, DataType.INT64, is_primary=True)
        schema.add_field(_VEC, DataType.FLOAT_VECTOR, dim=self.dim)
        params = client.prepare_index_params()
        params.add_index(field_name=_VEC, index_type=self.index_type, metric_type='IP',
                         params=self.index_params)
        name = f'{self.collection_prefix}_{uuid.uuid4().hex}'
        client.create_collection(name, schema=schema, index_params=params,
                                 consistency_level=self.consistency_level)
        self.collection = name

    @property
    def needs_training(self) -> bool:
        return False  # Milvus trains its quantisers itself when it builds an index

    def train(self, vecs: np.ndarray) -> None:
        """Nothing to do: Milvus fits IVF / PQ quantisers on the stored vectors."""

    def add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        if self.collection is None:
            self._create()
        ids = np.ascontiguousarray(ids, np.int64)
        vecs = np.ascontiguousarray(vecs, np.float32)
        for s in range(0, len(ids), INSERT_BATCH):
            rows = [{_ID: int(i), _VEC: v} for i, v in
                    zip(ids[s:s + INSERT_BATCH].tolist(), vecs[s:s + INSERT_BATCH])]
            self._client.insert(self.collection, rows)
        self._count += len(ids)

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, np.int64).tolist()
        for s in range(0, len(ids), INSERT_BATCH):
            self._client.delete(self.collection, ids=ids[s:s + INSERT_BATCH])
        self._count -= len(ids)

    def search(self, queries: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, np.float32)
        nq, k = len(queries), max(int(k), 0)
        scores = np.full((nq, k), -np.inf, np.float32)
        ids = np.full((nq, k), -1, np.int64)
        if not len(self) or not k or not nq:
            return scores, ids
        if k > MAX_TOPK:
            raise ValueError(f'Milvus returns at most {MAX_TOPK} candidates per query, asked '
                             f'for {k} (lower topk / shortlist)')
        params = dict(metric_type='IP', params=self.search_params)
        for s in range(0, nq, SEARCH_BATCH):
            batch = self._client.search(self.collection, data=list(queries[s:s + SEARCH_BATCH]),
                                        limit=k, anns_field=_VEC, search_params=params,
                                        output_fields=[],
                                        consistency_level=self.consistency_level)
            for q, hits in enumerate(batch, start=s):
                for j, hit in enumerate(hits):
                    ids[q, j] = hit['id']
                    scores[q, j] = hit['distance']
        return scores, ids

    def __len__(self) -> int:
        return self._count

    def empty_like(self) -> 'MilvusBackend':
        if len(self):
            raise ValueError('empty_like needs an empty vector set (the template)')
        return MilvusBackend(self.dim, **self._settings())

    def release(self) -> None:
        """Drop this set's collection (the gallery index no longer refers to it)."""
        if self.collection is not None and self._client.has_collection(self.collection):
            self._client.drop_collection(self.collection)
        self.collection, self._count = None, 0

    def _settings(self) -> dict:
        return dict(uri=self.uri, index_type=self.index_type, index_params=self.index_params,
                    search_params=self.search_params, db_name=self.db_name,
                    collection_prefix=self.collection_prefix,
                    consistency_level=self.consistency_level, token_env=self.token_env)

    def config(self) -> dict:
        return dict(type=self.type_name, **self._settings())

    def state(self) -> bytes:
        """``{"collection": name}`` as JSON (empty for a template that holds no collection)."""
        if self.collection is None:
            return b''
        return json.dumps(dict(collection=self.collection)).encode('utf-8')

    @classmethod
    def restore(cls, dim: int, config: dict, state: bytes,
                gpu: Optional[bool] = None) -> 'MilvusBackend':
        settings = {k: v for k, v in config.items() if k != 'type'}
        collection = json.loads(bytes(state).decode('utf-8'))['collection'] if state else None
        return cls(dim, collection=collection, **settings)

