"""TensorFlow Playground links (static/js/tflinks.js): TF's hash and query keys open the same network here,
the address becomes this page's own query, and the notice says what was translated, what has no equivalent
here and which values could not be honoured.

The expected values below are written from TF Playground's meaning of each key (src/state.ts: noise and
percTrainData in percent, networkShape a list of hidden widths, `<control>_hide=true`), not from the module.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.config import MAX_SEED, MAX_UNITS, SessionConfig
from app.scenes import DEFAULT_SCENE, SCENES

from .helpers import screenshot, wait_js

# A link as TF Playground writes it (every key it serializes, in its order), with choices off its defaults.
TF_STATE = ("activation=relu&regularization=L2&batchSize=5&dataset=xor&regDataset=reg-plane&learningRate=0.1"
            "&regularizationRate=0.001&noise=10&networkShape=6,6,2&seed=0.80199&showTestData=true"
            "&discretize=false&percTrainData=70&x=true&y=true&xTimesY=true&xSquared=false&ySquared=false"
            "&cosX=false&sinX=false&cosY=false&sinY=true&collectStats=false&problem=classification"
            "&initZero=false&hideText=false")
# what that state is in this page's words
TF_STATE_AS_OURS = {"activation": "relu", "regularization": "l2", "batch_size": 5, "dataset": "xor",
                    "learning_rate": 0.1, "reg_rate": 0.001, "noise": 0.1, "hidden": [6, 6, 2],
                    "train_ratio": 0.7, "features": ["x1", "x2", "x1x2", "sin_x2"], "init": "playground",
                    "output": "tanh", "loss": "squared_error"}


def fnv1a(text: str) -> int:
    """FNV-1a (32-bit) of the text's code points: the reference for the seed a TF seed string becomes."""
    h = 2166136261
    for ch in text:
        h ^= ord(ch)
        h = (h * 16777619) % 2**32
    return h


TRANSLATE_JS = """async (texts) => {
    const m = await import('/static/js/tflinks.js');
    const schema = await (await fetch('/api/schema')).json();
    return texts.map((t) => {
        const r = m.translate(t, schema);
        return { query: r.query, notes: r.notes, notice: m.tfNotice(r.notes), tf: m.hasTfKeys(t) };
    });
}"""


@pytest.fixture(scope="module")
def translate(browser, base_url):
    """translate(text) -> {query: dict of lists, notes, notice, tf}, evaluated in the page's own module."""
    page = browser.new_page()
    page.goto(f"{base_url}/static/css/playground.css")  # same origin, without starting a session
    cache: dict[str, dict] = {}

    def run(text: str) -> dict:
        if text not in cache:
            r = page.evaluate(TRANSLATE_JS, [text])[0]
            r["params"] = parse_qs(r["query"], keep_blank_values=True)
            cache[text] = r
        return cache[text]

    yield run
    page.close()


def notes_of(r: dict, kind: str) -> str:
    return " | ".join(n["text"] for n in r["notes"] if n["kind"] == kind)


# ---- the translation itself (the module, in the browser, without a session) ----------------------------

def test_every_tf_key_becomes_the_matching_setting_here(translate):
    p = translate("#" + TF_STATE)["params"]
    assert p["activation"] == ["relu"] and p["regularization"] == ["l2"]
    assert p["batch_size"] == ["5"] and p["learning_rate"] == ["0.1"] and p["reg_rate"] == ["0.001"]
    assert p["dataset"] == ["xor"] and p["hidden"] == ["6,6,2"]
    assert p["features"] == ["x1,x2,x1x2,sin_x2"]  # the schema's order, TF's x/y/xTimesY/sinY
    assert p["test"] == ["1"] and "discretize" not in p and p["init"] == ["playground"]


