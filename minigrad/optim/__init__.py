"""Optimizers with PyTorch's defaults and update rules, and learning-rate schedulers."""
from . import lr_scheduler
from .optimizer import Optimizer
from .rules import SGD, Adagrad, Adam, AdamW, RMSprop

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
