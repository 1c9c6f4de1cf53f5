"""The former home of the data tools, kept so that ``from xpnn.data import DataLoader`` goes on working: the same
objects as ``xpnn.utils.data`` (torch's name), where they live."""

from ..utils.data import *  # noqa: F401,F403
from ..utils.data import __all__  # noqa: F401
