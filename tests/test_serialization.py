import collections
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.optim import Adam
from xpnn.optim.lr_scheduler import MultiStepLR
from xpnn.serialization import METADATA_ENTRY, CheckpointError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _backends():
    return [n for n in ("numpy", "strict", "cupy") if n in xpnn.available_backends()]


def _host(x):
    return x.numpy() if isinstance(x, xpnn.Tensor) else xpnn.backend.backend_of(x).to_host(x)


def _temp_files(directory):
    return [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def _arrays(backend_name):
    """Arrays of many dtypes and layouts, on ``backend_name``."""
    dest = xpnn.backend.resolve_backend(backend_name)
    host = {
        "f32": np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4),
        "f64": np.array([np.pi, -0.0, np.inf, np.nan]),
        "f16": np.array([1.5, -2.25], dtype=np.float16),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u64": np.array([2**64 - 1], dtype=np.uint64),
        "bool": np.array([True, False]),
        "c64": np.array([1 + 2j], dtype=np.complex64),
        "scalar0d": np.array(7, dtype=np.int32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "strided": np.arange(20, dtype=np.float32).reshape(4, 5)[::2, 1::2],
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
    }
    return host, {name: dest.asarray(a) for name, a in host.items()}


def test_round_trip_keeps_structure_key_types_and_exact_values(tmp_path, backend):
    host, arrays = _arrays(backend)
    obj = {
        "tensors": {"w": xpnn.tensor([[1.0, 2.0]], requires_grad=True), "b": xpnn.tensor([3], dtype=np.int64)},
        "arrays": arrays,
        "numbers": [0, -1, 2**127 + 1, -(2**70), 0.1, -0.0, float("inf"), 1e-310, True, False, None],
        "scalars": (np.float32(2.5), np.int64(-3), np.bool_(True)),
        "strings": ["", "ünïcode ✓", '"quoted" {json}'],
        "keys": {0: "int", -5: "negative", 1.5: "float", True: "bool", None: "none", ("a", 1): "tuple", "0": "str"},
        "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
        "counter": collections.Counter({3: 2, 5: 1}),
        "nested": [[], {}, ((),)],
    }
    path = tmp_path / "ckpt.npz"
    xpnn.save(obj, path)
    out = xpnn.load(path)

    assert list(out) == list(obj)
    w = out["tensors"]["w"]
    assert isinstance(w, xpnn.Tensor) and w.backend == backend and w.requires_grad and w.dtype == np.float32
    np.testing.assert_array_equal(w.numpy(), [[1.0, 2.0]])
    b = out["tensors"]["b"]
    assert not b.requires_grad and b.dtype == np.int64 and b.tolist() == [3]
    for name, expected in host.items():
        got = out["arrays"][name]
        assert xpnn.backend.backend_of(got).name == backend
        got = _host(got)
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected, err_msg=name)
    assert out["numbers"] == obj["numbers"] and [type(v) for v in out["numbers"]] == [type(v) for v in obj["numbers"]]
    assert str(out["numbers"][5]) == "-0.0"
    assert out["scalars"] == obj["scalars"] and [type(v) for v in out["scalars"]] == [np.float32, np.int64, np.bool_]
    assert out["strings"] == obj["strings"]
    assert list(out["keys"].items()) == list(obj["keys"].items())
    assert [type(k) for k in out["keys"]] == [type(k) for k in obj["keys"]]
    assert type(out["ordered"]) is collections.OrderedDict and list(out["ordered"]) == ["z", "a"]
    assert type(out["counter"]) is collections.Counter and out["counter"] == obj["counter"]
    assert out["nested"] == [[], {}, ((),)] and type(out["nested"][2]) is tuple


def test_nan_is_kept_exactly(tmp_path):
    xpnn.save({"x": float("nan")}, tmp_path / "c.npz")
    assert np.isnan(xpnn.load(tmp_path / "c.npz")["x"])


@pytest.mark.parametrize("saved_on", _backends())
@pytest.mark.parametrize("loaded_on", _backends())
def test_a_file_saved_on_one_backend_loads_on_another(tmp_path, saved_on, loaded_on):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    with xpnn.use_backend(saved_on):
        xpnn.save({"t": xpnn.tensor(host), "a": xpnn.backend.current_backend().asarray(host)}, tmp_path / "c.npz")
    with xpnn.use_backend(loaded_on):
        out = xpnn.load(tmp_path / "c.npz")
    assert out["t"].backend == loaded_on
    assert xpnn.backend.backend_of(out["a"]).name == loaded_on
    np.testing.assert_array_equal(out["t"].numpy(), host)
    np.testing.assert_array_equal(_host(out["a"]), host)


