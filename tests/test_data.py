"""The IMDb data layer (utils.data) against small archives built here.

Every fault the loader promises to handle has a test that fails if the
behaviour breaks: bad sources, bad downloads, bad archives, interrupted work.
Then the quick-mode subset and the validation split (grouped by movie, or
review by review). The last tests check the real archive when ``IMDB_ARCHIVE``
is set.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from utils import data, train_validation_split
from utils.data import ImdbDataError, load_imdb

# --------------------------------------------------------------------------- fixtures

REVIEWS = {
    "train/pos": [("0_9", "A wonderful film.<br /><br />Loved it."), ("1_7", "Good."), ("10_10", "Best ever")],
    "train/neg": [("2_1", "Awful."), ("3_4", "Not good, actually bad."), ("11_2", "Meh, boring")],
    "train/unsup": [("5_0", "Some film."), ("6_0", "Another film.")],
    "test/pos": [("7_8", "Lovely."), ("8_10", "Great cast and plot.")],
    "test/neg": [("9_3", "Dull."), ("12_1", "Terrible acting.")],
}


def _add_file(tar: tarfile.TarFile, name: str, text: str) -> None:
    payload = text.encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def movie_of(folder: str, review_id: int) -> str:
    """The movie the fixture gives review ``review_id`` of ``folder``: two reviews per movie, per folder."""
    return f"tt{9000000 + 100 * sorted(REVIEWS).index(folder) + review_id // 2:07d}"


def urls_text(folder: str, items) -> str:
    """``urls_<sub>.txt`` for a folder: line i is the movie page of review id i (as in the real archive)."""
    n = max(int(stem.split("_")[0]) for stem, _ in items) + 1
    return "".join(f"http://www.imdb.com/title/{movie_of(folder, i)}/usercomments\n" for i in range(n))


def make_archive(path: Path, *, reviews=None, extra=None, skip=(), urls=True) -> Path:
    """Write a small aclImdb-shaped .tar.gz; ``extra`` is a list of TarInfo-producing callables."""
    reviews = REVIEWS if reviews is None else reviews
    with tarfile.open(path, "w:gz") as tar:
        _add_file(tar, "aclImdb/README", "Large Movie Review Dataset v1.0 (test copy)\n")
        for folder, items in reviews.items():
            if folder in skip:
                continue
            for stem, text in items:
                _add_file(tar, f"aclImdb/{folder}/{stem}.txt", text)
            if urls:
                split, sub = folder.split("/")
                _add_file(tar, f"aclImdb/{split}/urls_{sub}.txt", urls_text(folder, items))
        for add in extra or ():
            add(tar)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def archive(tmp_path) -> Path:
    (tmp_path / "src").mkdir()
    return make_archive(tmp_path / "src" / "aclImdb_v1.tar.gz")


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """Tests decide the source themselves: no IMDB_ARCHIVE, no quick mode, no data dir override."""
    for var in (data.ARCHIVE_ENV, data.QUICK_ENV, data.DATA_DIR_ENV, "BOOK_SEED"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def http_server(tmp_path, serve_directory):
    """Serve tmp_path/www on 127.0.0.1 for one test (``serve_directory``: conftest.py); yields (base URL, www)."""
    root = tmp_path / "www"
    root.mkdir()
    with serve_directory(root) as url:
        yield url, root


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def leftovers(data_dir: Path) -> list[str]:
    """Everything under data_dir that is not a finished product."""
    if not data_dir.exists():
        return []
    return sorted(p.name for p in data_dir.iterdir() if p.name.startswith(".extract-") or p.suffix == ".part")


# --------------------------------------------------------------------------- loading from IMDB_ARCHIVE


def test_load_from_local_archive(archive, data_dir, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(archive))
    train = load_imdb("train", data_dir=data_dir)
    assert list(train.columns) == ["text", "label", "rating", "movie"]
    assert len(train) == 6
    # positives first, each class ordered by numeric review id (10 after 1)
    assert train["label"].tolist() == [1, 1, 1, 0, 0, 0]
    assert train["rating"].tolist() == [9, 7, 10, 1, 4, 2]
    assert train["text"].iloc[0] == "A wonderful film.<br /><br />Loved it."
    assert all(isinstance(t, str) for t in train["text"])
    test = load_imdb("test", data_dir=data_dir)
    assert test["label"].tolist() == [1, 1, 0, 0] and test["rating"].tolist() == [8, 10, 3, 1]
    unsup = load_imdb("unsup", data_dir=data_dir)
    assert unsup["label"].tolist() == [-1, -1] and unsup["rating"].tolist() == [0, 0]
    assert data.dataset_fingerprint(data_dir)["sha256"] == sha256(archive)
    # every split has the movie of each review, from line <id> of its urls file
    assert train["movie"].tolist() == [movie_of("train/pos", i) for i in (0, 1, 10)] + [
        movie_of("train/neg", i) for i in (2, 3, 11)]
    expected = [movie_of("test/pos", i) for i in (7, 8)] + [movie_of("test/neg", i) for i in (9, 12)]
    assert test["movie"].tolist() == expected
    assert unsup["movie"].tolist() == [movie_of("train/unsup", i) for i in (5, 6)]


def test_second_call_reads_cache_without_archive(archive, data_dir, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(archive))
    first = load_imdb("train", data_dir=data_dir)
    archive.unlink()
    monkeypatch.delenv(data.ARCHIVE_ENV)
    monkeypatch.setattr(data, "IMDB_URL", f"http://127.0.0.1:{closed_port()}/nothing.tar.gz")
    second = load_imdb("train", data_dir=data_dir)
    pd.testing.assert_frame_equal(first, second)
    assert (data_dir / "aclImdb" / "_parsed" / "v2" / "train.jsonl").is_file()


def test_unknown_split_is_rejected(data_dir):
    with pytest.raises(ValueError, match="split must be one of"):
        load_imdb("validation", data_dir=data_dir)


def test_archive_env_pointing_to_missing_file(tmp_path, data_dir, monkeypatch):
    missing = tmp_path / "nowhere" / "aclImdb_v1.tar.gz"
    monkeypatch.setenv(data.ARCHIVE_ENV, str(missing))
    with pytest.raises(ImdbDataError) as err:
        load_imdb("train", data_dir=data_dir)
    assert str(missing) in str(err.value) and "IMDB_ARCHIVE" in str(err.value)
    assert not (data_dir / "aclImdb").exists()


def test_foreign_directory_is_not_taken_as_cache(archive, data_dir, monkeypatch):
    (data_dir / "aclImdb" / "train" / "pos").mkdir(parents=True)
    monkeypatch.setenv(data.ARCHIVE_ENV, str(archive))
    with pytest.raises(ImdbDataError, match="not made by this loader"):
        load_imdb("train", data_dir=data_dir)


# --------------------------------------------------------------------------- the real download path


def test_download_good_file(archive, data_dir, http_server, monkeypatch):
    url, root = http_server
    (root / "aclImdb_v1.tar.gz").write_bytes(archive.read_bytes())
    monkeypatch.setattr(data, "IMDB_URL", f"{url}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(data, "IMDB_SHA256", sha256(archive))
    train = load_imdb("train", data_dir=data_dir)
    assert len(train) == 6
    assert sha256(data_dir / "aclImdb_v1.tar.gz") == sha256(archive)
    assert leftovers(data_dir) == []


def test_download_with_wrong_checksum_reports_both_hashes(archive, data_dir, http_server, monkeypatch):
    url, root = http_server
    (root / "aclImdb_v1.tar.gz").write_bytes(archive.read_bytes())
    expected = "0" * 64
    monkeypatch.setattr(data, "IMDB_URL", f"{url}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(data, "IMDB_SHA256", expected)
    with pytest.raises(ImdbDataError) as err:
        load_imdb("train", data_dir=data_dir)
    message = str(err.value)
    assert expected in message and sha256(archive) in message
    assert not (data_dir / "aclImdb_v1.tar.gz").exists()
    assert leftovers(data_dir) == []
    assert not (data_dir / "aclImdb").exists()


def test_download_connection_refused_names_env_and_url(data_dir, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}/aclImdb_v1.tar.gz"
    monkeypatch.setattr(data, "IMDB_URL", url)
    with pytest.raises(ImdbDataError) as err:
        load_imdb("train", data_dir=data_dir)
    assert "IMDB_ARCHIVE" in str(err.value) and url in str(err.value)
    assert leftovers(data_dir) == [] and not (data_dir / "aclImdb_v1.tar.gz").exists()


def test_download_that_breaks_off_leaves_nothing(archive, data_dir, tmp_path, serve_directory, monkeypatch):
    payload = archive.read_bytes()

    def send_half(handler):  # promise the whole file, send half, hang up
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload[: len(payload) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    with serve_directory(tmp_path, do_get=send_half) as url:
        monkeypatch.setattr(data, "IMDB_URL", f"{url}/a.tar.gz")
        monkeypatch.setattr(data, "IMDB_SHA256", sha256(archive))
        with pytest.raises(ImdbDataError):
            load_imdb("train", data_dir=data_dir)
    assert leftovers(data_dir) == [] and not (data_dir / "aclImdb_v1.tar.gz").exists()


def test_corrupt_earlier_download_is_replaced(archive, data_dir, http_server, monkeypatch):
    url, root = http_server
    (root / "aclImdb_v1.tar.gz").write_bytes(archive.read_bytes())
    data_dir.mkdir()
    (data_dir / "aclImdb_v1.tar.gz").write_bytes(b"not the archive")
    monkeypatch.setattr(data, "IMDB_URL", f"{url}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(data, "IMDB_SHA256", sha256(archive))
    assert len(load_imdb("test", data_dir=data_dir)) == 4
    assert sha256(data_dir / "aclImdb_v1.tar.gz") == sha256(archive)


# --------------------------------------------------------------------------- bad archives


def test_truncated_archive(archive, data_dir, monkeypatch):
    truncated = archive.with_name("truncated.tar.gz")
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    monkeypatch.setenv(data.ARCHIVE_ENV, str(truncated))
    with pytest.raises(ImdbDataError, match="truncated or corrupt"):
        load_imdb("train", data_dir=data_dir)
    assert not (data_dir / "aclImdb").exists() and leftovers(data_dir) == []


def test_not_gzip_at_all(tmp_path, data_dir, monkeypatch):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(os.urandom(4096))
    monkeypatch.setenv(data.ARCHIVE_ENV, str(junk))
    with pytest.raises(ImdbDataError, match="truncated or corrupt"):
        load_imdb("train", data_dir=data_dir)
    assert not (data_dir / "aclImdb").exists()


@pytest.mark.parametrize(
    "bad_name",
    ["aclImdb/../../escaped.txt", "../escaped.txt", "/tmp/escaped-imdb-test.txt", "aclImdb/train/../../../escaped.txt"],
)
def test_unsafe_member_is_refused(tmp_path, data_dir, monkeypatch, bad_name):
    evil = make_archive(tmp_path / "evil.tar.gz", extra=[lambda tar: _add_file(tar, bad_name, "gotcha")])
    monkeypatch.setenv(data.ARCHIVE_ENV, str(evil))
    before = set(tmp_path.rglob("*"))
    with pytest.raises(ImdbDataError, match="Refusing to extract"):
        load_imdb("train", data_dir=data_dir)
    created = {p for p in set(tmp_path.rglob("*")) - before if data_dir not in p.parents and p != data_dir}
    assert created == set(), f"written outside the data directory: {created}"
    assert not Path("/tmp/escaped-imdb-test.txt").exists()
    assert not (data_dir / "aclImdb").exists() and leftovers(data_dir) == []


def test_symlink_member_is_refused(tmp_path, data_dir, monkeypatch):
    def add_link(tar):
        info = tarfile.TarInfo("aclImdb/train/pos/99_9.txt")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)

    evil = make_archive(tmp_path / "link.tar.gz", extra=[add_link])
    monkeypatch.setenv(data.ARCHIVE_ENV, str(evil))
    with pytest.raises(ImdbDataError, match="links and special files"):
        load_imdb("train", data_dir=data_dir)
    assert not (data_dir / "aclImdb").exists()


def test_archive_without_movie_urls_is_refused(tmp_path, data_dir, monkeypatch):
    bare = make_archive(tmp_path / "bare.tar.gz", urls=False)
    monkeypatch.setenv(data.ARCHIVE_ENV, str(bare))
    with pytest.raises(ImdbDataError, match="urls_pos.txt"):
        load_imdb("train", data_dir=data_dir)
    assert not (data_dir / "aclImdb").exists() and leftovers(data_dir) == []


def test_malformed_url_line_names_file_and_line(tmp_path, data_dir, monkeypatch):
    def bad_urls(tar):
        _add_file(tar, "aclImdb/test/urls_neg.txt", "http://www.imdb.com/title/tt0000001/usercomments\nnot a url\n")

    reviews = {k: v for k, v in REVIEWS.items()}
    reviews["test/neg"] = [("0_3", "Dull."), ("1_1", "Terrible acting.")]
    odd = make_archive(tmp_path / "odd.tar.gz", reviews=reviews, skip={"test/neg"},
                       extra=[bad_urls, lambda tar: [_add_file(tar, f"aclImdb/test/neg/{s}.txt", t)
                                                     for s, t in reviews["test/neg"]]])
    monkeypatch.setenv(data.ARCHIVE_ENV, str(odd))
    with pytest.raises(ImdbDataError, match=r"urls_neg.txt, line 2"):
        load_imdb("test", data_dir=data_dir)


@pytest.mark.parametrize("missing", ["test/neg", "train/unsup"])
def test_missing_split_folder(tmp_path, data_dir, monkeypatch, missing):
    partial = make_archive(tmp_path / "partial.tar.gz", skip={missing})
    monkeypatch.setenv(data.ARCHIVE_ENV, str(partial))
    with pytest.raises(ImdbDataError, match=f"aclImdb/{missing}"):
        load_imdb("train", data_dir=data_dir)
    assert not (data_dir / "aclImdb").exists() and leftovers(data_dir) == []


# --------------------------------------------------------------------------- interruptions


def test_interrupted_extraction_then_good_rerun(archive, data_dir, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(archive))
    real_extract = tarfile.TarFile.extract
    calls = Counter()

    def dying_extract(self, member, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt  # the user pressed Ctrl-C half way
        return real_extract(self, member, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extract", dying_extract)
    with pytest.raises(KeyboardInterrupt):
        load_imdb("train", data_dir=data_dir)
    assert not (data_dir / "aclImdb").exists(), "an interrupted extraction must not look like a cache"
    assert leftovers(data_dir) == []

    monkeypatch.setattr(tarfile.TarFile, "extract", real_extract)
    assert len(load_imdb("train", data_dir=data_dir)) == 6


def test_killed_extraction_leftovers_are_ignored_and_removed(archive, data_dir, monkeypatch):
    # A process killed with SIGKILL cannot clean up: simulate its half-written temp dir.
    stale = data_dir / ".extract-killed" / "aclImdb" / "train" / "pos"
    stale.mkdir(parents=True)
    (stale / "0_9.txt").write_text("half")
    monkeypatch.setenv(data.ARCHIVE_ENV, str(archive))
    assert len(load_imdb("train", data_dir=data_dir)) == 6
    assert leftovers(data_dir) == []


def test_half_written_parsed_cache_is_never_used(archive, data_dir, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(archive))
    load_imdb("test", data_dir=data_dir)
    parsed = data_dir / "aclImdb" / "_parsed" / "v2"
    (parsed / "test.jsonl").unlink()

    def dying_dumps(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(data.json, "dumps", dying_dumps)
    with pytest.raises(KeyboardInterrupt):
        load_imdb("test", data_dir=data_dir)
    assert list(parsed.iterdir()) == [], "a partial cache file was left behind"
    monkeypatch.undo()
    monkeypatch.setenv(data.ARCHIVE_ENV, str(archive))
    assert len(load_imdb("test", data_dir=data_dir)) == 4


# --------------------------------------------------------------------------- quick mode


def test_quick_mode_is_balanced_and_deterministic(archive, data_dir, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(archive))
    monkeypatch.setitem(data.QUICK_SIZES, "train", 4)
    monkeypatch.setenv(data.QUICK_ENV, "1")
    first = load_imdb("train", data_dir=data_dir)
    assert len(first) == 4 and first["label"].value_counts().to_dict() == {1: 2, 0: 2}
    pd.testing.assert_frame_equal(first, load_imdb("train", data_dir=data_dir))
    assert len(load_imdb("train", data_dir=data_dir, quick=False)) == 6


def test_quick_subset_of_a_large_frame(monkeypatch):
    frame = pd.DataFrame({"text": [f"r{i}" for i in range(1000)], "label": [i % 2 for i in range(1000)],
                          "rating": [1] * 1000})
    sub = data.quick_subset(frame, 100)
    assert len(sub) == 100 and sub["label"].value_counts().to_dict() == {0: 50, 1: 50}
    pd.testing.assert_frame_equal(sub, data.quick_subset(frame, 100))
    assert not sub.equals(data.quick_subset(frame, 100, seed=1))
    monkeypatch.setenv("BOOK_SEED", "1")  # without a seed argument, the subset follows BOOK_SEED
    pd.testing.assert_frame_equal(data.quick_subset(frame, 100), data.quick_subset(frame, 100, seed=1))


# --------------------------------------------------------------------------- the validation split


def movie_frame(n_movies: int = 300, seed: int = 0) -> pd.DataFrame:
    """Reviews of n_movies movies, 1 to 30 each (as on IMDb), labels mixed within a movie."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(n_movies):
        for _ in range(int(rng.integers(1, 31))):
            rows.append({"text": f"review {len(rows)}", "label": int(rng.random() < 0.5), "rating": 1,
                         "movie": f"tt{m:07d}"})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_grouped_split_keeps_every_movie_on_one_side(seed):
    frame = movie_frame(seed=seed)
    part, val = data.train_validation_split(frame, 0.2, seed=seed)
    assert data.movie_overlap(part, val) == set()
    assert len(part) + len(val) == len(frame)
    assert sorted(part["text"].tolist() + val["text"].tolist()) == sorted(frame["text"])
    # stratified as far as whole movies allow: each label's share within a few reviews of its target
    for label in (0, 1):
        target = round((frame.label == label).sum() * 0.2)
        assert target - 30 <= (val.label == label).sum() <= target


