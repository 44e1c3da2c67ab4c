"""minigrad.threads: the thread setting (torch's set/get_num_threads), the environment
variables that fix it, the automatic policy's choice under load, the load meter's arithmetic,
and graceful degradation without OpenBLAS."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import threads


class FakeBlas:
    """Stands in for OpenBLAS so policy tests never change the real thread count."""

    available = True

    def __init__(self, n=2):
        self.n = n

    def get(self):
        return self.n

    def set(self, n):
        self.n = n


class FixedLoad:
    def __init__(self, others):
        self.others = others

    def sample(self):
        return self.others


def fake_policy(monkeypatch, cores=2, env=None):
    for name in threads.ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    if env:
        monkeypatch.setenv(*env)
    monkeypatch.setattr(threads, "Blas", lambda: FakeBlas(cores))
    p = threads.Policy()
    p.cores = cores
    p.current = cores
    return p


def load(p, others):
    """Let the policy see ``others`` cores used by other processes, now."""
    p.meter, p.next_sample, p.next_load = FixedLoad(others), 0.0, 0.0
    return p.adapt()


def test_set_and_get_num_threads_restore():
    before = threads.policy().explicit
    real = threads.policy().blas
    with threads.num_threads(1):
        assert mg.get_num_threads() == 1 and threads.current_num_threads() == 1
        if real.available:
            assert real.get() == 1
        with threads.num_threads(2):
            assert mg.get_num_threads() == 2
            if real.available:
                assert real.get() == 2
        assert mg.get_num_threads() == 1
    assert threads.policy().explicit == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(RuntimeError, match="positive integer"):
        mg.set_num_threads(bad)


@pytest.mark.parametrize("var", ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"])
def test_environment_fixes_the_count_and_load_never_changes_it(monkeypatch, var):
    p = fake_policy(monkeypatch, cores=4, env=(var, "3"))
    assert p.fixed() and p.ceiling() == 3
    p.apply(p.ceiling())
    assert load(p, 3.5) == 3 and p.blas.n == 3


def test_set_num_threads_wins_over_the_environment(monkeypatch):
    p = fake_policy(monkeypatch, cores=4, env=("OMP_NUM_THREADS", "3"))
    p.explicit = 2
    assert p.ceiling() == 2
    p.explicit = None
    assert p.ceiling() == 3


def test_unparsable_environment_is_ignored(monkeypatch):
    p = fake_policy(monkeypatch, cores=2, env=("OMP_NUM_THREADS", "many"))
    assert not p.fixed() and p.ceiling() == 2


def test_automatic_policy_drops_to_one_thread_when_contended_and_comes_back(monkeypatch):
    p = fake_policy(monkeypatch, cores=2)
    assert load(p, 0.0) == 2
    assert load(p, 1.0) == 1 and p.blas.n == 1  # one busy process on 2 cores
    assert load(p, 0.4) == 1  # within the hysteresis: stays down
    assert load(p, 0.1) == 2 and p.blas.n == 2


@given(cores=st.integers(1, 16), others=st.floats(0, 64))
def test_policy_choice_stays_between_one_and_the_ceiling(cores, others):
    p = threads.Policy.__new__(threads.Policy)
    p.explicit, p.env, p.cores, p.current = None, None, cores, cores
    n = p.choose(others)
    assert 1 <= n <= cores
    if others >= cores - 0.5:
        assert n == 1


def test_adapt_is_rate_limited(monkeypatch):
    p = fake_policy(monkeypatch, cores=2)
    load(p, 0.0)
    p.meter = FixedLoad(2.0)  # not looked at before SAMPLE_SECONDS have passed
    assert p.adapt() == 2


def test_load_meter_subtracts_this_process(monkeypatch):
    m = threads.LoadMeter.__new__(threads.LoadMeter)
    m.hz = 100
    m.last = (10.0, 50.0, 3.0)  # (wall s, machine busy CPU s, own CPU s)
    monkeypatch.setattr(m, "_read", lambda: (10.5, 51.0, 3.25))
    assert m.sample() == pytest.approx(1.5)  # (1 s busy - 0.25 s ours) / 0.5 s
    monkeypatch.setattr(m, "_read", lambda: None)
    assert m.sample() is None


def test_a_stale_load_window_starts_a_new_one(monkeypatch):
    """After a pause of ours (another framework's turn, an evaluation), the others' load
    over the pause is not acted on: it held BLAS at one thread on a quiet machine."""
    m = threads.LoadMeter.__new__(threads.LoadMeter)
    m.hz = 100
    m.last = (10.0, 50.0, 3.0)
    monkeypatch.setattr(m, "_read", lambda: (15.0, 60.0, 3.5))  # 5 s: others used 1.9 cores
    assert m.sample() is None
    assert m.last == (15.0, 60.0, 3.5)  # the next window starts here


def test_load_meter_reads_the_machine():
    m = threads.LoadMeter()
    others = m.sample()
    assert others is None or others >= 0


def test_without_openblas_everything_is_a_no_op(monkeypatch):
    monkeypatch.setattr(threads, "_loaded_libraries", lambda: [])
    b = threads.Blas()
    assert not b.available and b.get() is None
    b.set(1)  # no error


def test_training_step_agrees_at_one_and_two_threads():
    import nn

    def run(k):
        mg.manual_seed(0)
        model = nn.LSTM(8, 16, batch_first=True)
        head = nn.Linear(16, 5)
        x = mg.tensor(np.random.default_rng(0).standard_normal((4, 6, 8)).astype(np.float32))
        y = np.random.default_rng(1).integers(0, 5, 24)
        with threads.num_threads(k):
            loss = nn.functional.cross_entropy(head(model(x)[0]).reshape(-1, 5), y)
            loss.backward()
        return loss.item(), model.weight_ih_l0.grad.numpy().copy()

    (l1, g1), (l2, g2) = run(1), run(2)
    np.testing.assert_allclose(l1, l2, rtol=1e-6)
    np.testing.assert_allclose(g1, g2, rtol=1e-5, atol=1e-6)


def test_numba_parallel_kernels_follow_the_setting():
    numba = pytest.importorskip("numba")

    @numba.njit(parallel=True)
    def total(a):
        s = 0.0
        for i in numba.prange(a.size):
            s += a[i]
        return s

    assert total(np.ones(10)) == 10  # starts Numba's thread pool
    with threads.num_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == min(threads.current_num_threads(),
                                          numba.config.NUMBA_NUM_THREADS)


def test_after_a_pause_the_load_is_looked_at_again_soon(monkeypatch):
    """A stale load window (the meter says None) starts a new, short one, so threads held
    down by a busy spell come back within ~0.1 s of the machine going quiet."""
    import time

    p = fake_policy(monkeypatch, cores=2)
    load(p, None)
    before = time.monotonic()
    p.adapt()
    assert p.next_load <= before + 2 * threads.SAMPLE_SECONDS + 0.05
    p.apply(1)
    p.meter.others, p.next_sample, p.next_load = 0.0, 0.0, 0.0
    assert p.adapt() == 2  # the short window saw a quiet machine
