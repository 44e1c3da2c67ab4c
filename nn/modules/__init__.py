"""torch's module paths: ``nn.modules.rnn.LSTM`` is ``nn.LSTM`` (the same class object).

Each submodule here re-exports classes defined elsewhere in ``nn``, so code (and pickles)
naming torch's paths, e.g. ``torch.nn.modules.linear.NonDynamicallyQuantizableLinear``, find
them.  ``container`` is the one defined here (as in torch)."""
from . import (
           activation,
           container,
           dropout,
           linear,
           loss,
           module,
           normalization,
           rnn,
           sparse,
           transformer,
)
from .activation import LogSoftmax, MultiheadAttention, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .linear import Identity, Linear, NonDynamicallyQuantizableLinear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .normalization import LayerNorm
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from .sparse import Embedding

__all__ = ["activation", "container", "dropout", "linear", "loss", "module", "normalization",
           "rnn", "sparse", "transformer", "Module", "Sequential", "ModuleList", "ModuleDict",
           "Identity", "Linear", "NonDynamicallyQuantizableLinear", "Embedding", "Dropout",
           "LayerNorm", "ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MultiheadAttention",
           "RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "CrossEntropyLoss",
           "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss"]
