"""Generate MNIST digits with a conditional DCGAN: a transposed-convolution generator against a convolutional
discriminator, both told which digit an image is (Mirza and Osindero's conditioning, 2014).

    python examples/mnist_cnn.py --epochs 20 --save runs/mnist_cnn.npz   # first: the classifier that scores
    python examples/dcgan_mnist.py                 # CPU (numpy); a sample grid per epoch in runs/dcgan/
    python examples/dcgan_mnist.py --resume runs/dcgan/ckpt.npz --epochs 60   # train further
    python examples/dcgan_mnist.py --unconditional # the plain DCGAN: noise in, any digit out
    python examples/dcgan_mnist.py --backend cupy  # GPU

The generator turns 100 random numbers and the one-hot digit into a 28x28 image: linear to 128x7x7, two
stride-2 ConvTranspose2d with BatchNorm and ReLU up to 32x28x28, a 3x3 convolution to one channel, tanh. The
discriminator sees the image with the digit as ten constant one-hot planes: two stride-2 convolutions with
LeakyReLU(0.2), BatchNorm on the second, and a linear layer give the logit of "real". Both start from DCGAN's
N(0, 0.02) weights and use Adam(lr 2e-4, betas (0.5, 0.999)), as in Radford et al. (2015): a lower beta1 makes
the momentum forget faster while the opponent keeps changing.

Score: the MNIST CNN example's trained classifier labels 10,000 generated digits (every digit asked for equally
often); the Inception-style score exp(E_x[KL(p(y|x) || p(y))]) is high (at most 10) when each digit is clearly
one class and the classes are evenly used. The script prints it, the share of each class, and the same score of
real held-out digits: what this classifier gives perfect samples.
"""

import os
import time

import common
import numpy as np
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.nn import functional as F
from xpnn.utils.data import DataLoader

LATENT = 100  # DCGAN's paper: 100 uniform or normal numbers per image
CLASSES = 10


class Generator(nn.Module):
    """Latent vector (and, if conditional, the digit wanted) -> a 28x28 image in [-1, 1].

    Linear to 2C x 7 x 7, two stride-2 ConvTranspose2d (each with BatchNorm and ReLU) up to C/2 x 28 x 28, then a
    3x3 convolution to one channel and tanh. The last upsampling keeps C/2 channels instead of going straight to
    one: a single-channel transposed convolution draws every stroke from overlapping 4x4 patches, and such a
    generator's digits came out broken."""

    def __init__(self, channels=64, conditional=False):
        super().__init__()
        self.channels, self.conditional = 2 * channels, conditional
        inputs = LATENT + (CLASSES if conditional else 0)
        self.project = nn.Sequential(
            nn.Linear(inputs, self.channels * 7 * 7, bias=False), nn.BatchNorm1d(self.channels * 7 * 7), nn.ReLU()
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1, bias=False),  # C x 14 x 14
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, channels // 2, 4, stride=2, padding=1, bias=False),  # C/2 x 28 x 28
            nn.BatchNorm2d(channels // 2),
            nn.ReLU(),
            nn.Conv2d(channels // 2, 1, 3, padding=1),
            nn.Tanh(),  # pixels in [-1, 1], like the real images the discriminator sees
        )

    def forward(self, z, labels=None):
        if self.conditional:
            z = xpnn.cat([z, _one_hot_digits("Generator", labels, len(z))], dim=1)
        return self.upsample(self.project(z).reshape(len(z), self.channels, 7, 7))


class Discriminator(nn.Module):
    """Image (and, if conditional, its digit as ten constant one-hot planes) -> the logit of "real"."""

    def __init__(self, channels=32, conditional=False):
        super().__init__()
        self.conditional = conditional
        self.features = nn.Sequential(
            # C x 14 x 14; no BatchNorm on the first layer, as in DCGAN
            nn.Conv2d(1 + (CLASSES if conditional else 0), channels, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1, bias=False),  # 2C x 7 x 7
            nn.BatchNorm2d(2 * channels),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * channels * 7 * 7, 1),
        )

    def forward(self, images, labels=None):
        if self.conditional:
            one_hot = _one_hot_digits("Discriminator", labels, len(images))
            planes = one_hot.reshape(len(images), CLASSES, 1, 1).expand(-1, -1, 28, 28)
            images = xpnn.cat([images, planes], dim=1)
        return self.features(images)


