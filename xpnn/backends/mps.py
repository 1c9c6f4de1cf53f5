"""``xpnn.backends.mps``: xpnn has no Metal backend (numpy and cupy only), so both answers are False, as on a torch
build without MPS."""


def is_available():
    return False


def is_built():
    return False
