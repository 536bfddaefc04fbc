"""utils.baselines: the order-blind bag-of-words models (chapter 01).

Each test states a property that would break if the code were wrong: the
encodings are blind to word order (unigrams) or to order beyond neighbours
(bigrams); the TF-IDF weights follow the documented formula; the vectoriser
sees only the training texts; a separable toy problem is learned; the model
takes raw strings and survives saving; bad arguments raise clear errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from utils import (
    BaselineResult,
    build_bow_baseline,
    evaluate_baseline,
    feature_names,
    fit_baseline,
    keras,
    majority_class_accuracy,
    predict_baseline,
    setup,
)

POSITIVE = ["great", "wonderful", "superb", "brilliant", "moving", "fine"]
NEGATIVE = ["awful", "boring", "dull", "terrible", "weak", "poor"]
FILLER = ["the", "film", "plot", "acting", "was", "really", "and", "a", "story", "cast"]


def toy_reviews(n: int, seed: int = 0):
    """Reviews of filler words plus sentiment words of one class: separable by word identity alone."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        words = list(rng.choice(FILLER, size=8)) + list(rng.choice(POSITIVE if label else NEGATIVE, size=2))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ".<br /><br />")
        labels.append(label)
    return np.array(texts, dtype=object), np.array(labels)


@pytest.fixture(scope="module", autouse=True)
def _seeded():
    setup(verbose=False)


def vectors(model, texts):
    return np.asarray(model.get_layer("vectorizer")(np.array(texts, dtype=object)))


# --------------------------------------------------------------------------- order blindness


def test_unigram_bag_is_blind_to_word_order():
    model = build_bow_baseline(["not good actually bad", "a film"], mode="multi_hot", ngrams=1, max_tokens=50)
    a, b = vectors(model, ["Not good, actually bad.", "not BAD actually... good!"])
    assert np.array_equal(a, b)
    assert a.sum() == 4  # four distinct known words, each marked once
    pa = predict_baseline(model, ["Not good, actually bad."], batch_size=1)
    pb = predict_baseline(model, ["not BAD actually... good!"], batch_size=1)
    assert pa.shape == (1,) and pa[0] == pb[0]


def test_bigrams_see_neighbours_but_not_more():
    texts = ["not good actually bad", "not bad actually good", "at first it was good and then it was bad and then"]
    model = build_bow_baseline(texts, mode="tf_idf", ngrams=2, max_tokens=100)
    a, b = vectors(model, ["not good, actually bad", "not bad, actually good"])
    assert not np.array_equal(a, b), "bigrams 'not good' / 'not bad' must tell these apart"
    # Same multiset of unigrams and bigrams: swapping 'good' and 'bad' between identical contexts.
    c, d = vectors(model, ["at first it was good and then it was bad and then",
                           "at first it was bad and then it was good and then"])
    assert np.array_equal(c, d)
    vocabulary = model.get_layer("vectorizer").get_vocabulary()
    assert "not good" in vocabulary and "was bad" in vocabulary


# --------------------------------------------------------------------------- what the vectoriser computes


def test_tf_idf_follows_the_documented_formula_and_uses_only_training_texts():
    train = ["good good film", "bad film", "good plot"]
    model = build_bow_baseline(train, mode="tf_idf", ngrams=1, max_tokens=10)
    vocabulary = model.get_layer("vectorizer").get_vocabulary()
    assert vocabulary[0] == "[UNK]"
    assert "unseen" not in vocabulary  # only training texts are counted
    x = vectors(model, ["good good good film unseen"])[0]
    n_docs = len(train)
    df = {"good": 2, "film": 2}
    for token, count in (("good", 3), ("film", 1)):
        expected = count * np.log(1 + n_docs / (1 + df[token]))
        assert x[vocabulary.index(token)] == pytest.approx(expected, rel=1e-6)
    assert x[vocabulary.index("bad")] == 0.0
    assert x[0] > 0  # 'unseen' lands in the out-of-vocabulary slot


def test_max_tokens_caps_the_vocabulary_and_the_oov_slot_is_left_out_by_default():
    texts, _ = toy_reviews(40)
    model = build_bow_baseline(texts, mode="multi_hot", ngrams=1, max_tokens=5)
    vocabulary = model.get_layer("vectorizer").get_vocabulary()
    assert len(vocabulary) == 5 and vocabulary[0] == "[UNK]"
    assert model.output_shape == (None, 1)
    assert model.get_layer("logistic").get_weights()[0].shape == (4, 1)
    assert feature_names(model) == vocabulary[1:]
    kept = build_bow_baseline(texts, mode="multi_hot", max_tokens=5, drop_oov=False)
    assert kept.get_layer("logistic").get_weights()[0].shape == (5, 1)
    assert feature_names(kept) == vocabulary


