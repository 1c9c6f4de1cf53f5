"""Fashion-MNIST: Zalando's 28x28 grayscale clothing images, a drop-in harder replacement for MNIST."""

from .mnist import MNIST


class FashionMNIST(MNIST):
    """Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28 grayscale, labels 0-9 (``classes``).

    Same files, format and interface as ``MNIST``; they live in ``fashion-mnist/`` under the cache root or under a
    directory of ``xpnn.datasets.search_path()``. Debian's ``dataset-fashion-mnist`` package installs them in
    ``/usr/share/datasets/fashion-mnist/``, recompressed: such a copy is accepted when what it decompresses to
    matches the official files (``content_md5``), so it is used without downloading anything.
    """

    folder = "fashion-mnist"
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    mirrors = [
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ]
    resources = {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    # md5 of the decompressed IDX files (the same bytes however they are compressed)
    content_md5 = {
        "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
    }
