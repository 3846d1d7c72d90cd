"""Hooks (the region-weight coordinate-ascent hook of PS-Net)."""
