"""Devices (CPU only) and random generators, checked against torch 2.13's behaviour."""
import copy
import pickle

import numpy as np
import pytest
from conftest import needs_torch, torch

import minigrad as mg
from minigrad.device import check_device
from minigrad.random import numpy_generator

CPU_ONLY = "minigrad runs on the CPU only"

# ----------------------------------------------------------------------------- mg.device

GOOD_SPECS = [("cpu",), ("cpu", 0), ("cpu:0",), ("cuda",), ("cuda:1",), ("cuda", 1), ("mps",),
              ("meta",), ("xla",), ("cpu", None)]
BAD_SPECS = [("foo",), ("CPU",), (" cpu",), ("cuda:x",), ("cuda:01",), ("cuda:1:2",),
             ("cuda:-1",), ("cpu", -1), ("cuda:0", 1), ("cpu", True), ("cuda", "x"), (None,),
             (0,)]


def _outcome(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the error type is what we compare
        return type(e)


@needs_torch
@pytest.mark.parametrize("spec", GOOD_SPECS)
def test_device_is_built_like_torch(spec):
    d, t = mg.device(*spec), torch.device(*spec)
    assert (d.type, d.index, str(d), repr(d)) == (t.type, t.index, str(t), repr(t))
    assert f"{d}" == f"{t}"
    assert mg.device(d) == d and hash(mg.device(d)) == hash(d)
    assert pickle.loads(pickle.dumps(d)) == d and copy.deepcopy(d) == d


@needs_torch
@pytest.mark.parametrize("spec", BAD_SPECS)
def test_bad_device_specs_raise_torchs_error_type(spec):
    assert _outcome(lambda: mg.device(*spec)) is _outcome(lambda: torch.device(*spec))


@needs_torch
def test_device_equality_like_torch():
    pairs = [("cpu", "cpu"), ("cpu", "cpu:0"), ("cpu:0", "cpu:0"), ("cuda", "cpu"),
             ("cuda:0", "cuda:1")]
    for a, b in pairs:
        assert (mg.device(a) == mg.device(b)) == (torch.device(a) == torch.device(b))
    assert mg.device("cpu") != "cpu" and (torch.device("cpu") != "cpu")  # never equals a str
    assert {mg.device("cpu"): 1}[mg.device("cpu")] == 1
    assert mg.device(type="cuda", index=0) == mg.device("cuda:0")


def test_check_device_accepts_the_cpu_and_refuses_the_rest():
    for d in (None, "cpu", "cpu:0", mg.device("cpu"), mg.device("cpu", 0)):
        assert check_device(d).type == "cpu"
    for d in ("cuda", "cuda:1", mg.device("mps"), "meta", 0, 1):
        with pytest.raises(RuntimeError, match=CPU_ONLY):
            check_device(d, "Tensor.to()")
    with pytest.raises(RuntimeError, match=r"Tensor\.to\(\) asked for device 'cuda:1'"):
        check_device("cuda:1", "Tensor.to()")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        check_device("cuda:x")


CREATORS = {
    "tensor": lambda d: mg.tensor([1.0], device=d),
    "as_tensor": lambda d: mg.as_tensor([1.0], device=d),
    "zeros": lambda d: mg.zeros(2, device=d),
    "ones": lambda d: mg.ones(2, device=d),
    "empty": lambda d: mg.empty(2, device=d),
    "full": lambda d: mg.full((2,), 1.0, device=d),
    "eye": lambda d: mg.eye(2, device=d),
    "arange": lambda d: mg.arange(3, device=d),
    "linspace": lambda d: mg.linspace(0, 1, 3, device=d),
    "logspace": lambda d: mg.logspace(0, 1, 3, device=d),
    "rand": lambda d: mg.rand(2, device=d),
    "randn": lambda d: mg.randn(2, device=d),
    "randint": lambda d: mg.randint(5, (2,), device=d),
    "randperm": lambda d: mg.randperm(4, device=d),
    "normal": lambda d: mg.normal(0.0, 1.0, (2,), device=d),
    "zeros_like": lambda d: mg.zeros_like(mg.zeros(2), device=d),
    "ones_like": lambda d: mg.ones_like(mg.zeros(2), device=d),
    "empty_like": lambda d: mg.empty_like(mg.zeros(2), device=d),
    "full_like": lambda d: mg.full_like(mg.zeros(2), 3, device=d),
    "rand_like": lambda d: mg.rand_like(mg.zeros(2), device=d),
    "randn_like": lambda d: mg.randn_like(mg.zeros(2), device=d),
    "randint_like": lambda d: mg.randint_like(mg.zeros(2), 5, device=d),
    "LongTensor": lambda d: mg.LongTensor([1], device=d),
    "Generator": lambda d: mg.Generator(device=d),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_every_creation_function_takes_the_cpu_and_refuses_cuda(name):
    make = CREATORS[name]
    for d in ("cpu", "cpu:0", mg.device("cpu"), None):
        make(d)
    state = mg.get_rng_state()
    for d in ("cuda", "cuda:0", mg.device("mps")):
        with pytest.raises(RuntimeError, match=CPU_ONLY) as e:
            make(d)
        assert str(mg.device(d)) in str(e.value) and name.split("_like")[0] in str(e.value)
    assert np.array_equal(mg.get_rng_state(), state)  # a refused call draws nothing


@needs_torch
def test_accelerator_queries_answer_like_torch_without_a_gpu():
    assert mg.cuda.is_available() is torch.cuda.is_available() is False
    assert mg.cuda.device_count() == torch.cuda.device_count() == 0
    assert mg.cuda.is_initialized() is False
    assert mg.accelerator.is_available() is torch.accelerator.is_available() is False
    assert mg.accelerator.current_accelerator() is torch.accelerator.current_accelerator()
    assert mg.accelerator.device_count() == 0
    assert mg.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert mg.backends.mps.is_built() is False
    assert mg.backends.cudnn.is_available() is False
    mg.cuda.manual_seed(1)  # no-ops, as torch without CUDA
    mg.cuda.manual_seed_all(1)
    for call in (mg.cuda.current_device, mg.cuda.synchronize):
        with pytest.raises(RuntimeError, match=CPU_ONLY):
            call()


def test_the_usual_device_choice_of_a_torch_program_picks_the_cpu():
    torch_ = mg  # what `import minigrad as torch` gives a program
    dev = torch_.device("cuda" if torch_.cuda.is_available() else "cpu")
    if torch_.accelerator.is_available():
        dev = torch_.accelerator.current_accelerator()
    assert dev == mg.device("cpu")
    assert mg.zeros(2, device=dev).shape == (2,)


def test_default_device_is_the_cpu_and_cannot_become_cuda():
    assert mg.get_default_device() == mg.device("cpu")
    try:
        mg.set_default_device("cpu:0")
        assert mg.get_default_device() == mg.device("cpu", 0)
        with pytest.raises(RuntimeError, match=CPU_ONLY):
            mg.set_default_device("cuda")
        assert mg.get_default_device() == mg.device("cpu", 0)  # unchanged by the error
        mg.set_default_device(None)
        assert mg.get_default_device() == mg.device("cpu")
    finally:
        mg.set_default_device("cpu")


# ----------------------------------------------------------------------------- generators


def test_manual_seed_returns_the_generator_and_repeats_the_stream():
    g = mg.Generator()
    assert g.manual_seed(7) is g
    a = (mg.randn(5, generator=g), mg.rand(3, generator=g), mg.randint(9, (4,), generator=g),
         mg.randperm(6, generator=g), mg.normal(0.0, 1.0, (2,), generator=g))
    g.manual_seed(7)
    b = (mg.randn(5, generator=g), mg.rand(3, generator=g), mg.randint(9, (4,), generator=g),
         mg.randperm(6, generator=g), mg.normal(0.0, 1.0, (2,), generator=g))
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


def test_a_generator_is_independent_of_the_default_one():
    g = mg.Generator().manual_seed(1)
    first = mg.randn(4, generator=g)
    mg.manual_seed(123)
    mg.randn(100)  # draws from the default generator do not move g
    g2 = mg.Generator().manual_seed(1)
    assert np.array_equal(first, mg.randn(4, generator=g2))
    assert not np.array_equal(mg.randn(4, generator=g), first)


def test_global_seeding_repeats_every_default_draw():
    def draws():
        return (mg.randn(3), mg.rand(2), mg.randint(0, 10, (3,)), mg.randperm(5),
                mg.normal(mg.zeros(2), 1.0), mg.zeros(3).uniform_(), numpy_generator().random(2))

    assert mg.manual_seed(11) is mg.default_generator
    a = draws()
    mg.manual_seed(11)
    for x, y in zip(a, draws()):
        assert np.array_equal(x, y)
    assert mg.initial_seed() == 11


def test_private_rng_alias_is_the_default_generators_stream():
    from minigrad.random import _rng

    assert _rng() is numpy_generator() is numpy_generator(None)
    mg.manual_seed(5)
    a = _rng().random(3)
    mg.manual_seed(5)
    assert np.array_equal(a, numpy_generator().random(3))


@needs_torch
@pytest.mark.parametrize("seed", [0, 1, -1, -5, 2**63, 2**64 - 1, -(2**63)])
def test_seed_values_are_read_like_torch(seed):
    assert mg.Generator().manual_seed(seed).initial_seed() == \
        torch.Generator().manual_seed(seed).initial_seed()


@needs_torch
@pytest.mark.parametrize("seed", [1.5, "3", True, np.int64(3), 2**63])
def test_global_manual_seed_converts_with_int_like_torch(seed):
    assert mg.manual_seed(seed).initial_seed() == torch.manual_seed(seed).initial_seed()


@needs_torch
@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1, "x", None, 1.5, True])
def test_bad_seeds_raise_torchs_error_type_and_leave_the_state(seed):
    g = mg.Generator().manual_seed(3)
    state = g.get_state()
    err = _outcome(lambda: torch.Generator().manual_seed(seed))
    with pytest.raises(err, match="seed"):
        g.manual_seed(seed)
    assert np.array_equal(g.get_state(), state) and g.initial_seed() == 3