def test_grouped_split_is_deterministic_and_follows_the_seed(monkeypatch):
    frame = movie_frame()
    first, second = data.train_validation_split(frame, seed=3), data.train_validation_split(frame, seed=3)
    pd.testing.assert_frame_equal(first[1], second[1])
    assert set(first[1].movie) != set(data.train_validation_split(frame, seed=4)[1].movie)
    monkeypatch.setenv("BOOK_SEED", "4")
    pd.testing.assert_frame_equal(data.train_validation_split(frame)[1], data.train_validation_split(frame, seed=4)[1])


def test_split_by_review_shares_movies_and_is_exactly_stratified():
    frame = movie_frame()
    part, val = data.train_validation_split(frame, 0.2, seed=0, by=None)
    assert data.movie_overlap(part, val)  # the leak the grouped split removes
    for label in (0, 1):
        assert (val.label == label).sum() == round((frame.label == label).sum() * 0.2)


def test_split_rejects_bad_arguments():
    frame = movie_frame(10)
    with pytest.raises(ValueError, match="between 0 and 1"):
        data.train_validation_split(frame, 1.5)
    with pytest.raises(ValueError, match="no such column"):
        data.train_validation_split(frame.drop(columns="movie"))


def frame_without_movies(n_pos=60, n_neg=40) -> pd.DataFrame:
    """Reviews without a ``movie`` column: n_pos positives, then n_neg negatives."""
    return pd.DataFrame(
        {"text": [f"review {i}" for i in range(n_pos + n_neg)], "label": [1] * n_pos + [0] * n_neg,
         "rating": [8] * n_pos + [2] * n_neg}
    )


