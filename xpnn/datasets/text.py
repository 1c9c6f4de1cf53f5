"""Plain-text corpora for character-level language models: tiny Shakespeare (downloaded once, verified by its
published sha256), and, offline, the source code of the running Python's standard library, which every machine
with Python has."""

import sysconfig
from pathlib import Path

from . import _download
from ._download import DownloadError, data_root

# Andrej Karpathy's char-rnn corpus: 1,115,394 bytes, 40,000 lines from Shakespeare's plays. Its sha256 is the
# one published wherever the file is pinned (TensorFlow Datasets' checksums among them).
TINY_SHAKESPEARE_URLS = [
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
]
TINY_SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


def tiny_shakespeare(root=None, download=True, timeout=15.0):
    """The tiny-Shakespeare text: from the cache under ``root`` (default $XPNN_DATA or ~/.cache/xpnn), else
    downloaded there when ``download``. Raises FileNotFoundError or DownloadError when neither works."""
    path = data_root(root) / "tinyshakespeare" / "input.txt"
    if not download and not (path.is_file() and _download.file_digest(path, "sha256") == TINY_SHAKESPEARE_SHA256):
        raise FileNotFoundError(f"tiny Shakespeare is not cached at {path} and download=False")
    _download.download(TINY_SHAKESPEARE_URLS, path, sha256=TINY_SHAKESPEARE_SHA256, timeout=timeout)
    return path.read_text(encoding="utf-8")


def python_stdlib_text(max_chars=1_200_000):
    """The standard library's top-level modules (``*.py`` in sorted order), concatenated up to ``max_chars``:
    real, varied text present wherever Python runs, and the same on every run of one Python version."""
    parts, total = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        total += len(text)
        if total >= max_chars:
            break
    return "".join(parts)[:max_chars]


def load_text_corpus(root=None, download=True):
    """(text, name): tiny Shakespeare when cached or downloadable, else the Python standard library's source."""
    try:
        return tiny_shakespeare(root, download), "tiny Shakespeare"
    except (FileNotFoundError, DownloadError) as e:
        reason = str(e).splitlines()[-1].strip()
        print(f"tiny Shakespeare unavailable ({reason}); using the Python standard library's source instead")
        return python_stdlib_text(), "Python standard library source"
