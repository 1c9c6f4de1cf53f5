"""Layers, losses and containers with torch.nn's names, arguments, defaults and state_dict keys."""

from . import functional, init, parallel, utils
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module
from .modules import *  # noqa: F401,F403  (every layer class, as torch.nn exposes them)
from .parallel import DataParallel
from .parameter import Parameter
