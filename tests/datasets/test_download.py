"""download(): real HTTP against a local server with good, corrupt, truncated and missing mirrors."""

import functools
import hashlib
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from xpnn.datasets import DownloadError, data_root, download
from xpnn.datasets._download import md5sum

SAMPLE_DIR = Path(__file__).parents[2] / "xpnn" / "datasets" / "_sample"
LABELS = "t10k-labels-idx1-ubyte.gz"
LABELS_MD5 = "ec29112dd5afa0611ce80d1b7f02629c"


class _Handler(SimpleHTTPRequestHandler):
    """Serves the mirror directories; under /short/ it promises the whole file but sends half of it."""

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path.startswith("/short/"):
            body = (Path(self.directory) / "good" / self.path.removeprefix("/short/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            super().do_GET()

    def log_message(self, *args):
        pass  # keep pytest output clean


class LocalMirrors:
    """One HTTP server, several mirror flavours of every file added: url("good"), url("corrupt"), ..."""

    def __init__(self, root, port, requests):
        self.root, self.port, self.requests = root, port, requests
        for kind in ("good", "corrupt", "truncated", "missing"):
            (root / kind).mkdir()

    def add(self, name, data):
        (self.root / "good" / name).write_bytes(data)
        middle = len(data) // 2
        # Flip bytes but keep the length, so only the checksum can tell.
        flipped = bytes(b ^ 0xFF for b in data[middle : middle + 16])
        (self.root / "corrupt" / name).write_bytes(data[:middle] + flipped + data[middle + 16 :])
        # A consistent but short file: its Content-Length matches, so again only the checksum can tell.
        (self.root / "truncated" / name).write_bytes(data[:middle])

    def url(self, kind, name=""):
        return f"http://127.0.0.1:{self.port}/{kind}/{name}"


@pytest.fixture
def mirrors(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.requests = []
    # A short poll interval keeps shutdown() (and so each test's teardown) quick.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield LocalMirrors(root, server.server_address[1], server.requests)
    server.shutdown()
    server.server_close()


@pytest.fixture
def refused_url():
    """A URL on a port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def hanging_url():
    """A URL whose server accepts the connection (via the listen backlog) but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        yield f"http://127.0.0.1:{s.getsockname()[1]}/"


@pytest.fixture
def labels(mirrors):
    data = (SAMPLE_DIR / LABELS).read_bytes()
    mirrors.add(LABELS, data)
    return data


def files_in(directory):
    return sorted(p.name for p in directory.iterdir())


def test_download_verifies_and_places_the_file(tmp_path, mirrors, labels):
    dest = tmp_path / "cache" / LABELS
    assert download([mirrors.url("good", LABELS)], dest, LABELS_MD5) == dest
    assert dest.read_bytes() == labels
    assert files_in(dest.parent) == [LABELS]


def test_a_missing_file_moves_on_to_the_next_mirror(tmp_path, mirrors, labels):
    dest = tmp_path / LABELS
    download([mirrors.url("missing", LABELS), mirrors.url("good", LABELS)], dest, LABELS_MD5)
    assert dest.read_bytes() == labels
    assert mirrors.requests == [f"/missing/{LABELS}", f"/good/{LABELS}"]


@pytest.mark.parametrize("bad", ["corrupt", "truncated", "short"])
def test_a_bad_copy_is_rejected_and_the_next_mirror_used(tmp_path, mirrors, labels, bad):
    dest = tmp_path / "cache" / LABELS
    download([mirrors.url(bad, LABELS), mirrors.url("good", LABELS)], dest, LABELS_MD5)
    assert dest.read_bytes() == labels
    assert files_in(dest.parent) == [LABELS]  # no temp file left by the rejected copy


def test_when_every_mirror_fails_the_error_lists_each_url_and_why(tmp_path, mirrors, labels, refused_url, hanging_url):
    dest = tmp_path / "cache" / LABELS
    urls = [mirrors.url(kind, LABELS) for kind in ("missing", "corrupt", "truncated", "short")]
    urls += [refused_url + LABELS, hanging_url + LABELS]
    with pytest.raises(DownloadError) as info:
        download(urls, dest, LABELS_MD5, timeout=0.2)
    assert isinstance(info.value, RuntimeError)
    assert [url for url, _ in info.value.failures] == urls
    reasons = [reason for _, reason in info.value.failures]
    assert reasons[0] == "HTTP 404 File not found"
    assert reasons[1].startswith(f"md5 mismatch: expected {LABELS_MD5}, got ")
    assert reasons[2].startswith(f"md5 mismatch: expected {LABELS_MD5}, got ")
    assert reasons[3] == f"truncated: received {len(labels) // 2:,} of {len(labels):,} bytes"
    assert "refused" in reasons[4].lower()
    assert reasons[5] == "timed out after 0.2 s"
    message = str(info.value)
    assert all(f"{url}: {reason}" in message for url, reason in info.value.failures)
    assert files_in(dest.parent) == []  # neither the file nor any temp file


def test_a_corrupt_cached_file_is_fetched_again(tmp_path, mirrors, labels):
    dest = tmp_path / LABELS
    dest.write_bytes(labels[: len(labels) // 2])  # e.g. left by an older, non-atomic tool
    download([mirrors.url("good", LABELS)], dest, LABELS_MD5)
    assert dest.read_bytes() == labels
    assert mirrors.requests == [f"/good/{LABELS}"]


def test_a_valid_cached_file_is_used_without_any_request(tmp_path, mirrors, labels, refused_url):
    dest = tmp_path / LABELS
    dest.write_bytes(labels)
    assert download([refused_url + LABELS], dest, LABELS_MD5) == dest
    assert mirrors.requests == []


def test_md5sum_matches_hashlib_across_chunks():
    path = SAMPLE_DIR / "t10k-images-idx3-ubyte.gz"  # 1.6 MB: more than one 1 MiB chunk
    assert md5sum(path) == hashlib.md5(path.read_bytes()).hexdigest() == "9fb629c4189551a2d022fa330f9573f3"


def test_data_root_prefers_argument_then_env_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XPNN_DATA", raising=False)
    assert data_root() == tmp_path / "home" / ".cache" / "xpnn"
    monkeypatch.setenv("XPNN_DATA", str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
