"""nn_paint learns a small picture on numpy and the strict stand-in, saving frames and an animated GIF."""

import numpy as np
import pytest


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_a_few_steps_paint_frames_and_a_gif(load_example, tmp_path, backend):
    pytest.importorskip("PIL")
    module = load_example("nn_paint")
    out = tmp_path / "paint"
    args = ["--size", "16", "--steps", "30", "--frame-every", "10", "--fourier", "16", "--width", "32"]
    score = module.main([*args, "--backend", backend, "--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == [
        "final.png",
        "frame_00010.png",
        "frame_00020.png",
        "frame_00030.png",
        "training.gif",
    ]
    assert score > 12  # a flat grey guess scores about 10 dB on the sample portrait


def test_psnr_and_coordinates(load_example):
    module = load_example("nn_paint")
    assert module.psnr(np.full((2, 2, 3), 0.5), np.full((2, 2, 3), 0.6)) == pytest.approx(20.0)
    xy = module.pixel_coordinates(4)
    assert xy.shape == (16, 2) and xy.min() == -0.75 and xy.max() == 0.75 and tuple(xy[1]) == (-0.25, -0.75)
