"""MLP Playground: a NumPy multilayer-perceptron engine streamed to the browser over WebSockets."""

__version__ = "0.1.0"
