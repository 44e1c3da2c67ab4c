"""nn: modules built on minigrad — layers, recurrent networks, attention, losses."""
from . import functional, utils
from .attention import AdditiveAttention, DotAttention, MultiheadAttention
from .cells import GRUCell, LSTMCell, RNNCell
from .ctc import CTCLoss
from .layers import Dropout, Embedding, LayerNorm, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Identity, Module, ModuleDict, ModuleList, Parameter, Sequential
from .rnn import GRU, LSTM, RNN, RNNBase, use_fused
from .seq2seq import Seq2Seq, sequence_loss
from .transformer import (
                          GELU,
                          Transformer,
                          TransformerDecoder,
                          TransformerDecoderLayer,
                          TransformerEncoder,
                          TransformerEncoderLayer,
)

__all__ = ["functional", "utils", "Module", "Parameter", "Sequential", "ModuleList",
           "ModuleDict", "Identity", "Linear", "Embedding", "Dropout", "LayerNorm", "Tanh",
           "Sigmoid", "ReLU", "Softmax", "LogSoftmax", "RNN", "LSTM", "GRU", "RNNBase",
           "RNNCell", "LSTMCell", "GRUCell", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "MSELoss", "use_fused", "MultiheadAttention",
           "AdditiveAttention", "DotAttention", "Seq2Seq", "sequence_loss", "GELU",
           "Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer", "CTCLoss"]