@needs_torch
@pytest.mark.parametrize("seed", [2**64, "x", None])
def test_bad_global_seeds_raise_torchs_error_type(seed):
    state = mg.get_rng_state()
    with pytest.raises(_outcome(lambda: torch.manual_seed(seed))):
        mg.manual_seed(seed)
    assert np.array_equal(mg.get_rng_state(), state)


@needs_torch
def test_fresh_generator_starts_from_torchs_default_seed():
    assert mg.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    assert mg.Generator().device == mg.device("cpu")
    assert mg.Generator("cpu:0").device == mg.device("cpu")
    s = mg.Generator().seed()
    assert isinstance(s, int) and 0 <= s < 2**64


def test_state_round_trip_repeats_draws_and_restores_the_seed():
    g = mg.Generator().manual_seed(42)
    mg.randn(3, generator=g)
    state = g.get_state()
    assert state.dtype == mg.uint8 and state.ndim == 1
    a = mg.randn(7, generator=g)
    other = mg.Generator().manual_seed(9)
    assert other.set_state(state) is other
    assert np.array_equal(mg.randn(7, generator=other), a)
    assert other.initial_seed() == 42
    mg.manual_seed(0)
    st = mg.get_rng_state()
    x = mg.rand(5)
    mg.set_rng_state(st)
    assert np.array_equal(mg.rand(5), x)


