"""Ensemble baseline (PS-Net paper, Table 2): N PS-Nets, their similarities averaged.

The paper's "Ensemble" row trains N = 3 PS-Nets with different learning rates and averages
their similarities. :class:`PSNetEnsembleRetriever` holds the trained members (each a full
:class:`~ps_net.models.retrievers.PSNetRetriever`, or a subclass, built from its model config
and loaded from its own checkpoint) and searches like one retriever:

* ``forward(mode='tensor')`` / :meth:`~PSNetEnsembleRetriever.extract_feat`: the members' flat
  vectors concatenated (``flat_sizes`` records each member's length), which is what the
  prototype (gallery) stores;
* :meth:`~PSNetEnsembleRetriever.scores`: the mean over members of each member's ``scores``
  (eq. 1 with its own region weights, or the Fashion Output cosine) on its slice.

It subclasses mmpretrain's ``ImageToImageRetriever`` for its gallery machinery (``prototype``
as a dataloader config, a tensor or a file, ``prepare_prototype``, ``dump_prototype``,
``_get_predictions``). Its ``image_encoder`` is the ``nn.ModuleList`` of the members (the
property ``members``), so checkpoint keys are ``image_encoder.<i>.<member key>``.

Test only: :meth:`loss` raises. Member checkpoints (``checkpoints``) are loaded strictly with
mmengine's ``CheckpointLoader`` by :meth:`~PSNetEnsembleRetriever.init_weights`, and in a
Runner by ``PSNetEnsembleCheckpointHook`` (``ps_net.engine.hooks``).
"""
import copy
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import torch
from mmpretrain.models.retrievers import ImageToImageRetriever
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from .ps_net import PSNetRetriever
from .score_matching import ScoreMatchingMixin


def _plain(cfg) -> dict:
    """A deep copy of a model config as a plain dict (``ConfigDict`` or ``dict``)."""
    return copy.deepcopy(cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg))


@MODELS.register_module()
class PSNetEnsembleRetriever(ScoreMatchingMixin, ImageToImageRetriever):
    """Mean of the similarities of several trained PS-Nets (PS-Net paper, Table 2).

    Args:
        members: model configs of the members, each a full ``PSNetRetriever`` (or subclass)
            model dict, e.g. a PS-Net config's ``model``. Each member's ``landmark_checkpoint``
            is dropped (its checkpoint holds the whole PS-Net, landmark branch included) and its
            ``prototype`` replaced by an empty tensor (the ensemble holds the gallery).
        prototype: the gallery, as ``ImageToImageRetriever`` (usually a dataloader config).
        checkpoints: one checkpoint path per member, loaded strictly into the members by
            :meth:`init_weights` (and by ``PSNetEnsembleCheckpointHook`` in a Runner), or
            None (the members keep their initialisation, e.g. for an ensemble checkpoint).
        data_preprocessor: None: the members' (which must then all be the same, since one
            preprocessed batch feeds every member).
        init_cfg: as mmengine's ``BaseModule``.
    """

    def __init__(self, members: Sequence[dict], prototype,
                 checkpoints: Optional[Sequence[str]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if not members:
            raise ValueError('PSNetEnsembleRetriever needs at least one member config')
        if checkpoints is not None and len(checkpoints) != len(members):
            raise ValueError(f'{len(members)} members but {len(checkpoints)} checkpoints: give '
                             f'one checkpoint per member')
        cfgs = [_plain(m) for m in members]
        if data_preprocessor is None:
            pre = [c.get('data_preprocessor') for c in cfgs]
            if any(p != pre[0] for p in pre[1:]):
                raise ValueError(f'the members have different data_preprocessor configs {pre}; '
                                 f'set the ensemble data_preprocessor explicitly')
            data_preprocessor = copy.deepcopy(pre[0])
        built = nn.ModuleList()
        for i, cfg in enumerate(cfgs):
            cfg.update(landmark_checkpoint=None, prototype=torch.zeros(0))
            member = MODELS.build(cfg)
            if not isinstance(member, PSNetRetriever):
                raise TypeError(f'member {i} must be a PSNetRetriever, got '
                                f'{type(member).__name__}')
            built.append(member)
        super().__init__(image_encoder=built, prototype=prototype,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.checkpoints = None if checkpoints is None else [str(c) for c in checkpoints]
        #: length of each member's flat vector (its slice of the ensemble's vector)
        self.flat_sizes = tuple(m.head.flat_dim for m in built)

    @property
    def members(self) -> nn.ModuleList:
        return self.image_encoder

    # ------------------------------------------------------------------ weights
    def init_weights(self) -> None:
        """Initialise, then load the member checkpoints (after, so that they win)."""
        super().init_weights()
        if self.checkpoints:
            self.load_member_checkpoints()

    def load_member_checkpoints(self, checkpoints: Optional[Sequence[str]] = None) -> None:
        """Load one checkpoint per member (``checkpoints`` or the configured ones), strictly.

        Raises:
            FileNotFoundError: a local checkpoint file is missing (the message names it).
            RuntimeError: a checkpoint does not fit its member's config (names the file).
        """
        from mmengine.runner import CheckpointLoader
        paths = self.checkpoints if checkpoints is None else [str(c) for c in checkpoints]
        if not paths or len(paths) != len(self.members):
            raise ValueError(f'need one checkpoint per member ({len(self.members)}), got '
                             f'{paths!r}')
        for i, (member, path) in enumerate(zip(self.members, paths)):
            if '://' not in path and not osp.isfile(path):
                raise FileNotFoundError(
                    f'PSNetEnsembleRetriever member {i}: checkpoint file {path!r} does not '
                    f'exist (train the member first, or set model.checkpoints)')
            ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
            state = ckpt.get('state_dict', ckpt)
            state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
            try:
                member.load_state_dict(state, strict=True)
            except RuntimeError as err:
                raise RuntimeError(f'PSNetEnsembleRetriever member {i}: checkpoint {path!r} '
                                   f'does not fit the member config: {err}') from err

    # ------------------------------------------------------------------ features
    def extract_feat(self, inputs: Tensor, data_samples=None) -> Tensor:
        """The members' flat vectors concatenated, ``(B, sum(flat_sizes))``."""
        vecs = [m.extract_feat(inputs, data_samples) for m in self.members]
        got = tuple(v.shape[1] for v in vecs)
        if got != self.flat_sizes:
            raise RuntimeError(f'member flat vectors have lengths {got}, expected '
                               f'{self.flat_sizes}')
        return torch.cat(vecs, 1)

    def split_members(self, vecs: Tensor) -> List[Tensor]:
        """Inverse of :meth:`extract_feat`: one slice per member."""
        if vecs.dim() != 2 or vecs.shape[1] != sum(self.flat_sizes):
            raise ValueError(f'ensemble vectors must be (N, {sum(self.flat_sizes)}) (members '
                             f'{self.flat_sizes}), got {tuple(vecs.shape)}')
        return list(vecs.split(self.flat_sizes, dim=1))

    # ------------------------------------------------------------------ matching
    def scores(self, query: Tensor, gallery: Tensor) -> Tensor:
        """``(Q, G)``: the mean over members of each member's ``scores`` on its slice."""
        per_member = [m.scores(q, g) for m, q, g in
                      zip(self.members, self.split_members(query), self.split_members(gallery))]
        return torch.stack(per_member).mean(0)

    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        raise NotImplementedError(
            'PSNetEnsembleRetriever is test only: train each member with its own config '
            '(e.g. tools/train.py configs/ps_net/psnet_hrnet-narrow_20e_synthetic-128.py '
            '--cfg-options optim_wrapper.optimizer.lr=...) and list the checkpoints')

