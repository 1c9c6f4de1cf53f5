"""Optimizers and learning rate schedulers, as torch.optim: every update written once on raw xp arrays."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "RAdam",
    "NAdam",
    "Adamax",
    "Adagrad",
    "Adadelta",
    "LBFGS",
    "lr_scheduler",
]
