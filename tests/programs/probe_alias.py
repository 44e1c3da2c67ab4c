"""Prints which modules ``import torch`` and its submodules resolved to (run.py's alias check)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.onnx
import torch.optim.lr_scheduler
import torch.utils.data
from torch.nn.utils.rnn import pack_padded_sequence

print(torch.__name__, nn.__name__, F.__name__, torch.optim.__name__,
      torch.optim.lr_scheduler.__name__, torch.utils.data.__name__, torch.onnx.__name__,
      pack_padded_sequence.__module__, nn.modules.rnn.LSTM is nn.LSTM)
