"""The IMDb Large Movie Review Dataset (Maas et al., 2011) as pandas DataFrames.

Public entry point: :func:`load_imdb`. Everything else here is the plumbing
that makes it safe and fast:

* **Source.** If the environment variable ``IMDB_ARCHIVE`` names a local
  ``aclImdb_v1.tar.gz`` that file is used. Otherwise the official archive is
  downloaded from :data:`IMDB_URL` into the data directory, with a progress
  line, and its SHA-256 is checked against :data:`IMDB_SHA256` before use.
* **Cache.** The archive is extracted once to ``<data_dir>/aclImdb``; each split
  is then parsed once into ``<data_dir>/aclImdb/_parsed/<split>.jsonl``, so a
  second call takes about a second. The default data directory is ``data/`` at
  the repository root (git-ignored), or in the current folder when the package
  is installed outside a checkout (:func:`utils.config.data_dir`); the
  ``data_dir`` argument or the ``IMDB_DATA_DIR`` environment variable overrides it.
* **Nothing half-written is ever trusted.** Downloads go to a ``.part`` file that
  is renamed only after the checksum matches; extraction goes to a temporary
  directory renamed into place only after the layout has been checked; parsed
  caches are written to a temporary file and renamed. An interrupted run
  therefore leaves nothing that a later run mistakes for a complete cache.
* **Safe extraction.** Members with absolute paths, ``..`` components, links or
  device files are refused before anything is written.
* **Movies.** Every review carries the IMDb title id of the movie it is about
  (``movie``, e.g. ``tt0064354``), read from the archive's ``urls_*.txt``
  files. IMDb's test movies are disjoint from its training movies, so
  :func:`train_validation_split` holds out whole movies too.
* **Quick mode.** With ``BOOK_QUICK=1`` (or ``quick=True``) a deterministic,
  class-balanced subset is returned so that CI runs stay fast.

This module deliberately does not import TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from utils import config
from utils.config import DATA_DIR_ENV, QUICK_ENV, book_seed, quick_mode  # noqa: F401  (env names: for tests)

__all__ = ["ImdbDataError", "SPLITS", "dataset_fingerprint", "load_imdb", "movie_overlap", "train_validation_split"]

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
"""Where the official archive lives (Maas et al., 2011)."""

IMDB_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
"""SHA-256 of the official ``aclImdb_v1.tar.gz`` (84,125,825 bytes)."""

ARCHIVE_ENV = "IMDB_ARCHIVE"

SPLITS = ("train", "test", "unsup")
REQUIRED_DIRS = ("train/pos", "train/neg", "train/unsup", "test/pos", "test/neg")
URL_FILES = {"train": ("urls_pos.txt", "urls_neg.txt", "urls_unsup.txt"), "test": ("urls_pos.txt", "urls_neg.txt")}
"""Line ``i`` of ``<split>/urls_<sub>.txt`` is the IMDb page of the movie that review id ``i`` is about."""
COLUMNS = ("text", "label", "rating", "movie")
QUICK_SIZES = {"train": 2000, "test": 2000, "unsup": 1000}
"""Rows per split in quick mode (half per class for the labelled splits)."""

_ARCHIVE_NAME = "aclImdb_v1.tar.gz"
_TOP = "aclImdb"
_PARSED = "_parsed/v2"  # v2: rows carry the movie id (v1 caches, without it, are ignored)
_SOURCE = "_source.json"
_FILE_RE = re.compile(r"^(\d+)_(\d+)\.txt$")
_MOVIE_RE = re.compile(r"/title/(tt\d+)")


class ImdbDataError(RuntimeError):
    """The IMDb data could not be obtained or is not what it should be.

    The message always says what went wrong and what to do about it.
    """


# --------------------------------------------------------------------------- paths and flags


def default_data_dir() -> Path:
    """``$IMDB_DATA_DIR`` if set, else ``data/`` in the repository (or, outside a checkout, in the current folder)."""
    return config.data_dir()


# --------------------------------------------------------------------------- download


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class _Progress:
    """A one-line progress report that works in a terminal and in Jupyter."""

    def __init__(self, total: int, label: str, stream=None):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self._last = -1

    def update(self, n: int) -> None:
        self.done += n
        if self.total:
            pct = int(100 * self.done / self.total)
            if pct != self._last:
                self._last = pct
                self.stream.write(f"\r{self.label}: {pct:3d}% ({self.done / 1e6:.1f} of {self.total / 1e6:.1f} MB)")
        else:
            mb = int(self.done / 1e6)
            if mb != self._last:
                self._last = mb
                self.stream.write(f"\r{self.label}: {self.done / 1e6:.1f} MB")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def download_archive(
    dest: Path, *, url: str | None = None, sha256: str | None = None, timeout: float = 60.0
) -> Path:
    """Download ``url`` to ``dest``, verifying its SHA-256 before it is kept.

    The bytes go to ``dest.part`` first; on any failure (network error,
    interruption, short read, checksum mismatch) that file is removed and an
    :class:`ImdbDataError` explains what to do. ``url`` and ``sha256`` default
    to the module constants :data:`IMDB_URL` and :data:`IMDB_SHA256` (read at
    call time, so tests can point them at a local server).
    """
    url = url or IMDB_URL
    expected = (sha256 or IMDB_SHA256).lower()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    offline_hint = (
        f"If this machine has no internet access, get {_ARCHIVE_NAME} another way and set "
        f"{ARCHIVE_ENV}=/path/to/{_ARCHIVE_NAME} (for example ../shared/data/{_ARCHIVE_NAME})."
    )
    try:
        try:
            response = urllib.request.urlopen(url, timeout=timeout)
        except (urllib.error.URLError, OSError) as exc:
            raise ImdbDataError(
                f"Could not download the IMDb archive from {url}: {exc}. {offline_hint}"
            ) from exc
        with response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            progress = _Progress(total, f"Downloading {_ARCHIVE_NAME}")
            try:
                while block := response.read(1 << 20):
                    out.write(block)
                    digest.update(block)
                    progress.update(len(block))
            except (urllib.error.URLError, OSError) as exc:
                raise ImdbDataError(f"The download from {url} broke off: {exc}. Run again. {offline_hint}") from exc
            finally:
                progress.close()
        if total and progress.done != total:
            raise ImdbDataError(
                f"The download from {url} stopped after {progress.done} of {total} bytes. Run again. {offline_hint}"
            )
        actual = digest.hexdigest()
        if actual != expected:
            raise ImdbDataError(
                f"Checksum mismatch for {url}: expected sha256 {expected}, got {actual}. "
                f"The downloaded file was removed; run again, and if it keeps failing, download the archive by "
                f"hand and set {ARCHIVE_ENV}."
            )
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return dest


def _check_gzip_and_hash(archive: Path) -> str:
    """SHA-256 of ``archive``, after checking that its gzip stream is complete.

    ``tarfile`` can mistake a gzip file cut at a member boundary for a shorter
    but valid archive; decompressing to the end and requiring the gzip
    end-of-stream marker catches every truncation of the compressed file.
    """
    digest = hashlib.sha256()
    inflater = zlib.decompressobj(wbits=31)  # gzip container
    try:
        with open(archive, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
                if not inflater.eof:
                    inflater.decompress(block)  # output discarded: only completeness matters
    except zlib.error as exc:
        raise _unreadable(archive, str(exc)) from exc
    if not inflater.eof:
        raise _unreadable(archive, "the gzip stream ends early")
    return digest.hexdigest()


def _unreadable(archive: Path, reason: str) -> ImdbDataError:
    return ImdbDataError(
        f"Could not read {archive}: {reason}. The archive is truncated or corrupt; replace it "
        f"(or delete it and unset {ARCHIVE_ENV} to download a fresh copy)."
    )


def locate_archive(data_dir: Path) -> Path:
    """The archive to extract: ``$IMDB_ARCHIVE``, a verified earlier download, or a fresh download."""
    env = os.environ.get(ARCHIVE_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ImdbDataError(
                f"{ARCHIVE_ENV} is set to {env!r}, but no file exists there. Point {ARCHIVE_ENV} at a local "
                f"{_ARCHIVE_NAME}, or unset it to download the archive from {IMDB_URL}."
            )
        return path
    dest = Path(data_dir) / _ARCHIVE_NAME
    if dest.is_file():
        if sha256_of(dest) == IMDB_SHA256.lower():
            return dest
        dest.unlink()  # corrupt or foreign file under our name: fetch a good copy
    return download_archive(dest)


# --------------------------------------------------------------------------- extraction


def _check_member(member: tarfile.TarInfo) -> None:
    """Refuse anything that could write outside the target or is not plain data."""
    name = member.name
    pure = PurePosixPath(name)
    if name.startswith(("/", "\\")) or pure.is_absolute() or re.match(r"^[A-Za-z]:", name):
        raise ImdbDataError(f"Refusing to extract {name!r}: absolute path in archive. The archive is not trustworthy.")
    if ".." in pure.parts or ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise ImdbDataError(f"Refusing to extract {name!r}: '..' in path. The archive is not trustworthy.")
    if not (member.isfile() or member.isdir()):
        raise ImdbDataError(
            f"Refusing to extract {name!r}: links and special files are not allowed. The archive is not trustworthy."
        )


def _check_layout(root: Path) -> None:
    missing = [d for d in REQUIRED_DIRS if not (root / d).is_dir() or not any((root / d).glob("*.txt"))]
    missing += [f"{split}/{name}" for split, names in URL_FILES.items() for name in names
                if not (root / split / name).is_file()]
    if missing:
        raise ImdbDataError(
            "The archive does not have the IMDb layout: missing or empty "
            f"{', '.join(_TOP + '/' + m for m in missing)}. "
            f"Is it really {_ARCHIVE_NAME}? Check {ARCHIVE_ENV} or delete the file to download it again."
        )


def extract_archive(archive: Path, data_dir: Path) -> Path:
    """Extract ``archive`` safely to ``data_dir/aclImdb`` and return that path.

    Extraction happens in a temporary sibling directory that is renamed into
    place only once every member has been written and the layout checked.
    """
    archive, data_dir = Path(archive), Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in data_dir.glob(".extract-*"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=data_dir))
    target = data_dir / _TOP
    try:
        checksum = _check_gzip_and_hash(archive)
        try:
            with tarfile.open(archive, mode="r|gz") as tar:
                for member in tar:
                    _check_member(member)
                    tar.extract(member, tmp, filter="data")
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise _unreadable(archive, str(exc)) from exc
        _check_layout(tmp / _TOP)
        source = {"archive": str(archive.resolve()), "sha256": checksum, "extracted_at": time.time()}
        (tmp / _TOP / _SOURCE).write_text(json.dumps(source, indent=1))
        try:
            os.rename(tmp / _TOP, target)
        except OSError:
            if not _is_complete(target):  # not a concurrent run that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _is_complete(root: Path) -> bool:
    return (root / _SOURCE).is_file()


def ensure_extracted(data_dir: str | os.PathLike | None = None) -> Path:
    """Return ``<data_dir>/aclImdb``, fetching and extracting the archive if needed."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    root = data_dir / _TOP
    if _is_complete(root):
        return root
    if root.exists():  # not made by us (no source record): refuse to guess
        raise ImdbDataError(
            f"{root} exists but was not made by this loader (no {_SOURCE}). Remove it and run again."
        )
    return extract_archive(locate_archive(data_dir), data_dir)


