"""Train a 784-400-100-10 ReLU MLP on MNIST with Adam.

    python examples/mnist_mlp.py                    # CPU (numpy)
    python examples/mnist_mlp.py --backend cupy     # GPU
    python examples/mnist_mlp.py --epochs 20 --plot # curves to runs/mnist_mlp.png

Uses full MNIST when it is cached or can be downloaded, otherwise the offline sample the package ships
(8,000 training / 2,000 held-out real MNIST images).
"""

import time

import common
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.utils.data import DataLoader

TITLE = "MLP 784-400-100-10"


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
    args = common.mnist_arg_parser(__doc__.splitlines()[0], save="runs/mnist_mlp.npz").parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set, eval_name = common.mnist_splits(args)
    model = make_mlp()
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test_set, batch_size=1000)
    print(f"{TITLE} on {xpnn.get_backend()}: {len(train_set):,} training images, {len(test_set):,} {eval_name}")

    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    first_epoch, history = common.resume_or_start(args, model, optimizer, train_loader)

    for epoch in range(first_epoch, args.epochs + 1):
        start, total_loss, seen = time.perf_counter(), 0.0, 0
        model.train()
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, unit="batch")
        for x, y in bar:
            out = model(common.standardize(x))
            loss = loss_fn(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            seen += len(y)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        accuracy = common.evaluate(model, test_loader, common.standardize)
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
        common.plot_history(history, args, TITLE)
    return history


if __name__ == "__main__":
    main()
