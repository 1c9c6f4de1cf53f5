"""Train a 784-400-100-10 ReLU MLP on MNIST with Adam.

    python examples/mnist_mlp.py                    # CPU (numpy)
    python examples/mnist_mlp.py --backend cupy     # GPU
    python examples/mnist_mlp.py --epochs 20 --plot # curves to runs/mnist_mlp.png

Uses full MNIST when it is cached or can be downloaded, otherwise the offline sample the package ships
(8,000 training / 2,000 held-out real MNIST images).
"""

from common import mnist_arg_parser, run_classifier, standardize

from xpnn import nn


def make_mlp():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 400),
        nn.ReLU(),
        nn.Linear(400, 100),
        nn.ReLU(),
        nn.Linear(100, 10),
    )


def main(argv=None):
    args = mnist_arg_parser(__doc__.splitlines()[0], save="runs/mnist_mlp.npz").parse_args(argv)
    return run_classifier(args, make_mlp, "MLP 784-400-100-10", prepare=standardize)


if __name__ == "__main__":
    main()
