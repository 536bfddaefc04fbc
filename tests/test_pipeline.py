"""utils.data.train_validation_split, utils.text.sequence_dataset, utils.models.build_recurrent_classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from utils import build_recurrent_classifier, make_vectorizer, sequence_dataset, setup, train_validation_split


def _frame(n_pos=60, n_neg=40):
    return pd.DataFrame(
        {"text": [f"review {i}" for i in range(n_pos + n_neg)], "label": [1] * n_pos + [0] * n_neg,
         "rating": [8] * n_pos + [2] * n_neg}
    )


def test_random_split_is_stratified_disjoint_and_seeded():
    # by=None: reviews drawn one by one (chapter 05's leak experiment); the movie-grouped split is in test_data.py
    df = _frame()
    train, val = train_validation_split(df, 0.25, seed=3, by=None)
    assert len(train) + len(val) == len(df) and len(val) == 25
    assert val["label"].sum() == 15  # 25% of 60 positives
    assert set(train["text"]).isdisjoint(val["text"])
    again_train, again_val = train_validation_split(df, 0.25, seed=3, by=None)
    pd.testing.assert_frame_equal(val, again_val)
    assert not val.equals(train_validation_split(df, 0.25, seed=4, by=None)[1])


def test_grouped_split_needs_the_movie_column():
    with pytest.raises(ValueError, match="movie"):
        train_validation_split(_frame(), 0.25, seed=3)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 2])
def test_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="validation_fraction"):
        train_validation_split(_frame(), fraction)


@pytest.fixture
def vectorizer():
    vec = make_vectorizer(50)
    vec.adapt(["a b c d e f g h", "good bad film"])
    return vec


def test_sequence_dataset_truncates_and_pads_per_batch(vectorizer):
    texts = ["a b c d e f g h", "a b", "good"]
    ds = sequence_dataset(texts, [1, 0, 1], vectorizer=vectorizer, max_length=5, batch_size=3)
    (ids, labels), = list(ds)
    assert ids.shape == (3, 5)  # cut to 5, padded to the longest in the batch
    assert (ids.numpy()[1, 2:] == 0).all() and (ids.numpy()[2, 1:] == 0).all()
    np.testing.assert_array_equal(labels.numpy(), [1, 0, 1])


def test_sequence_dataset_buckets_report_true_cardinality(vectorizer):
    rng = np.random.default_rng(0)
    words = "a b c d e f g h".split()
    texts = [" ".join(rng.choice(words, size=rng.integers(1, 40))) for _ in range(101)]
    ds = sequence_dataset(texts, np.ones(101), vectorizer=vectorizer, batch_size=8, shuffle=True,
                          bucket_boundaries=[5, 10, 20])
    batches = list(ds)
    assert ds.cardinality().numpy() == len(batches)
    assert sum(len(b[1]) for b in batches) == 101
    for ids, _ in batches:  # within a batch, lengths come from one bucket
        lengths = (ids.numpy() != 0).sum(axis=1)
        assert np.searchsorted([5, 10, 20], lengths.max(), side="right") == np.searchsorted(
            [5, 10, 20], lengths.min(), side="right")
    again = list(sequence_dataset(texts, np.ones(101), vectorizer=vectorizer, batch_size=8, shuffle=True,
                                  bucket_boundaries=[5, 10, 20]))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again)), "shuffling is not seeded"


def test_sequence_dataset_without_labels_and_label_mismatch(vectorizer):
    ds = sequence_dataset(["a b", "c"], vectorizer=vectorizer, batch_size=2)
    assert next(iter(ds)).shape == (2, 2)
    with pytest.raises(ValueError, match="2 texts but 3 labels"):
        sequence_dataset(["a", "b"], [1, 0, 1], vectorizer=vectorizer)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
def test_recurrent_classifier_shapes_and_masking(cell):
    setup(seed=0, verbose=False)
    model = build_recurrent_classifier(30, cell=cell, units=4, embed_dim=3)
    ids = np.array([[5, 6, 7, 0, 0, 0, 0]], dtype="int64")
    p_short = model.predict(ids[:, :3], verbose=0)
    p_padded = model.predict(ids, verbose=0)
    assert p_short.shape == (1, 1) and 0 < p_short[0, 0] < 1
    np.testing.assert_allclose(p_short, p_padded, atol=1e-6)  # padding is masked


def test_recurrent_classifier_rejects_unknown_cell():
    with pytest.raises(ValueError, match="cell must be one of"):
        build_recurrent_classifier(10, cell="transformer")


def test_padding_fraction_counts_padded_steps():
    from utils.text import padding_fraction

    assert padding_fraction([3, 3, 3, 3], batch_size=2) == 0.0
    assert padding_fraction([1, 3], batch_size=2) == pytest.approx(2 / 6)  # one batch of width 3
    lengths = np.r_[np.full(50, 10), np.full(50, 200)]
    mixed = padding_fraction(lengths, batch_size=10)
    bucketed = padding_fraction(lengths, batch_size=10, bucket_boundaries=[100])
    assert bucketed == 0.0 < mixed
    with pytest.raises(ValueError):
        padding_fraction([], batch_size=4)