def dataset_fingerprint(data_dir: str | os.PathLike | None = None) -> dict:
    """Which archive the cached data came from: ``{"archive", "sha256", ...}``."""
    root = ensure_extracted(data_dir)
    return json.loads((root / _SOURCE).read_text())


# --------------------------------------------------------------------------- parsing


def _movie_ids(root: Path, folder_split: str, sub: str) -> list[str]:
    """The IMDb title id of every line of ``<folder_split>/urls_<sub>.txt`` (line i: review id i)."""
    path = root / folder_split / f"urls_{sub}.txt"
    movies = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _MOVIE_RE.search(line)
        if match is None:
            raise ImdbDataError(
                f"{path}, line {number}: {line.strip()[:80]!r} is not an IMDb movie address (.../title/tt.../). "
                f"Is the archive the official {_ARCHIVE_NAME}? Remove {root} and run again."
            )
        movies.append(match.group(1))
    return movies


def _read_split(root: Path, split: str) -> pd.DataFrame:
    parts = [("unsup", -1)] if split == "unsup" else [("pos", 1), ("neg", 0)]
    folder_split = "train" if split == "unsup" else split
    columns = {name: [] for name in COLUMNS}
    for sub, label in parts:
        folder = root / folder_split / sub
        movies = _movie_ids(root, folder_split, sub)
        entries = []
        for path in folder.iterdir():
            match = _FILE_RE.match(path.name)
            if match is None:
                continue
            entries.append((int(match.group(1)), int(match.group(2)), path))
        if not entries:
            raise ImdbDataError(f"No reviews found in {folder}. Remove {root} and run again.")
        for review_id, rating, path in sorted(entries):
            if review_id >= len(movies):
                raise ImdbDataError(
                    f"{path.name} has no line in {folder_split}/urls_{sub}.txt ({len(movies)} lines): the archive "
                    f"is incomplete. Remove {root} and run again."
                )
            columns["text"].append(path.read_text(encoding="utf-8"))
            columns["label"].append(label)
            columns["rating"].append(rating)
            columns["movie"].append(movies[review_id])
    return _frame(columns)


