"""utils.text: standardisation, vectorisers and the (bucketed) ``tf.data`` pipelines."""

from __future__ import annotations

import numpy as np
import pytest

from utils import make_vectorizer, sequence_dataset, standardize, tf
from utils.text import padding_fraction


def test_standardize_cleans_markup_and_punctuation():
    out = standardize(tf.constant(["Great!<br /><br />I DON'T<br/>like it...", "A<br>B"])).numpy()
    assert out[0].decode().split() == ["great", "i", "don't", "like", "it"]
    assert out[1].decode().split() == ["a", "b"]


def test_vectorizer_int_and_multi_hot():
    vec = make_vectorizer(10, sequence_length=4)
    vec.adapt(["good good film", "bad film"])
    ids = vec(["good bad unknownword"]).numpy()[0]
    vocab = vec.get_vocabulary()
    assert vocab[:2] == ["", "[UNK]"]
    assert [vocab[i] for i in ids[:3]] == ["good", "bad", "[UNK]"] and ids[3] == 0
    bag = make_vectorizer(10, output_mode="multi_hot", ngrams=2)
    bag.adapt(["good film", "bad film"])
    assert "good film" in bag.get_vocabulary()


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


def test_padding_fraction_counts_padded_steps():
    assert padding_fraction([3, 3, 3, 3], batch_size=2) == 0.0
    assert padding_fraction([1, 3], batch_size=2) == pytest.approx(2 / 6)  # one batch of width 3
    lengths = np.r_[np.full(50, 10), np.full(50, 200)]
    mixed = padding_fraction(lengths, batch_size=10)
    bucketed = padding_fraction(lengths, batch_size=10, bucket_boundaries=[100])
    assert bucketed == 0.0 < mixed
    with pytest.raises(ValueError):
        padding_fraction([], batch_size=4)


def test_as_reviews_accepts_sequences_of_strings_and_says_what_is_wrong():
    import numpy as np
    import pandas as pd

    from utils.text import as_reviews

    assert as_reviews(["a", "b"]) == (["a", "b"], False)
    assert as_reviews(("a",)) == (["a"], False)
    assert as_reviews(np.array(["a", "b"])) == (["a", "b"], False)
    assert as_reviews(pd.Series(["a", "b"])) == (["a", "b"], False)
    assert as_reviews("one review", single=True) == (["one review"], True)
    assert all(type(t) is str for t in as_reviews(np.array(["a"]))[0])  # not np.str_
    with pytest.raises(TypeError, match="not a single string"):
        as_reviews("one review", "train_texts")
    with pytest.raises(ValueError, match="one-dimensional"):
        as_reviews(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="list of strings, not dict"):
        as_reviews({"a": 1})
    with pytest.raises(ValueError, match="val_texts is empty"):
        as_reviews([], "val_texts")
    with pytest.raises(TypeError, match=r"only strings; texts\[1\] is a int"):
        as_reviews(["fine", 3])
