"""The DCGAN trains a few steps on numpy and the strict stand-in, saves grids, scores samples and resumes."""

import numpy as np
import pytest

import xpnn


@pytest.fixture
def dcgan(load_example, few_images):
    module = load_example("dcgan_mnist")
    few_images(96, 10)
    return module


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_an_epoch_saves_a_grid_and_scores_the_samples(dcgan, tmp_path, capsys, backend):
    pytest.importorskip("matplotlib")
    import mnist_cnn  # next to the script, on sys.path like the script's own folder

    xpnn.save(mnist_cnn.make_cnn().state_dict(), str(tmp_path / "classifier.npz"))
    out = tmp_path / "dcgan"
    args = ["--no-download", "--epochs", "1", "--batch-size", "32", "--samples", "100", "--backend", backend]
    result = dcgan.main(
        [*args, "--out", str(out), "--save", str(out / "g.npz"), "--classifier", str(tmp_path / "classifier.npz")]
    )
    assert (out / "epoch_001.png").stat().st_size > 0 and (out / "ckpt.npz").exists()
    assert 1.0 <= result["score"] <= 10.0 and result["shares"].sum() == pytest.approx(1.0)
    assert 1.0 <= result["real_score"] <= 10.0
    assert "share of each class" in capsys.readouterr().out


def test_the_unconditional_variant_trains_on_noise_alone(dcgan, tmp_path):
    args = ["--no-download", "--epochs", "1", "--batch-size", "32", "--classifier", "", "--save", ""]
    result = dcgan.main([*args, "--unconditional", "--out", str(tmp_path)])
    assert len(result["history"]["generator loss"]) == 1
    generator = dcgan.Generator(conditional=False)
    assert generator.project[0].in_features == dcgan.LATENT  # no digit among its inputs


def test_a_conditional_generator_and_discriminator_take_the_digit(dcgan):
    xpnn.manual_seed(0)
    generator, discriminator = dcgan.Generator(8, conditional=True), dcgan.Discriminator(8, conditional=True)
    generator.eval()
    z = dcgan.noise(1).expand(10, -1)  # one latent point, asked for each digit
    images = generator(z, xpnn.arange(10))
    assert images.shape == (10, 1, 28, 28)
    assert all(not np.allclose(images[0].numpy(), images[d].numpy()) for d in range(1, 10))
    logits = discriminator(xpnn.cat([images[:1]] * 10), xpnn.arange(10))
    assert logits.shape == (10, 1) and len(np.unique(logits.numpy().round(6))) == 10


def test_a_conditional_network_without_its_digits_says_so(dcgan):
    generator, discriminator = dcgan.Generator(8, conditional=True), dcgan.Discriminator(8, conditional=True)
    with pytest.raises(ValueError, match=r"conditional Generator: expected the digit of each of the 4 images"):
        generator(dcgan.noise(4))
    with pytest.raises(ValueError, match=r"conditional Discriminator: .* shape \(2,\); got shape \(3,\)"):
        discriminator(xpnn.zeros(2, 1, 28, 28), xpnn.arange(3))


def test_resume_continues_from_the_checkpoint(dcgan, tmp_path):
    args = ["--no-download", "--batch-size", "32", "--classifier", "", "--out", str(tmp_path), "--save", ""]
    straight = dcgan.main([*args, "--epochs", "2"])["history"]
    dcgan.main([*args, "--epochs", "1", "--checkpoint", str(tmp_path / "b.npz")])
    resumed = dcgan.main(
        [*args, "--epochs", "2", "--resume", str(tmp_path / "b.npz"), "--checkpoint", str(tmp_path / "c.npz")]
    )["history"]
    assert resumed == straight


def test_the_score_is_ten_for_confident_even_classes_and_one_for_a_single_class(dcgan):
    class Fixed:
        def __init__(self, logits):
            self.logits = logits

        def eval(self):
            pass

        def __call__(self, x):
            return xpnn.tensor(self.logits[: len(x)])

    confident = np.eye(10, dtype=np.float32)[np.arange(100) % 10] * 50
    score, shares = dcgan.classifier_score(Fixed(confident), np.zeros((100, 1, 28, 28), np.float32))
    assert score == pytest.approx(10.0, rel=1e-4) and shares.tolist() == [0.1] * 10
    single = np.tile(np.eye(10, dtype=np.float32)[3] * 50, (100, 1))
    score, shares = dcgan.classifier_score(Fixed(single), np.zeros((100, 1, 28, 28), np.float32))
    assert score == pytest.approx(1.0, rel=1e-4) and shares[3] == 1.0