def _one_hot_digits(network, labels, n):
    """The digits of n images, one-hot as float rows (n, 10), for a conditional network."""
    if labels is None or tuple(labels.shape) != (n,):
        got = "none" if labels is None else f"shape {tuple(labels.shape)}"
        raise ValueError(
            f"conditional {network}: expected the digit of each of the {n} images, shape ({n},); got {got}"
        )
    return F.one_hot(labels, CLASSES).float()


def dcgan_init(module):
    """Radford et al.'s start: convolution and linear weights from N(0, 0.02), BatchNorm scales from N(1, 0.02)
    and shifts 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def noise(n):
    return common.randn_like(xpnn.zeros(n, LATENT))


def digits(n):
    """0, 1, ..., 9, 0, 1, ...: the digits a conditional generator is asked for, each as often."""
    return xpnn.arange(n) % CLASSES


def to_pixels(images):
    """The generator's tanh output, in [-1, 1], as a float32 host array in [0, 1]."""
    return ((images + 1) * 0.5).numpy()


def generate(generator, n, batch_size=500):
    """``n`` generated digits as a float32 host array (n, 1, 28, 28) in [0, 1], in eval mode (a conditional
    generator is asked for every digit in turn)."""
    generator.eval()
    images = []
    with xpnn.no_grad():
        for i in range(0, n, batch_size):
            size = min(batch_size, n - i)
            images.append(to_pixels(generator(noise(size), digits(size))))
    return np.concatenate(images)


