"""Losses of PS-Net's retrieval branch (region triplet, eq. 2-3; plagiarism loss, eq. 4-6) and
the triplet miners every triplet-trained model shares."""
from .info_nce import multiview_info_nce
from .miners import (REFERENCE_RELATIONS, copy_region_triplets, design_triplets,
                     plagiarism_triplets)
from .plagiarism import (Move, alpha_tri, coordinate_ascent_step, effective_weights,
                         normalise_weights, plagiarism_loss, weighted_triplet)
from .region_triplet import (PSNetRegionTripletLoss, combine_valid, region_distance_matrix,
                             region_distances, region_triplet_loss)
from .region_weight_fit import (fit_region_weights, plagiarism_triplet_distances,
                                region_weight_cycle)
from .triplet_hinge import triplet_hinge
from .triplet_loss import triplet_loss

__all__ = [
    'REFERENCE_RELATIONS', 'Move', 'PSNetRegionTripletLoss', 'alpha_tri', 'combine_valid',
    'coordinate_ascent_step', 'copy_region_triplets', 'design_triplets', 'effective_weights',
    'fit_region_weights', 'multiview_info_nce', 'normalise_weights', 'plagiarism_loss', 'plagiarism_triplet_distances',
    'plagiarism_triplets', 'region_distance_matrix', 'region_distances', 'region_triplet_loss',
    'region_weight_cycle', 'triplet_hinge', 'triplet_loss', 'weighted_triplet'
]
