"""Reusable memory for the big temporaries of the convolution kernels.

A numpy array of several megabytes is mapped fresh from the OS when it is created and unmapped when it dies, so
every training step pays page faults for each such temporary again; measured on LeNet-5 that was a quarter of
the step. A kernel instead asks here for its temporary by name: the same memory comes back on the next call with
the same name, shape and dtype (per thread, array module and GPU). The most recently used buffers up to a budget are
kept (a network has a handful of layer shapes); a temporary larger than the budget is simply allocated.

The rule for callers: a scratch array lives only inside one kernel call. Never return it or keep it.
"""

import collections
import threading

BUDGET_BYTES = 256 * 2**20

_local = threading.local()


def scratch(xp, name, shape, dtype, zero=False):
    """An array of ``shape``/``dtype`` for the temporary ``name`` (any hashable). A new buffer is zero-filled and
    a reused one holds what the caller left in it, so a caller that always writes the same region can rely on
    the rest staying zero, provided ``name`` pins down that region; ``zero=True`` clears the whole array first."""
    if not hasattr(_local, "buffers"):
        clear_scratch()
    buffers = _local.buffers
    device = xp.cuda.Device().id if xp.__name__ == "cupy" else None  # cupy memory belongs to one GPU
    key = (xp, device, name, tuple(shape), dtype)
    array = buffers.pop(key, None)
    if array is None:
        array = xp.zeros(shape, dtype=dtype)
        _local.total += array.nbytes
    elif zero:
        array[...] = 0
    buffers[key] = array  # most recently used last
    while _local.total > BUDGET_BYTES:  # forget the least recently used (the newest too, if it is that big)
        _local.total -= buffers.popitem(last=False)[1].nbytes
    return array


def clear_scratch():
    """Free this thread's scratch memory (kernels allocate it again as they need it)."""
    _local.buffers, _local.total = collections.OrderedDict(), 0
