"""Train an autoencoder to remove noise from MNIST digits: corrupt the input, reconstruct the clean image.

    python examples/denoising_autoencoder.py                  # CPU (numpy); picture to runs/
    python examples/denoising_autoencoder.py --sigma 0.7      # stronger Gaussian noise
    python examples/denoising_autoencoder.py --backend cupy   # GPU

Each training image is corrupted afresh every time it is seen: Gaussian noise (standard deviation --sigma) is
added, a random share (--mask) of the pixels is set to zero (masking noise), and the result is clipped to [0, 1].
The network (784-512-128-512-784, sigmoid output) learns to map that back to the clean image under the mean
squared error. The held-out score compares the reconstruction's MSE with the noisy input's own MSE (both against
the clean image): the ratio says how much of the damage the network undoes. The picture shows noisy,
reconstructed and clean rows of held-out digits.
"""

import time

import common
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.utils.data import DataLoader


def make_autoencoder():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(512, 128),  # the code: a 6x narrower description of the digit, which the noise cannot fit through
        nn.ReLU(),
        nn.Linear(128, 512),
        nn.ReLU(),
        nn.Linear(512, 784),
        nn.Sigmoid(),  # pixels in [0, 1], like the clean images
    )


def corrupt(images, sigma, mask):
    """Gaussian noise of standard deviation ``sigma``, then a share ``mask`` of the pixels zeroed, clipped to [0, 1]."""
    noisy = images + common.randn_like(images) * sigma
    keep = (common.rand_like(images) >= mask).float()
    return (noisy * keep).clamp(0.0, 1.0)


def evaluate(model, loader, sigma, mask):
    """(reconstruction MSE, noisy input MSE), both per pixel against the clean images, in eval mode."""
    model.eval()
    reconstruction = noisy_total = 0.0
    seen = 0
    with xpnn.no_grad():
        for x, _ in loader:
            noisy = corrupt(x, sigma, mask)
            reconstruction += ((model(noisy).reshape(x.shape) - x) ** 2).mean().item() * len(x)
            noisy_total += ((noisy - x) ** 2).mean().item() * len(x)
            seen += len(x)
    return reconstruction / seen, noisy_total / seen


def draw(model, images, sigma, mask, path):
    """Rows of noisy, reconstructed and clean held-out digits."""
    fig = common.figure(figsize=(1.0 * len(images), 3.4))
    if fig is None:
        return
    model.eval()
    with xpnn.no_grad():
        noisy = corrupt(images, sigma, mask)
        rows = {"noisy": noisy, "reconstructed": model(noisy).reshape(images.shape), "clean": images}
    grid = fig.subplots(len(rows), len(images), squeeze=False)
    for r, (name, batch) in enumerate(rows.items()):
        pictures = batch.numpy()[:, 0]
        for c, axes in enumerate(grid[r]):
            axes.imshow(pictures[c], cmap="gray", vmin=0.0, vmax=1.0)
            axes.set_xticks([])
            axes.set_yticks([])
        grid[r][0].set_ylabel(name)
    fig.suptitle(f"denoising autoencoder: Gaussian sigma {sigma}, {mask:.0%} of the pixels masked")
    common.save_figure(fig, path, "noisy / reconstructed / clean digits")


def main(argv=None):
    parser = common.mnist_arg_parser(__doc__.splitlines()[0], epochs=30, save="runs/denoising_autoencoder.npz")
    parser.add_argument("--sigma", type=float, default=0.5, help="standard deviation of the Gaussian noise")
    parser.add_argument("--mask", type=float, default=0.25, help="share of the pixels set to zero")
    parser.add_argument("--picture", default="runs/denoising_autoencoder.png", help="PNG of the results ('' for none)")
    args = parser.parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set, eval_name = common.mnist_splits(args)
    model = make_autoencoder()
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test_set, batch_size=1000)
    print(
        f"denoising autoencoder on {xpnn.get_backend()}: {len(train_set):,} training images, "
        f"{len(test_set):,} {eval_name}"
    )

    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()
    first_epoch, history = common.resume_or_start(args, model, optimizer, train_loader, metrics=("loss", "mse ratio"))

    for epoch in range(first_epoch, args.epochs + 1):
        start, total_loss, seen = time.perf_counter(), 0.0, 0
        model.train()
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, unit="batch")
        for x, _ in bar:  # the labels are not used: the clean image is the target
            loss = loss_fn(model(corrupt(x, args.sigma, args.mask)), x.reshape(len(x), -1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(x)
            seen += len(x)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        reconstruction, noisy = evaluate(model, test_loader, args.sigma, args.mask)
        history["loss"].append(total_loss / seen)
        history["mse ratio"].append(noisy / reconstruction)
        print(
            f"epoch {epoch:2d}  loss {total_loss / seen:.4f}  {eval_name} MSE: reconstructed {reconstruction:.4f}, "
            f"noisy {noisy:.4f} ({noisy / reconstruction:.1f}x lower)  ({time.perf_counter() - start:.1f} s)"
        )
        common.save_checkpoint(args, epoch, history, model, optimizer, train_loader)

    print(f"final {eval_name} MSE ratio (noisy / reconstructed): {history['mse ratio'][-1]:.2f}x")
    if args.picture:
        draw(model, next(iter(test_loader))[0][:12], args.sigma, args.mask, args.picture)
    common.save_model(model, args.save)
    if args.plot is not None:
        common.plot_history(history, args, "denoising autoencoder")
    return history


if __name__ == "__main__":
    main()
