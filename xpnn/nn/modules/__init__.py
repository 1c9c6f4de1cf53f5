from .dropout import Dropout, Dropout2d
from .linear import Flatten, Identity, Linear