# TF Playground's start (src/state.ts's defaults) as its address writes it
TF_START = ("activation=tanh&batchSize=10&dataset=circle&regDataset=reg-plane&learningRate=0.03"
            "&regularizationRate=0&noise=0&networkShape=4,2&seed=0.42342&showTestData=false&discretize=false"
            "&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=false&ySquared=false&cosX=false&sinX=false"
            "&cosY=false&sinY=false&collectStats=false&problem=classification&initZero=false&hideText=false")


def test_tf_start_values_are_this_pages_start_and_are_named_briefly(translate):
    r = translate("#" + TF_START)
    start = SessionConfig.model_validate(SCENES[DEFAULT_SCENE].config).model_dump()
    for field, (raw,) in r["params"].items():
        if field == "seed":
            continue
        # the query value as the server reads it (pydantic's own conversion of "0.03", "4,2" split at commas)
        value = [x for x in raw.split(",") if x] if isinstance(start[field], list) else raw
        assert getattr(SessionConfig.model_validate({field: value}), field) == start[field], field
    assert set(r["params"]) == {"dataset", "activation", "batch_size", "learning_rate", "reg_rate", "noise",
                                "train_ratio", "hidden", "init", "features", "seed"}
    assert r["notice"] == (
        "Opened a TensorFlow Playground link. Translated: seed=0.42342 \u2192 seed=42342 (this page draws "
        "other random points than TF from it). At TF's start values, which this page starts from too: "
        "problem, regDataset, dataset, activation, batchSize, learningRate, regularizationRate, noise, "
        "percTrainData, networkShape, initZero, inputs (x, y on), showTestData, discretize. "
        "No equivalent here: cosX=false, cosY=false, collectStats=false, hideText=false.")


def test_noise_and_train_share_convert_from_tf_percent_to_fractions(translate):
    r = translate("#noise=35&percTrainData=70")
    assert r["params"]["noise"] == ["0.35"] and r["params"]["train_ratio"] == ["0.7"]
    assert "noise=35 (TF's percent) \u2192 noise=0.35" in r["notice"]
    assert translate("#noise=7")["params"]["noise"] == ["0.07"]  # not 0.07000000000000001


def test_an_empty_network_shape_means_no_hidden_layer(translate):
    assert translate("#networkShape=&activation=tanh")["params"]["hidden"] == [""]


def test_a_regression_problem_takes_the_regression_set_and_the_linear_output(translate):
    p = translate("#problem=regression&dataset=circle&regDataset=reg-gauss")["params"]
    assert p["dataset"] == ["reg-gauss"] and p["output"] == ["linear"] and p["loss"] == ["squared_error"]
    # TF's start set is named briefly; another one is named with its value
    assert "dataset=circle" not in translate("#problem=regression&dataset=circle")["notice"]
    said = translate("#problem=regression&dataset=xor")["notice"]
    assert "dataset=xor (unused: the problem is regression, as in TF)" in said
    # without a regDataset TF starts its first regression set
    assert translate("#problem=regression")["params"]["dataset"] == ["reg-plane"]


def test_init_zero_and_the_hide_flags_become_ours(translate):
    r = translate("#initZero=true&learningRate_hide=true&numHiddenLayers_hide=true&noise_hide=false"
                  "&playButton_hide=true&problem_hide=true")
    assert r["params"]["init"] == ["zeros"]
    assert r["params"]["hide"] == ["learning_rate,hidden,play"]
    assert "problem_hide" in notes_of(r, "none")


def test_keys_without_an_equivalent_are_named(translate):
    r = translate("#" + TF_STATE)
    none = notes_of(r, "none")
    for key in ("cosX=false", "cosY=false", "collectStats=false", "hideText=false"):
        assert key in none
    assert "No equivalent here: cosX=false, cosY=false, collectStats=false, hideText=false." in r["notice"]
    assert not notes_of(r, "refused")


