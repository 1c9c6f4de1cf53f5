"""Checkpoints: ``xpnn.save(obj, path)`` / ``xpnn.load(path)`` for nested dicts of state dicts, and whole Modules as
``torch.save(model, f)`` writes them, without pickle.

The file is an ordinary zip (a numpy ``.npz``): one ``.npy`` entry per array, plus ``xpnn_checkpoint.json``
describing the structure (dict keys with their types, which leaves are Tensors, plain arrays, numbers, strings).
Loading runs no code from the file: arrays are read with ``allow_pickle=False`` and the JSON only names a few
fixed node types. Arrays are stored on the host, so a file saved on cupy loads on numpy and vice versa.

Writing to a path is atomic: the data goes to a temporary file in the same directory (named
``.<name>.<random>.tmp``), is flushed and fsync'ed, and only then renamed over ``path``. A crash mid-write leaves
the previous checkpoint untouched (and, at worst, a stray temporary file that is not a valid checkpoint). The
rename behaves like writing the file in place: a read-only file is refused, an existing file keeps its mode, and a
symlink is written through to its target. File objects (``io.BytesIO``, ``open(..., "wb")``) are written directly.
"""

import collections
import contextlib
import contextvars
import errno
import importlib
import inspect
import io
import json
import os
import stat
import tempfile
import zipfile

import numpy as np

from . import backend as _backend
from ._tensor import Tensor
from .nn.module import Module
from .nn.parameter import Parameter

__all__ = [
    "save",
    "load",
    "CheckpointError",
    "atomic_write",
    "add_safe_globals",
    "get_safe_globals",
    "clear_safe_globals",
    "safe_globals",
]

FORMAT = "xpnn-checkpoint"
VERSION = 2  # 2: whole Modules (module, set, global and ref nodes)
METADATA_ENTRY = "xpnn_checkpoint.json"
# Dict types that come back as themselves (schedulers keep Counters); any other dict comes back as a dict.
_DICT_TYPES = {"dict": dict, "ordereddict": collections.OrderedDict, "counter": collections.Counter}


class CheckpointError(ValueError):
    """A file that is not a readable xpnn checkpoint: truncated, corrupt, foreign, or from a newer xpnn."""


# -- saving ----------------------------------------------------------------------------------------------------
def save(obj, f):
    """Write ``obj`` to ``f``, a path (written atomically) or a binary file object, as torch.save without pickle.

    ``obj`` is a dict, list or tuple (nested freely) of Tensors, arrays of any backend, numpy scalars, Python
    ints (any size), floats, bools, strings and None. Dict keys may be strings, ints, floats, bools, None or
    tuples of those, and keep their type (optimizer state dicts have int keys). A Parameter is saved as a Tensor
    with its ``requires_grad``.
    """
    out = _Encoding()
    try:
        tree = _encode(obj, out, "obj", set())
    except RecursionError:
        raise ValueError("xpnn.save: obj is nested too deeply to be saved (over Python's recursion limit)") from None
    arrays = out.arrays
    # Version 1 readers know every node of a tree without modules; only files that hold modules need version 2.
    metadata = json.dumps({"format": FORMAT, "version": VERSION if out.objects else 1, "root": tree})
    if _is_path(f):
        with atomic_write(f) as out:
            _write_archive(out, arrays, metadata)
        return
    if isinstance(f, io.TextIOBase) or not hasattr(f, "write"):
        raise TypeError(
            f"xpnn.save: f must be a path (str or os.PathLike) or a file object opened for binary writing "
            f"(open(path, 'wb'), io.BytesIO()), got {_describe(f)}"
        )
    _write_archive(f, arrays, metadata)
    f.flush()


def _is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def _describe(f):
    if isinstance(f, io.TextIOBase):
        return f"a file opened in text mode ({getattr(f, 'name', type(f).__name__)!r})"
    return f"an object of type {type(f).__name__}"


