"""The training fast path against the general path (net.loss_and_gradients + optimizer.update) and
against finite differences; its determinism, fallbacks and buffer reuse."""

import importlib.util
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from app.engine import Network, fastpath
from app.engine.fastpath import FastPath, unsupported_reason
from app.engine.optimizers import Optimizer, make_optimizer
from app.engine.training import Trainer


def _problem(n, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, 2))
    y = (np.floor(X[:, 0]) + np.floor(X[:, 1])).astype(int) % classes
    return X, y


def _targets(output, X, y):
    return np.sin(X[:, 0]) + 0.5 * X[:, 1] if output == "linear" else y


def _reference(net, optimizer, X, y, batch, steps, l1=0.0, l2=0.0, seed=5):
    """The general path, written out: epoch orders from rng.permutation, consecutive batches, one
    loss_and_gradients + optimizer.update per batch. Returns the per-step data losses."""
    rng = np.random.default_rng(seed)
    T = net.encode_targets(y)
    n = X.shape[0]
    order, cursor, losses = rng.permutation(n), 0, []
    for _ in range(steps):
        if cursor >= n:
            order, cursor = rng.permutation(n), 0
        idx = order[cursor:cursor + batch]
        cursor += len(idx)
        grads = net.loss_and_gradients(X[idx], T[idx], l1=l1, l2=l2, train=True, rng=rng)
        optimizer.update(net.flat, grads.flat)
        losses.append(grads.loss)
    return losses


CASES = [
    # (sizes, activation, output, loss, optimizer, options, regularization, batch)
    ([2, 8, 8, 8, 8, 1], "tanh", "tanh", None, "sgd", {}, None, 10),
    ([2, 16, 16, 16, 1], "relu", "tanh", None, "sgd", {}, "l2", 32),
    ([2, 5, 5, 1], "sigmoid", "sigmoid", "cross_entropy", "momentum", {}, "l1", 7),
    ([2, 6, 4, 1], "hard_tanh", "sigmoid", "squared_error", "momentum", {"nesterov": True}, None, 9),
    ([2, 6, 6, 3], "prelu", "softmax", None, "adam", {}, "l2", 11),
    ([2, 7, 7, 1], "rrelu", "linear", None, "sgd", {}, None, 13),
    ([2, 4, 4, 4, 1], ["elu", "gelu", "swish"], "tanh", None, "adam", {}, None, 6),
    ([2, 5, 1], "linear", "linear", None, "momentum", {"beta": 0.5}, "l1", 8),
    ([2, 6, 6, 1], ["leaky_relu", "abs"], "sigmoid", None, "sgd", {}, None, 12),
    ([2, 5, 5, 1], ["softplus", "sine"], "tanh", None, "sgd", {}, "l2", 10),
    ([2, 1], "relu", "sigmoid", None, "sgd", {}, None, 10),
    ([2, 3], "relu", "softmax", None, "adam", {}, None, 17),
    ([2, 2], "relu", "tanh", None, "momentum", {}, "l2", 9),
    ([2, 3, 3, 2], "tanh", "tanh", None, "sgd", {}, None, 61),
]


