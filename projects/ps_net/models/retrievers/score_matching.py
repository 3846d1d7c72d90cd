"""Forward, gallery matching and prediction for retrievers with their own ``scores``.

mmpretrain's ``ImageToImageRetriever.matching`` is a plain cosine of the prototype vectors, and
its ``forward(mode='tensor')`` drops the data samples; PS-Net (eq. 1 on the flat region vectors,
whose category comes from the data samples) and its ensemble need both. This mixin gives them
one ``forward`` / ``matching`` / ``predict``.
"""
from torch import Tensor


class ScoreMatchingMixin:
    """``forward``, ``matching`` and ``predict`` through ``self.scores(query, gallery)``.

    Mix in before ``ImageToImageRetriever`` (whose prototype handling and ``_get_predictions``
    are used); ``scores`` returns a ``(Q, G)`` higher-is-better tensor.
    """

    def scores(self, query: Tensor, gallery: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        """``'tensor'``: flat vectors (data samples passed on), ``'loss'``, ``'predict'``."""
        if mode == 'tensor':
            return self.extract_feat(inputs, data_samples)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def matching(self, inputs: Tensor) -> dict:
        """Scores of query vectors against the prototype (gallery), sorted per query."""
        import torch
        sim = self.scores(inputs, self.prototype_vecs)
        sorted_sim, indices = torch.sort(sim, descending=True, dim=-1)
        return dict(score=sim, pred_label=indices, pred_score=sorted_sim)

    def predict(self, inputs: Tensor, data_samples=None, **kwargs):
        """Rank the gallery for each input image (``pred_score`` in gallery order)."""
        if not self.prototype_inited:
            self.prepare_prototype()
        return self._get_predictions(self.matching(self.extract_feat(inputs, data_samples)),
                                     data_samples)