def _write_archive(f, arrays, metadata):
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays:
            host = _backend.backend_of(array).to_host(array)
            with archive.open(name, "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, host, allow_pickle=False)
        archive.writestr(METADATA_ENTRY, metadata)


class _Encoding:
    """What a save collects besides the tree: the arrays to write, and the objects already written (by id), so a
    tensor or module met twice (tied weights) is written once and comes back as one object."""

    def __init__(self):
        self.arrays = []  # (entry name, array of any backend): converted to host one at a time while writing
        self.refs = {}  # id(obj) -> reference number
        self.kept = []  # the objects in refs, alive until the save ends so their ids stay theirs
        self.objects = False  # whether a module (or a set / function) is in the tree: a version 2 file

    def first_time(self, obj, node):
        """Register obj (node is its full encoding, to be filled) and return None, or return a reference node."""
        if id(obj) in self.refs:
            return {"type": "ref", "id": self.refs[id(obj)]}
        self.refs[id(obj)] = node["ref"] = len(self.kept)
        self.kept.append(obj)
        return None


def _encode(obj, out, where, containing):
    """The JSON node for ``obj``; its arrays are appended to ``out.arrays``. ``where`` locates obj for errors;
    ``containing`` holds the ids of the containers obj is inside, to refuse a reference cycle."""
    if isinstance(obj, Tensor):
        node = {}
        ref = out.first_time(obj, node)
        if ref is not None:
            return ref
        node.update(_encode_array(obj.array, out.arrays, where), type="tensor", requires_grad=obj.requires_grad)
        if isinstance(obj, Parameter):
            node["parameter"] = True
        return node
    if isinstance(obj, Module):
        return _encode_module(obj, out, where, containing)
    if isinstance(obj, np.generic):
        return dict(_encode_array(np.asarray(obj), out.arrays, where), type="scalar")
    if isinstance(obj, (dict, list, tuple, set)):
        if id(obj) in containing:
            raise ValueError(
                f"xpnn.save: {where} contains itself (a reference cycle); checkpoints hold trees of dicts, "
                f"lists and tuples"
            )
        inside = containing | {id(obj)}
        if isinstance(obj, dict):
            items = [[_encode_key(k, where), _encode(v, out, f"{where}[{k!r}]", inside)] for k, v in obj.items()]
            kind = next((name for name, cls in _DICT_TYPES.items() if type(obj) is cls), "dict")
            return {"type": kind, "items": items}
        name = _global_name(type(obj)) if isinstance(obj, tuple) and hasattr(type(obj), "_fields") else None
        if name is not None and name.startswith("xpnn."):  # a layer's geometry (ConvGeometry) keeps its type
            out.objects = True
            return {
                "type": "namedtuple",
                "name": name,
                "items": [_encode(v, out, f"{where}.{f}", inside) for f, v in zip(obj._fields, obj)],
            }
        if isinstance(obj, set):  # a Module's names of non-persistent buffers
            out.objects = True
            return {"type": "set", "items": [_encode_key(k, where) for k in sorted(obj, key=repr)]}
        return {
            "type": "list" if isinstance(obj, list) else "tuple",
            "items": [_encode(v, out, f"{where}[{i}]", inside) for i, v in enumerate(obj)],
        }
    scalar = _encode_plain(obj)
    if scalar is not None:
        return scalar
    if _global_name(obj) is not None and (isinstance(obj, type) or inspect.isfunction(obj)):
        out.objects = True  # a layer's activation (F.relu), named as torch names it, never pickled
        return {"type": "global", "name": _global_name(obj)}
    try:
        _backend.backend_of(obj)
    except TypeError:
        raise TypeError(
            f"xpnn.save: cannot save {where} of type {type(obj).__name__}; checkpoints hold "
            f"(nested) dicts, lists and tuples of Tensors, arrays, numbers, strings and None, and whole "
            f"Modules (their attributes of those kinds and module-level functions)"
        ) from None
    return dict(_encode_array(obj, out.arrays, where), type="array")


def _encode_module(module, out, where, containing):
    """A whole Module, as torch.save(model) writes it: its class by name and its attributes (parameters, buffers,
    submodules, settings). Hooks are functions of the running program and are refused rather than dropped."""
    node = {}
    ref = out.first_time(module, node)
    if ref is not None:
        return ref
    out.objects = True
    name = _global_name(type(module))
    if name is None:
        raise TypeError(
            f"xpnn.save: cannot save {where}: its class {type(module).__qualname__} is not defined at the top level "
            f"of a module, so load could not find it; save its state_dict() instead"
        )
    for hooks in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks"):
        if getattr(module, hooks, None):
            raise TypeError(
                f"xpnn.save: cannot save {where} ({type(module).__name__}) with hooks registered ({hooks}); remove "
                f"them first, or save its state_dict()"
            )
    node.update(type="module", name=name, state=_encode(dict(vars(module)), out, f"{where}.__dict__", containing))
    return node


def _global_name(obj):
    """'package.module.QualName' for a class or function defined at the top level of a module, else None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not module or not qualname or "<" in qualname or "." in qualname:
        return None
    return f"{module}.{qualname}"


def _encode_array(array, arrays, where):
    if array.dtype.hasobject:
        raise TypeError(
            f"xpnn.save: cannot save {where}: arrays of Python objects (dtype object) would need "
            f"pickle; convert it to a numeric array"
        )
    name = f"arrays/{len(arrays)}.npy"
    arrays.append((name, array))
    # The saving backend is recorded for load's map_location dict and callable (files without it still load).
    backend = _backend.backend_of(array).name
    return {"entry": name, "dtype": array.dtype.str, "shape": list(array.shape), "backend": backend}


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

    The temporary file lives in the directory of the file written (a rename is only atomic within one file
    system). On any exception, KeyboardInterrupt included, it is removed and ``path`` is left as it was. As far
    as a rename allows, this behaves as ``open(path, "wb")``: a read-only file is refused, an existing file
    keeps its mode, a symlink is written through (the link stays, its target gets the data), and errors name
    ``path``. A path that is not a regular file (``/dev/null``, a FIFO) is opened and written directly.
    """
    path = os.fsdecode(path)
    target = os.path.realpath(path)
    mode = _mode_for_new_content(path, target)
    if mode is None:
        with open(target, "wb") as f:
            yield _WriteOnly(f)
        return
    directory = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    except OSError as e:
        raise type(e)(e.errno, f"{e.strerror} (cannot create a file in {directory})", path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # mkstemp makes the file private; give it the mode open() would have left
        try:
            os.replace(tmp, target)
        except OSError as e:
            raise type(e)(e.errno, e.strerror, path) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


class _WriteOnly:
    """A file seen as a stream: /dev/null says it is seekable but reports position 0 whatever was written, which
    breaks the offsets zipfile records; without seek/tell, zipfile counts the bytes itself."""

    def __init__(self, f):
        self.write, self.flush = f.write, f.flush


def _mode_for_new_content(path, target):
    """The permission bits the written file gets: the existing file's, or those a new file gets from the umask.
    None for an existing path that is not a regular file (written in place). Raises PermissionError naming
    ``path`` for a read-only file, which open() would refuse; a file with no write bit is refused even for root,
    whom open() would let through, since replacing it would defeat the point of making it read-only."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return 0o666 & ~_UMASK
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if not stat.S_ISREG(st.st_mode):
        return None
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(
            errno.EACCES, "Permission denied (the file is read-only; make it writable or write elsewhere)", path
        )
    return stat.S_IMODE(st.st_mode)


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
_SAFE_GLOBALS = {}  # 'module.QualName' -> class or function allowed in whole-Module checkpoints (add_safe_globals)
_scoped_safe_globals = contextvars.ContextVar("xpnn_safe_globals", default={})


def _allowed(objects):
    named = {}
    for obj in objects:
        name = _global_name(obj)
        if name is None:
            raise TypeError(f"safe globals must be classes or functions defined at a module's top level, got {obj!r}")
        named[name] = obj
    return named


def add_safe_globals(safe_globals):
    """Allow these classes / functions (your Module subclasses) in whole-Module checkpoints, as torch's
    ``torch.serialization.add_safe_globals``. xpnn's own layers and functional ops are always allowed."""
    _SAFE_GLOBALS.update(_allowed(safe_globals))


def get_safe_globals():
    return list({**_SAFE_GLOBALS, **_scoped_safe_globals.get()}.values())


def clear_safe_globals():
    _SAFE_GLOBALS.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """``with xpnn.serialization.safe_globals([MyModel]): model = xpnn.load(f)``, as in torch."""
    token = _scoped_safe_globals.set({**_scoped_safe_globals.get(), **_allowed(safe_globals)})
    try:
        yield
    finally:
        _scoped_safe_globals.reset(token)


#: Where the functions a checkpoint may name without weights_only=False live: tensor math only. A model calls
#: what it holds (``self.activation(x)``), so a file must not be able to put, say, ``xpnn.save`` there.
TENSOR_FUNCTION_MODULES = ("xpnn.functions", "xpnn.nn.functional")


def _is_tensor_function_module(module_name):
    return any(module_name == m or module_name.startswith(m + ".") for m in TENSOR_FUNCTION_MODULES)


def _resolve_global(name, weights_only, path):
    """The class or function a checkpoint names. Loading a name runs no code from the file: it is looked up among
    the allowed globals, or among xpnn's own layers and tensor functions (a layer's activation, say); with
    weights_only=False (you trust the file), any Module subclass or function importable under that name."""
    allowed = {**_SAFE_GLOBALS, **_scoped_safe_globals.get()}
    if name in allowed:
        return allowed[name]
    module_name, _, qualname = name.rpartition(".")
    own = module_name == "xpnn" or module_name.startswith("xpnn.")
    if own or weights_only is False:
        try:
            found = getattr(importlib.import_module(module_name), qualname)
        except (ImportError, AttributeError):
            found = None
        if (isinstance(found, type) and issubclass(found, Module)) or (
            _is_tensor_function_module(module_name) and inspect.isfunction(found)
        ):
            return found
        if own and isinstance(found, type) and issubclass(found, tuple) and hasattr(found, "_fields"):
            return found
        if weights_only is False and inspect.isfunction(found):
            return found
    raise CheckpointError(
        f"{path}: the checkpoint holds {name}, which xpnn.load does not build unless allowed: pass it to "
        f"xpnn.serialization.add_safe_globals([...]) or use `with xpnn.serialization.safe_globals([...]):`, "
        f"or load with weights_only=False if you trust the file"
    )


def load(f, map_location=None, *, weights_only=None, backend=None):
    """Read a checkpoint written by :func:`save` from ``f``, a path or a binary file object (as torch.load).

    Tensors and arrays come back on the current backend, whatever backend saved them (torch puts them back on
    the saving device), or as ``map_location`` says: a backend or device name ('numpy', 'cupy', 'cpu', 'cuda',
    'cuda:0') or a Backend; a dict from the saving backend or device name to the one to load onto (others go
    to the current backend); or a function ``(host numpy array, saving backend's name) -> array or None`` (None:
    the current backend). ``backend=`` is xpnn's older name for a backend or device name. Numpy scalars stay
    numpy scalars.

    A whole Module saved with ``xpnn.save(model, f)`` comes back as that Module; its class (and any function it
    holds) must be one of xpnn's own or allowed, as torch's ``weights_only`` loading asks:
    ``xpnn.serialization.safe_globals([MyModel])`` / ``add_safe_globals``, or ``weights_only=False`` to import
    any Module subclass the file names. Loading never runs code from the file (no pickle).

    Raises CheckpointError (a ValueError) naming ``f`` when the data is truncated, corrupt, not an xpnn
    checkpoint, or from a newer format version.
    """
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"xpnn.load: weights_only must be True, False or None, got {weights_only!r}")
    if backend is not None:
        if map_location is not None:
            raise TypeError("xpnn.load: give map_location or backend, not both (backend is the older name)")
        map_location = backend
    place = _placement(map_location)
    if _is_path(f):
        path = os.fsdecode(f)
        with open(path, "rb") as stream:  # a missing or unreadable file is the usual OSError
            return _load_stream(stream, path, place, weights_only)
    if not hasattr(f, "read") or isinstance(f, io.TextIOBase):
        raise TypeError(
            f"xpnn.load: f must be a path (str or os.PathLike) or a file object opened for binary reading "
            f"(open(path, 'rb'), io.BytesIO(data)), got {_describe(f)}"
        )
    name = getattr(f, "name", None)
    where = name if isinstance(name, str) else f"<{type(f).__name__}>"
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())  # a zip is read from its end: a pipe or socket is read into memory first
    return _load_stream(f, where, place, weights_only)