@pytest.mark.parametrize("sizes,activation,output,loss,opt,options,reg,batch", CASES)
def test_fast_path_gives_the_general_paths_numbers_step_for_step(sizes, activation, output, loss, opt,
                                                                   options, reg, batch):
    X, y = _problem(61, classes=sizes[-1] if output == "softmax" else 2)
    y = _targets(output, X, y)
    lr = 0.01 if opt == "adam" else 0.05
    rate = 1e-3 if reg else 0.0
    steps = 40  # batches of 6..32 on 61 points: several epochs, each ending on a short batch

    def make():
        return Network(sizes, activation=activation, output=output, loss=loss, init="glorot", seed=3)

    fast_net = make()
    trainer = Trainer(fast_net, make_optimizer(opt, lr, **options), X, y, batch_size=batch,
                      regularization=reg, reg_rate=rate, rng=np.random.default_rng(5))
    fast_losses = [trainer.step(1) for _ in range(steps)]
    assert trainer._fast is not None  # the fast path really ran

    ref_net = make()
    ref_losses = _reference(ref_net, make_optimizer(opt, lr, **options), X, y, batch, steps,
                            l1=rate if reg == "l1" else 0.0, l2=rate if reg == "l2" else 0.0)
    np.testing.assert_allclose(fast_net.flat, ref_net.flat, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=1e-11, atol=1e-12)
    per_epoch = -(-61 // batch)
    assert trainer.step_count == steps
    assert trainer.epochs_done() == pytest.approx(steps // per_epoch + (steps % per_epoch) * batch / 61)


@pytest.mark.parametrize("fn", ["tanh", "relu", "sigmoid"])
def test_one_fast_sgd_step_descends_the_finite_difference_gradient(fn):
    # Full batch, fixed order, lr = 1: the step is exactly minus the gradient of the batch loss, which
    # central differences of net.loss give independently of any backward pass.
    X, y = _problem(24, seed=2)
    net = Network([2, 5, 4, 1], activation=fn, output="sigmoid", init="glorot", seed=1)
    T = net.encode_targets(y)
    before = net.flat.copy()
    numeric = np.empty_like(before)
    h = 1e-6
    for i in range(before.size):
        net.flat[i] = before[i] + h
        up = net.loss(X, T)
        net.flat[i] = before[i] - h
        down = net.loss(X, T)
        net.flat[i] = before[i]
        numeric[i] = (up - down) / (2 * h)
    trainer = Trainer(net, make_optimizer("sgd", 1.0), X, y, batch_size=24, shuffle=False)
    trainer.step(1)
    assert trainer._fast is not None
    np.testing.assert_allclose(before - net.flat, numeric, rtol=1e-6, atol=1e-9)


def test_same_config_and_seed_give_the_same_trajectory_bit_for_bit():
    X, y = _problem(53)
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(11)
        net = Network([2, 8, 8, 1], activation="rrelu", output="tanh", init="playground", rng=rng)
        trainer = Trainer(net, make_optimizer("adam", 0.01), X, y, batch_size=10, regularization="l2",
                          reg_rate=1e-3, rng=rng)
        losses = [trainer.step(4) for _ in range(15)]
        runs.append((losses, net.flat.copy(), rng.bit_generator.state))
    assert runs[0][0] == runs[1][0]
    assert np.array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]  # the same number of draws from the session generator


@pytest.mark.parametrize("opt,options", [("momentum", {"nesterov": True}), ("adam", {})])
def test_switching_between_paths_mid_training_keeps_one_trajectory(opt, options):
    # The optimizer's state (velocity, moments, step count) lives in the optimizer object for both paths.
    X, y = _problem(45)

    def make():
        return Network([2, 6, 6, 1], activation="tanh", output="tanh", init="glorot", seed=4)

    net = make()
    trainer = Trainer(net, make_optimizer(opt, 0.02, **options), X, y, batch_size=8,
                      rng=np.random.default_rng(5))
    trainer.step(9)
    trainer.use_fast_path = False
    trainer.step(10)
    trainer.use_fast_path = True
    trainer.step(11)
    ref = make()
    _reference(ref, make_optimizer(opt, 0.02, **options), X, y, 8, 30)
    np.testing.assert_allclose(net.flat, ref.flat, rtol=1e-11, atol=1e-12)


def test_a_batch_size_changed_mid_epoch_continues_from_the_same_row():
    X, y = _problem(50)
    net = Network([2, 6, 1], activation="relu", output="sigmoid", init="glorot", seed=2)
    trainer = Trainer(net, make_optimizer("sgd", 0.1), X, y, batch_size=8, rng=np.random.default_rng(5))
    trainer.step(2)  # rows 0..15 of the first order
    trainer.batch_size = 7  # next batches start at row 16, not a multiple of 7
    trainer.step(5)  # rows 16..22, 23..29, 30..36, 37..43, 44..49 (6 rows)
    trainer.step(3)  # the second epoch: 0..6, 7..13, 14..20

    ref = Network([2, 6, 1], activation="relu", output="sigmoid", init="glorot", seed=2)
    opt, rng = make_optimizer("sgd", 0.1), np.random.default_rng(5)
    T = ref.encode_targets(y)
    order = rng.permutation(50)
    bounds = [(0, 8), (8, 16), (16, 23), (23, 30), (30, 37), (37, 44), (44, 50)]
    for start, stop in bounds:
        idx = order[start:stop]
        opt.update(ref.flat, ref.loss_and_gradients(X[idx], T[idx], rng=rng).flat)
    order = rng.permutation(50)
    for start in (0, 7, 14):
        idx = order[start:start + 7]
        opt.update(ref.flat, ref.loss_and_gradients(X[idx], T[idx], rng=rng).flat)
    np.testing.assert_allclose(net.flat, ref.flat, rtol=1e-11, atol=1e-12)


def test_divergence_is_reported_at_the_same_step_as_the_general_path():
    X, y = _problem(40)
    X = X * 1e3
    steps = []
    for fast in (True, False):
        net = Network([2, 8, 1], activation="relu", output="linear", seed=0)
        trainer = Trainer(net, make_optimizer("sgd", 10.0), X, y.astype(float), batch_size=40,
                          rng=np.random.default_rng(1))
        trainer.use_fast_path = fast
        with np.errstate(all="ignore"):
            trainer.step(50)
        steps.append((trainer.diverged, trainer.diverged_at, trainer.step_count))
    assert steps[0] == steps[1]
    assert steps[0][0] and steps[0][1] == steps[0][2]


@pytest.mark.parametrize("activation", ["maxout", "rbf"])
def test_maxout_and_rbf_networks_fall_back_to_the_general_path(activation):
    X, y = _problem(30)
    net = Network([2, 4, 1], activation=activation, output="sigmoid", seed=0)
    opt = make_optimizer("sgd", 0.05)
    assert "maxout and rbf" in unsupported_reason(net, opt)
    with pytest.raises(ValueError, match="maxout and rbf"):
        FastPath(net)
    trainer = Trainer(net, opt, X, y, batch_size=10, rng=np.random.default_rng(5))
    trainer.step(5)
    assert trainer._fast is None
    ref = Network([2, 4, 1], activation=activation, output="sigmoid", seed=0)
    _reference(ref, make_optimizer("sgd", 0.05), X, y, 10, 5)
    np.testing.assert_allclose(net.flat, ref.flat, rtol=1e-12, atol=1e-13)


def test_an_optimizer_the_fast_path_does_not_know_runs_on_the_general_path():
    class HalfStep(Optimizer):
        name = "half"

        def update(self, params, grads):
            params -= 0.5 * self.lr * grads

    X, y = _problem(20)
    net = Network([2, 3, 1], activation="tanh", seed=0)
    assert "HalfStep" in unsupported_reason(net, HalfStep(0.1))
    trainer = Trainer(net, HalfStep(0.1), X, y, batch_size=5, rng=np.random.default_rng(5))
    trainer.step(4)
    assert trainer._fast is None
    ref = Network([2, 3, 1], activation="tanh", seed=0)
    _reference(ref, make_optimizer("sgd", 0.05), X, y, 5, 4)
    np.testing.assert_allclose(net.flat, ref.flat, rtol=1e-12, atol=1e-13)


def test_a_replaced_parameter_buffer_rebuilds_the_fast_path():
    X, y = _problem(30)
    net = Network([2, 4, 1], activation="tanh", seed=0)
    trainer = Trainer(net, make_optimizer("sgd", 0.1), X, y, batch_size=10, rng=np.random.default_rng(5))
    trainer.step(2)
    first = trainer._fast
    net._layout()  # a new flat buffer (parameters zeroed)
    net.initialize(np.random.default_rng(0))
    trainer.step(1)
    assert trainer._fast is not first and trainer._fast.flat is net.flat


def test_steps_after_the_first_epoch_allocate_no_array_data():
    # 64-wide layers and batch 32: any per-step temporary of a layer's size would be >= 16 kB.
    X, y = _problem(200)
    net = Network([2, 64, 64, 64, 1], activation="relu", output="tanh", init="he", seed=0)
    trainer = Trainer(net, make_optimizer("sgd", 0.01), X, y, batch_size=32, rng=np.random.default_rng(5))
    trainer.step(14)  # two epochs: every batch size and the block layout exist
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        trainer.step(21)  # three more epochs, including two reshuffles
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # What remains is Python objects and each new epoch order (a 1.6 kB permutation); the general path
    # peaks at ~300 kB here.
    assert peak - base < 12_000


def test_memory_held_by_the_fast_path_is_small():
    X, y = _problem(250)
    net = Network([2, 8, 8, 8, 8, 1], activation="tanh", output="tanh", init="playground", seed=0)
    trainer = Trainer(net, make_optimizer("sgd", 0.03), X, y, batch_size=10, rng=np.random.default_rng(5))
    trainer.step(50)
    # Buffers for batch sizes 10 only (250 = 25 x 10), blocks for one epoch: a few kB, not per-step growth.
    held = trainer._fast.nbytes()
    trainer.step(100)
    assert trainer._fast.nbytes() == held
    assert held < 64_000


def test_the_benchmarks_textbook_numpy_reference_takes_the_engines_step():
    # bench/engine.py compares against bench/numpy_reference.py: it must do the same work, so one of its
    # SGD steps must move the weights exactly as the engine's general path does.
    path = Path(__file__).resolve().parents[2] / "bench" / "numpy_reference.py"
    spec = importlib.util.spec_from_file_location("numpy_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, y = _problem(12)
    for unit in ("tanh", "relu"):
        mlp = module.TextbookMLP([2, 5, 4, 1], unit, np.random.default_rng(0))
        net = Network([2, 5, 4, 1], activation=unit, output="tanh")
        net.set_parameters(weights=[w.copy() for w in mlp.W], biases=[b.copy() for b in mlp.b])
        loss = mlp.train_step(X, (2.0 * y - 1.0)[:, None], 0.1)
        grads = net.loss_and_gradients(X, y)
        make_optimizer("sgd", 0.1).update(net.flat, grads.flat)
        assert loss == pytest.approx(grads.loss, rel=1e-12)
        for w_ref, w in zip(mlp.W, net.weights, strict=True):
            np.testing.assert_allclose(w, w_ref, rtol=1e-12, atol=1e-14)


def test_training_inputs_of_the_wrong_width_are_refused_naming_both_widths():
    X, y = _problem(10)
    with pytest.raises(ValueError, match="training inputs have 2 features, the network takes 3"):
        Trainer(Network([3, 4, 1]), make_optimizer("sgd", 0.1), X, y, batch_size=5)


def test_how_steps_are_grouped_into_calls_does_not_change_a_single_bit():
    # A session advances by however many steps fit in a frame; the trajectory must not depend on that.
    X, y = _problem(47)
    flats = []
    for calls in ([1] * 40, [40], [7, 13, 1, 19]):
        rng = np.random.default_rng(3)
        net = Network([2, 6, 6, 1], activation="rrelu", output="tanh", init="playground", rng=rng)
        trainer = Trainer(net, make_optimizer("momentum", 0.05), X, y, batch_size=9, rng=rng)
        losses = [trainer.step(k) for k in calls]
        flats.append((net.flat.copy(), losses[-1], trainer.epoch, trainer.epochs_done()))
    for other in flats[1:]:
        assert np.array_equal(flats[0][0], other[0])
        assert flats[0][1:] == other[1:]


def test_walking_the_batch_size_through_many_values_keeps_memory_bounded():
    X, y = _problem(120)
    net = Network([2, 8, 8, 1], activation="tanh", output="tanh", seed=0)
    trainer = Trainer(net, make_optimizer("sgd", 0.05), X, y, batch_size=10, rng=np.random.default_rng(5))
    trainer.step(30)
    for batch in range(11, 60):
        trainer.batch_size = batch
        trainer.step(5)
    fast = trainer._fast
    assert len(fast._batches) <= 4 and len(fast.epoch._layouts) == 1
    # At most four batch sizes' buffers (each no larger than the largest's), one epoch layout, and three
    # parameter-sized vectors: not the 49 sizes visited.
    largest = sum(a.nbytes for a in FastPath(net).batch(59).arrays())
    layout = trainer._Xo.nbytes + trainer._To.nbytes
    assert fast.nbytes() <= 4 * largest + layout + 3 * net.flat.nbytes


@pytest.mark.parametrize("sizes,activation,output,loss,opt,options,reg,batch", CASES)
def test_a_batch_trained_in_chunks_gives_the_general_paths_numbers(monkeypatch, sizes, activation, output,
                                                                    loss, opt, options, reg, batch):
    # Chunks of 4 rows: every batch of every case is accumulated from several pieces.
    X, y = _problem(61, classes=sizes[-1] if output == "softmax" else 2)
    y = _targets(output, X, y)
    lr = 0.01 if opt == "adam" else 0.05
    rate = 1e-3 if reg else 0.0

    def make():
        return Network(sizes, activation=activation, output=output, loss=loss, init="glorot", seed=3)

    net = make()
    monkeypatch.setattr(fastpath, "CHUNK_WORK", 4 * net.flat.size)
    trainer = Trainer(net, make_optimizer(opt, lr, **options), X, y, batch_size=batch,
                      regularization=reg, reg_rate=rate, rng=np.random.default_rng(5))
    losses = [trainer.step(1) for _ in range(25)]
    assert trainer._fast is not None and trainer._fast._chunks  # the chunked path really ran
    ref_net = make()
    ref_losses = _reference(ref_net, make_optimizer(opt, lr, **options), X, y, batch, 25,
                            l1=rate if reg == "l1" else 0.0, l2=rate if reg == "l2" else 0.0)
    np.testing.assert_allclose(net.flat, ref_net.flat, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-11, atol=1e-12)


def _big_trainer(seed=0):
    """The worst the schema allows: 8 x 64 ReLU units, 5,000 points in one full batch."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-6, 6, size=(5000, 2))
    y = (np.hypot(X[:, 0], X[:, 1]) < 3).astype(int)
    net = Network([2] + [64] * 8 + [1], activation="relu", output="sigmoid", seed=seed)
    return Trainer(net, make_optimizer("adam", 0.003), X, y, batch_size=5000, rng=np.random.default_rng(1))


def test_a_full_batch_step_of_the_biggest_network_is_made_in_several_pieces_of_the_same_step():
    sliced, whole = _big_trainer(), _big_trainer()
    calls = 0
    while sliced.step_count < 2:
        # a budget of zero: each call does one piece of work and returns
        sliced.train_for(2 - sliced.step_count, 0.0)
        calls += 1
    assert calls >= 2 * 4  # ~1,000 rows per piece: at least four pieces per step of 5,000 rows
    saved = fastpath.CHUNK_WORK
    try:
        fastpath.CHUNK_WORK = 10**12  # the one-piece step
        whole.step(2)
        assert not whole._fast._chunks
    finally:
        fastpath.CHUNK_WORK = saved
    np.testing.assert_allclose(sliced.net.flat, whole.net.flat, rtol=1e-12, atol=1e-12)
    assert sliced.last_loss == pytest.approx(whole.last_loss, rel=1e-12)


def test_a_step_made_in_pieces_gives_the_same_bits_as_one_made_at_once():
    sliced, at_once = _big_trainer(), _big_trainer()
    while sliced.step_count < 3:
        sliced.train_for(3 - sliced.step_count, 0.0)
    at_once.step(3)
    assert np.array_equal(sliced.net.flat, at_once.net.flat)
    assert sliced.last_loss == at_once.last_loss


def test_a_step_whose_weights_change_between_its_pieces_starts_again_from_the_new_weights():
    sliced, fresh = _big_trainer(), _big_trainer()
    sliced.train_for(1, 0.0)  # one piece of the first step
    assert sliced.step_count == 0 and sliced._pending is not None
    sliced.net.flat[:5] += 0.25
    fresh.net.flat[:5] += 0.25
    while sliced.step_count < 1:
        sliced.train_for(1, 0.0)
    fresh.step(1)
    assert np.array_equal(sliced.net.flat, fresh.net.flat)


def test_a_new_optimizer_is_one_class_and_the_fast_path_runs_it():
    class Decaying(Optimizer):
        """SGD with the rate decaying as lr / t: grad_scale and apply are all a new optimizer needs."""

        name = "decaying"

        def apply(self, params, step, tmp):  # step = -lr * g (the default grad_scale)
            self.t += 1
            np.multiply(step, 1.0 / self.t, out=tmp)
            params += tmp

    class WrittenOut:
        """The same rule written against the general path's gradient, as a reference."""

        def __init__(self):
            self.t = 0

        def update(self, params, grads):
            self.t += 1
            params -= 0.1 / self.t * grads

    X, y = _problem(40)
    net = Network([2, 6, 6, 1], activation="tanh", output="sigmoid", init="glorot", seed=0)
    assert unsupported_reason(net, Decaying(0.1)) is None
    trainer = Trainer(net, Decaying(0.1), X, y, batch_size=8, rng=np.random.default_rng(5))
    losses = [trainer.step(1) for _ in range(12)]
    assert trainer._fast is not None and trainer.optimizer.t == 12
    ref = Network([2, 6, 6, 1], activation="tanh", output="sigmoid", init="glorot", seed=0)
    ref_losses = _reference(ref, WrittenOut(), X, y, 8, 12)
    np.testing.assert_allclose(net.flat, ref.flat, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-12, atol=1e-13)
