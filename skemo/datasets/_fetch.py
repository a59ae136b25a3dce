"""Locating dataset files under the data home, downloading (with pooch) and checking them."""

import hashlib
import os
import re
import tempfile
from pathlib import Path

from skemo.utils._package_data import load_json

#: ``{relative path: {"url", "sha256"[, "drop_first_line"]}}`` for every file.
DATASET_FILES = load_json("dataset_files.json")["files"]

DATA_HOME_ENV = "SKEMO_DATA"


def get_data_home(data_home=None):
    """Return the folder that holds skemo's benchmark datasets.

    The folder is ``data_home`` if given, else the value of the ``SKEMO_DATA``
    environment variable, else ``~/skemo_data``. Datasets live under it in a
    fixed layout, e.g. ``<home>/goemotions/original/train.tsv`` or
    ``<home>/taco/go_emotion/train.csv``. The folder is not created here;
    loaders create what they need when they download a file.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Explicit folder; ``~`` is expanded.

    Returns
    -------
    str
        The data home path.

    Examples
    --------
    >>> from skemo.datasets import get_data_home
    >>> get_data_home("/tmp/emotion_data")
    '/tmp/emotion_data'
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or os.path.join("~", "skemo_data")
    return str(Path(data_home).expanduser())


def _missing_file_error(path, relative_path, reason):
    return OSError(
        f"Dataset file {path} is missing and {reason}. Place the file there, or "
        f"point the {DATA_HOME_ENV} environment variable or the data_home argument "
        f"at a folder that contains {relative_path}."
    )


#: Further attempts after a failed download (a dropped connection or a bad checksum).
DOWNLOAD_RETRIES = 2


def http_downloader():
    """pooch's HTTP downloader: streamed, with a progress bar, a 60 s timeout."""
    import pooch

    return pooch.HTTPDownloader(progressbar=True, timeout=60)


def _download(relative_path, path):
    """Download one file with pooch, check its sha256 and move it into ``path``.

    pooch streams the file to a temporary file beside ``path``, retries
    :data:`DOWNLOAD_RETRIES` times, and moves it into place only once its
    sha256 matches. A file whose first line is to be dropped (see
    ``dataset_files.json``) is downloaded under a temporary name, and checked
    and moved into place without that line.
    """
    import pooch

    entry = DATASET_FILES[relative_path]
    drop_first_line = "drop_first_line" in entry
    name = f"{relative_path}.download" if drop_first_line else relative_path
    fetcher = pooch.create(
        path=Path(str(path)[: -len(relative_path)]),
        base_url="",
        registry={name: None if drop_first_line else f"sha256:{entry['sha256']}"},
        urls={name: entry["url"]},
        retry_if_failed=DOWNLOAD_RETRIES,
    )
    try:
        fetched = Path(fetcher.fetch(name, downloader=http_downloader()))
    except ValueError as exc:  # pooch's hash mismatch: "... expected sha256:X but got Y."
        got = re.search(r"but got ([0-9a-fA-F]+)", str(exc))
        if got is None:
            raise
        raise _checksum_error(relative_path, entry, got.group(1)) from exc
    except OSError as exc:  # requests' errors are OSErrors too
        raise _missing_file_error(
            path, relative_path, f"downloading it from {entry['url']} failed ({exc})"
        ) from exc
    if drop_first_line:
        _move_without_first_line(fetched, path, relative_path, entry)


def _checksum_error(relative_path, entry, digest):
    return OSError(
        f"checksum mismatch for {relative_path} downloaded from {entry['url']}: "
        f"expected sha256 {entry['sha256']}, got {digest}. Nothing was saved."
    )


def _move_without_first_line(fetched, path, relative_path, entry):
    """Write ``fetched`` less its first line to ``path`` if its sha256 matches."""
    try:
        content = fetched.read_bytes().partition(b"\n")[2]
    finally:
        fetched.unlink()
    digest = hashlib.sha256(content).hexdigest()
    if digest != entry["sha256"]:
        raise _checksum_error(relative_path, entry, digest)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(content)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def fetch_file(relative_path, data_home=None, download_if_missing=True):
    """Return the local path of a dataset file, downloading it if needed.

    Parameters
    ----------
    relative_path : str
        Key of ``skemo/data/dataset_files.json``, e.g.
        ``"goemotions/original/train.tsv"``.
    data_home : str or os.PathLike, default=None
        See :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download an absent file from its pinned URL with :mod:`pooch`
        (streamed, with a progress bar, retried :data:`DOWNLOAD_RETRIES`
        times). The download is checked against the recorded sha256 before
        it is moved into place, so a bad download leaves no file behind.

    Returns
    -------
    pathlib.Path
        Path of the file under the data home.

    Raises
    ------
    OSError
        If the file is absent and downloading is disabled or fails (the
        message names the path, ``SKEMO_DATA`` and ``data_home``), or if the
        downloaded bytes fail the checksum ("checksum mismatch").

    Examples
    --------
    >>> from skemo.datasets._fetch import fetch_file
    >>> fetch_file("dair_emotion/val.txt", "/nonexistent",
    ...            download_if_missing=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    OSError: Dataset file /nonexistent/dair_emotion/val.txt is missing and ...
    """
    path = Path(get_data_home(data_home), relative_path)
    if not path.is_file():
        if not download_if_missing:
            raise _missing_file_error(
                path, relative_path, "downloading is disabled (download_if_missing=False)"
            )
        _download(relative_path, path)
    return path
