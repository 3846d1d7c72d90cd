"""The Clothing Co-Parsing (CCP) label -> DeepFashion2 category table.

:data:`CCP_TO_DF2` is used by :mod:`ps_net.datasets.ccp`. CCP's ``label_list.mat`` numbers its 59 labels from 0 (``0 null``,
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
from typing import Dict, Tuple

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
