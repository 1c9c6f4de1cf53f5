import numpy as np

from .base import Backend


class NumpyBackend(Backend):
    name = "numpy"
    array_types = (np.ndarray,)

    @property
    def xp(self):
        return np
