"""Class 3 — per-thread modes (torch semantics): grad mode, anomaly mode and reference mode are
thread-local; a new thread starts with the defaults; two threads training two models give the
same numbers as training them one after the other. Threads are synchronised with barriers
and events, never with sleeps."""
import threading

import numpy as np
import pytest

import minigrad as mg
import nn


def _in_thread(fn, *args):
    box = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 (re-raised in the caller)
            box["error"] = e
    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.parametrize("switch", [mg.no_grad, lambda: mg.set_grad_enabled(False),
                                    mg.inference_mode, mg.reference_mode, mg.detect_anomaly])
def test_a_new_thread_starts_with_the_defaults(switch):
    with switch():
        state = _in_thread(lambda: (mg.is_grad_enabled(), mg.is_reference_mode()))
    assert state == (True, False)


def test_no_grad_in_one_thread_never_stops_another_from_recording():
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def sleeper():
        with mg.no_grad():
            inside.set()
            release.wait(30)
            seen["sleeper"] = mg.is_grad_enabled()

    t = threading.Thread(target=sleeper)
    t.start()
    inside.wait(30)
    x = mg.ones(3, requires_grad=True)
    y = (x * 2).sum()        # recorded while the other thread is inside no_grad
    release.set()
    t.join()
    assert y.requires_grad and y.grad_fn is not None
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])
    assert seen["sleeper"] is False


def test_enable_grad_in_one_thread_never_leaks_into_a_no_grad_thread():
    barrier = threading.Barrier(2)
    out = {}

    def a():
        with mg.no_grad():
            barrier.wait()
            barrier.wait()
            out["a"] = (mg.ones(2, requires_grad=True) * 2).requires_grad

    def b():
        barrier.wait()
        with mg.enable_grad():
            out["b"] = mg.is_grad_enabled()
        barrier.wait()

    ts = [threading.Thread(target=f) for f in (a, b)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert out == {"a": False, "b": True}


def test_reference_mode_is_per_thread():
    barrier = threading.Barrier(2)
    out = {}

    def ref():
        with mg.reference_mode():
            barrier.wait()
            out["ref"] = mg.is_reference_mode()
            barrier.wait()

    def fast():
        barrier.wait()
        out["fast"] = mg.is_reference_mode()
        barrier.wait()

    ts = [threading.Thread(target=f) for f in (ref, fast)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert out == {"ref": True, "fast": False}


def test_anomaly_mode_is_per_thread():
    barrier = threading.Barrier(2)
    out = {}

    def watcher():
        with mg.detect_anomaly():
            barrier.wait()
            x = mg.tensor([-1.0], requires_grad=True)
            try:
                x.log().sqrt().sum().backward()
                out["watcher"] = "no error"
            except RuntimeError:
                out["watcher"] = "error"
            barrier.wait()

    def other():
        barrier.wait()
        with np.errstate(invalid="ignore"):
            x = mg.tensor([-1.0], requires_grad=True)
            x.log().sqrt().sum().backward()   # NaN, but anomaly mode is not on here
        out["other"] = "ran"
        barrier.wait()

    ts = [threading.Thread(target=f) for f in (watcher, other)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert out == {"watcher": "error", "other": "ran"}


def test_no_grad_decorator_on_a_generator_covers_its_body_only():
    @mg.no_grad()
    def gen(n):
        for i in range(n):
            got = yield (i, mg.is_grad_enabled())
            assert got is None or isinstance(got, int)
        return "done"

    g = gen(3)
    assert next(g) == (0, False)
    assert mg.is_grad_enabled()           # the caller's mode between steps
    assert g.send(5) == (1, False)
    assert next(g) == (2, False)
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "done"
    assert list(gen(0)) == []


def test_enable_grad_decorator_on_a_generator_inside_no_grad():
    @mg.enable_grad()
    def gen():
        yield mg.is_grad_enabled()
        yield mg.is_grad_enabled()

    with mg.no_grad():
        assert list(gen()) == [True, True]
        assert not mg.is_grad_enabled()


def test_throw_and_close_reach_the_generator_body_in_its_mode():
    seen = []

    @mg.no_grad()
    def gen():
        try:
            yield 1
        except KeyError:
            seen.append(("thrown", mg.is_grad_enabled()))
            yield 2
        finally:
            seen.append(("closed", mg.is_grad_enabled()))

    g = gen()
    next(g)
    assert g.throw(KeyError()) == 2
    g.close()
    assert seen == [("thrown", False), ("closed", False)]
    assert mg.is_grad_enabled()


def _build(seed: int):
    """Models are built before the threads start: the seeded generator is process-global,
    as torch's is, so concurrent initialisation would interleave its draws."""
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Embedding(11, 6), nn.Linear(6, 6))
    rnn = nn.GRU(6, 8) if seed % 2 else nn.LSTM(6, 8)
    head = nn.Linear(8, 11)
    params = list(model.parameters()) + list(rnn.parameters()) + list(head.parameters())
    return model, rnn, head, params


def _train(seed: int, steps: int, barrier=None, mode=None, built=None):
    model, rnn, head, params = built or _build(seed)
    opt = mg.optim.Adam(params, lr=0.01)
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 11, (steps, 7, 3))
    losses = []
    for s in range(steps):
        if barrier is not None:
            barrier.wait()       # interleave the two threads step by step
        x = mg.tensor(data[s])
        ctx = mode() if mode is not None and s % 2 else _Null()
        with ctx:
            out, _ = rnn(model(x[:-1]))
            loss = nn.functional.cross_entropy(head(out).reshape(-1, 11), x[1:].reshape(-1))
        opt.zero_grad()
        if loss.requires_grad:
            loss.backward()
            opt.step()
        losses.append(float(loss))
    return losses, [p.detach().numpy().copy() for p in params]


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


@pytest.mark.parametrize("other_mode", [None, mg.no_grad, mg.reference_mode])
def test_two_threads_train_two_models_exactly_as_sequential_training(other_mode):
    """Thread A trains; thread B trains another model, half its steps under ``other_mode``.
    A's results equal A trained alone, bit for bit; so do B's."""
    steps = 6
    alone_a = _train(1, steps)
    alone_b = _train(2, steps, mode=other_mode)
    barrier = threading.Barrier(2)
    res = {}

    def run(name, seed, mode, built):
        res[name] = _train(seed, steps, barrier, mode, built)

    ts = [threading.Thread(target=run, args=("a", 1, None, _build(1))),
          threading.Thread(target=run, args=("b", 2, other_mode, _build(2)))]
    [t.start() for t in ts]
    [t.join(120) for t in ts]
    for name, alone in (("a", alone_a), ("b", alone_b)):
        assert res[name][0] == alone[0]
        for p, q in zip(res[name][1], alone[1]):
            np.testing.assert_array_equal(p, q)


def test_graphs_built_in_threads_backpropagate_in_another_thread():
    x = mg.ones(4, requires_grad=True)
    y = _in_thread(lambda: (x * x * 3).sum())
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6, 6, 6, 6])


def test_many_threads_accumulating_into_one_leaf():
    """Backward from several threads into one leaf, serially ordered by a lock: the sum."""
    x = mg.ones(3, requires_grad=True)
    lock = threading.Lock()

    def work(k):
        y = (x * k).sum()
        with lock:
            y.backward()
        return k

    ts = [threading.Thread(target=work, args=(k,)) for k in range(1, 6)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    np.testing.assert_array_equal(x.grad.numpy(), [15, 15, 15])