def _placement(map_location):
    """A function (host array, saving backend's name or None) -> array of the destination backend."""
    if map_location is None:
        return lambda host, saved_on: _backend.current_backend().asarray(host)
    if callable(map_location) and not isinstance(map_location, _backend.Backend):

        def place(host, saved_on):
            array = map_location(host, saved_on)
            return _backend.current_backend().asarray(host) if array is None else array

        return place
    if isinstance(map_location, dict):
        targets = {
            _backend.resolve_backend(source).name: _backend.resolve_backend(dest)
            for source, dest in map_location.items()
        }
        for dest in targets.values():
            dest.check_available()
        return lambda host, saved_on: targets.get(saved_on, _backend.current_backend()).asarray(host)
    dest = _backend.resolve_backend(map_location)
    dest.check_available()
    return lambda host, saved_on: dest.asarray(host)


def _load_stream(stream, path, place, weights_only=None):
    try:
        archive = zipfile.ZipFile(stream)
    except _ZIP_ERRORS as e:
        raise CheckpointError(
            f"{path}: not an xpnn checkpoint: not a zip/.npz archive, or a truncated or damaged one ({e})"
        ) from None
    with archive:
        metadata = _read_metadata(archive, path)
        try:
            return _Decoder(archive, path, place, weights_only).decode(metadata["root"])
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as e:  # not a valid tree
            raise CheckpointError(f"{path}: malformed checkpoint metadata ({type(e).__name__}: {e})") from None