def test_load_to_a_named_backend(tmp_path):
    xpnn.save({"t": xpnn.tensor([1.0])}, tmp_path / "c.npz")
    with xpnn.use_backend("strict"):
        assert xpnn.load(tmp_path / "c.npz", backend="numpy")["t"].backend == "numpy"
        assert xpnn.load(tmp_path / "c.npz")["t"].backend == "strict"


def _mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def _train_step(model, optimizer, x, y):
    loss = nn.CrossEntropyLoss()(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def test_model_optimizer_and_scheduler_states_round_trip(tmp_path, backend):
    x, y = (
        xpnn.tensor(np.random.default_rng(0).standard_normal((5, 4)), dtype=np.float32),
        xpnn.tensor(np.array([0, 1, 2, 1, 0])),
    )
    model = _mlp()
    optimizer = Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9), amsgrad=True)
    scheduler = MultiStepLR(optimizer, milestones=[1, 3, 3], gamma=0.5)
    for _ in range(2):
        _train_step(model, optimizer, x, y)
        scheduler.step()
    xpnn.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "epoch": 2,
        },
        tmp_path / "c.npz",
    )
    ckpt = xpnn.load(tmp_path / "c.npz")

    assert list(ckpt["model"]) == list(model.state_dict())
    assert list(ckpt["optimizer"]["state"]) == [0, 1, 2, 3]  # int keys, as torch's
    assert ckpt["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)
    clone = _mlp()
    clone.load_state_dict(ckpt["model"])
    clone_optimizer = Adam(clone.parameters(), lr=0.01)
    clone_optimizer.load_state_dict(ckpt["optimizer"])
    clone_scheduler = MultiStepLR(clone_optimizer, milestones=[9])
    clone_scheduler.load_state_dict(ckpt["scheduler"])
    # Two more steps from the checkpoint (crossing the doubled milestone 3) give the same weights as the original.
    for _ in range(2):
        _train_step(model, optimizer, x, y)
        scheduler.step()
        _train_step(clone, clone_optimizer, x, y)
        clone_scheduler.step()
    assert clone_scheduler.get_last_lr() == scheduler.get_last_lr() == [0.01 * 0.5**3]
    for (name, a), b in zip(model.state_dict().items(), clone.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_rng_state_round_trips_through_a_checkpoint(tmp_path, backend):
    device = xpnn.backend.current_backend()
    xpnn.random.device_rng(device).random((3,))  # create the device generator and move it on
    xpnn.random.host_rng().random()
    xpnn.save({"rng": xpnn.get_rng_state()}, tmp_path / "c.npz")
    expected_host = xpnn.random.host_rng().random(4)
    expected_device = device.to_host(xpnn.random.device_rng(device).random((4,)))

    xpnn.manual_seed(123)  # anything else
    xpnn.random.device_rng(device).random((2,))
    xpnn.set_rng_state(xpnn.load(tmp_path / "c.npz")["rng"])
    np.testing.assert_array_equal(xpnn.random.host_rng().random(4), expected_host)
    np.testing.assert_array_equal(device.to_host(xpnn.random.device_rng(device).random((4,))), expected_device)


def test_saving_an_unsupported_value_names_it_and_writes_nothing(tmp_path):
    path = tmp_path / "c.npz"
    with pytest.raises(TypeError, match=r"obj\['model'\]\['fn'\] of type function"):
        xpnn.save({"model": {"fn": lambda: 0}}, path)
    with pytest.raises(TypeError, match=r"obj\[1\].*dtype object.*pickle"):
        xpnn.save([0, np.array([{}], dtype=object)], path)
    with pytest.raises(TypeError, match="dict key of type frozenset"):
        xpnn.save({frozenset(): 1}, path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    xpnn.save({"v": np.arange(3)}, path)
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # as if Ctrl-C arrived in the middle of the write

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        xpnn.save({"v": np.arange(5)}, path)
    assert path.read_bytes() == before
    assert _temp_files(tmp_path) == []


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    xpnn.save({}, tmp_path / "c.npz")
    assert os.stat(tmp_path / "c.npz").st_mode & 0o777 == 0o666 & ~umask


# A writer killed in the middle of saving. Each array is followed by a pause (a slow disk), so the kill surely
# lands while the temporary file is being written, never after the rename.
_KILLED_WRITER = """
import sys, time
import numpy as np
import xpnn
real_write_array = np.lib.format.write_array
def slow_write_array(*args, **kwargs):
    real_write_array(*args, **kwargs)
    time.sleep(0.1)
np.lib.format.write_array = slow_write_array
xpnn.save({f"w{i}": np.full(2 ** 21, i, dtype=np.float32) for i in range(8)}, sys.argv[1])  # 8 x 8 MiB
"""


def test_a_writer_killed_mid_save_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "ckpt.npz"
    original = {"step": 10, "w": np.arange(100, dtype=np.float32)}
    xpnn.save(original, path)
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)], env={**os.environ, "PYTHONPATH": REPO})
    try:
        deadline = time.monotonic() + 60
        while not any(t.stat().st_size > 2**23 for t in _temp_files(tmp_path)):  # the first array is out
            assert writer.poll() is None, "the writer exited before it could be interrupted"
            assert time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.005)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL

    loaded = xpnn.load(path)
    assert loaded["step"] == 10
    np.testing.assert_array_equal(loaded["w"], original["w"])
    # The half-written temporary is left behind; it is hidden, named *.tmp, and not a loadable checkpoint.
    [stray] = _temp_files(tmp_path)
    assert stray.name.startswith(".ckpt.npz.")
    with pytest.raises(CheckpointError, match="not an xpnn checkpoint.*truncated"):
        xpnn.load(stray)
    # The next save succeeds over it all.
    xpnn.save({"step": 11}, path)
    assert xpnn.load(path) == {"step": 11}


