"""Deployment: PS-Net's embedding model as two ONNX graphs cut at the region division
(``docs/deploy.md``), the export-time rewrites and the Python step between the graphs."""
from .embedding_graphs import PSNetBackboneGraph, PSNetRegionGraph
from .onnx_export import (METADATA_KEY, export_embedding_onnx, load_deploy_config,
                          max_abs_diff, partition_path, read_embedding_metadata, region_step)
from .region_decoder import FixedRegionLayout, RegionDecoder
from .rewriters import export_rewrites

__all__ = ['PSNetBackboneGraph', 'PSNetRegionGraph', 'RegionDecoder', 'FixedRegionLayout',
           'export_rewrites', 'METADATA_KEY', 'export_embedding_onnx', 'load_deploy_config',
           'max_abs_diff', 'partition_path', 'read_embedding_metadata', 'region_step']