# What zipfile raises for a damaged archive. It reads some damaged header fields as features it lacks: a flipped
# flag bit says "encrypted", a flipped method or version byte "unsupported" (RuntimeError, NotImplementedError);
# a damaged offset makes it seek before the start, which io.BytesIO refuses with ValueError.
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError)


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
    def __init__(self, archive, path, place, weights_only=None):
        self.archive, self.path, self.place, self.weights_only = archive, path, place, weights_only
        self.refs = {}  # reference number -> the tensor or module decoded for it

    def decode(self, node):
        kind = node["type"]
        if kind == "ref":
            return self.refs[node["id"]]
        if kind == "module":
            cls = _resolve_global(node["name"], self.weights_only, self.path)
            if not (isinstance(cls, type) and issubclass(cls, Module)):
                raise CheckpointError(f"{self.path}: {node['name']} is not a Module class")
            module = self.refs[node["ref"]] = cls.__new__(cls)
            vars(module).update(self.decode(node["state"]))
            return module
        if kind == "global":
            return _resolve_global(node["name"], self.weights_only, self.path)
        if kind == "set":
            return {self.key(k) for k in node["items"]}
        if kind == "namedtuple":
            cls = _resolve_global(node["name"], self.weights_only, self.path)
            if not (isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")):
                raise CheckpointError(f"{self.path}: {node['name']} is not a namedtuple class")
            return cls(*[self.decode(v) for v in node["items"]])
        if kind in _DICT_TYPES:
            return _DICT_TYPES[kind]({self.key(k): self.decode(v) for k, v in node["items"]})
        if kind in ("list", "tuple"):
            items = [self.decode(v) for v in node["items"]]
            return items if kind == "list" else tuple(items)
        if kind == "tensor":
            if node.get("parameter"):
                tensor = Parameter(self.placed(node), requires_grad=bool(node["requires_grad"]))
            else:
                tensor = Tensor(self.placed(node), requires_grad=bool(node["requires_grad"]))
            if "ref" in node:
                self.refs[node["ref"]] = tensor
            return tensor
        if kind == "array":
            return self.placed(node)
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

    def placed(self, node):
        return self.place(self.array(node), node.get("backend"))

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
