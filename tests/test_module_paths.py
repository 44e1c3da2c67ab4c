"""torch's module paths (``nn.modules.rnn.LSTM``...) name the very classes ``nn`` exports."""
import importlib

import numpy as np
import pytest
from conftest import needs_torch, torch

import minigrad as mg
import nn

SUBMODULES = ["activation", "container", "distance", "dropout", "linear", "loss", "module",
              "normalization", "padding", "rnn", "sparse", "transformer"]
EXPECTED = {
    "rnn": ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"],
    "linear": ["Identity", "Linear", "NonDynamicallyQuantizableLinear"],
    "sparse": ["Embedding"],
    "dropout": ["Dropout"],
    "container": ["Sequential", "ModuleList", "ModuleDict"],
    "activation": ["ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MultiheadAttention"],
    "normalization": ["LayerNorm"],
    "loss": ["CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss"],
    "module": ["Module"],
}


@pytest.mark.parametrize("sub", sorted(EXPECTED))
def test_paths_are_the_same_class_objects(sub):
    mod = importlib.import_module(f"nn.modules.{sub}")
    assert getattr(nn.modules, sub) is mod
    for name in EXPECTED[sub]:
        assert getattr(mod, name) is getattr(nn, name), f"nn.modules.{sub}.{name}"
        assert getattr(nn.modules, name) is getattr(nn, name)
        assert name in mod.__all__


@pytest.mark.parametrize("sub", SUBMODULES)
def test_every_export_exists_under_torchs_same_path(sub):
    mod = importlib.import_module(f"nn.modules.{sub}")
    assert set(mod.__all__) <= {n for n in dir(mod) if not n.startswith("_")}
    if torch is not None:
        tmod = importlib.import_module(f"torch.nn.modules.{sub}")
        missing = [n for n in mod.__all__ if not hasattr(tmod, n)]
        assert not missing, f"not in torch.nn.modules.{sub}: {missing}"


def test_non_dynamically_quantizable_linear_is_a_linear():
    assert issubclass(nn.modules.linear.NonDynamicallyQuantizableLinear, nn.Linear)
    if torch is not None:
        assert issubclass(torch.nn.modules.linear.NonDynamicallyQuantizableLinear,
                          torch.nn.Linear)
    layer = nn.modules.linear.NonDynamicallyQuantizableLinear(3, 2)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer(mg.ones(4, 3)).shape == (4, 2)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_flatten_parameters_is_a_no_op(cls):
    m = cls(3, 4, num_layers=2, bidirectional=True)
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32))
    before = m(x)[0].detach().numpy().copy()
    names = [n for n, _ in m.named_parameters()]
    assert m.flatten_parameters() is None
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), before)
    assert [n for n, _ in m.named_parameters()] == names


@needs_torch
def test_torch_has_the_flatten_parameters_we_mirror():
    assert torch.nn.LSTM(2, 3).flatten_parameters() is None