def test_the_tf_seed_keeps_its_digits_and_the_notice_says_the_points_differ(translate):
    r = translate("#seed=0.80199")  # TF's own form: Math.random().toFixed(5)
    assert r["params"]["seed"] == ["80199"]
    said = "seed=0.80199 \u2192 seed=80199 (this page draws other random points than TF from it)"
    assert said in r["notice"]
    assert translate("#seed=42")["params"]["seed"] == ["42"]


def test_a_seed_that_is_no_number_here_is_hashed_to_one_fixed_seed(translate):
    assert translate("#seed=lecture-3")["params"]["seed"] == [str(fnv1a("lecture-3") % (MAX_SEED + 1))]
    assert translate("#seed=lecture-4")["params"]["seed"] != translate("#seed=lecture-3")["params"]["seed"]
    big = "9" * 12  # digits beyond the schema's bound are hashed too, never clipped to the bound
    assert translate(f"#seed={big}")["params"]["seed"] == [str(fnv1a(big) % (MAX_SEED + 1))]


def test_values_beyond_this_page_are_named_and_not_changed(translate):
    r = translate(f"#activation=softsign&networkShape=4,{MAX_UNITS + 1}&noise=60&regularization=L3")
    for key in ("activation", "hidden", "noise", "regularization"):
        assert key not in r["params"], key
    refused = notes_of(r, "refused")
    assert "activation=softsign" in refused and "must be one of" in refused
    assert f"networkShape=4,{MAX_UNITS + 1}" in refused and f"<= {MAX_UNITS}" in refused
    assert "noise=60 (TF's percent) \u2192 noise=0.6 (must be >= 0 and <= 0.5)" in refused
    assert "regularization=L3" in refused
    assert "Not honoured (the start value stays): " in r["notice"]


def test_cos_inputs_alone_leave_no_input_and_are_named(translate):
    r = translate("#x=false&y=false&cosX=true")
    assert "features" not in r["params"]
    assert "no input left" in notes_of(r, "refused") and "cosX=true" in notes_of(r, "none")


def test_only_tf_keys_mark_a_tf_link_and_our_own_keys_pass_through(translate):
    # a query of this page's own keys that TF shares (activation, dataset, noise, seed) is ours
    assert not translate("?activation=relu&dataset=xor&noise=0.1&seed=3")["tf"]
    assert not translate("?hidden=6,6,2&learning_rate=0.1&features=x1,x2&test=1")["tf"]
    assert translate("?networkShape=4")["tf"] and translate("?learningRate_hide=true")["tf"]
    assert translate("#activation=relu")["tf"]  # the page keeps nothing in the hash
    r = translate("?networkShape=3&embed=1&steps_per_frame=50")
    assert r["params"]["embed"] == ["1"] and r["params"]["steps_per_frame"] == ["50"]


def test_the_keys_read_as_ours_in_a_query_are_exactly_those_both_pages_use(browser, base_url):
    page = browser.new_page()
    try:
        page.goto(f"{base_url}/static/css/playground.css")
        shared, both = page.evaluate("""async () => {
            const m = await import('/static/js/tflinks.js');
            const { UI_KEYS } = await import('/static/js/state.js');
            const schema = await (await fetch('/api/schema')).json();
            const ours = new Set([...Object.keys(schema.properties), ...Object.keys(UI_KEYS)]);
            return [[...m.SHARED_KEYS].sort(), [...m.TF_KEYS].filter((k) => ours.has(k)).sort()];
        }""")
    finally:
        page.close()
    assert shared == both


def test_empty_values_and_unknown_hide_flags_are_named(translate):
    r = translate("#learningRate=&activation=relu&foo_hide=true&x=")
    refused = notes_of(r, "refused")
    assert "learningRate= (empty: no value to use)" in refused and "x= (empty" in refused
    assert "foo_hide (TF Playground has no control foo)" in refused
    assert "learning_rate" not in r["params"] and "hide" not in r["params"] and "features" not in r["params"]


# ---- a TF link opened in the page --------------------------------------------------------------------

