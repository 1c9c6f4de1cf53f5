"""Classify MNIST with an LSTM that reads each image as a sequence of 28 rows of 28 pixels.

    python examples/mnist_rnn.py                    # CPU (numpy)
    python examples/mnist_rnn.py --backend cupy     # GPU
    python examples/mnist_rnn.py --epochs 20 --plot # curves to runs/mnist_rnn.png

LSTM(28 -> 128) over the rows, then a linear head on the last hidden state; Adam with a cosine learning rate
decay over all batches and gradient norm clipping. Uses full MNIST when it is cached or can be downloaded,
otherwise the offline sample the package ships (8,000 training / 2,000 held-out real MNIST images).
"""

from common import mnist_arg_parser, run_classifier, standardize

import xpnn
from xpnn import nn


class RowLSTM(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)
        # Forget-gate bias 1 (Jozefowicz et al., 2015): the cell starts out keeping its memory, so what it read in
        # the first rows still reaches the last step. Gate blocks are i, f, g, o; the two biases add up.
        self.lstm.bias_ih_l0.data[hidden : 2 * hidden] = 1.0
        self.lstm.bias_hh_l0.data[hidden : 2 * hidden] = 0.0

    def forward(self, images):
        rows = images.reshape(images.shape[0], 28, 28)  # (N, 1, 28, 28) -> 28 steps of 28 pixels
        # Standardised pixels: zero-mean inputs keep the gates away from saturation early in training.
        _, (h_n, _) = self.lstm(standardize(rows))
        return self.head(h_n[-1])


def main(argv=None):
    parser = mnist_arg_parser(__doc__.splitlines()[0], batch_size=64, lr=2e-3, save="runs/mnist_rnn.npz")
    parser.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    args = parser.parse_args(argv)

    def cosine_decay(optimizer, total_batches):
        return xpnn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_batches)

    return run_classifier(args, RowLSTM, "row-LSTM(128)", make_scheduler=cosine_decay, clip=args.clip)


if __name__ == "__main__":
    main()
