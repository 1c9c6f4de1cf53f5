"""Hook registries, as torch.utils.hooks: a handle whose ``remove()`` takes the hook out again."""

import itertools

_next_id = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``remove()`` (or leaving a ``with`` block) unregisters the hook."""

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = next(_next_id)

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