def classifier_score(classifier, images):
    """(exp(E[KL(p(y|x) || p(y))]), share of each class) of ``images`` under ``classifier``."""
    classifier.eval()
    with xpnn.no_grad():
        probabilities = np.concatenate(
            [
                nn.functional.softmax(classifier(xpnn.tensor(images[i : i + 500])), dim=1).numpy()
                for i in range(0, len(images), 500)
            ]
        ).astype(np.float64)
    marginal = probabilities.mean(axis=0)
    kl = (probabilities * (np.log(probabilities + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
    shares = np.bincount(probabilities.argmax(axis=1), minlength=10) / len(images)
    return float(np.exp(kl.mean())), shares


def save_grid(images, path, title):
    """An 8x8 grid of digits as one PNG."""
    fig = common.figure(figsize=(5, 5.3))
    if fig is None:
        return
    tiles = images[:64, 0].reshape(8, 8, 28, 28).transpose(0, 2, 1, 3).reshape(8 * 28, 8 * 28)
    axes = fig.subplots()
    axes.imshow(tiles, cmap="gray", vmin=0.0, vmax=1.0)
    axes.set_axis_off()
    axes.set_title(title)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=100)


def load_classifier(path):
    import mnist_cnn  # the MNIST CNN example, next to this script

    classifier = mnist_cnn.make_cnn()
    classifier.load_state_dict(xpnn.load(path))
    return classifier


def main(argv=None):
    parser = common.mnist_arg_parser(
        __doc__.splitlines()[0], epochs=40, batch_size=64, lr=2e-4, save="runs/dcgan/generator.npz"
    )
    parser.add_argument("--classifier", default="runs/mnist_cnn.npz", help="mnist_cnn.py's saved model, for the score")
    parser.add_argument("--samples", type=int, default=10_000, help="generated digits to score")
    parser.add_argument("--g-channels", type=int, default=64, help="width of the generator")
    parser.add_argument("--d-channels", type=int, default=32, help="width of the discriminator")
    parser.add_argument("--unconditional", action="store_true", help="do not tell the networks which digit an image is")
    parser.add_argument(
        "--real-label", type=float, default=1.0, help="target for real images (0.9: one-sided smoothing)"
    )
    parser.add_argument("--out", default="runs/dcgan", help="folder for the per-epoch sample grids")
    args = parser.parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, held_out, held_out_name = common.mnist_splits(args)
    conditional = not args.unconditional
    generator, discriminator = Generator(args.g_channels, conditional), Discriminator(args.d_channels, conditional)
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True, seed=args.seed)
    g_optimizer = xpnn.optim.Adam(generator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    d_optimizer = xpnn.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(0.5, 0.999))
    loss_fn = nn.BCEWithLogitsLoss()
    # One-sided label smoothing (Salimans et al., 2016): an overconfident discriminator starves G of gradient.
    real_label = xpnn.ones(args.batch_size, 1) * args.real_label
    fake_label, ones = xpnn.zeros(args.batch_size, 1), xpnn.ones(args.batch_size, 1)
    fixed = noise(64)  # the same latent points every epoch, so the grids show one set of digits taking shape
    kind = "conditional DCGAN" if conditional else "DCGAN"
    print(f"{kind} on {xpnn.get_backend()}: {len(train_set):,} training images")
    checkpoint = args.checkpoint or os.path.join(args.out, "ckpt.npz")
    first_epoch, history = 1, {"discriminator loss": [], "generator loss": []}
    if args.resume:
        state = xpnn.load(args.resume)
        for name, thing in (
            ("generator", generator),
            ("discriminator", discriminator),
            ("g_optimizer", g_optimizer),
            ("d_optimizer", d_optimizer),
            ("loader", loader),
        ):
            thing.load_state_dict(state[name])
        xpnn.set_rng_state(state["rng"])
        fixed, first_epoch, history = xpnn.tensor(state["fixed"]), state["epoch"] + 1, state["history"]
        print(f"resumed from {args.resume} after epoch {state['epoch']}")

    for epoch in range(first_epoch, args.epochs + 1):
        start, d_total, g_total, steps = time.perf_counter(), 0.0, 0.0, 0
        generator.train()
        discriminator.train()
        bar = tqdm(loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, unit="batch")
        for real, real_digits in bar:
            real = real * 2 - 1  # to the generator's tanh range
            fake_digits = xpnn.randint(0, CLASSES, (args.batch_size,))  # what a conditional G is asked to draw
            fake = generator(noise(args.batch_size), fake_digits)
            # The discriminator learns to tell real (1) from generated (0); detach: this step leaves G alone.
            d_loss = loss_fn(discriminator(real, real_digits), real_label) + loss_fn(
                discriminator(fake.detach(), fake_digits), fake_label
            )
            d_optimizer.zero_grad()
            d_loss.backward()
            d_optimizer.step()
            # The generator learns to make the discriminator say "real" (the non-saturating loss).
            g_loss = loss_fn(discriminator(fake, fake_digits), ones)
            g_optimizer.zero_grad()
            g_loss.backward()
            g_optimizer.step()
            d_total, g_total, steps = d_total + d_loss.item(), g_total + g_loss.item(), steps + 1
            bar.set_postfix(d=f"{d_total / steps:.3f}", g=f"{g_total / steps:.3f}")
        history["discriminator loss"].append(d_total / steps)
        history["generator loss"].append(g_total / steps)
        generator.eval()
        with xpnn.no_grad():
            grid = to_pixels(generator(fixed, digits(64)))
        save_grid(grid, os.path.join(args.out, f"epoch_{epoch:03d}.png"), f"DCGAN samples after epoch {epoch}")
        print(
            f"epoch {epoch:2d}  discriminator loss {d_total / steps:.3f}  generator loss {g_total / steps:.3f}  "
            f"({time.perf_counter() - start:.1f} s)"
        )
        xpnn.save(
            {
                "generator": generator.state_dict(),
                "discriminator": discriminator.state_dict(),
                "g_optimizer": g_optimizer.state_dict(),
                "d_optimizer": d_optimizer.state_dict(),
                "loader": loader.state_dict(),
                "rng": xpnn.get_rng_state(),
                "fixed": fixed.numpy(),
                "epoch": epoch,
                "history": history,
            },
            checkpoint,
        )

    common.save_model(generator, args.save)
    result = {"history": history}
    if args.classifier and os.path.exists(args.classifier):
        classifier = load_classifier(args.classifier)
        score, shares = classifier_score(classifier, generate(generator, args.samples))
        print(f"classifier score of {args.samples:,} generated digits: {score:.2f} (at most 10)")
        print("share of each class: " + ", ".join(f"{d}: {s:.1%}" for d, s in enumerate(shares)))
        # The same score of real digits is what this classifier gives perfect samples: the ceiling in practice.
        real_images, _ = held_out.__getitems__(np.arange(min(args.samples, len(held_out))))
        real_score, _ = classifier_score(classifier, np.asarray(real_images))
        print(f"the same score of {len(real_images):,} real {held_out_name} digits: {real_score:.2f}")
        result.update(score=score, shares=shares, real_score=real_score)
    else:
        print(
            f"no classifier at {args.classifier}; train one: "
            f"python examples/mnist_cnn.py --epochs 20 --save {args.classifier}"
        )
    return result


if __name__ == "__main__":
    main()
