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

import time

import common
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.utils.data import DataLoader


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
    parser = common.mnist_arg_parser(__doc__.splitlines()[0], save="runs/mnist_cnn.npz")
    parser.add_argument("--model", choices=sorted(MODELS), default="cnn", help="network to train (default: cnn)")
    args = parser.parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set, eval_name = common.mnist_splits(args)
    make_model, title = MODELS[args.model]
    model = make_model()  # takes the (N, 1, 28, 28) batches as they come, pixels in [0, 1]
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test_set, batch_size=1000)
    print(f"{title} on {xpnn.get_backend()}: {len(train_set):,} training images, {len(test_set):,} {eval_name}")

    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    first_epoch, history = common.resume_or_start(args, model, optimizer, train_loader)

    for epoch in range(first_epoch, args.epochs + 1):
        start, total_loss, seen = time.perf_counter(), 0.0, 0
        model.train()  # BatchNorm normalises with each batch's statistics and updates its running ones
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, unit="batch")
        for x, y in bar:
            out = model(x)
            loss = loss_fn(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            seen += len(y)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        accuracy = common.evaluate(model, test_loader)  # in eval mode: BatchNorm uses the running statistics
        history["loss"].append(total_loss / seen)
        history["accuracy"].append(accuracy)
        print(
            f"epoch {epoch:2d}  loss {total_loss / seen:.4f}  {eval_name} accuracy {accuracy:.2%}  "
            f"({time.perf_counter() - start:.1f} s)"
        )
        common.save_checkpoint(args, epoch, history, model, optimizer, train_loader)

    print(f"final {eval_name} accuracy: {history['accuracy'][-1]:.2%}")
    common.save_model(model, args.save)
    if args.plot is not None:
        common.plot_history(history, args, title)
    return history


if __name__ == "__main__":
    main()
