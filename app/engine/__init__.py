"""The NumPy engine of MLP Playground: networks, hidden units, losses, optimizers, data, grids, regions.

Pure NumPy; imports nothing from the web side, so it can be used from a notebook. See docs/python-api.md.
"""

from .activations import ACTIVATIONS, GROUPS, Activation, get_activation
from .datasets import DATASETS, Dataset, DatasetSpec, make_dataset, split
from .features import FEATURES, feature_map, is_identity, validate_features
from .grid import GridEvaluator, GridResult, thumbnails
from .network import Forward, Gradients, Network
from .optimizers import OPTIMIZERS, make_optimizer
from .outputs import PAIRS, OutputPair, get_pair
from .regions import (
    PolygonsUnavailable,
    RegionInfo,
    RegionPolygons,
    RegionTracker,
    region_count,
    region_map,
    region_polygons,
    theoretical_bound,
    upper_bound,
)
from .training import Trainer

__all__ = ["ACTIVATIONS", "DATASETS", "FEATURES", "GROUPS", "OPTIMIZERS", "PAIRS", "Activation", "Dataset",
           "DatasetSpec", "Forward", "Gradients", "GridEvaluator", "GridResult", "Network", "OutputPair",
           "PolygonsUnavailable", "RegionInfo", "RegionPolygons", "RegionTracker", "Trainer", "feature_map",
           "get_activation", "get_pair", "is_identity", "make_dataset", "make_optimizer", "region_count",
           "region_map", "region_polygons", "split", "theoretical_bound", "thumbnails", "upper_bound",
           "validate_features"]
