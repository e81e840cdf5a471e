"""The NumPy engine of MLP Playground: networks, hidden units, losses, optimizers, data, grids, regions.

Pure NumPy; imports nothing from the web side, so it can be used from a notebook. See docs/python-api.md.
"""

from .activations import ACTIVATIONS, GROUPS, get_activation
from .network import Forward, Gradients, Network
from .outputs import PAIRS

__all__ = ["ACTIVATIONS", "GROUPS", "PAIRS", "Forward", "Gradients", "Network", "get_activation"]
