"""The NumPy engine of MLP Playground: networks, hidden units, losses, optimizers, data, grids, regions.

Pure NumPy; imports nothing from the web side, so it can be used from a notebook. See docs/python-api.md.
"""

from .activations import ACTIVATIONS, GROUPS, Activation, get_activation
from .csvdata import CsvError, ImportedData, parse_csv
from .datasets import DATASETS, Dataset, DatasetSpec, make_dataset, split
from .features import FEATURES, feature_map, is_identity, validate_features
from .folding import Folded, fold
from .grid import GridEvaluator, GridResult, thumbnails
from .history import History
from .landscape import LossSlice, landscape
from .lockstep import FollowOrder, Lockstep
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
from .trainstate import OrderSource, TrainerState

__all__ = ["ACTIVATIONS", "DATASETS", "FEATURES", "GROUPS", "OPTIMIZERS", "PAIRS", "Activation",
           "CsvError", "Dataset", "DatasetSpec", "Folded", "FollowOrder", "Forward", "Gradients",
           "GridEvaluator", "GridResult", "History", "ImportedData", "Lockstep", "LossSlice", "Network",
           "OrderSource", "OutputPair",
           "PolygonsUnavailable", "RegionInfo", "RegionPolygons", "RegionTracker", "Trainer",
           "TrainerState", "feature_map", "fold", "get_activation", "get_pair", "is_identity", "landscape",
           "make_dataset", "make_optimizer", "parse_csv", "region_count", "region_map", "region_polygons",
           "split", "theoretical_bound", "thumbnails", "upper_bound", "validate_features"]