def test_random_split_is_stratified_disjoint_and_seeded():
    # by=None: reviews drawn one by one (chapter 05's leak experiment); the movie-grouped split is tested above
    df = frame_without_movies()
    train, val = train_validation_split(df, 0.25, seed=3, by=None)
    assert len(train) + len(val) == len(df) and len(val) == 25
    assert val["label"].sum() == 15  # 25% of 60 positives
    assert set(train["text"]).isdisjoint(val["text"])
    again_train, again_val = train_validation_split(df, 0.25, seed=3, by=None)
    pd.testing.assert_frame_equal(val, again_val)
    assert not val.equals(train_validation_split(df, 0.25, seed=4, by=None)[1])


def test_grouped_split_needs_the_movie_column():
    with pytest.raises(ValueError, match="movie"):
        train_validation_split(frame_without_movies(), 0.25, seed=3)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 2])
def test_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="validation_fraction"):
        train_validation_split(frame_without_movies(), fraction)


# --------------------------------------------------------------------------- the real archive

REAL_RATINGS = {
    "train": {1: 5100, 2: 2284, 3: 2420, 4: 2696, 7: 2496, 8: 3009, 9: 2263, 10: 4732},
    "test": {1: 5022, 2: 2302, 3: 2541, 4: 2635, 7: 2307, 8: 2850, 9: 2344, 10: 4999},
}


