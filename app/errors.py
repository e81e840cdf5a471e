"""What a client is told when its request fails on bad input: one table from exception type to error code.

The field comes from the exception, never from its text: ``FieldError`` and ``ConfigError`` carry it,
pydantic's ``ValidationError`` gives its location. An exception that names nothing (or names an argument the
client's message does not have, e.g. a companion network's ``sizes`` inside a lecture panel) is reported on
the message's own field that carried the input (``fallback``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import ValidationError

from app import protocol as p
from app.config import ConfigError, describe_validation_error
from app.engine.errors import FieldError

# The first row whose type matches wins: a subclass comes before its base (ConfigError and FieldError are
# ValueErrors). KeyError is what scenes.get_scene raises for a name no scene has: the only lookup by a name
# a client chose that a session method makes.
CODES: tuple[tuple[type[Exception], str], ...] = (
    (ValidationError, p.E_INVALID_CONFIG),
    (ConfigError, p.E_INVALID_CONFIG),
    (KeyError, p.E_UNKNOWN_SCENE),
    (FieldError, p.E_INVALID_VALUE),
    (ValueError, p.E_INVALID_VALUE),
    (IndexError, p.E_INVALID_VALUE),
    (TypeError, p.E_INVALID_VALUE),
)
# What the handlers catch as the client's fault; anything else is the server's (an internal error).
BAD_INPUT: tuple[type[Exception], ...] = tuple(kind for kind, _ in CODES)


def code_of(exc: Exception) -> str:
    """The error code of ``exc`` (one of ``BAD_INPUT``), by the first matching row of ``CODES``."""
    for kind, code in CODES:
        if isinstance(exc, kind):
            return code
    raise TypeError(f"{type(exc).__name__} is not bad input: the error table has no code for it")


def error_for(exc: Exception, fallback: str | None = None,
              fields: Collection[str] | None = None) -> dict[str, Any]:
    """The ``error`` message for ``exc``, a session method's refusal of bad input.

    ``fallback`` is the field reported when the exception names none; ``fields`` (the client message's
    field names), when given, limits what a ``FieldError`` may name: another name becomes ``fallback``.
    """
    code = code_of(exc)
    if isinstance(exc, ValidationError):
        field, message = describe_validation_error(exc)
        return p.error(code, message, field)
    if isinstance(exc, ConfigError):
        return p.error(code, str(exc), exc.field)
    if isinstance(exc, KeyError):  # str() of a KeyError adds quotes: the message is its argument
        return p.error(code, str(exc.args[0]) if exc.args else "unknown scene", fallback)
    field = fallback
    if isinstance(exc, FieldError) and (fields is None or exc.field in fields):
        field = exc.field
    return p.error(code, str(exc), field)
