"""The NCCL process group cannot run without GPUs; this checks that every cupy name it calls exists, so an API
change in cupy shows up in CI rather than on a cluster."""

import inspect

import pytest

from xpnn.distributed import nccl as xpnn_nccl


def test_the_cupy_nccl_names_the_nccl_group_uses_exist():
    cupy = pytest.importorskip("cupy", reason="cupy is not installed (pip install cupy-cuda13x imports without a GPU)")
    from cupy.cuda import nccl

    if not nccl.available:
        pytest.skip("cupy cannot load the NCCL library (pip install nvidia-nccl-cu13)")
    source = inspect.getsource(xpnn_nccl)
    constants = {name for name in dir(nccl) if name.startswith("NCCL_")}
    used = {word for word in source.replace("(", " ").replace(")", " ").replace(",", " ").split() if "NCCL_" in word}
    assert len(used) >= 10
    assert {u.split("nccl.")[-1].rstrip(":") for u in used} - {"NCCL_UNIQUE_ID_BYTES"} <= constants
    for method in ("allReduce", "bcast", "allGather", "reduceScatter", "abort", "destroy", "check_async_error"):
        assert method in source and callable(getattr(nccl.NcclCommunicator, method)), method
    assert callable(nccl.get_unique_id)
    for name in ("Event", "Device", "get_current_stream"):
        assert hasattr(cupy.cuda, name), name
    assert hasattr(cupy.cuda.runtime, "getDeviceCount")
    for name in ("ascontiguousarray", "stack", "empty", "zeros", "ndarray"):
        assert hasattr(cupy, name), name