# -- files that are not (intact) checkpoints --------------------------------------------------------------
@pytest.fixture
def good_checkpoint(tmp_path):
    path = tmp_path / "good.npz"
    xpnn.save(
        {
            "model": {"w": xpnn.tensor(np.arange(6.0).reshape(2, 3))},
            "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones(3)}}},
            "rng": 2**100,
        },
        path,
    )
    return path


def _intact(ckpt):
    return (
        np.array_equal(ckpt["model"]["w"].numpy(), np.arange(6.0, dtype=np.float32).reshape(2, 3))
        and ckpt["optimizer"] == {"state": {0: {"step": 3, "exp_avg": ckpt["optimizer"]["state"][0]["exp_avg"]}}}
        and np.array_equal(ckpt["optimizer"]["state"][0]["exp_avg"], np.ones(3))
        and ckpt["rng"] == 2**100
    )


def test_every_truncation_of_a_checkpoint_is_a_clear_error(good_checkpoint, tmp_path):
    data = good_checkpoint.read_bytes()
    cut = tmp_path / "cut.npz"
    # Every length near the end, where the zip's directory is, and a sample of the rest.
    for length in sorted(set(range(0, len(data), 7)) | set(range(len(data) - 150, len(data)))):
        cut.write_bytes(data[:length])
        with pytest.raises(CheckpointError, match=f"{cut}: .*truncated"):
            xpnn.load(cut)


def test_a_damaged_byte_is_an_error_or_harmless(good_checkpoint, tmp_path):
    # Bytes of array data and metadata are covered by the zip's CRC; others are zip bookkeeping that either
    # breaks reading (an error) or does not matter (the data comes back intact). Never a wrong value or another
    # exception type.
    data = good_checkpoint.read_bytes()
    damaged = tmp_path / "damaged.npz"
    errors = 0
    for i in range(0, len(data), 3):
        flipped = bytearray(data)
        flipped[i] ^= 0x55
        damaged.write_bytes(flipped)
        try:
            assert _intact(xpnn.load(damaged)), f"byte {i} damaged: wrong values loaded without an error"
        except CheckpointError as e:
            assert str(damaged) in str(e)
            errors += 1
    assert errors > len(data) // 6


