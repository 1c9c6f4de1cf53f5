"""Classify MNIST with an LSTM that reads each image as a sequence of 28 rows of 28 pixels.

    python examples/mnist_rnn.py                    # CPU (numpy)
    python examples/mnist_rnn.py --backend cupy     # GPU
    python examples/mnist_rnn.py --epochs 20 --plot # curves to runs/mnist_rnn.png

LSTM(28 -> 128) over the rows, then a linear head on the last hidden state; Adam with a cosine learning rate
decay over all batches and gradient norm clipping. Uses full MNIST when it is cached or can be downloaded,
otherwise the offline sample the package ships (8,000 training / 2,000 held-out real MNIST images).
"""

import time

import common
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.utils.data import DataLoader

TITLE = "row-LSTM(128)"


class RowLSTM(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)
        # Forget-gate bias 1 (Jozefowicz et al., 2015): the cell starts out keeping its memory, so what it read in
        # the first rows still reaches the last step. Gate blocks are i, f, g, o; the two biases add up.
        self.lstm.bias_ih_l0.array[hidden : 2 * hidden] = 1.0
        self.lstm.bias_hh_l0.array[hidden : 2 * hidden] = 0.0

    def forward(self, images):
        rows = images.reshape(images.shape[0], 28, 28)  # (N, 1, 28, 28) -> 28 steps of 28 pixels
        # Standardised pixels: zero-mean inputs keep the gates away from saturation early in training.
        _, (h_n, _) = self.lstm(common.standardize(rows))
        return self.head(h_n[-1])


def main(argv=None):
    parser = common.mnist_arg_parser(__doc__.splitlines()[0], batch_size=64, lr=2e-3, save="runs/mnist_rnn.npz")
    parser.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    args = parser.parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set, eval_name = common.mnist_splits(args)
    model = RowLSTM()
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test_set, batch_size=1000)
    print(f"{TITLE} on {xpnn.get_backend()}: {len(train_set):,} training images, {len(test_set):,} {eval_name}")

    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    # The learning rate follows half a cosine from --lr down to 0 over the whole run, one step per batch.
    scheduler = xpnn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))
    loss_fn = nn.CrossEntropyLoss()
    first_epoch, history = common.resume_or_start(args, model, optimizer, train_loader, scheduler)

    for epoch in range(first_epoch, args.epochs + 1):
        start, total_loss, seen = time.perf_counter(), 0.0, 0
        model.train()
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, unit="batch")
        for x, y in bar:
            out = model(x)
            loss = loss_fn(out, y)
            optimizer.zero_grad()
            loss.backward()
            # Through 28 time steps an occasional gradient is large enough to throw the weights far off.
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(y)
            seen += len(y)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        accuracy = common.evaluate(model, test_loader)
        history["loss"].append(total_loss / seen)
        history["accuracy"].append(accuracy)
        print(
            f"epoch {epoch:2d}  loss {total_loss / seen:.4f}  {eval_name} accuracy {accuracy:.2%}  "
            f"({time.perf_counter() - start:.1f} s)"
        )
        common.save_checkpoint(args, epoch, history, model, optimizer, train_loader, scheduler)

    print(f"final {eval_name} accuracy: {history['accuracy'][-1]:.2%}")
    common.save_model(model, args.save)
    if args.plot is not None:
        common.plot_history(history, args, TITLE)
    return history


if __name__ == "__main__":
    main()
