"""Convolution speed: LeNet-5 and conv-BN CNN training epochs, and a sweep of single conv layers.

    python -m benchmarks.cnn [--repeats 5] [--sweep-repeats 5] [--only lenet|convbn|sweep|methods]
                             [--data sample|fashion]
                             [--batch 128] [--samples N] [--profile] [--json PATH]
    python -m benchmarks.cnn --rss-job xpnn|torch [--data fashion] [--json PATH]

LeNet-5 (conv5-relu-pool-conv5-relu-pool-120-84-10, Adam 1e-3, batch 128): seconds per epoch, xpnn on numpy vs
PyTorch on the CPU (same thread count), and xpnn on cupy vs PyTorch CUDA where a GPU is present; epochs
interleaved between frameworks, medians reported. ``--data fashion`` trains on the full Fashion-MNIST.
``--only convbn``: the same for examples/mnist_cnn.py's network (four 3x3 conv-BatchNorm-ReLU layers), built from
the PyTorch twin in benchmarks/fashion_mnist_parity.py, which takes xpnn as well as torch.

Conv sweep (3x3, padding 1, batch 64): forward + backward (input and weight gradients) of one layer, the
achieved GFLOP/s (3 GEMM-equivalents of 2*N*O*C*9*H*W each) and, on the CPU, the share of numpy's sgemm peak
measured in the same run. Methods (``--only methods``): forward + backward of layers from LeNet, the examples and
the sweep on numpy, by rows and by im2col (xpnn/backend/conv_rows.py), and the one the backend picks.
``--profile`` prints how the numpy backend runs LeNet's convolutions and where one
epoch spends its time.

``--rss-job FRAMEWORK`` runs the memory job in a process that imports only that framework: 2 LeNet epochs and
an evaluation of the 10,000 test images in one batch, then the process's peak resident memory.
"""

import argparse
import cProfile
import pstats
import resource

import numpy as np

from benchmarks.harness import (
    add_data_argument,
    add_json_argument,
    image_arrays,
    interleaved,
    machine_line,
    median,
    print_table,
    ratio_to_peer,
    record,
    runners_for,
    torch_or_none,
    training_epoch_table,
    write_json,
    xpnn_training_epoch,
)

BATCH = 128
SWEEP = [(3, 64, 32), (64, 64, 32), (64, 128, 16), (128, 128, 16)]  # (in, out channels, image size)
SWEEP_BATCH = 64
# (name, input shape, out channels, kernel, padding, whether the input gradient is needed): where the two portable
# methods were compared to choose between them (conv_rows.MIN_K)
METHOD_LAYERS = [
    ("LeNet 1->6 5x5, 28x28", (128, 1, 28, 28), 6, 5, 2, False),
    ("LeNet 6->16 5x5, 14x14", (128, 6, 14, 14), 16, 5, 0, True),
    ("mnist_cnn 1->16 3x3, 28x28", (128, 1, 28, 28), 16, 3, 1, False),
    ("mnist_cnn 16->32 3x3, 14x14", (128, 16, 14, 14), 32, 3, 1, True),
    ("mnist_cnn 32->32 3x3, 14x14", (128, 32, 14, 14), 32, 3, 1, True),
    ("mnist_cnn 32->64 3x3, 7x7", (128, 32, 7, 7), 64, 3, 1, True),
    ("16->64 3x3, 7x7", (128, 16, 7, 7), 64, 3, 1, True),
    ("DCGAN 32->1 3x3, 28x28", (64, 32, 28, 28), 1, 3, 1, True),
    ("sweep 64->128 3x3, 16x16", (64, 64, 16, 16), 128, 3, 1, True),
    ("sweep 128->128 3x3, 16x16", (64, 128, 16, 16), 128, 3, 1, True),
]


