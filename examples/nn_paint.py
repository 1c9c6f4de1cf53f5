"""Paint a picture with a network: an MLP maps each pixel's (x, y) to its colour and learns one image by heart.

    python examples/nn_paint.py                          # matplotlib's sample portrait, 128x128, frames + GIF
    python examples/nn_paint.py --img photo.png          # your own picture
    python examples/nn_paint.py --fourier 0              # plain (x, y) input: a blurry painting
    python examples/nn_paint.py --backend cupy           # GPU

A plain MLP on (x, y) learns smooth functions first and fine detail very slowly. Feeding it Fourier features
instead, sin and cos of random projections of (x, y) (Tancik et al., 2020), lets it draw edges within a few
hundred steps. Every --frame-every steps the current painting is saved as a PNG frame; at the end the frames
become an animated GIF and the script prints the PSNR of the painting against the picture.
"""

import argparse
import math
import os

import numpy as np
from tqdm import tqdm

import xpnn
from xpnn import nn

DEFAULT_IMAGE = "grace_hopper.jpg"  # one of the sample pictures matplotlib installs


def load_picture(path, size):
    """The picture as float32 (size, size, 3) RGB in [0, 1], centre-cropped to a square and resized."""
    from matplotlib import cbook
    from PIL import Image  # matplotlib depends on Pillow

    source = path or cbook.get_sample_data(DEFAULT_IMAGE, asfileobj=False)
    with Image.open(source) as image:
        image = image.convert("RGB")
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
        return np.asarray(image, dtype=np.float32) / 255


def pixel_coordinates(size):
    """(size*size, 2) float32 (x, y) of every pixel centre, in [-1, 1], row by row."""
    ticks = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1
    y, x = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1)


def fourier_features(xy, n, scale, rng):
    """(P, 2) -> (P, 2n): [sin(2 pi xy B), cos(2 pi xy B)] for a random B (2, n) of standard deviation ``scale``.

    B is fixed, not learned, so the features are computed once, on the host, as the network's input.
    """
    projection = rng.standard_normal((2, n)).astype(np.float32) * scale
    angles = 2 * np.pi * xy @ projection
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def make_painter(inputs, width):
    return nn.Sequential(
        nn.Linear(inputs, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, 3),
        nn.Sigmoid(),  # colours in [0, 1]
    )


def psnr(painting, picture):
    """Peak signal-to-noise ratio in dB of two images in [0, 1]: 10 log10(1 / MSE)."""
    return 10 * math.log10(1.0 / float(np.mean((painting - picture) ** 2)))


def paint(model, coordinates, size):
    model.eval()
    with xpnn.no_grad():
        return model(coordinates).numpy().reshape(size, size, 3)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="numpy", help="numpy (CPU) or cupy (CUDA)")
    p.add_argument("--img", default=None, help=f"picture to paint (default: matplotlib's {DEFAULT_IMAGE})")
    p.add_argument("--size", type=int, default=128, help="side of the square painting in pixels")
    p.add_argument("--steps", type=int, default=300, help="Adam steps, each on every pixel")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--fourier", type=int, default=128, help="random frequencies (0: plain (x, y) input)")
    p.add_argument("--scale", type=float, default=10.0, help="standard deviation of the frequencies")
    p.add_argument("--width", type=int, default=128, help="hidden layer width")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--frame-every", type=int, default=25, help="save a frame every this many steps")
    p.add_argument("--out", default="runs/nn_paint", help="folder for the frames, the GIF and the final PNG")
    args = p.parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)

    picture = load_picture(args.img, args.size)
    xy = pixel_coordinates(args.size)
    if args.fourier:
        xy = fourier_features(xy, args.fourier, args.scale, xpnn.random.host_rng())
    coordinates = xpnn.tensor(xy)
    colours = xpnn.tensor(picture.reshape(-1, 3))
    model = make_painter(xy.shape[1], args.width)
    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()
    os.makedirs(args.out, exist_ok=True)
    print(f"painting a {args.size}x{args.size} picture on {xpnn.get_backend()} ({args.fourier} Fourier frequencies)")

    frames = []
    bar = tqdm(range(1, args.steps + 1), unit="step")
    for step in bar:
        model.train()
        loss = loss_fn(model(coordinates), colours)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.frame_every == 0 or step == args.steps:
            painting = paint(model, coordinates, args.size)
            frames.append(painting)
            save_png(painting, os.path.join(args.out, f"frame_{step:05d}.png"))
            bar.set_postfix(psnr=f"{psnr(painting, picture):.2f} dB")

    painting = frames[-1]
    score = psnr(painting, picture)
    save_png(np.concatenate([picture, painting], axis=1), os.path.join(args.out, "final.png"))
    save_gif(frames, os.path.join(args.out, "training.gif"))
    print(
        f"PSNR after {args.steps} steps: {score:.2f} dB ({args.size}x{args.size}); frames and final.png in {args.out}"
    )
    return score


def save_png(image, path):
    from PIL import Image

    Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8)).save(path)


def save_gif(frames, path):
    from PIL import Image

    images = [Image.fromarray((np.clip(f, 0, 1) * 255).round().astype(np.uint8)) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=150, loop=0)
    print(f"saved the animation to {path}")


if __name__ == "__main__":
    main()