def test_bad_states_are_refused_and_leave_the_generator_unchanged():
    g = mg.Generator().manual_seed(1)
    before = g.get_state()
    with pytest.raises(TypeError, match="list"):
        g.set_state([1, 2])
    with pytest.raises(TypeError, match="uint8"):
        g.set_state(before.float())
    with pytest.raises(RuntimeError, match="not a minigrad generator state"):
        g.set_state(mg.zeros(3, dtype=mg.uint8))
    with pytest.raises(RuntimeError, match="not a minigrad generator state"):
        g.set_state(mg.zeros(before.shape[0], dtype=mg.uint8))  # right size, no magic
    assert np.array_equal(g.get_state(), before)


def test_generators_survive_pickle_and_deepcopy_mid_stream():
    g = mg.Generator().manual_seed(3)
    mg.rand(2, generator=g)
    for clone in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g)):
        assert clone.initial_seed() == 3
        assert np.array_equal(mg.rand(4, generator=clone), mg.rand(4, generator=copy.deepcopy(g)))


def test_fork_rng_restores_the_default_stream():
    mg.manual_seed(2)
    with mg.random.fork_rng():
        mg.randn(10)
    a = mg.randn(3)
    mg.manual_seed(2)
    assert np.array_equal(mg.randn(3), a)
    with pytest.raises(RuntimeError, match=CPU_ONLY), mg.random.fork_rng(devices=[0]):
        pass


def test_generator_argument_must_be_a_generator():
    with pytest.raises(TypeError, match="generator= must be a minigrad.Generator"):
        mg.randn(2, generator=3)
    with pytest.raises(TypeError, match="generator= must be a minigrad.Generator"):
        numpy_generator(np.random.default_rng(0))
    with pytest.raises(RuntimeError, match=CPU_ONLY):
        mg.Generator(device="cuda")
