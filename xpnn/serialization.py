"""Checkpoints: ``xpnn.save(obj, path)`` / ``xpnn.load(path)`` for nested dicts of state dicts, without pickle.

The file is an ordinary zip (a numpy ``.npz``): one ``.npy`` entry per array, plus ``xpnn_checkpoint.json``
describing the structure (dict keys with their types, which leaves are Tensors, plain arrays, numbers, strings).
Loading runs no code from the file: arrays are read with ``allow_pickle=False`` and the JSON only names a few
fixed node types. Arrays are stored on the host, so a file saved on cupy loads on numpy and vice versa.

Writing is atomic: the data goes to a temporary file in the same directory (named ``.<name>.<random>.tmp``), is
flushed and fsync'ed, and only then renamed over ``path``. A crash mid-write leaves the previous checkpoint
untouched (and, at worst, a stray temporary file that is not a valid checkpoint).
"""

import collections
import contextlib
import json
import os
import tempfile
import zipfile

import numpy as np

from . import backend as _backend
from ._tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "atomic_write"]

FORMAT = "xpnn-checkpoint"
VERSION = 1
METADATA_ENTRY = "xpnn_checkpoint.json"
# Dict types that come back as themselves (schedulers keep Counters); any other dict comes back as a dict.
_DICT_TYPES = {"dict": dict, "ordereddict": collections.OrderedDict, "counter": collections.Counter}


class CheckpointError(ValueError):
    """A file that is not a readable xpnn checkpoint: truncated, corrupt, foreign, or from a newer xpnn."""


# -- saving ----------------------------------------------------------------------------------------------------
def save(obj, path):
    """Write ``obj`` to ``path`` atomically (as torch.save, without pickle).

    ``obj`` is a dict, list or tuple (nested freely) of Tensors, arrays of any backend, numpy scalars, Python
    ints (any size), floats, bools, strings and None. Dict keys may be strings, ints, floats, bools, None or
    tuples of those, and keep their type (optimizer state dicts have int keys). A Parameter is saved as a Tensor
    with its ``requires_grad``.
    """
    arrays = []  # (entry name, array of any backend): converted to host one at a time while writing
    tree = _encode(obj, arrays, "obj")
    metadata = json.dumps({"format": FORMAT, "version": VERSION, "root": tree})
    with atomic_write(path) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays:
            host = _backend.backend_of(array).to_host(array)
            with archive.open(name, "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, host, allow_pickle=False)
        archive.writestr(METADATA_ENTRY, metadata)


def _encode(obj, arrays, where):
    """The JSON node for ``obj``; its arrays are appended to ``arrays``. ``where`` locates obj for errors."""
    if isinstance(obj, Tensor):
        return dict(_encode_array(obj.array, arrays, where), type="tensor", requires_grad=obj.requires_grad)
    if isinstance(obj, np.generic):
        return dict(_encode_array(np.asarray(obj), arrays, where), type="scalar")
    if isinstance(obj, dict):
        items = [[_encode_key(k, where), _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()]
        kind = next((name for name, cls in _DICT_TYPES.items() if type(obj) is cls), "dict")
        return {"type": kind, "items": items}
    if isinstance(obj, (list, tuple)):
        return {
            "type": "list" if isinstance(obj, list) else "tuple",
            "items": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)],
        }
    scalar = _encode_plain(obj)
    if scalar is not None:
        return scalar
    try:
        _backend.backend_of(obj)
    except TypeError:
        raise TypeError(
            f"xpnn.save: cannot save {where} of type {type(obj).__name__}; checkpoints hold "
            f"(nested) dicts, lists and tuples of Tensors, arrays, numbers, strings and None"
        ) from None
    return dict(_encode_array(obj, arrays, where), type="array")


def _encode_array(array, arrays, where):
    if array.dtype.hasobject:
        raise TypeError(
            f"xpnn.save: cannot save {where}: arrays of Python objects (dtype object) would need "
            f"pickle; convert it to a numeric array"
        )
    name = f"arrays/{len(arrays)}.npy"
    arrays.append((name, array))
    return {"entry": name, "dtype": array.dtype.str, "shape": list(array.shape)}


def _encode_plain(obj):
    """Node for None, bool, int, float, str (None if obj is none of these). Ints are decimal strings, so
    any size survives JSON (random generator states hold 128-bit ints); floats are hex, so they are exact."""
    if obj is None:
        return {"type": "none"}
    if isinstance(obj, bool):
        return {"type": "bool", "value": obj}
    if isinstance(obj, int):
        return {"type": "int", "value": str(int(obj))}
    if isinstance(obj, float):
        return {"type": "float", "value": float(obj).hex()}
    if isinstance(obj, str):
        return {"type": "str", "value": obj}
    return None


def _encode_key(key, where):
    if isinstance(key, tuple):
        return {"type": "tuple", "items": [_encode_key(k, where) for k in key]}
    node = _encode_plain(key)
    if node is None:
        raise TypeError(
            f"xpnn.save: cannot save a dict key of type {type(key).__name__} in {where}; keys must "
            f"be strings, numbers, bools, None or tuples of those"
        )
    return node


