"""Which photo classes become designs of which PS-Net category, and which are distractors.

For ``clothing-small`` (``<images>/<class>/*.jpg``):

=============  ==================  ==================================================
class          role                PS-Net category (``category`` of its entries)
=============  ==================  ==================================================
t-shirt        design              short_sleeved_top (the paper's T-shirts)
shirt          design              long_sleeved_top (the paper's Tops)
longsleeve     design              long_sleeved_top
outwear        design              outwear
dress          design              dress
pants          distractor          dress
shorts         distractor          dress
skirt          distractor          dress
hat            distractor          short_sleeved_top
shoes          distractor          short_sleeved_top
=============  ==================  ==================================================

A design photo becomes a query (its original) with its re-shot and edited copies in the
gallery. A distractor photo is a gallery garment of its own design (relation ``original``,
no query): it is never a positive of any query. Its ``category`` only chooses which landmark
layout a network decodes for it (eq. 1 weights by the query's category), as in
``tools/analysis_tools/distractor_benchmark.py``: lower-body garments are given ``dress``
(the category with the waist region), hats and shoes ``short_sleeved_top``. Design photos
left over when ``per_category`` caps a category are distractors of their own category.
Folders of any other name are not read.
"""
from typing import Dict

#: Photo class -> PS-Net category of the designs made from it.
DESIGN_CLASSES: Dict[str, str] = {
    't-shirt': 'short_sleeved_top',
    'shirt': 'long_sleeved_top',
    'longsleeve': 'long_sleeved_top',
    'outwear': 'outwear',
    'dress': 'dress',
}

#: Photo class -> PS-Net category written on its distractor entries.
DISTRACTOR_CLASSES: Dict[str, str] = {
    'pants': 'dress',
    'shorts': 'dress',
    'skirt': 'dress',
    'hat': 'short_sleeved_top',
    'shoes': 'short_sleeved_top',
}

#: Every class read, and the category of its entries.
PHOTO_CLASSES: Dict[str, str] = {**DESIGN_CLASSES, **DISTRACTOR_CLASSES}
