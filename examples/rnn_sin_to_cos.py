"""Train a recurrent network to read a sine wave and output the matching cosine, step by step.

    python examples/rnn_sin_to_cos.py                  # LSTM on CPU (numpy)
    python examples/rnn_sin_to_cos.py --cell rnn       # plain tanh RNN
    python examples/rnn_sin_to_cos.py --plot           # predicted vs true curve to runs/sin_to_cos.png
    python examples/rnn_sin_to_cos.py --backend cupy   # GPU

Every sequence has its own random frequency and phase, so the network cannot memorise one curve: it has to
infer both from the samples it has read so far. The first few outputs of a sequence are a guess (sin(phase)
alone does not say whether the cosine is positive or negative, nor how fast the wave turns), so the reported
test MSE skips a short warm-up (--warmup steps) and is printed for the whole sequence as well.

Training uses truncated backpropagation through time: each sequence is fed in chunks of --bptt steps, the
state carried from one chunk to the next with ``detach()`` so gradients stop at the chunk boundary.
"""

import argparse
import math
import os
import time

import numpy as np

import xpnn
from xpnn import nn

DT = 0.1  # time between samples
OMEGA = (1.0, 3.0)  # angular frequency range: periods of 21 to 63 samples


def make_waves(n, steps, rng):
    """n sequences (n, steps, 1): sin(omega t + phase) as input, cos(omega t + phase) as target."""
    omega = rng.uniform(*OMEGA, size=(n, 1))
    phase = rng.uniform(0.0, 2 * math.pi, size=(n, 1))
    angle = omega * DT * np.arange(steps) + phase
    return np.sin(angle)[..., None].astype(np.float32), np.cos(angle)[..., None].astype(np.float32)


class SinToCos(nn.Module):
    def __init__(self, cell="lstm", hidden=32, layers=1):
        super().__init__()
        recurrent = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = recurrent(1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.rnn(x, state)
        return self.head(out), state


def detach_state(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train(model, args, rng):
    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = xpnn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.iterations)
    loss_fn = nn.MSELoss()
    start = time.perf_counter()
    for it in range(1, args.iterations + 1):
        x, y = (xpnn.tensor(a) for a in make_waves(args.batch_size, args.steps, rng))
        state, total = None, 0.0
        for t in range(0, args.steps, args.bptt):
            pred, state = model(x[:, t : t + args.bptt], state)
            loss = loss_fn(pred, y[:, t : t + args.bptt])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            state = detach_state(state)  # truncated BPTT: the next chunk's gradients stop here
            total += loss.item()
        scheduler.step()
        if it % args.log_every == 0 or it == args.iterations:
            chunks = math.ceil(args.steps / args.bptt)
            print(f"iteration {it:5d}  train MSE {total / chunks:.2e}  ({time.perf_counter() - start:.1f} s)")


def evaluate(model, x, y, warmup):
    """(MSE after the warm-up steps, MSE over all steps, predictions) on host arrays x, y."""
    model.eval()
    with xpnn.no_grad():
        pred, _ = model(xpnn.tensor(x))
    model.train()
    pred = pred.numpy()
    return float(((pred - y)[:, warmup:] ** 2).mean()), float(((pred - y) ** 2).mean()), pred


def plot(x, y, pred, warmup, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"--plot needs matplotlib ({e}); install it with `pip install xpnn[plot]`")
        return
    t = DT * np.arange(len(x))
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(t, x, color="0.6", label="input sin")
    ax.plot(t, y, color="tab:blue", label="true cos")
    ax.plot(t, pred, "--", color="tab:red", label="predicted cos")
    ax.axvspan(0, DT * warmup, color="0.9", label="warm-up")
    ax.set_xlabel("t")
    ax.legend(loc="upper right")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"saved the predicted vs true curve to {path}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--iterations", type=int, default=300, help="training batches (each a fresh set of waves)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=100, help="samples per sequence")
    p.add_argument("--bptt", type=int, default=25, help="truncated BPTT chunk length")
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--warmup", type=int, default=10, help="first steps of a sequence left out of the test MSE")
    p.add_argument("--test-size", type=int, default=500)
    p.add_argument("--backend", default="numpy", help="numpy (CPU) or cupy (CUDA)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument(
        "--plot",
        nargs="?",
        const="runs/sin_to_cos.png",
        default=None,
        metavar="PNG",
        help="save the predicted vs true curve of one test sequence (needs matplotlib)",
    )
    args = p.parse_args(argv)

    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_rng = np.random.default_rng(args.seed)
    test_x, test_y = make_waves(args.test_size, args.steps, np.random.default_rng(args.seed + 10_000))
    model = SinToCos(args.cell, args.hidden, args.layers)
    print(
        f"{type(model.rnn).__name__}({args.hidden}) sin -> cos on {xpnn.get_backend()}: {args.iterations} batches "
        f"of {args.batch_size} random waves, {args.steps} steps, BPTT chunks of {args.bptt}"
    )
    train(model, args, train_rng)
    mse, mse_all, pred = evaluate(model, test_x, test_y, args.warmup)
    print(
        f"test MSE on {args.test_size} held-out waves: {mse:.2e} after the first {args.warmup} steps "
        f"({mse_all:.2e} over all {args.steps} steps)"
    )
    if args.plot:
        plot(test_x[0, :, 0], test_y[0, :, 0], pred[0, :, 0], args.warmup, args.plot)
    return mse


if __name__ == "__main__":
    main()
