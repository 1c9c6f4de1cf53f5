"""The denoising autoencoder learns on a few hundred images on numpy and the strict stand-in, and draws its rows."""

import pytest

import xpnn


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_two_epochs_reduce_the_noise(load_example, few_images, tmp_path, capsys, backend):
    pytest.importorskip("matplotlib")
    module = load_example("denoising_autoencoder")
    few_images(512, 200)
    picture = tmp_path / "rows.png"
    args = ["--no-download", "--epochs", "2", "--batch-size", "32", "--backend", backend, "--picture", str(picture)]
    history = module.main([*args, "--save", str(tmp_path / "ae.npz")])
    assert history["loss"][1] < history["loss"][0]
    assert history["mse ratio"][-1] > 1.0  # the reconstruction is already closer to the clean image than the input
    assert "noisy / reconstructed / clean" in capsys.readouterr().out and picture.stat().st_size > 0


def test_corruption_adds_noise_masks_pixels_and_stays_in_range(load_example):
    module = load_example("denoising_autoencoder")
    images = xpnn.ones(2000, 1, 1, 1) * 0.5
    masked_only = module.corrupt(images, sigma=0.0, mask=0.3).numpy()
    assert abs((masked_only == 0).mean() - 0.3) < 0.05 and set(masked_only.ravel()) == {0.0, 0.5}
    noisy = module.corrupt(images, sigma=0.2, mask=0.0).numpy()
    assert 0.15 < noisy.std() < 0.25 and noisy.min() >= 0.0 and noisy.max() <= 1.0