def lenet(nn):
    """LeNet-5 built from ``nn``: xpnn.nn or torch.nn, which take the same code."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def xpnn_lenet():
    from xpnn import nn

    return lenet(nn)


def lenet_table(repeats, data, batch=BATCH, samples=None):
    x, y = image_arrays(data)
    x, y = x[:samples], y[:samples]
    torch = torch_or_none()
    training_epoch_table(f"LeNet-5 ({data})", xpnn_lenet, lambda: lenet(torch.nn), x, y, batch, repeats)


def conv_bn_table(repeats, data, batch=BATCH, samples=None):
    import xpnn
    from benchmarks.fashion_mnist_parity import torch_twin

    x, y = image_arrays(data)
    x, y = x[:samples], y[:samples]
    torch = torch_or_none()
    title = f"conv-BN CNN of mnist_cnn.py ({data})"
    training_epoch_table(title, lambda: torch_twin(xpnn), lambda: torch_twin(torch), x, y, batch, repeats)


def sgemm_peak(repeats):
    """numpy's float32 GEMM speed on a large square product, GFLOP/s: the ceiling for im2col convolution."""
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    times = interleaved({"sgemm": (lambda: a @ a, None)}, repeats)["sgemm"]
    return 2 * 2048**3 / median(times) / 1e9


def conv_layer_runners(c_in, c_out, size):
    """name -> (forward+backward of one 3x3 conv layer, sync name), for every framework that can run here."""
    import xpnn
    from xpnn import nn

    x = np.random.default_rng(0).standard_normal((SWEEP_BATCH, c_in, size, size), dtype=np.float32)

    def xpnn_step(backend):
        with xpnn.use_backend(backend):
            layer = nn.Conv2d(c_in, c_out, 3, padding=1)
            xb = xpnn.tensor(x, requires_grad=True)

        def step():
            layer.zero_grad()
            xb.grad = None
            layer(xb).sum().backward()

        return step

    def torch_step(torch, device):
        layer = torch.nn.Conv2d(c_in, c_out, 3, padding=1).to(device)
        xt = torch.tensor(x, device=device, requires_grad=True)

        def step():
            layer.zero_grad()
            xt.grad = None
            layer(xt).sum().backward()

        return step

    return runners_for(xpnn_step, torch_step)


def sweep_table(repeats):
    peak = sgemm_peak(repeats)
    rows = []
    for c_in, c_out, size in SWEEP:
        flops = 3 * 2 * SWEEP_BATCH * c_out * c_in * 9 * size * size
        times = interleaved(conv_layer_runners(c_in, c_out, size), repeats)
        medians = {name: median(t) for name, t in times.items()}
        shares = {name: flops / s / 1e9 / peak for name, s in medians.items() if name in ("xpnn-numpy", "torch-cpu")}
        record(
            f"3x3 conv {c_in}->{c_out} on {size}x{size}, padding 1, batch {SWEEP_BATCH}: forward + backward",
            times,
            "s/step",
            sgemm_peak_gflops=peak,
            share_of_sgemm_peak=shares,
        )
        for name, seconds in medians.items():
            gflops = flops / seconds / 1e9
            share = f"{shares[name]:.0%}" if name in shares else ""
            rows.append(
                [
                    f"{c_in}->{c_out}, {size}x{size}",
                    name,
                    f"{seconds * 1e3:.1f}",
                    f"{gflops:.1f}",
                    share,
                    ratio_to_peer(name, medians),
                ]
            )
    print_table(
        f"3x3 conv, padding 1, batch {SWEEP_BATCH}: forward + backward, median of {repeats}; numpy sgemm "
        f"peak {peak:.0f} GFLOP/s ({machine_line()})",
        ["layer", "framework", "ms", "GFLOP/s", "of peak", "ratio"],
        rows,
    )


def methods_table(repeats):
    """Each METHOD_LAYERS layer on numpy by rows and by im2col, interleaved: ms per forward + backward."""
    from xpnn.backend import conv_kernels, conv_rows

    rows = []
    for name, x_shape, c_out, k, padding, need_input in METHOD_LAYERS:
        rng = np.random.default_rng(0)
        x = rng.standard_normal(x_shape, dtype=np.float32)
        w = rng.standard_normal((c_out, x_shape[1], k, k), dtype=np.float32) * 0.1
        geometry = conv_kernels.ConvGeometry((1, 1), (padding, padding), (1, 1), 1)
        chosen = "rows" if conv_rows.pays(x.shape, w.shape, geometry) else "im2col"

        def step(min_k):
            def run():
                saved, conv_rows.MIN_K = conv_rows.MIN_K, min_k
                try:
                    y, kept = conv_kernels.conv2d_forward(np, x, w, None, geometry, keep_cols=True)
                    conv_kernels.conv2d_backward(np, x, w, y, geometry, kept, need_input, True)
                finally:
                    conv_rows.MIN_K = saved

            return run, None

        times = interleaved({"rows": step(0), "im2col": step(float("inf"))}, repeats)
        record(f"conv method, {name}: forward + backward", times, "s/step", chosen=chosen)
        ms = {method: median(t) * 1e3 for method, t in times.items()}
        rows.append([name, f"{ms['rows']:.2f}", f"{ms['im2col']:.2f}", f"{ms['rows'] / ms['im2col']:.2f}", chosen])
    print_table(
        f"Portable conv methods on numpy, forward + backward, median of {repeats} ({machine_line()})",
        ["layer (batch 128; DCGAN, sweep 64)", "rows ms", "im2col ms", "rows/im2col", "chosen"],
        rows,
    )


