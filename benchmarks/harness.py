"""Shared benchmark plumbing: interleaved timing with medians, peers that may be missing, and a table."""
import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import xpnn  # noqa: E402


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def cuda_torch_or_none():
    torch = torch_or_none()
    return torch if torch is not None and torch.cuda.is_available() else None


def xpnn_backends():
    """The xpnn backends to measure: numpy always, cupy when it can run here."""
    return [b for b in ("numpy", "cupy") if b in xpnn.available_backends()]


def sync(backend_name):
    """Wait for queued GPU work, so a timer measures the work and not its launch."""
    if backend_name == "cupy":
        import cupy
        cupy.cuda.Stream.null.synchronize()
    elif backend_name == "torch-cuda":
        import torch
        torch.cuda.synchronize()


def interleaved(runners, repeats, warmup=1):
    """Time each runner ``repeats`` times, in turn (A B C A B C ...), so drifts in machine load hit every
    runner alike. ``runners`` maps a name to (callable, sync_name). Returns name -> list of seconds.

    What is alive after setup (models, data, and the many objects torch creates when imported) is moved out
    of the garbage collector's sight, so that neither framework pays for scanning the other's objects."""
    gc.collect()
    gc.freeze()
    for fn, sync_name in runners.values():
        for _ in range(warmup):
            fn()
            sync(sync_name)
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, (fn, sync_name) in runners.items():
            sync(sync_name)
            start = time.perf_counter()
            fn()
            sync(sync_name)
            times[name].append(time.perf_counter() - start)
    return times


def median(values):
    return statistics.median(values)


def print_table(title, header, rows):
    """rows: lists of cells (already formatted strings)."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


def machine_line():
    import numpy as np
    torch = torch_or_none()
    parts = [f"{os.cpu_count()} CPU cores", f"numpy {np.__version__}", f"xpnn {xpnn.__version__}"]
    if torch is not None:
        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    return ", ".join(parts)
