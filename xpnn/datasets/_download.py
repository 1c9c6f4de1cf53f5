"""Fetch a file from a list of mirrors into the data cache, verified by md5 and written atomically.

A file under the cache directory is either absent or complete and verified: downloads stream into a temp
file beside the destination and are renamed into place only once their checksum matches, so an
interrupted or corrupt transfer can never be mistaken for good data later.
"""

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

_CHUNK = 1 << 20
# Some servers refuse urllib's default "Python-urllib/x.y" agent.
_USER_AGENT = "xpnn (https://pypi.org/project/xpnn/)"


class DownloadError(RuntimeError):
    """Every mirror failed. ``failures`` holds one ``(url, reason)`` pair per mirror tried, in order."""

    def __init__(self, dest_path, failures):
        self.dest_path = Path(dest_path)
        self.failures = list(failures)
        lines = [f"could not download {self.dest_path.name} into {self.dest_path.parent}; tried:"]
        lines += [f"  {url}: {reason}" for url, reason in self.failures] or ["  nothing: no URLs were given"]
        super().__init__("\n".join(lines))


class _BadContent(Exception):
    """The server answered, but the bytes are not the file we asked for (truncated or wrong checksum)."""


def data_root(root=None):
    """The cache directory: ``root`` if given, else ``$XPNN_DATA``, else ``~/.cache/xpnn``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("XPNN_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "xpnn"


# Where Debian's dataset-* packages install (dataset-fashion-mnist puts its files in fashion-mnist/ here).
SYSTEM_DATA_DIRS = ("/usr/share/datasets",)


def search_path():
    """Directories searched for a ready copy of a dataset before it is downloaded, in order.

    ``$XPNN_DATA_PATH`` (directories separated by ``os.pathsep``), then ``/usr/share/datasets``. A dataset whose
    files sit in ``<dir>/<folder>/`` (``mnist``, ``fashion-mnist``, ``cifar-10``) is read from there, once its
    content is verified, and never copied into the cache.
    """
    dirs = [d for d in os.environ.get("XPNN_DATA_PATH", "").split(os.pathsep) if d]
    return [Path(d).expanduser() for d in dirs] + [Path(d) for d in SYSTEM_DATA_DIRS]


def md5sum(path):
    """Hex md5 of a file, read in chunks so large files need not fit in memory."""
    return file_digest(path, "md5")


def file_digest(path, algorithm):
    """Hex digest (``algorithm``: "md5" or "sha256") of a file, read in chunks."""
    # usedforsecurity=False: this is an integrity check, and it keeps md5 usable on FIPS-mode systems.
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_valid(path, md5):
    """True if ``path`` exists and its md5 is ``md5``."""
    return Path(path).is_file() and md5sum(path) == md5


def content_md5sum(path):
    """Hex md5 of a gzip file's decompressed content (the md5 of the file itself for one not gzipped).

    Packagers recompress files (Debian's dataset-fashion-mnist does), which changes the archive's md5 but not
    what it holds.
    """
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    if not gzipped:
        return md5sum(path)
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with gzip.open(path, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                digest.update(chunk)
    except (OSError, EOFError):
        return None  # corrupt gzip: matches no checksum
    return digest.hexdigest()


def is_verified(path, md5, content_md5=None):
    """True if ``path`` is the file with checksum ``md5`` or, when ``content_md5`` is given, holds that content."""
    path = Path(path)
    if not path.is_file():
        return False
    return md5sum(path) == md5 or (content_md5 is not None and content_md5sum(path) == content_md5)


def locate(filename, cache_dir, folder, urls, md5, allow_download, content_md5=None, dataset="dataset"):
    """The path of a verified copy of ``filename``: cached, found on ``search_path()``, or downloaded.

    Looks in ``cache_dir`` first, then in ``<dir>/<folder>/`` for each directory of ``search_path()``, and
    only then, if ``allow_download``, fetches it from ``urls`` into ``cache_dir``. Every copy is checked
    against ``md5`` (the published archive) or ``content_md5`` (what it decompresses to). Raises
    FileNotFoundError, naming where it looked, when there is none and downloading is not allowed.
    """
    cached = Path(cache_dir) / filename
    if is_verified(cached, md5, content_md5):
        return cached
    for directory in search_path():
        candidate = directory / folder / filename
        if is_verified(candidate, md5, content_md5):
            return candidate
    if allow_download:
        return download(urls, cached, md5)
    state = "corrupt (md5 mismatch)" if cached.exists() else "missing"
    searched = ", ".join(str(d / folder) for d in search_path())
    raise FileNotFoundError(
        f"{dataset} file {cached} is {state} and download=False; no verified copy in {searched} either. "
        f"Pass download=True to fetch it, point root (or $XPNN_DATA) at a directory holding {cached.parent.name}/, "
        f"or add a directory holding {folder}/ to $XPNN_DATA_PATH"
    )


def download(urls, dest_path, md5=None, desc=None, timeout=30.0, sha256=None):
    """Make ``dest_path`` hold the file with checksum ``md5`` (or ``sha256``, for files published with that
    digest instead), fetching it from the first mirror that works.

    A file already at ``dest_path`` with the right md5 is kept; one with the wrong md5 (a corrupt or
    truncated leftover) is replaced. ``urls`` are full URLs of the same file, tried in order; ``timeout``
    (seconds) bounds each connection attempt and each read. Raises ``DownloadError`` naming every URL tried
    and why it failed. Returns ``dest_path`` as a ``Path``.
    """
    dest_path = Path(dest_path)
    algorithm, expected = ("sha256", sha256) if sha256 is not None else ("md5", md5)
    if Path(dest_path).is_file() and file_digest(dest_path, algorithm) == expected:
        return dest_path
    dest_path.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        try:
            _fetch(url, dest_path, algorithm, expected, desc or dest_path.name, timeout)
            return dest_path
        except (_BadContent, OSError, http.client.HTTPException, ValueError) as e:
            # OSError covers URLError/HTTPError and timeouts; ValueError is urllib's "unknown url type".
            failures.append((url, _describe(e, timeout)))
    raise DownloadError(dest_path, failures)


def _fetch(url, dest_path, algorithm, expected, desc, timeout):
    """Stream one URL into a temp file beside ``dest_path``; rename it into place only if it verifies."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    # The temp file shares the destination's directory so the final os.replace is an atomic rename.
    fd, tmp_name = tempfile.mkstemp(dir=dest_path.parent, prefix=f".{dest_path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as tmp, urllib.request.urlopen(request, timeout=timeout) as response:
            expected_size = _content_length(response)
            received, digest = _copy_with_progress(response, tmp, expected_size, desc, algorithm)
            tmp.flush()
            os.fsync(tmp.fileno())  # data on disk before the rename makes it visible
        if expected_size is not None and received != expected_size:
            raise _BadContent(f"truncated: received {received:,} of {expected_size:,} bytes")
        if digest != expected:
            raise _BadContent(f"{algorithm} mismatch: expected {expected}, got {digest} ({received:,} bytes)")
        os.replace(tmp_name, dest_path)
    except BaseException:
        # Also on Ctrl-C: never leave a partial file behind.
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _content_length(response):
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None


def _copy_with_progress(response, out, total, desc, algorithm="md5"):
    """Copy the response body to ``out``; return (bytes copied, their digest), hashed on the way through."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    received = 0
    with tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024) as bar:
        for chunk in iter(lambda: response.read(_CHUNK), b""):
            out.write(chunk)
            digest.update(chunk)
            received += len(chunk)
            bar.update(len(chunk))
    return received, digest.hexdigest()


def _describe(error, timeout):
    """A one-line reason for a failed mirror."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason  # the cause underneath: DNS failure, refused connection, connect timeout...
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(error, (_BadContent, str)):
        return str(error)
    return f"{type(error).__name__}: {error}"