def _write_zip(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, content in entries.items():
            z.writestr(name, content)


def _metadata(**changes):
    root = {"type": "dict", "items": [[{"type": "str", "value": "a"}, {"type": "int", "value": "1"}]]}
    return json.dumps({"format": "xpnn-checkpoint", "version": 1, "root": root, **changes})


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "not a zip/.npz archive"),
        (b"epoch 3, loss 0.1\n", "not a zip/.npz archive"),
        ({"x.npy": b"\x93NUMPY"}, f"without the {METADATA_ENTRY} entry"),
        ({METADATA_ENTRY: b"\xff\xfe{"}, "corrupt checkpoint metadata"),
        ({METADATA_ENTRY: "[1, 2]"}, "does not say format 'xpnn-checkpoint'"),
        ({METADATA_ENTRY: "[" * 100_000}, "corrupt checkpoint metadata"),
        ({METADATA_ENTRY: _metadata(format="other")}, "does not say format 'xpnn-checkpoint'"),
        ({METADATA_ENTRY: _metadata(version=3)}, "format version 3, but this xpnn reads versions 1 to 2; upgrade"),
        ({METADATA_ENTRY: _metadata(version="1")}, "format version '1'"),
        ({METADATA_ENTRY: _metadata(root={"type": "pickle", "value": "os"})}, "unknown node type 'pickle'"),
        ({METADATA_ENTRY: _metadata(root={"type": "global", "name": "os.system"})}, "holds os.system, which xpnn.load"),
        (  # xpnn's own, but no tensor function: a model calling what it holds must not save or download
            {METADATA_ENTRY: _metadata(root={"type": "global", "name": "xpnn.serialization.save"})},
            "holds xpnn.serialization.save, which xpnn.load does not build unless allowed",
        ),
        (
            {METADATA_ENTRY: _metadata(root={"type": "global", "name": "xpnn.datasets._download.download"})},
            "holds xpnn.datasets._download.download, which xpnn.load",
        ),
        (
            {METADATA_ENTRY: _metadata(root={"type": "module", "name": "subprocess.Popen", "ref": 0, "state": {}})},
            "holds subprocess.Popen, which xpnn.load does not build unless allowed",
        ),
        ({METADATA_ENTRY: _metadata(root={"type": "list"})}, "malformed checkpoint metadata.*KeyError"),
        ({METADATA_ENTRY: _metadata(root={"type": "int", "value": "x"})}, "malformed checkpoint metadata.*ValueError"),
        (
            {METADATA_ENTRY: _metadata(root={"type": "array", "entry": "arrays/0.npy", "dtype": "<f4", "shape": []})},
            "array entry 'arrays/0.npy' is missing",
        ),
    ],
)
def test_foreign_or_malformed_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.npz"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _write_zip(path, content)
    with pytest.raises(CheckpointError, match=f"{path}: .*{message}"):
        xpnn.load(path)


