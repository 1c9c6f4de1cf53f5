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


def xpnn_training_epoch(backend, make_model, x, y, batch):
    """A callable that trains ``make_model()`` (built on ``backend``) for one epoch over (x, y): Adam 1e-3,
    cross-entropy, shuffled batches through xpnn's DataLoader, as a user's loop would."""
    from xpnn import nn
    from xpnn.utils.data import DataLoader, TensorDataset

    with xpnn.use_backend(backend):
        xpnn.manual_seed(0)
        model = make_model()
        optimizer = xpnn.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        loader = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True, seed=0)

    def epoch():
        with xpnn.use_backend(backend):
            for xb, yb in loader:
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return loss.item()

    return epoch


def torch_training_epoch(torch, device, make_model, x, y, batch):
    """The same epoch in PyTorch; batches by indexing tensors already on the device (torch's fastest path)."""
    torch.manual_seed(0)
    model = make_model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    gen = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(xt), generator=gen).to(device)
        for i in range(0, len(xt), batch):
            idx = order[i : i + batch]
            loss = loss_fn(model(xt[idx]), yt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()

    return epoch


def training_epoch_table(title, make_xpnn_model, make_torch_model, x, y, batch, repeats):
    """Time one training epoch in every framework that can run here and print the table with ratios."""
    runners = runners_for(
        lambda b: xpnn_training_epoch(b, make_xpnn_model, x, y, batch),
        lambda torch, device: torch_training_epoch(torch, device, make_torch_model, x, y, batch),
    )
    times = interleaved(runners, repeats)
    print_table(
        f"{title}, Adam, batch {batch}, {len(x):,} samples/epoch; median of {repeats} interleaved epochs "
        f"({machine_line()})",
        ["framework", "s/epoch", "best", "samples/s", "ratio"],
        timing_rows(times, len(x)),
    )


def runners_for(xpnn_runner, torch_runner):
    """{name: (callable, sync name)} for xpnn on every backend that runs here and PyTorch on the CPU (and CUDA
    when present); ``xpnn_runner(backend)`` and ``torch_runner(torch, device)`` build the callables."""
    runners = {f"xpnn-{b}": (xpnn_runner(b), b) for b in xpnn_backends()}
    torch = torch_or_none()
    if torch is not None:
        runners["torch-cpu"] = (torch_runner(torch, "cpu"), None)
    if cuda_torch_or_none() is not None:
        runners["torch-cuda"] = (torch_runner(torch, "cuda"), "torch-cuda")
    return runners


PEERS = {"xpnn-numpy": "torch-cpu", "xpnn-cupy": "torch-cuda"}


def ratio_to_peer(name, medians):
    """'0.73x torch-cpu': an xpnn median over the median of its PyTorch peer on the same device."""
    peer = PEERS.get(name)
    return f"{medians[name] / medians[peer]:.2f}x {peer}" if peer in medians else ""


def timing_rows(times, samples_per_run, scale=1.0, digits=3):
    """Table rows: name, median, best (both times ``scale``), samples/s and the ratio to the peer."""
    medians = {name: median(t) for name, t in times.items()}
    return [
        [
            name,
            f"{seconds * scale:.{digits}f}",
            f"{min(times[name]) * scale:.{digits}f}",
            f"{samples_per_run / seconds:,.0f}",
            ratio_to_peer(name, medians),
        ]
        for name, seconds in medians.items()
    ]


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