def print_conv_plans(batch):
    """How the numpy backend runs each LeNet convolution at this batch size (the choices it makes by shape)."""
    from xpnn.backend import conv_kernels

    print(f"\nHow the numpy backend runs LeNet-5's convolutions, batch {batch}:")
    for name, x_shape, w_shape, padding in [
        ("conv 1->6 5x5, padding 2", (batch, 1, 28, 28), (6, 1, 5, 5), 2),
        ("conv 6->16 5x5", (batch, 6, 14, 14), (16, 6, 5, 5), 0),
    ]:
        print(f"  {name}: {conv_kernels.describe_plan(x_shape, w_shape, padding=padding)}")


def profile_epoch(data, top=25):
    x, y = image_arrays(data)
    print_conv_plans(BATCH)
    epoch = xpnn_training_epoch("numpy", xpnn_lenet, x, y, BATCH)
    epoch()  # warm up
    profiler = cProfile.Profile()
    profiler.runcall(epoch)
    print("\nWhere one LeNet-5 epoch on numpy spends its time (cProfile, by own time):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def rss_job(framework, data):
    """2 LeNet epochs and one batch of all test images in ``framework`` alone; its peak RSS in MB."""
    x, y = image_arrays(data)
    x_test, y_test = image_arrays(data, train=False)
    if framework == "xpnn":
        import xpnn

        epoch = xpnn_training_epoch("numpy", xpnn_lenet, x, y, BATCH)
        for _ in range(2):
            epoch()
        with xpnn.no_grad():
            model = epoch.model.eval()
            accuracy = (model(xpnn.tensor(x_test)).argmax(1).numpy() == y_test).mean()
    else:
        import torch

        from benchmarks.harness import torch_training_epoch

        epoch = torch_training_epoch(torch, "cpu", lambda: lenet(torch.nn), x, y, BATCH)
        for _ in range(2):
            epoch()
        with torch.no_grad():
            model = epoch.model.eval()
            accuracy = (model(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n{framework}: LeNet-5 ({data}), 2 epochs + {len(x_test):,} test images in one batch: peak RSS "
        f"{peak_mb:.0f} MB, test accuracy {accuracy:.3f}"
    )
    from benchmarks.harness import RESULTS

    RESULTS.append({"title": f"peak RSS of the LeNet-5 job ({data}), {framework}", "peak_rss_mb": peak_mb})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="LeNet epochs per framework")
    parser.add_argument("--sweep-repeats", type=int, default=5, help="timed steps per framework and layer")
    parser.add_argument("--only", choices=["lenet", "convbn", "sweep", "methods"], default=None)
    parser.add_argument("--batch", type=int, default=BATCH, help="LeNet batch size")
    parser.add_argument("--samples", type=int, default=None, help="train LeNet on the first SAMPLES images only")
    parser.add_argument("--profile", action="store_true", help="also profile one LeNet epoch on numpy")
    parser.add_argument("--rss-job", choices=["xpnn", "torch"], help="only the memory job, in one framework")
    add_data_argument(parser)
    add_json_argument(parser)
    args = parser.parse_args()
    if args.rss_job:
        rss_job(args.rss_job, args.data)
    else:
        if args.only in (None, "lenet"):
            lenet_table(args.repeats, args.data, args.batch, args.samples)
        if args.only == "convbn":
            conv_bn_table(args.repeats, args.data, args.batch, args.samples)
        if args.only in (None, "sweep"):
            sweep_table(args.sweep_repeats)
        if args.only == "methods":
            methods_table(args.sweep_repeats)
        if args.profile:
            profile_epoch(args.data)
    if args.json:
        write_json(args.json, args)


if __name__ == "__main__":
    main()
