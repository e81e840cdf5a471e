"""app/errors.py: the one table from exception type to error code, and where an error's field comes from."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app import protocol as p
from app.config import ConfigError, SessionConfig
from app.engine.errors import FieldError, FieldIndexError
from app.errors import BAD_INPUT, CODES, code_of, error_for

from .helpers import assert_error


def test_no_row_of_the_table_is_hidden_behind_an_earlier_row_of_a_base_class():
    for i, (kind, _) in enumerate(CODES):
        for earlier, _ in CODES[:i]:
            assert not issubclass(kind, earlier), f"{kind.__name__} after its base {earlier.__name__}"


def test_every_code_in_the_table_is_a_documented_error_code():
    assert {code for _, code in CODES} <= set(p.ERROR_CODES)


def test_an_error_that_is_not_the_clients_fault_has_no_code():
    assert not isinstance(RuntimeError("bug"), BAD_INPUT)
    with pytest.raises(TypeError, match="RuntimeError is not bad input"):
        code_of(RuntimeError("bug"))


def test_a_field_error_is_an_invalid_value_naming_its_field():
    assert_error(error_for(FieldError("value", "value must be finite")), p.E_INVALID_VALUE, "value",
                 mentions="must be finite")
    assert_error(error_for(FieldIndexError("layer", "no layer 7"), "kind"), p.E_INVALID_VALUE, "layer")


def test_a_field_the_message_does_not_have_falls_back_to_the_messages_own_field():
    exc = FieldError("sizes", "a softmax output needs at least 2 units")
    assert_error(error_for(exc, "what", {"type", "what", "x", "y"}), p.E_INVALID_VALUE, "what")
    assert_error(error_for(exc, "what", {"sizes"}), p.E_INVALID_VALUE, "sizes")


def test_a_plain_value_error_names_the_fallback_and_never_guesses_from_its_text():
    assert_error(error_for(ValueError("layer 3: index out of range"), "kind"), p.E_INVALID_VALUE, "kind")
    assert_error(error_for(IndexError("index 9"), None), p.E_INVALID_VALUE, None)


def test_config_errors_are_invalid_config_naming_the_config_field():
    assert_error(error_for(ConfigError("batch_size", "must be at most 20"), "config"), p.E_INVALID_CONFIG,
                 "batch_size", mentions="batch_size: must be at most 20")
    with pytest.raises(ValidationError) as info:
        SessionConfig(hidden=[4] * 9)
    assert_error(error_for(info.value, "config"), p.E_INVALID_CONFIG, "hidden")


def test_an_unknown_scene_names_the_field_that_carried_the_name_without_quotes():
    message = error_for(KeyError("unknown scene 'mnist'; known scenes: xor"), "name")
    assert_error(message, p.E_UNKNOWN_SCENE, "name")
    assert message["message"] == "unknown scene 'mnist'; known scenes: xor"
