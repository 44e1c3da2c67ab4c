"""nn: modules built on minigrad — layers, recurrent networks, attention, losses."""
from . import functional, init, modules, utils
from .activation import *  # noqa: F403
from .activation import __all__ as _activations
from .attention import AdditiveAttention, DotAttention, MultiheadAttention
from .cells import GRUCell, LSTMCell, RNNCell
from .ctc import CTCLoss
from .distance import CosineSimilarity, PairwiseDistance
from .layers import (
                     Bilinear,
                     Dropout,
                     Embedding,
                     LayerNorm,
                     Linear,
                     NonDynamicallyQuantizableLinear,
)
from .loss import *  # noqa: F403
from .loss import __all__ as _losses
from .module import Identity, Module, Parameter
from .modules.container import ModuleDict, ModuleList, Sequential
from .padding import *  # noqa: F403
from .padding import __all__ as _paddings
from .rnn import GRU, LSTM, RNN, RNNBase
from .seq2seq import Seq2Seq, sequence_loss
from .transformer import (
                     Transformer,
                     TransformerDecoder,
                     TransformerDecoderLayer,
                     TransformerEncoder,
                     TransformerEncoderLayer,
)

__all__ = ["functional", "init", "modules", "utils", "Module", "Parameter", "Sequential",
           "ModuleList", "ModuleDict", "Identity", "Linear", "NonDynamicallyQuantizableLinear",
           "Embedding", "Dropout", "LayerNorm", *_activations, *_losses, "RNN", "LSTM", "GRU",
           "RNNBase", "RNNCell", "LSTMCell", "GRUCell",
           "MultiheadAttention", "AdditiveAttention", "DotAttention", "Seq2Seq",
           "sequence_loss", "Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer", "CTCLoss", "Bilinear",
           "CosineSimilarity", "PairwiseDistance", *_paddings]

# whole-model checkpoints: a Parameter, and the recurrence kind a RNN stores (an IntEnum),
# may be unpickled by mg.load(weights_only=True)
from minigrad.serialization import add_safe_globals as _add_safe_globals  # noqa: E402

from .kernels.recurrent import Mode as _Mode  # noqa: E402

_add_safe_globals([Parameter, _Mode])