def test_dense_layer_sees_the_vector_without_the_oov_slot():
    model = build_bow_baseline(["good film", "bad film"], mode="tf_idf", max_tokens=10)
    names = feature_names(model)
    dense = model.get_layer("logistic")
    kernel = np.arange(1, len(names) + 1, dtype="float32")[:, None]
    dense.set_weights([kernel, np.zeros(1, "float32")])
    text = ["good good film unseen words"]
    x = vectors(model, text)[0]
    logit = float(np.log(predict_baseline(model, text)[0] / (1 - predict_baseline(model, text)[0])))
    assert logit == pytest.approx(float(x[1:] @ kernel[:, 0]), rel=1e-4)  # x[0], the [UNK] slot, has no weight


# --------------------------------------------------------------------------- learning


@pytest.mark.parametrize("mode,ngrams", [("multi_hot", 1), ("tf_idf", 2)])
def test_learns_a_separable_toy_problem_and_reports_validation_metrics(mode, ngrams):
    texts, labels = toy_reviews(400, seed=1)
    val_texts, val_labels = toy_reviews(100, seed=2)
    result = fit_baseline(texts, labels, val_texts, val_labels, mode=mode, ngrams=ngrams, max_tokens=200,
                          learning_rate=0.05, epochs=15, patience=3)
    assert isinstance(result, BaselineResult)
    assert result.val_accuracy >= 0.97
    assert 1 <= result.best_epoch <= len(result.history["loss"])
    # The reported validation metrics are those of the kept (best) epoch.
    assert result.val_loss == pytest.approx(min(result.history["val_loss"]), rel=1e-4)
    assert set(result.seconds) == {"adapt", "vectorize", "fit"}
    # The end-to-end model (raw strings in) carries the trained weights.
    scores = evaluate_baseline(result.model, val_texts, val_labels)
    assert scores["accuracy"] == pytest.approx(result.val_accuracy, abs=1e-6)
    probs = predict_baseline(result.model, ["A wonderful, superb film.", "A dull and boring film."])
    assert probs[0] > 0.5 > probs[1]


def test_saved_model_gives_the_same_predictions(tmp_path):
    texts, labels = toy_reviews(200, seed=4)
    result = fit_baseline(texts[:150], labels[:150], texts[150:], labels[150:], mode="tf_idf", ngrams=2,
                          max_tokens=300, epochs=2)
    path = tmp_path / "baseline.keras"
    result.model.save(path)
    loaded = keras.models.load_model(path)
    sample = ["the acting was superb", "a weak and boring plot"]
    np.testing.assert_allclose(predict_baseline(loaded, sample), predict_baseline(result.model, sample), rtol=1e-6)


def test_majority_class_accuracy():
    assert majority_class_accuracy([1, 1, 0], [1, 0, 0, 0]) == pytest.approx(0.25)
    assert majority_class_accuracy([0, 1], [0, 0, 1]) == pytest.approx(2 / 3)  # tie -> label 0
    with pytest.raises(ValueError, match="at least one"):
        majority_class_accuracy([], [1])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"mode": "int"}, "mode must be one of"),
        ({"mode": "binary"}, "mode must be one of"),
        ({"ngrams": 0}, "ngrams must be a positive integer"),
        ({"ngrams": 1.5}, "ngrams must be a positive integer"),
        ({"max_tokens": 2}, "max_tokens must be an integer of at least 3"),
        ({"max_tokens": None}, "max_tokens must be an integer of at least 3"),
    ],
)
def test_bad_options_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_bow_baseline(["a b c"], **kwargs)


def test_bad_texts_and_labels_raise_clear_errors():
    with pytest.raises(TypeError, match="not a single string"):
        build_bow_baseline("a single review")
    with pytest.raises(TypeError, match="only strings"):
        build_bow_baseline(["fine", 3])
    with pytest.raises(ValueError, match="empty"):
        build_bow_baseline([])
    texts, labels = toy_reviews(20)
    with pytest.raises(ValueError, match="one label per review"):
        fit_baseline(texts, labels[:-1], texts, labels)
    with pytest.raises(ValueError, match="0 \\(negative\\) or 1 \\(positive\\)"):
        fit_baseline(texts, np.full(len(texts), -1), texts, labels)
    with pytest.raises(ValueError, match="single class"):
        fit_baseline(texts, np.ones(len(texts), int), texts, labels)
    with pytest.raises(ValueError, match="at least 1"):
        fit_baseline(texts, labels, texts, labels, epochs=0)
