"""``torch.nn.modules.rnn``: recurrent layers and cells."""
from ..cells import GRUCell, LSTMCell, RNNCell
from ..rnn import GRU, LSTM, RNN, RNNBase

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
