"""The engine's one error type for bad arguments: the exception names the argument that was wrong.

A caller that passes user input on (the web server, a notebook) reads ``exc.field`` instead of parsing the
message. The names are the engine's own: the parameter's name (``n``, ``noise``, ``layer``, ``weights``,
``batch_size``...), or for a list checked as a whole what the list is (``features``, ``points``). A caller
whose parameters are named differently translates them, by a table keyed by these names.
"""

from __future__ import annotations


class FieldError(ValueError):
    """A bad argument; ``field`` is the engine's name for it, ``str(exc)`` says what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class FieldIndexError(FieldError, IndexError):
    """An index or layer out of range: a FieldError that is still an IndexError for code catching that."""
