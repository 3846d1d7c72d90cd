"""PSNetDesignSampler: P x K batches (P designs, K images of each) for triplet training.

Every batch holds ``num_designs`` (P) designs with ``per_design`` (K) images each, drawn among
the entries whose relation is in ``relations`` (``original`` + ``identical`` for the pre-train
phase: every anchor then has a positive of the same design; add ``plagiarized`` for the
region-weight phase), so ``batch_size`` must be P x K. Designs with fewer than K such images
are sampled with replacement. Deterministic given the seed and the epoch (``set_epoch``).
"""
from typing import Iterator, Optional, Sequence

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


@DATA_SAMPLERS.register_module()
class PSNetDesignSampler(Sampler):
    """P x K design sampler over a ``PlagiarizedFashionDataset``.

    Args:
        dataset: the dataset (its ``data_info`` must have ``design_id`` and ``relation``).
        num_designs: P, designs per batch.
        per_design: K, images per design.
        relations: relations eligible for batches.
        seed: random seed (synchronised across ranks when None).
    """

    def __init__(self, dataset, num_designs: int = 8, per_design: int = 2,
                 relations: Sequence[str] = ('original', 'identical'),
                 seed: Optional[int] = None) -> None:
        if num_designs < 2 or per_design < 2:
            raise ValueError(f'num_designs and per_design must be >= 2 (triplets need a '
                             f'positive and a negative), got {num_designs!r}, {per_design!r}')
        self.dataset = dataset
        self.p, self.k = num_designs, per_design
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        groups = {}
        for idx in range(len(dataset)):
            info = dataset.get_data_info(idx)
            if info['relation'] in relations:
                groups.setdefault(int(info['design_id']), []).append(idx)
        self.groups = {d: v for d, v in sorted(groups.items()) if len(v) >= 1}
        if len(self.groups) < num_designs:
            raise ValueError(f'need at least num_designs={num_designs} designs with relations '
                             f'{tuple(relations)}, found {len(self.groups)}')
        self.num_batches = len(self.groups) // self.p // self.world_size

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng([self.seed, self.epoch])
        designs = rng.permutation(list(self.groups))
        out = []
        for b in range(self.num_batches * self.world_size):
            if b % self.world_size != self.rank:
                continue
            for d in designs[b * self.p:(b + 1) * self.p]:
                members = self.groups[int(d)]
                out += rng.choice(members, self.k, replace=len(members) < self.k).tolist()
        return iter(out)

    def __len__(self) -> int:
        return self.num_batches * self.p * self.k

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
