"""nn: modules built on minigrad — layers, recurrent networks, attention, losses."""
from . import functional, init, modules, utils
from .attention import AdditiveAttention, DotAttention, MultiheadAttention
from .cells import GRUCell, LSTMCell, RNNCell
from .ctc import CTCLoss
from .layers import (
                     Dropout,
                     Embedding,
                     LayerNorm,
                     Linear,
                     LogSoftmax,
                     NonDynamicallyQuantizableLinear,
                     ReLU,
                     Sigmoid,
                     Softmax,
                     Tanh,
)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Identity, Module, Parameter
from .modules.container import ModuleDict, ModuleList, Sequential
from .rnn import GRU, LSTM, RNN, RNNBase
from .seq2seq import Seq2Seq, sequence_loss
from .transformer import (
                          GELU,
                          Transformer,
                          TransformerDecoder,
                          TransformerDecoderLayer,
                          TransformerEncoder,
                          TransformerEncoderLayer,
)

__all__ = ["functional", "init", "modules", "utils", "Module", "Parameter", "Sequential",
           "ModuleList", "ModuleDict", "Identity", "Linear", "NonDynamicallyQuantizableLinear",
           "Embedding", "Dropout", "LayerNorm", "Tanh", "Sigmoid", "ReLU", "Softmax",
           "LogSoftmax", "RNN", "LSTM", "GRU", "RNNBase", "RNNCell", "LSTMCell", "GRUCell",
           "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss",
           "MultiheadAttention", "AdditiveAttention", "DotAttention", "Seq2Seq",
           "sequence_loss", "GELU", "Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer", "CTCLoss"]

# whole-model checkpoints: a Parameter, and the recurrence kind a RNN stores (an IntEnum),
# may be unpickled by mg.load(weights_only=True)
from minigrad.serialization import add_safe_globals as _add_safe_globals  # noqa: E402

from .kernels.recurrent import Mode as _Mode  # noqa: E402

_add_safe_globals([Parameter, _Mode])