def test_a_plain_npz_is_not_a_checkpoint(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(CheckpointError, match="plain.npz: not an xpnn checkpoint"):
        xpnn.load(tmp_path / "plain.npz")


def test_array_entries_must_match_their_metadata(tmp_path):
    path = tmp_path / "c.npz"
    xpnn.save({"w": np.ones((2, 3), dtype=np.float32)}, path)
    with zipfile.ZipFile(path) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    entries[METADATA_ENTRY] = entries[METADATA_ENTRY].replace(b'"<f4"', b'"<f8"')
    _write_zip(path, entries)
    with pytest.raises(CheckpointError, match="holds <f4 \\(2, 3\\), the metadata says <f8 \\(2, 3\\)"):
        xpnn.load(path)


class _Payload:
    def __reduce__(self):
        return (open, (MARKER, "w"))


MARKER = None


def test_loading_never_unpickles(tmp_path):
    # A checkpoint whose array entry is a pickled object array that would create a file when unpickled.
    global MARKER
    MARKER = str(tmp_path / "code-ran")
    path = tmp_path / "evil.npz"
    xpnn.save({"w": np.ones(1)}, path)
    with zipfile.ZipFile(path) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload()
    with open(tmp_path / "payload.npy", "wb") as f:
        np.lib.format.write_array(f, payload, allow_pickle=True)
    entries["arrays/0.npy"] = (tmp_path / "payload.npy").read_bytes()
    _write_zip(path, entries)
    with pytest.raises(CheckpointError, match="Object arrays cannot be loaded when allow_pickle=False"):
        xpnn.load(path)
    assert not os.path.exists(MARKER)


# -- writing to paths behaves as writing the file in place (issue 11, item 3) -------------------------------------
def test_a_read_only_file_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "c.npz"
    xpnn.save({"v": 1}, path)
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match=f"read-only.*'{path}'"):
        xpnn.save({"v": 2}, path)
    assert xpnn.load(path) == {"v": 1}
    assert os.stat(path).st_mode & 0o777 == 0o444
    assert _temp_files(tmp_path) == []


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "c.npz"
    xpnn.save({"v": 1}, path)
    os.chmod(path, 0o600)
    xpnn.save({"v": 2}, path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert xpnn.load(path) == {"v": 2}


def test_saving_to_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "real.npz"
    xpnn.save({"v": 1}, target)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    xpnn.save({"v": 2}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert xpnn.load(target) == {"v": 2}
    assert _temp_files(tmp_path) == [] and _temp_files(tmp_path / "runs") == []


def test_errors_name_the_path_given_not_the_temporary_file(tmp_path):
    missing = tmp_path / "no_such_dir" / "c.npz"
    with pytest.raises(FileNotFoundError) as info:
        xpnn.save({"v": 1}, missing)
    assert info.value.filename == str(missing) and ".tmp" not in str(info.value)
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        xpnn.save({"v": 1}, tmp_path / "d")
    assert info.value.filename == str(tmp_path / "d")
    assert _temp_files(tmp_path) == [] and _temp_files(tmp_path / "d") == []


def test_a_path_that_is_not_a_regular_file_is_written_in_place(tmp_path):
    # A FIFO stands for /dev/null and devices: renaming a regular file over them (even as root) would replace them.
    import io
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    xpnn.save({"v": np.ones(3)}, fifo)
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    np.testing.assert_array_equal(xpnn.load(io.BytesIO(received[0]))["v"], np.ones(3))


def test_a_self_referencing_container_is_a_clear_error(tmp_path):
    state = {"epoch": 1}
    state["self"] = state
    with pytest.raises(ValueError, match=r"obj\['self'\] contains itself \(a reference cycle\)"):
        xpnn.save(state, tmp_path / "c.npz")
    items = [1]
    items.append({"items": items})
    with pytest.raises(ValueError, match=r"obj\[1\]\['items'\] contains itself"):
        xpnn.save(items, tmp_path / "c.npz")
    shared = np.ones(2)  # the same object twice (not a cycle) is fine
    xpnn.save({"a": [shared], "b": [shared]}, tmp_path / "c.npz")
    assert list(tmp_path.iterdir()) == [tmp_path / "c.npz"]


# -- file objects, map_location, weights_only (issue 10) -----------------------------------------------------------
def test_save_and_load_through_file_objects(tmp_path, backend):
    import io

    host, arrays = _arrays(backend)
    obj = {"w": xpnn.tensor([[1.0, 2.0]], requires_grad=True), "arrays": arrays, "step": 3}
    buffer = io.BytesIO()
    xpnn.save(obj, buffer)
    buffer.seek(0)
    out = xpnn.load(buffer)
    assert out["step"] == 3 and out["w"].requires_grad
    for name, a in host.items():
        np.testing.assert_array_equal(_host(out["arrays"][name]), a)
    with open(tmp_path / "c.npz", "wb") as f:
        xpnn.save(obj, f)
    with open(tmp_path / "c.npz", "rb") as f:
        np.testing.assert_array_equal(xpnn.load(f)["w"].numpy(), [[1.0, 2.0]])
    assert xpnn.load(tmp_path / "c.npz")["step"] == 3  # the same bytes as a path


def test_a_checkpoint_is_read_from_an_unseekable_stream(tmp_path):
    xpnn.save({"w": np.arange(4)}, tmp_path / "c.npz")
    with subprocess.Popen(["cat", str(tmp_path / "c.npz")], stdout=subprocess.PIPE) as cat:
        out = xpnn.load(cat.stdout)
    np.testing.assert_array_equal(out["w"], np.arange(4))


def test_file_objects_of_the_wrong_kind_are_clear_errors(tmp_path):
    import io

    with open(tmp_path / "t.txt", "w") as f, pytest.raises(TypeError, match="binary writing.*text mode"):
        xpnn.save({}, f)
    with pytest.raises(TypeError, match="binary reading.*got an object of type int"):
        xpnn.load(3)
    with pytest.raises(CheckpointError, match="<BytesIO>: not an xpnn checkpoint"):
        xpnn.load(io.BytesIO(b"not a zip"))


def test_map_location_places_tensors_as_torch_does(tmp_path):
    host = np.arange(3, dtype=np.float32)
    with xpnn.use_backend("strict"):
        xpnn.save({"t": xpnn.tensor(host), "a": xpnn.backend.current_backend().asarray(host)}, tmp_path / "s.npz")
    xpnn.save({"t": xpnn.tensor(host)}, tmp_path / "n.npz")
    for location in ("cpu", "numpy", xpnn.backend.resolve_backend("numpy")):
        out = xpnn.load(tmp_path / "s.npz", map_location=location)
        assert out["t"].backend == "numpy" and type(out["a"]) is np.ndarray
    with xpnn.use_backend("strict"):
        assert xpnn.load(tmp_path / "s.npz", "cpu")["t"].backend == "numpy"  # positional, as torch.load(f, "cpu")
        # A dict maps the saving backend to another; what it does not name goes to the current backend.
        assert xpnn.load(tmp_path / "s.npz", map_location={"strict": "cpu"})["t"].backend == "numpy"
        assert xpnn.load(tmp_path / "n.npz", map_location={"strict": "cpu"})["t"].backend == "strict"
        assert xpnn.load(tmp_path / "n.npz", map_location={"cpu": "strict"})["t"].backend == "strict"
    seen = []

    def keep_on_host(array, location):
        seen.append((type(array), location))
        return array

    with xpnn.use_backend("strict"):
        out = xpnn.load(tmp_path / "s.npz", map_location=keep_on_host)
    assert out["t"].backend == "numpy" and seen == [(np.ndarray, "strict")] * 2
    np.testing.assert_array_equal(out["t"].numpy(), host)
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        xpnn.load(tmp_path / "s.npz", map_location="tpu")
    with pytest.raises(TypeError, match="map_location or backend, not both"):
        xpnn.load(tmp_path / "s.npz", map_location="cpu", backend="numpy")


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_weights_only_is_accepted_and_loads_the_same(tmp_path, weights_only):
    xpnn.save({"w": xpnn.tensor([1.0]), "epoch": 2, "name": "mlp"}, tmp_path / "c.npz")
    out = xpnn.load(tmp_path / "c.npz", weights_only=weights_only)
    assert out["epoch"] == 2 and out["name"] == "mlp" and out["w"].tolist() == [1.0]
    with pytest.raises(TypeError, match="weights_only must be True, False or None"):
        xpnn.load(tmp_path / "c.npz", weights_only="yes")


# -- whole Modules, as torch.save(model, f) / torch.load(f) in pytorch/examples' word_language_model --------------
def _tied_lm(lib):
    return TiedLM() if lib is xpnn else TorchTiedLM()


class TiedLM(xpnn.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = xpnn.nn.Embedding(10, 6)
        self.rnn = xpnn.nn.LSTM(6, 6)
        self.decoder = xpnn.nn.Linear(6, 10)
        self.decoder.weight = self.encoder.weight
        self.register_buffer("scale", xpnn.tensor([2.0]), persistent=False)
        self.note = ("tied", 3)

    def forward(self, x):
        return self.decoder(self.rnn(self.encoder(x))[0]) * self.scale


try:
    import torch as _torch

    class TorchTiedLM(_torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = _torch.nn.Embedding(10, 6)
            self.rnn = _torch.nn.LSTM(6, 6)
            self.decoder = _torch.nn.Linear(6, 10)
            self.decoder.weight = self.encoder.weight
            self.register_buffer("scale", _torch.tensor([2.0]), persistent=False)
            self.note = ("tied", 3)

        def forward(self, x):
            return self.decoder(self.rnn(self.encoder(x))[0]) * self.scale
except ImportError:
    pass


@pytest.mark.parametrize("lib_name", ["xpnn", "torch"])
def test_a_whole_module_round_trips_with_its_class_allowed(backend, lib_name):
    lib = xpnn if lib_name == "xpnn" else pytest.importorskip("torch")
    model = _tied_lm(lib).eval()
    buffer = io.BytesIO()
    lib.save(model, buffer)
    buffer.seek(0)
    with lib.serialization.safe_globals([type(model)]):
        loaded = lib.load(buffer) if lib is xpnn else lib.load(buffer, weights_only=False)
    assert type(loaded) is type(model) and not loaded.training and loaded.note == ("tied", 3)
    assert loaded.decoder.weight is loaded.encoder.weight  # tied weights stay one parameter
    assert isinstance(loaded.decoder.weight, lib.nn.Parameter) and loaded.decoder.weight.requires_grad
    assert list(loaded.state_dict()) == list(model.state_dict())
    x = lib.tensor([[1, 2], [3, 4]])
    assert np.array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_loading_a_module_needs_its_class_allowed(tmp_path):
    path = tmp_path / "model.pt"
    xpnn.save(TiedLM(), path)
    with pytest.raises(CheckpointError, match=r"holds tests\.test_serialization\.TiedLM, which xpnn\.load does not"):
        xpnn.load(path)
    assert type(xpnn.load(path, weights_only=False)) is TiedLM  # the caller trusts the file
    xpnn.serialization.add_safe_globals([TiedLM])
    try:
        assert TiedLM in xpnn.serialization.get_safe_globals()
        assert type(xpnn.load(path)) is TiedLM
    finally:
        xpnn.serialization.clear_safe_globals()
    # xpnn's own layers need no allowing; their settings keep their types (a conv's geometry is a namedtuple)
    for layer in [xpnn.nn.TransformerEncoderLayer(8, 2, 16), xpnn.nn.Conv2d(1, 2, 3, padding=1), xpnn.nn.MaxPool2d(2)]:
        xpnn.save(layer, path)
        loaded = xpnn.load(path)
        x = xpnn.randn(1, 1, 4, 4) if not isinstance(layer, xpnn.nn.TransformerEncoderLayer) else xpnn.randn(2, 1, 8)
        assert type(loaded) is type(layer) and np.array_equal(loaded.eval()(x).numpy(), layer.eval()(x).numpy())


def test_modules_that_cannot_be_named_or_hold_hooks_are_refused_clearly():
    class Local(xpnn.nn.Module):
        pass

    with pytest.raises(TypeError, match="Local is not defined at the top level of a module"):
        xpnn.save(Local(), io.BytesIO())
    model = xpnn.nn.Linear(2, 2)
    model.register_forward_hook(lambda *a: None)
    with pytest.raises(TypeError, match=r"with hooks registered \(_forward_hooks\)"):
        xpnn.save(model, io.BytesIO())


def test_state_dicts_stay_version_1_and_shared_tensors_come_back_shared():
    buffer = io.BytesIO()
    t = xpnn.tensor([1.0, 2.0])
    xpnn.save({"a": t, "b": t}, buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as archive:
        assert json.loads(archive.read(METADATA_ENTRY))["version"] == 1
    buffer.seek(0)
    loaded = xpnn.load(buffer)
    assert loaded["a"] is loaded["b"]


def test_torchs_module_paths_name_xpnns_classes():
    # word_language_model lists these as the classes its saved model may hold.
    torch = pytest.importorskip("torch")
    for path in [
        "activation.MultiheadAttention",
        "container.ModuleList",
        "dropout.Dropout",
        "linear.Linear",
        "linear.NonDynamicallyQuantizableLinear",
        "normalization.LayerNorm",
        "sparse.Embedding",
        "transformer.TransformerEncoder",
        "transformer.TransformerEncoderLayer",
        "rnn.LSTM",
    ]:
        module, name = path.split(".")
        ours = getattr(getattr(xpnn.nn.modules, module), name)
        theirs = getattr(getattr(torch.nn.modules, module), name)
        assert issubclass(ours, xpnn.nn.Module) and ours.__name__ == theirs.__name__.replace(
            "NonDynamicallyQuantizable", ""
        )
    lstm = xpnn.nn.LSTM(3, 4)
    before = [p.numpy().copy() for p in lstm.parameters()]
    assert lstm.flatten_parameters() is None
    assert all(np.array_equal(a, p.numpy()) for a, p in zip(before, lstm.parameters()))


@pytest.mark.parametrize("function", [xpnn.nn.functional.gelu, xpnn.tanh])
def test_a_module_holding_a_tensor_function_loads_with_it(tmp_path, function):
    layer = xpnn.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, activation=function)
    xpnn.save(layer, tmp_path / "layer.npz")
    assert xpnn.load(tmp_path / "layer.npz").activation is function