def assert_tf_state_running(page):
    config = page.evaluate("window.__mlp.config")
    for key, value in TF_STATE_AS_OURS.items():
        assert config[key] == pytest.approx(value), key
    assert config["seed"] == 80199
    assert page.evaluate("window.__mlp.ui.test") is True
    # the frames come from the network the server built: 4 inputs, 6 + 6 + 2 hidden units, 1 output
    shapes = page.evaluate("window.__mlp.header.weights.map((w) => [w.length, w[0].length])")
    assert shapes == [[4, 6], [6, 6], [6, 2], [2, 1]] or shapes == [[6, 4], [6, 6], [2, 6], [1, 2]], shapes


def address_params(page) -> dict:
    parts = urlsplit(page.url)
    assert parts.fragment == "", page.url
    return parse_qs(parts.query, keep_blank_values=True)


def test_a_tf_hash_link_opens_the_same_network_under_our_own_address(new_page):
    page = new_page("#" + TF_STATE)
    wait_js(page, "window.__mlp.config && window.__mlp.config.hidden.length === 3")
    assert_tf_state_running(page)
    params = address_params(page)
    assert params["hidden"] == ["6,6,2"] and params["activation"] == ["relu"] and params["test"] == ["1"]
    assert not {"networkShape", "learningRate", "cosX"} & set(params)
    assert page.is_visible("#notice")
    text = page.text_content("#notice-text")
    assert text.startswith("Opened a TensorFlow Playground link. Translated: ")
    assert "networkShape=6,6,2 \u2192 hidden=6,6,2" in text
    assert "learningRate=0.1 \u2192 learning_rate=0.1" in text
    assert "No equivalent here: cosX=false, cosY=false, collectStats=false, hideText=false." in text
    screenshot(page, "tflink-hash.png")

    # the rewritten address is a link of this page: a reload gives the same setup and no word of TF
    page.reload()
    wait_js(page, "window.__mlp && window.__mlp.painted > 0")
    assert_tf_state_running(page)
    assert not page.is_visible("#notice") or "TensorFlow" not in page.text_content("#notice-text")
    assert address_params(page) == params


def test_a_tf_query_link_opens_the_same_network(new_page):
    page = new_page("?" + TF_STATE)
    wait_js(page, "window.__mlp.config && window.__mlp.config.hidden.length === 3")
    assert_tf_state_running(page)
    params = address_params(page)
    assert params["noise"] == ["0.1"] and params["train_ratio"] == ["0.7"]
    assert not {"networkShape", "percTrainData", "x", "sinY", "cosX"} & set(params)
    assert "TensorFlow Playground" in page.text_content("#notice-text")


def test_a_tf_regression_link_with_our_embed_key_opens_embedded(new_page):
    page = new_page("?embed=1#problem=regression&regDataset=reg-gauss&networkShape=&activation=linear",
                    width=960, height=540)
    wait_js(page, "window.__mlp.config && window.__mlp.config.dataset === 'reg-gauss'")
    config = page.evaluate("window.__mlp.config")
    assert config["hidden"] == [] and config["output"] == "linear" and config["activation"] == "linear"
    assert page.evaluate("document.body.classList.contains('embed')")
    assert address_params(page)["embed"] == ["1"]


def test_an_unknown_tf_value_is_named_in_the_notice(new_page):
    page = new_page(f"#activation=softsign&networkShape=3,{MAX_UNITS + 1}&learningRate=0.3")
    wait_js(page, "window.__mlp.config && window.__mlp.config.learning_rate === 0.3")
    config = page.evaluate("window.__mlp.config")
    assert config["activation"] == "tanh" and config["hidden"] == [4, 2]  # the start values stay
    text = page.text_content("#notice-text")
    assert "Not honoured (the start value stays): activation=softsign (must be one of linear, relu," in text
    assert f"networkShape=3,{MAX_UNITS + 1} \u2192 hidden=3,{MAX_UNITS + 1}" in text
    screenshot(page, "tflink-refused.png")
