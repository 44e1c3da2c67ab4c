"""torch's module paths: ``nn.modules.rnn.LSTM`` is ``nn.LSTM`` (the same class object).

Each submodule here re-exports classes defined elsewhere in ``nn``, so code (and pickles)
naming torch's paths, e.g. ``torch.nn.modules.linear.NonDynamicallyQuantizableLinear``, find
them.  ``container`` is the one defined here (as in torch)."""
from . import (
           activation,
           container,
           distance,
           dropout,
           linear,
           loss,
           module,
           normalization,
           padding,
           rnn,
           sparse,
           transformer,
)
from .activation import *  # noqa: F403
from .activation import __all__ as _activations
from .container import ModuleDict, ModuleList, Sequential
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout
from .linear import Bilinear, Identity, Linear, NonDynamicallyQuantizableLinear
from .loss import *  # noqa: F403
from .loss import __all__ as _losses
from .module import Module
from .normalization import LayerNorm
from .padding import *  # noqa: F403
from .padding import __all__ as _paddings
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from .sparse import Embedding

__all__ = ["activation", "container", "dropout", "linear", "loss", "module", "normalization",
           "rnn", "sparse", "transformer", "Module", "Sequential", "ModuleList", "ModuleDict",
           "Identity", "Linear", "NonDynamicallyQuantizableLinear", "Embedding", "Dropout",
           "LayerNorm", *_activations, "RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell",
           "GRUCell", *_losses, "distance", "padding", "Bilinear", "CosineSimilarity",
           "PairwiseDistance", *_paddings]
