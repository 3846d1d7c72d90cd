"""Losses of PS-Net's retrieval branch: region triplet (eq. 2-3), plagiarism loss (eq. 4-6),
and the region triplets of plagiarized copies (a pre-train extension)."""
from .copy_triplets import copy_region_triplets
from .plagiarism import (Move, alpha_tri, coordinate_ascent_step, effective_weights,
                         normalise_weights, plagiarism_loss, weighted_triplet)
from .region_triplet import (PSNetRegionTripletLoss, combine_valid, region_distance_matrix,
                             region_distances, region_triplet_loss)

__all__ = ['Move', 'PSNetRegionTripletLoss', 'alpha_tri', 'combine_valid',
           'coordinate_ascent_step', 'copy_region_triplets', 'effective_weights',
           'normalise_weights', 'plagiarism_loss', 'region_distance_matrix', 'region_distances',
           'region_triplet_loss', 'weighted_triplet']
