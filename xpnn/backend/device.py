"""``xpnn.device``: torch's device objects ('cpu', 'cuda', 'cuda:0'), each naming the backend that runs there.

'cpu' is the numpy backend and 'cuda' the cupy backend. A device read from a tensor (``t.device``) also remembers
the exact backend of that tensor, so that ``zeros(3, device=t.device)`` lands next to ``t`` even on a backend
that is neither (the test suite's strict stand-in reports itself as 'cpu').
"""

_TYPES = ("cpu", "cuda")


class device:  # noqa: N801 - torch's name
    __slots__ = ("type", "index", "backend_name")

    def __init__(self, type, index=None, *, backend_name=None):  # noqa: A002 - torch's argument name
        if isinstance(type, device):
            type, index, backend_name = type.type, type.index, type.backend_name
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # torch.device(0) is cuda:0
        elif not isinstance(type, str):
            raise TypeError(f"device() takes a string such as 'cpu', 'cuda' or 'cuda:0', got {type!r}")
        elif ":" in type:
            if index is not None:
                raise ValueError(f"device({type!r}, {index}): the index is given twice")
            type, _, number = type.partition(":")
            if not number.isdigit():
                raise ValueError(f"invalid device string {type + ':' + number!r}; expected 'cuda:N' with N >= 0")
            index = int(number)
        if type not in _TYPES:
            raise ValueError(
                f"unknown device type {type!r}: xpnn runs on 'cpu' (the numpy backend) and 'cuda' (the cupy backend)"
            )
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"a device index must be an int >= 0, got {index!r}")
        if type == "cpu" and index not in (None, 0):
            raise ValueError(f"the cpu device has no index {index}")
        self.type, self.index, self.backend_name = type, None if type == "cpu" else index, backend_name

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"
