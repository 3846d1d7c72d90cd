"""The DeepFashion2 categories and the four PS-Net categories they map to.

DeepFashion2 has 13 categories; PS-Net searches four (its paper's T-shirts, Tops, Outwear and
Dress), keyed everywhere (region weights, metrics, tables) by the Plagiarized Fashion strings
``short_sleeved_top``, ``long_sleeved_top``, ``outwear`` and ``dress``.

=====  ======================  =====================  =======================================
 id     DeepFashion2 name       PS-Net category        note
=====  ======================  =====================  =======================================
  1     short_sleeved_shirt     short_sleeved_top      the paper's T-shirts
  2     long_sleeved_shirt      long_sleeved_top       the paper's Tops
  3     short_sleeved_outwear   outwear
  4     long_sleeved_outwear    outwear
  5     vest                    short_sleeved_top      no sleeve regions
  6     sling                   short_sleeved_top      no sleeve regions
  7     shorts                  (not searched)         lower body: detected and reported only
  8     trousers                (not searched)         lower body
  9     skirt                   (not searched)         lower body
 10     short_sleeved_dress     dress
 11     long_sleeved_dress      dress
 12     vest_dress              dress                  no sleeve regions
 13     sling_dress             dress                  no sleeve regions
=====  ======================  =====================  =======================================
"""
from typing import Optional

#: DeepFashion2 category id -> name, as in the official DeepFashion2-to-COCO conversion.
DF2_CATEGORIES = {
    1: 'short_sleeved_shirt',
    2: 'long_sleeved_shirt',
    3: 'short_sleeved_outwear',
    4: 'long_sleeved_outwear',
    5: 'vest',
    6: 'sling',
    7: 'shorts',
    8: 'trousers',
    9: 'skirt',
    10: 'short_sleeved_dress',
    11: 'long_sleeved_dress',
    12: 'vest_dress',
    13: 'sling_dress',
}

#: The four PS-Net categories, in the order of the region-weight table rows.
PSNET_CATEGORIES = ('short_sleeved_top', 'long_sleeved_top', 'outwear', 'dress')

#: DeepFashion2 category id -> PS-Net category (None: not searched for plagiarism).
DF2_TO_PSNET = {
    1: 'short_sleeved_top',
    2: 'long_sleeved_top',
    3: 'outwear',
    4: 'outwear',
    5: 'short_sleeved_top',
    6: 'short_sleeved_top',
    7: None,
    8: None,
    9: None,
    10: 'dress',
    11: 'dress',
    12: 'dress',
    13: 'dress',
}

#: DeepFashion2 categories without sleeves (their sleeve regions are absent).
DF2_SLEEVELESS = frozenset({5, 6, 12, 13})

#: DeepFashion2 upper-body and dress categories (the ones PS-Net searches).
DF2_SEARCHED = tuple(cid for cid, cat in DF2_TO_PSNET.items() if cat is not None)


def df2_to_psnet(category_id: int) -> Optional[str]:
    """Map a DeepFashion2 category id to its PS-Net category.

    Args:
        category_id: DeepFashion2 category id, 1-13.

    Returns:
        The PS-Net category string, or None for lower-body garments (shorts, trousers,
        skirt), which are detected and reported but not searched for plagiarism.

    Raises:
        ValueError: if ``category_id`` is not a DeepFashion2 category id.
    """
    if category_id not in DF2_TO_PSNET:
        raise ValueError(f'DeepFashion2 category_id must be 1-13, got {category_id!r}')
    return DF2_TO_PSNET[category_id]