REAL_ARCHIVE = os.environ.get(data.ARCHIVE_ENV)  # read before the autouse fixture clears it
needs_real_archive = pytest.mark.skipif(
    not REAL_ARCHIVE, reason="IMDB_ARCHIVE is not set: real-data counts are checked only against a local archive"
)


@needs_real_archive
@pytest.mark.parametrize("split", ["train", "test"])
def test_real_archive_counts(split, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, REAL_ARCHIVE)
    df = load_imdb(split, quick=False)  # the project's data directory, shared with `make data`
    assert df["label"].value_counts().to_dict() == {1: 12500, 0: 12500}
    assert dict(sorted(Counter(df["rating"]).items())) == REAL_RATINGS[split]
    assert ((df["rating"] >= 7) == (df["label"] == 1)).all()


@needs_real_archive
def test_real_archive_unsup(monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, REAL_ARCHIVE)
    df = load_imdb("unsup", quick=False)
    assert len(df) == 50000 and set(df["label"]) == {-1}


@needs_real_archive
def test_real_archive_movies(monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, REAL_ARCHIVE)
    train, test, unsup = (load_imdb(split, quick=False) for split in ("train", "test", "unsup"))
    for df in (train, test, unsup):
        assert df["movie"].str.fullmatch(r"tt\d{7}").all()
    # Maas et al.: test movies are disjoint from training movies (one title id occurs in both)
    assert (train.movie.nunique(), test.movie.nunique(), unsup.movie.nunique()) == (3456, 3581, 7091)
    assert data.movie_overlap(train, test) == {"tt0406816"}
    assert not data.movie_overlap(train, unsup) and not data.movie_overlap(test, unsup)
    assert train.groupby("movie").size().max() == 30
    # the first positive training review (id 0) is about the movie on line 1 of urls_pos.txt
    assert train.movie.iloc[0] == "tt0453418"
    part, val = data.train_validation_split(train, 0.2, seed=42)
    assert data.movie_overlap(part, val) == set() and len(val) == 5000 and val.label.mean() == 0.5
