"""Gallery matching and prediction for retrievers that define ``scores(query, gallery)``.

mmpretrain's ``ImageToImageRetriever.matching`` is a plain cosine of the prototype vectors;
PS-Net (eq. 1 on the flat region vectors) and its ensemble score with their own ``scores``.
This mixin gives both the same ``matching`` / ``predict`` on top of it.
"""
from torch import Tensor


class ScoreMatchingMixin:
    """``matching`` and ``predict`` through ``self.scores(query_vecs, gallery_vecs)``.

    Mix in before ``ImageToImageRetriever`` (whose prototype handling and ``_get_predictions``
    are used); ``scores`` returns a ``(Q, G)`` higher-is-better tensor.
    """

    def scores(self, query: Tensor, gallery: Tensor) -> Tensor:
        raise NotImplementedError

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
