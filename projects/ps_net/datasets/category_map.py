"""Category tables shared by the readers, the synthetic generator and the metrics.

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

Clothing Co-Parsing (CCP) garments -> DeepFashion2 (:data:`CCP_TO_DF2`, used by
:mod:`ps_net.datasets.ccp`). CCP's ``label_list.mat`` numbers its 59 labels from 0 (``0 null``,
``41 skin``, ``19 hair``). CCP does not annotate sleeve length, so a top or dress goes to the
DeepFashion2 sleeve variant named below; the choice is a convention, not a measurement.

=====  ============  =====  ======================  ============================================
 CCP    CCP label     id     DeepFashion2 name       reason
=====  ============  =====  ======================  ============================================
 51     t-shirt        1     short_sleeved_shirt
  5     blouse         2     long_sleeved_shirt      sleeve length not annotated: long by default
 22     hoodie         2     long_sleeved_shirt
 26     jumper         2     long_sleeved_shirt      a pullover (British "jumper")
 38     shirt          2     long_sleeved_shirt      sleeve length not annotated: long by default
 48     sweater        2     long_sleeved_shirt
 49     sweatshirt     2     long_sleeved_shirt
 54     top            2     long_sleeved_shirt      sleeve length not annotated: long by default
  4     blazer         4     long_sleeved_outwear
 10     cape           4     long_sleeved_outwear    an outer layer; DeepFashion2 has no cape
 11     cardigan       4     long_sleeved_outwear    open-front outer layer (DF2 outwear)
 13     coat           4     long_sleeved_outwear
 24     jacket         4     long_sleeved_outwear
 46     suit           4     long_sleeved_outwear    CCP marks only the suit jacket: 58 of the
                                                     61 suit photos in 0001-0700 label the
                                                     trousers/skirt separately
 55     vest           5     vest
 40     shorts         7     shorts
 25     jeans          8     trousers
 27     leggings       8     trousers                worn as trousers
 31     pants          8     trousers
 42     skirt          9     skirt
 14     dress         10     short_sleeved_dress     sleeve length not annotated; the short
                                                     variant by convention (one DF2 id per label)
=====  ============  =====  ======================  ============================================

Not mapped (:data:`CCP_IGNORED`): ``null``, ``skin``, ``hair``; accessories and bags
(``accessories``, ``bag``, ``belt``, ``bracelet``, ``earrings``, ``glasses``, ``gloves``,
``hat``, ``necklace``, ``purse``, ``ring``, ``scarf``, ``sunglasses``, ``tie``, ``wallet``,
``watch``); footwear (``boots``, ``clogs``, ``flats``, ``heels``, ``loafers``, ``pumps``,
``sandals``, ``shoes``, ``sneakers``, ``wedges``); hosiery (``socks``, ``stockings``,
``tights``); underwear and swimwear (``bra``, ``intimate``, ``panties``, ``swimwear``); and the
one-pieces ``bodysuit`` and ``romper``, which have no DeepFashion2 category and which CCP uses
inconsistently (the whole jumpsuit in some photos, only its top or bottom half in others).
"""
from typing import Optional
from typing import Dict, Tuple

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


#: Clothing Co-Parsing garment label name -> nearest DeepFashion2 category id (see the table
#: in the module docstring). Names are those of CCP's ``label_list.mat``.
CCP_TO_DF2: Dict[str, int] = {
    't-shirt': 1,
    'blouse': 2,
    'hoodie': 2,
    'jumper': 2,
    'shirt': 2,
    'sweater': 2,
    'sweatshirt': 2,
    'top': 2,
    'blazer': 4,
    'cape': 4,
    'cardigan': 4,
    'coat': 4,
    'jacket': 4,
    'suit': 4,
    'vest': 5,
    'shorts': 7,
    'jeans': 8,
    'leggings': 8,
    'pants': 8,
    'skirt': 9,
    'dress': 10,
}

#: The Clothing Co-Parsing labels that map to no DeepFashion2 category (with
#: :data:`CCP_TO_DF2`, all 59 CCP labels).
CCP_IGNORED: Tuple[str, ...] = (
    'null', 'skin', 'hair',
    'accessories', 'bag', 'belt', 'bracelet', 'earrings', 'glasses', 'gloves', 'hat',
    'necklace', 'purse', 'ring', 'scarf', 'sunglasses', 'tie', 'wallet', 'watch',
    'boots', 'clogs', 'flats', 'heels', 'loafers', 'pumps', 'sandals', 'shoes', 'sneakers',
    'wedges',
    'socks', 'stockings', 'tights',
    'bra', 'intimate', 'panties', 'swimwear',
    'bodysuit', 'romper',
)