def _frame(columns: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {"text": pd.Series(columns["text"], dtype=object), "label": np.asarray(columns["label"], dtype=np.int64),
         "rating": np.asarray(columns["rating"], dtype=np.int64), "movie": pd.Series(columns["movie"], dtype=object)}
    )


def write_atomically(path: str | os.PathLike, write) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``; return ``path``.

    The book's one atomic write: a reader never sees a half-written file, and if ``write`` fails (or the
    run is interrupted) the temporary file is removed and an earlier ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_cache(df: pd.DataFrame, path: Path) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as out:
            for text, label, rating, movie in zip(df["text"], df["label"], df["rating"], df["movie"]):
                out.write(json.dumps([text, int(label), int(rating), movie], ensure_ascii=False))
                out.write("\n")

    write_atomically(path, write)


def _read_cache(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return _frame(dict(zip(COLUMNS, map(list, zip(*rows)))) if rows else {name: [] for name in COLUMNS})


def quick_subset(df: pd.DataFrame, n: int, seed: int | None = None) -> pd.DataFrame:
    """A deterministic subset of ``n`` rows, balanced across the labels present (``seed``: default ``$BOOK_SEED``).

    Rows keep their original order, so the subset of a sorted frame is sorted.
    """
    labels = sorted(df["label"].unique())
    per_label = n // len(labels)
    rng = np.random.default_rng(book_seed(seed))
    keep = []
    for label in labels:
        idx = np.flatnonzero(df["label"].to_numpy() == label)
        keep.append(rng.choice(idx, size=min(per_label, len(idx)), replace=False))
    rows = np.sort(np.concatenate(keep))
    return df.iloc[rows].reset_index(drop=True)


def train_validation_split(
    df: pd.DataFrame, validation_fraction: float = 0.2, *, seed: int | None = None, by: str | None = "movie"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a validation split from a labelled split (normally ``train``): ``(training part, validation)``.

    ``by="movie"`` (the default) keeps all reviews of a movie on the same side,
    as IMDb's own train/test split does, so that validation measures what the
    test set measures: reviews of movies the model has not read about. Movies
    are visited in a random order (``seed``; default ``$BOOK_SEED``), and a
    movie goes to validation if that keeps every label within its share
    (``validation_fraction`` of that label's reviews): the split is stratified
    by label as far as whole movies allow. ``by=None`` holds out single reviews
    instead, stratified exactly; its validation reviews share movies with the
    training part (a leak: the book uses it only to measure the leak). Rows
    keep their original order.
    """
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be between 0 and 1, got {validation_fraction}")
    rng = np.random.default_rng(book_seed(seed))
    labels = df["label"].to_numpy()
    classes = np.unique(labels)
    target = {label: int(round(np.sum(labels == label) * validation_fraction)) for label in classes}
    is_val = np.zeros(len(df), dtype=bool)
    if by is None:
        for label in classes:
            idx = np.flatnonzero(labels == label)
            is_val[rng.choice(idx, size=target[label], replace=False)] = True
    else:
        if by not in df.columns:
            raise ValueError(f"cannot group by {by!r}: the frame has no such column (columns: {list(df.columns)}).")
        codes, _ = pd.factorize(df[by], sort=True)
        order = np.argsort(codes, kind="stable")
        groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if len(df) else []
        taken = dict.fromkeys(classes, 0)
        for g in rng.permutation(len(groups)):
            rows = groups[g]
            counts = {label: int(np.sum(labels[rows] == label)) for label in classes}
            if all(taken[label] + counts[label] <= target[label] for label in classes):
                is_val[rows] = True
                for label in classes:
                    taken[label] += counts[label]
                if taken == target:
                    break
    return df[~is_val].reset_index(drop=True), df[is_val].reset_index(drop=True)


def movie_overlap(a: pd.DataFrame, b: pd.DataFrame) -> set:
    """The movies that have reviews in both frames (none, for the two sides of a split made with ``by="movie"``)."""
    return set(a["movie"]) & set(b["movie"])


def load_imdb(
    split: str, *, data_dir: str | os.PathLike | None = None, quick: bool | None = None
) -> pd.DataFrame:
    """Load one split of the IMDb Large Movie Review Dataset.

    Parameters
    ----------
    split:
        ``"train"`` or ``"test"`` (25,000 labelled reviews each, half positive)
        or ``"unsup"`` (50,000 unlabelled reviews).
    data_dir:
        Where the archive is extracted and cached (default: ``data/`` at the
        repository root, or ``$IMDB_DATA_DIR``).
    quick:
        Return the small deterministic subset used in quick mode
        (:data:`QUICK_SIZES`). Default: ``True`` iff ``BOOK_QUICK=1``.

    Returns
    -------
    pandas.DataFrame
        Columns ``text`` (str, the raw review, ``<br />`` markup included),
        ``label`` (int: 1 positive, 0 negative, -1 unlabelled), ``rating``
        (int: the star rating from the file name, 0 for unlabelled) and
        ``movie`` (str: the IMDb title id of the movie, e.g. ``tt0064354``).
        Rows are ordered by label (positive first) and then by review id.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}.")
    quick = quick_mode(quick)
    root = ensure_extracted(data_dir)
    cache = root / _PARSED / f"{split}.jsonl"
    if cache.is_file():
        df = _read_cache(cache)
    else:
        df = _read_split(root, split)
        _write_cache(df, cache)
    if quick:
        df = quick_subset(df, QUICK_SIZES[split])
    return df


def main(argv: list[str] | None = None) -> int:
    """``python -m utils.data``: fetch, extract and parse every split (used by ``make``)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data-dir", default=None, help="override the data directory")
    args = parser.parse_args(argv)
    try:
        for split in SPLITS:
            start = time.time()
            df = load_imdb(split, data_dir=args.data_dir, quick=False)
            print(f"{split:>5}: {len(df):,} reviews ({time.time() - start:.1f} s)")
        print("source:", dataset_fingerprint(args.data_dir)["archive"])
    except ImdbDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
