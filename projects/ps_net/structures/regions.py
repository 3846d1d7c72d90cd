"""The five PS-Net regions, in the order of every region tensor, weight row and file.

Names are those of the Plagiarized Fashion format, by the wearer's left and right (the wearer's
right sleeve is on the image left).
"""

#: Region order of every region tensor, region-weight column and ``modified_regions`` list.
REGIONS = ('left_sleeve', 'right_sleeve', 'collar', 'chest', 'waist')

#: The two sleeve names that together count as one edit (a copy may then list three names).
SLEEVE_PAIR = ('left_sleeve', 'right_sleeve')
