"""The page's reading of link values (static/js/state.js) agrees with the server's own validation
(app/config.py): what the page accepts the server accepts, what it drops the server would refuse."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import SessionConfig

# (field, query value, the same value as Python reads it naturally)
CASES = [
    ("learning_rate", "0.1", 0.1),
    ("learning_rate", "10", 10.0),
    ("learning_rate", "0", 0.0),
    ("learning_rate", "10.5", 10.5),
    ("learning_rate", "abc", "abc"),
    ("learning_rate", "NaN", float("nan")),
    ("momentum", "1", 1.0),
    ("momentum", "0.5", 0.5),
    ("noise", "1.5", 1.5),
    ("batch_size", "0", 0),
    ("batch_size", "2.5", 2.5),
    ("seed", "-1", -1),
    ("seed", "7", 7),
    ("hidden", "4,2", [4, 2]),
    ("hidden", "", []),
    ("hidden", "4,65", [4, 65]),
    ("hidden", "1,1,1,1,1,1,1,1,1", [1] * 9),
    ("features", "x1,x2,sin_x1", ["x1", "x2", "sin_x1"]),
    ("features", "x1,x9", ["x1", "x9"]),
    ("activation", "relu", "relu"),
    ("activation", "relu,tanh", ["relu", "tanh"]),
    ("activation", "foo", "foo"),
    ("output", "softmax", "softmax"),
    ("optimizer", "rmsprop", "rmsprop"),
    ("nesterov", "1", True),
    ("loss", "null", None),
    ("points", "null", None),
    ("points", "3", 3),
]


def python_accepts(field, value) -> bool:
    base = {"output": "softmax", "loss": "cross_entropy"} if field == "output" else {}
    try:
        SessionConfig.model_validate({**base, field: value})
    except ValidationError:
        return False
    return True


@pytest.fixture(scope="module")
def verdicts(browser, base_url):
    page = browser.new_page()
    try:
        page.goto(f"{base_url}/static/css/playground.css")  # same origin, without starting a session
        return page.evaluate("""async (cases) => {
            const { parseField } = await import('/static/js/state.js');
            const schema = await (await fetch('/api/schema')).json();
            return cases.map(([field, raw]) => parseField(schema, field, raw));
        }""", [[f, raw] for f, raw, _ in CASES])
    finally:
        page.close()


@pytest.mark.parametrize("n", range(len(CASES)), ids=[f"{f}={raw}" for f, raw, _ in CASES])
def test_the_page_and_the_server_agree_on_a_link_value(verdicts, n):
    field, raw, value = CASES[n]
    got = verdicts[n]
    assert ("error" not in got) == python_accepts(field, value), (field, raw, got)
    if "error" not in got:
        assert got["value"] == value
    else:
        assert got["error"]  # a reason the notice can show
