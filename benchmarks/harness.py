"""Shared benchmark plumbing: interleaved timing with medians, peers that may be missing, a table, and the same
results as JSON (``--json PATH``: the machine, the versions, medians and ratios).

Run a benchmark from the repository root as a module (``python -m benchmarks.cnn``) with xpnn installed or
``PYTHONPATH=.``."""

import gc
import json
import os
import platform
import statistics
import sys
import time

import xpnn

#: Every table printed in this run, as data, for write_json.
RESULTS = []


FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def image_arrays(data, train=True):
    """(images (N, 1, 28, 28) float32 in [0, 1], labels int64): the 8,000-image MNIST sample that ships with
    xpnn (``data='sample'``), or the full Fashion-MNIST read with xpnn's IDX parser (``data='fashion'``)."""
    import numpy as np

    from xpnn.datasets.mnist import MNIST, read_idx

    if data == "sample":
        ds = MNIST.offline_sample(train=train)
        return ds.__getitems__(np.arange(len(ds)))
    prefix = "train" if train else "t10k"
    images = read_idx(os.path.join(FASHION_MNIST_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(FASHION_MNIST_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    return images[:, None] / np.float32(255), labels.astype(np.int64)  # float32: uint8 / float32


def add_data_argument(parser):
    parser.add_argument(
        "--data",
        choices=["sample", "fashion"],
        default="sample",
        help="the 8,000-image MNIST sample, or the full Fashion-MNIST (60,000 images; dataset-fashion-mnist)",
    )


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

    epoch.model = model
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

    epoch.model = model
    return epoch


def training_epoch_table(title, make_xpnn_model, make_torch_model, x, y, batch, repeats):
    """Time one training epoch in every framework that can run here and print the table with ratios."""
    runners = runners_for(
        lambda b: xpnn_training_epoch(b, make_xpnn_model, x, y, batch),
        lambda torch, device: torch_training_epoch(torch, device, make_torch_model, x, y, batch),
    )
    times = interleaved(runners, repeats)
    heading = f"{title}, Adam, batch {batch}, {len(x):,} samples/epoch; median of {repeats} interleaved epochs"
    record(heading, times, "s/epoch")
    print_table(
        f"{heading} ({machine_line()})",
        ["framework", "s/epoch", "best", "samples/s", "ratio"],
        timing_rows(times, len(x)),
    )
    return times


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


def record(title, times, unit, **extra):
    """Keep one measurement (name -> list of seconds) for the JSON report: every time, medians, best, and each
    xpnn median over its PyTorch peer's, measured after the load average was read."""
    medians = {name: median(t) for name, t in times.items()}
    ratios = {name: medians[name] / medians[PEERS[name]] for name in medians if PEERS.get(name) in medians}
    RESULTS.append(
        {
            "title": title,
            "unit": unit,
            "seconds": times,
            "median_s": medians,
            "best_s": {name: min(t) for name, t in times.items()},
            "ratio_to_peer": ratios,
            "load_average": os.getloadavg(),
            **extra,
        }
    )


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


def add_json_argument(parser):
    parser.add_argument("--json", metavar="PATH", help="also write the machine, versions and results as JSON here")


def write_json(path, args):
    """The run's results (RESULTS) with the machine, the versions and the command line, as JSON at ``path``."""
    report = {
        "command": " ".join([os.path.basename(sys.executable), "-m", _module_name()] + sys.argv[1:]),
        "arguments": vars(args),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine_info(),
        "versions": versions(),
        "results": RESULTS,
    }
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
    print(f"\nwrote {path}")


def _module_name():
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return spec.name if spec is not None else sys.argv[0]


def machine_info():
    """CPU model, cores, the thread settings both frameworks run with, and the load average at the end."""
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    torch = torch_or_none()
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "threads": {
            "torch": torch.get_num_threads() if torch is not None else None,
            **{k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        },
        "load_average_end": os.getloadavg(),
        "platform": platform.platform(),
    }


def versions():
    import numpy as np

    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    torch = torch_or_none()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": f"{blas.get('name', '?')} {blas.get('version', '?')}",
        "torch": torch.__version__ if torch is not None else None,
        "xpnn": xpnn.__version__,
    }


def machine_line():
    import numpy as np

    torch = torch_or_none()
    parts = [f"{os.cpu_count()} CPU cores", f"numpy {np.__version__}", f"xpnn {xpnn.__version__}"]
    if torch is not None:
        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    return ", ".join(parts)
