"""utils.models: the small recurrent classifier of chapters 02-04; the chapter-5 configuration, builder and
training helper."""

from __future__ import annotations

import numpy as np
import pytest

from utils import build_recurrent_classifier, make_vectorizer, predict_probabilities, setup
from utils.models import POOLINGS, LSTMConfig, build_lstm_classifier, export_text_model, train_classifier

SMALL = LSTMConfig(vocab_size=40, embed_dim=6, units=3, pretrained=False, lr_schedule="constant", max_length=12)


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


@pytest.mark.parametrize(
    "bad", [{"pooling": "attention"}, {"dropout": 1.0}, {"max_length": 0}, {"lr_schedule": "step"}, {"epochs": 0}]
)
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        SMALL.replace(**bad)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [True, False])
def test_every_variant_builds_and_ignores_padding(pooling, bidirectional):
    setup(seed=0, verbose=False)
    model = build_lstm_classifier(SMALL.replace(pooling=pooling, bidirectional=bidirectional))
    ids = np.array([[4, 5, 6]], dtype="int64")
    padded = np.array([[4, 5, 6, 0, 0, 0, 0, 0]], dtype="int64")
    p1, p2 = model.predict(ids, verbose=0), model.predict(padded, verbose=0)
    assert p1.shape == (1, 1) and 0.0 < p1[0, 0] < 1.0
    np.testing.assert_allclose(p1, p2, atol=1e-6)


def test_parameter_count_of_the_bidirectional_lstm():
    config = SMALL.replace(units=4, dropout=0.0)
    model = build_lstm_classifier(config)
    lstm = 4 * config.units * (config.embed_dim + config.units + 1)
    expected = config.vocab_size * config.embed_dim + 2 * lstm + (2 * config.units + 1)
    assert model.count_params() == expected


def test_pretrained_embeddings_are_used_and_checked():
    vectors = np.random.default_rng(0).normal(size=(40, 6)).astype("float32")
    model = build_lstm_classifier(SMALL.replace(pretrained=True), vectors)
    np.testing.assert_array_equal(model.get_layer("embedding").get_weights()[0], vectors)
    with pytest.raises(ValueError, match="exactly when"):
        build_lstm_classifier(SMALL.replace(pretrained=True))
    with pytest.raises(ValueError, match="shape"):
        build_lstm_classifier(SMALL.replace(pretrained=True), vectors[:, :3])


def test_cosine_schedule_needs_the_number_of_steps():
    with pytest.raises(ValueError, match="steps_per_epoch"):
        build_lstm_classifier(SMALL.replace(lr_schedule="cosine"))
    model = build_lstm_classifier(SMALL.replace(lr_schedule="cosine", epochs=2), steps_per_epoch=5)
    schedule = model.optimizer.learning_rate
    assert float(model.optimizer._get_current_learning_rate()) == pytest.approx(SMALL.learning_rate)
    assert schedule is not None


def test_train_classifier_learns_a_toy_task_and_exports_to_strings():
    setup(seed=0, verbose=False)
    good = ["good film", "great acting", "good good fun", "great"] * 10
    bad = ["bad film", "awful acting", "bad bad mess", "awful"] * 10
    texts, labels = good + bad, [1] * 40 + [0] * 40
    vec = make_vectorizer(40)
    vec.adapt(texts)
    config = SMALL.replace(lr_schedule="cosine", epochs=6, learning_rate=0.02, batch_size=8)
    result = train_classifier(config, texts, labels, texts, labels, vectorizer=vec, patience=None, verbose=False)
    assert result.val_accuracy == 1.0 and len(result.epoch_seconds) == 6 and result.best_epoch == 6
    reader = export_text_model(result.model, vec, config.max_length)
    probs = reader.predict(np.array(["great fun", "awful mess", ""], dtype=object), verbose=0).ravel()
    assert probs[0] > 0.5 > probs[1] and 0.0 <= probs[2] <= 1.0


def test_validation_probabilities_keep_the_order_of_the_texts():
    setup(seed=0, verbose=False)
    good = ["good film", "great acting and a good good story, good fun all the way", "good"] * 6
    bad = ["bad", "awful acting and a bad bad story, a mess all the way", "bad film"] * 6
    texts, labels = good + bad, [1] * 18 + [0] * 18
    vec = make_vectorizer(40)
    vec.adapt(texts)
    config = SMALL.replace(lr_schedule="cosine", epochs=4, learning_rate=0.02, batch_size=4)
    result = train_classifier(config, texts, labels, texts, labels, vectorizer=vec, patience=1, verbose=False)
    assert result.val_probs.shape == (36,)
    one_by_one = np.array([float(result.model.predict(vec(np.array([t], dtype=object))[:, :12], verbose=0)[0, 0])
                           for t in texts])
    np.testing.assert_allclose(result.val_probs, one_by_one, atol=1e-5)
    assert result.val_accuracy == float(np.mean((result.val_probs > 0.5) == (np.array(labels) == 1)))
    assert 1 <= result.best_epoch <= len(result.epoch_seconds)
    assert predict_probabilities(result.model, [], vec).shape == (0,)


def test_export_averages_an_ensemble():
    setup(seed=0, verbose=False)
    vec = make_vectorizer(40)
    vec.adapt(["good film", "bad film"])
    a, b = build_lstm_classifier(SMALL, name="a"), build_lstm_classifier(SMALL.replace(units=2), name="b")
    texts = np.array(["good film", "bad", ""], dtype=object)
    pa = export_text_model(a, vec, 12).predict(texts, verbose=0)
    pb = export_text_model([b], vec, 12).predict(texts, verbose=0)
    both = export_text_model([a, b], vec, 12).predict(texts, verbose=0)
    np.testing.assert_allclose(both, (pa + pb) / 2, atol=1e-6)
    with pytest.raises(ValueError):
        export_text_model([], vec, 12)
    with pytest.raises(ValueError, match="distinct names"):
        export_text_model([a, build_lstm_classifier(SMALL, name="a")], vec, 12)


def test_export_combines_with_a_bag_of_words_and_survives_saving(tmp_path):
    from utils.baselines import fit_baseline, predict_baseline
    from utils.inference import load_model, save_model

    setup(seed=0, verbose=False)
    vec = make_vectorizer(40)
    vec.adapt(["good film", "bad film"])
    lstm = build_lstm_classifier(SMALL, name="a")
    texts = ["a good good film", "bad film", "good", "bad", "great fun", "awful mess"]
    labels = [1, 0, 1, 0, 1, 0]
    bow = fit_baseline(texts, labels, texts, labels, mode="tf_idf", ngrams=2, max_tokens=50, epochs=2,
                       seed=0).model
    sample = ["good film", "bad", "", "ein guter Film"]
    p_lstm = export_text_model(lstm, vec, 12).predict(np.array(sample, dtype=object), verbose=0).ravel()
    p_bow = predict_baseline(bow, sample)
    combined = export_text_model(lstm, vec, 12, bag_of_words=bow)
    p = combined.predict(np.array(sample, dtype=object), verbose=0).ravel()
    np.testing.assert_allclose(p, (p_lstm + p_bow) / 2, atol=1e-6)
    path = tmp_path / "combined.keras"
    save_model(combined, {"name": "test"}, path)
    again = load_model(path).predict(np.array(sample, dtype=object), verbose=0).ravel()
    np.testing.assert_array_equal(again, p)
