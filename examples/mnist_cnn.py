"""Train a convolutional network on MNIST with Adam.

    python examples/mnist_cnn.py                    # CPU (numpy): the default conv-BN-ReLU network
    python examples/mnist_cnn.py --model lenet      # classic LeNet-5
    python examples/mnist_cnn.py --backend cupy     # GPU (cuDNN when CuPy finds it)
    python examples/mnist_cnn.py --epochs 20 --plot # curves to runs/mnist_cnn.png

The default network is four 3x3 conv-BatchNorm-ReLU layers (16, 32, 32, 64 channels) with 2x2 max pooling after
the first and the third, then global average pooling and one linear layer (about 33k parameters, 7.4 MFLOP per
image). Uses full MNIST when it is cached or can be downloaded, otherwise the offline sample the package ships
(8,000 training / 2,000 held-out real MNIST images).
"""

from common import mnist_arg_parser, run_classifier

from xpnn import nn


def conv_bn_relu(in_channels, out_channels):
    # No conv bias: the BatchNorm shift right after it would cancel it.
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU()]


def make_cnn():
    return nn.Sequential(
        *conv_bn_relu(1, 16),
        nn.MaxPool2d(2),  # 16 x 14 x 14
        *conv_bn_relu(16, 32),
        *conv_bn_relu(32, 32),
        nn.MaxPool2d(2),  # 32 x 7 x 7
        *conv_bn_relu(32, 64),  # 64 x 7 x 7
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
    )


def make_lenet():
    """LeNet-5: conv5-relu-pool-conv5-relu-pool-120-84-10 (28x28 input padded by 2, as the original's 32x32)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 6 x 14 x 14
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 5 x 5
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


MODELS = {"cnn": (make_cnn, "CNN 4x conv-BN-ReLU, GAP"), "lenet": (make_lenet, "LeNet-5")}


def main(argv=None):
    parser = mnist_arg_parser(__doc__.splitlines()[0], save="runs/mnist_cnn.npz")
    parser.add_argument("--model", choices=sorted(MODELS), default="cnn", help="network to train (default: cnn)")
    args = parser.parse_args(argv)
    make_model, title = MODELS[args.model]
    return run_classifier(args, make_model, title)


if __name__ == "__main__":
    main()