@contextlib.contextmanager
def atomic_write(path):
    """``with atomic_write(path) as f: f.write(...)``: ``path`` holds either its old content or all of the new.

    The temporary file lives in the same directory (a rename is only atomic within one file system). On any
    exception, KeyboardInterrupt included, it is removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes the file private; give it the mode open() would
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; Windows cannot open a directory, and needs no such step)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_umask():
    # The only way to read the umask is to set it; done once at import, before threads that create files run.
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _read_umask()


# -- loading ---------------------------------------------------------------------------------------------------
def load(path, backend=None):
    """Read a checkpoint written by :func:`save`. Tensors and arrays come back on ``backend`` (a name; default:
    the current backend), whatever backend saved them; numpy scalars stay numpy scalars.

    Raises CheckpointError (a ValueError) naming ``path`` when the file is truncated, corrupt, not an xpnn
    checkpoint, or from a newer format version.
    """
    path = os.fspath(path)
    dest = _backend.resolve_backend(backend) if backend is not None else _backend.current_backend()
    with open(path, "rb") as f:  # a missing or unreadable file is the usual OSError
        try:
            archive = zipfile.ZipFile(f)
        except _ZIP_ERRORS as e:
            raise CheckpointError(
                f"{path}: not an xpnn checkpoint: not a zip/.npz archive, or a truncated or damaged one ({e})"
            ) from None
        with archive:
            metadata = _read_metadata(archive, path)
            try:
                return _Decoder(archive, path, dest).decode(metadata["root"])
            except CheckpointError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as e:  # not a valid tree
                raise CheckpointError(f"{path}: malformed checkpoint metadata ({type(e).__name__}: {e})") from None


# What zipfile raises for a damaged archive. It reads some damaged header fields as features it lacks: a flipped
# flag bit says "encrypted", a flipped method or version byte "unsupported" (RuntimeError, NotImplementedError).
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, OSError, RuntimeError)


def _read_metadata(archive, path):
    if METADATA_ENTRY not in archive.namelist():
        raise CheckpointError(
            f"{path}: not an xpnn checkpoint (a zip/.npz archive without the "
            f"{METADATA_ENTRY} entry that xpnn.save writes)"
        )
    try:
        metadata = json.loads(_read_entry(archive, METADATA_ENTRY, path))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise CheckpointError(f"{path}: corrupt checkpoint metadata ({e})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an xpnn checkpoint ({METADATA_ENTRY} does not say format {FORMAT!r})")
    version = metadata.get("version")
    if not isinstance(version, int) or not 1 <= version <= VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version!r}, but this xpnn reads versions 1 "
            f"to {VERSION}; upgrade xpnn to load it"
        )
    return metadata


def _read_entry(archive, name, path, reader=lambda f: f.read()):
    """Read one entry; the zip's CRC check turns corruption of its bytes into CheckpointError."""
    try:
        with archive.open(name) as f:
            return reader(f)
    except _ZIP_ERRORS as e:
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint (entry {name!r}: {e})") from None


class _Decoder:
    def __init__(self, archive, path, dest):
        self.archive, self.path, self.dest = archive, path, dest

    def decode(self, node):
        kind = node["type"]
        if kind in _DICT_TYPES:
            return _DICT_TYPES[kind]({self.key(k): self.decode(v) for k, v in node["items"]})
        if kind in ("list", "tuple"):
            items = [self.decode(v) for v in node["items"]]
            return items if kind == "list" else tuple(items)
        if kind == "tensor":
            return Tensor(self.dest.asarray(self.array(node)), requires_grad=bool(node["requires_grad"]))
        if kind == "array":
            return self.dest.asarray(self.array(node))
        if kind == "scalar":
            return self.array(node)[()]
        return self.plain(node)

    def key(self, node):
        if node["type"] == "tuple":
            return tuple(self.key(k) for k in node["items"])
        return self.plain(node)

    def plain(self, node):
        kind = node["type"]
        if kind == "none":
            return None
        if kind == "bool":
            return bool(node["value"])
        if kind == "int":
            return int(node["value"])
        if kind == "float":
            return float.fromhex(node["value"])
        if kind == "str":
            return str(node["value"])
        raise CheckpointError(f"{self.path}: malformed checkpoint metadata (unknown node type {kind!r})")

    def array(self, node):
        name = node["entry"]
        if name not in self.archive.NameToInfo:
            raise CheckpointError(f"{self.path}: corrupt checkpoint (array entry {name!r} is missing)")
        try:
            host = _read_entry(self.archive, name, self.path, lambda f: np.lib.format.read_array(f, allow_pickle=False))
        except CheckpointError:
            raise
        except ValueError as e:  # a damaged .npy header, or an object array (which would need pickle)
            raise CheckpointError(f"{self.path}: corrupt checkpoint (entry {name!r}: {e})") from None
        if host.dtype.str != node["dtype"] or list(host.shape) != list(node["shape"]):
            raise CheckpointError(
                f"{self.path}: corrupt checkpoint (entry {name!r} holds {host.dtype.str} "
                f"{host.shape}, the metadata says {node['dtype']} {tuple(node['shape'])})"
            )
        return host
