import sys

import numpy as np
import pytest

import xpnn

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402

from xpnn.utils.plot import plot_image_grid, plot_training_curves  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _read_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 2_000
    image = imread(path)  # (height, width, RGBA) floats in [0, 1]
    assert image[..., :3].std() > 0.05  # something drawn, not a blank canvas
    return image


def _read_png_after(plot, *args, **kwargs):
    plot(*args, **kwargs)
    return _read_png(args[-1])


def _red_pixels(image):
    # matplotlib's "tab:red" is (214, 39, 40)
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    return int(np.count_nonzero((r > 0.7) & (g < 0.3) & (b < 0.3)))


def test_training_curves_put_loss_and_accuracy_side_by_side(tmp_path):
    history = {"loss": [0.9, 0.5, 0.3, 0.25], "accuracy": [0.7, 0.85, 0.9, 0.93]}
    image = _read_png_after(plot_training_curves, history, tmp_path / "curves.png", title="MLP on MNIST")
    assert image.shape[:2] == (360, 900)  # two 4.5 x 3.6 inch panels at 100 dpi: wide, not stacked
    assert list(tmp_path.iterdir()) == [tmp_path / "curves.png"]  # no temporary file left


def test_training_curves_of_one_epoch_and_of_numpy_values(tmp_path):
    plot_training_curves({"loss": np.array([0.5], dtype=np.float32)}, tmp_path / "one.png")
    assert _read_png(tmp_path / "one.png").shape[:2] == (360, 450)


def test_training_curves_need_values(tmp_path):
    with pytest.raises(ValueError, match=r"plot_training_curves: history has no values to plot \(keys: \['loss'\]\)"):
        plot_training_curves({"loss": []}, tmp_path / "none.png")
    assert list(tmp_path.iterdir()) == []


def test_image_grid_marks_mistakes_in_red(tmp_path, backend):
    images = xpnn.tensor(np.random.default_rng(0).random((10, 1, 28, 28), dtype=np.float32))
    labels = xpnn.tensor(np.arange(10) % 3)
    right = _read_png_after(
        plot_image_grid, images, labels, tmp_path / "right.png", predictions=labels, ncols=5, title="all right"
    )
    assert right.shape[:2] == (340, 650)  # 2 rows x 5 columns, with the title
    assert _red_pixels(right) == 0
    wrong_predictions = labels.numpy().copy()
    wrong_predictions[[1, 7]] = 2 - wrong_predictions[[1, 7]] // 2
    wrong = _read_png_after(
        plot_image_grid,
        images,
        labels,
        tmp_path / "wrong.png",
        predictions=xpnn.tensor(wrong_predictions),
        ncols=5,
        title="two wrong",
    )
    assert _red_pixels(wrong) > 200  # two red frames and captions


def test_image_grid_layouts_and_class_names(tmp_path):
    rng = np.random.default_rng(1)
    for i, images in enumerate([rng.random((3, 8, 8)), rng.random((3, 3, 8, 8)), rng.random((3, 8, 8, 3))]):
        image = _read_png_after(
            plot_image_grid, images, [0, 1, 1], tmp_path / f"grid{i}.png", class_names=["cat", "dog"]
        )
        assert image.shape[:2] == (150, 390)  # the 3 images in one row of 3


@pytest.mark.parametrize(
    "images, labels, predictions, message",
    [
        (np.zeros((3, 8)), [0, 1, 2], None, r"expected images \(N, H, W\).*got shape \(3, 8\)"),
        (np.zeros((3, 2, 8, 8)), [0, 1, 2], None, r"expected images.*got shape \(3, 2, 8, 8\)"),
        (np.zeros((3, 8, 8)), [0, 1], None, "3 images but 2 labels"),
        (np.zeros((3, 8, 8)), [0, 1, 2], [0], "3 images but 1 predictions"),
    ],
)
def test_image_grid_bad_inputs(tmp_path, images, labels, predictions, message):
    with pytest.raises(ValueError, match=f"plot_image_grid: {message}"):
        plot_image_grid(images, labels, tmp_path / "bad.png", predictions=predictions)


def test_without_matplotlib_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes `import matplotlib.figure` fail
    with pytest.raises(ImportError, match=r"pip install xpnn\[plot\]"):
        plot_training_curves({"loss": [1.0]}, tmp_path / "c.png")
