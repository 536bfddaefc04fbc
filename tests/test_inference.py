"""utils.inference and the chapter-5 layers, on a tiny model trained here (not the book's model)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from utils import inference, keras, make_vectorizer, setup, tf
from utils.inference import ModelFileError, load_model, predict_sentiment, read_card, save_model
from utils.models import MaskedGlobalMaxPooling1D, TruncateSequence


@pytest.fixture(scope="module")
def tiny_model():
    """A string-in, probability-out model that learns 'good' vs 'bad' in a few steps."""
    setup(seed=0, verbose=False)
    texts = ["good film", "good good", "very good acting", "bad film", "bad bad", "very bad acting"] * 8
    labels = np.array([1, 1, 1, 0, 0, 0] * 8, dtype="float32")
    vec = make_vectorizer(20)
    vec.adapt(texts)
    inputs = keras.Input(shape=(), dtype="string")
    ids = TruncateSequence(6)(vec(inputs))
    x = keras.layers.Embedding(20, 8, mask_zero=True)(ids)
    x = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))(x)
    x = MaskedGlobalMaxPooling1D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    model.fit(tf.constant(texts), labels, epochs=15, batch_size=12, verbose=0)
    return model


@pytest.fixture
def saved(tiny_model, tmp_path):
    return save_model(tiny_model, {"test_accuracy": 1.0}, tmp_path / "m.keras")


def test_predict_types(tiny_model):
    single = predict_sentiment("good film", model=tiny_model)
    assert isinstance(single, float) and 0.0 <= single <= 1.0
    many = predict_sentiment(["good film", "bad film"], model=tiny_model)
    assert isinstance(many, np.ndarray) and many.shape == (2,)
    assert many[0] > 0.5 > many[1], "the tiny model did not learn good vs bad"
    assert predict_sentiment(("good",), model=tiny_model).shape == (1,)
    assert predict_sentiment(np.array(["good", "bad"]), model=tiny_model).shape == (2,)


@pytest.mark.parametrize("bad", [None, 3, 2.5, b"bytes", {"a": 1}, object()])
def test_predict_rejects_non_text(tiny_model, bad):
    with pytest.raises(TypeError, match="string"):
        predict_sentiment(bad, model=tiny_model)


def test_predict_rejects_empty_list_and_non_string_items(tiny_model):
    with pytest.raises(ValueError, match="empty"):
        predict_sentiment([], model=tiny_model)
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        predict_sentiment(["good", 5], model=tiny_model)


def test_odd_but_valid_texts_get_probabilities(tiny_model):
    odd = ["", "   ", "good " * 5000, "Ein wunderbarer Film, großartig!", "<br /><br />", "🙂👍"]
    probs = predict_sentiment(odd, model=tiny_model)
    assert probs.shape == (len(odd),) and np.all((probs >= 0) & (probs <= 1)) and np.all(np.isfinite(probs))


def test_order_and_batching_do_not_change_predictions(tiny_model):
    texts = ["good", "bad film " * 30, "very good acting", "", "bad"]
    alone = np.array([predict_sentiment(t, model=tiny_model) for t in texts])
    together = predict_sentiment(texts, model=tiny_model, batch_size=2)
    np.testing.assert_allclose(alone, together, atol=1e-6)


def test_save_and_reload_give_identical_predictions(tiny_model, saved):
    card = json.loads(saved.with_suffix(".json").read_text())
    assert card["test_accuracy"] == 1.0 and len(card["model_sha256"]) == 64
    texts = ["good film", "bad acting", ""]
    np.testing.assert_array_equal(predict_sentiment(texts, model=tiny_model), predict_sentiment(texts, model=saved))
    assert not list(saved.parent.glob(".m.*")), "temporary files left behind"


def test_stored_predictions_come_back_only_for_their_texts_and_model(tiny_model, saved):
    texts = ["good film", "bad acting", "good"]
    probs = predict_sentiment(texts, model=saved)
    inference.save_predictions(saved, validation=(texts, probs), test=(np.array(texts[:2]), probs[:2]))
    np.testing.assert_array_equal(inference.load_predictions(saved, "validation", texts), probs)
    np.testing.assert_array_equal(inference.load_predictions(saved, "test", texts[:2]), probs[:2])
    with pytest.raises(ValueError, match="other texts"):
        inference.load_predictions(saved, "validation", texts[::-1])  # same reviews, another order
    with pytest.raises(KeyError, match="no predictions named 'train'"):
        inference.load_predictions(saved, "train", texts)
    with pytest.raises(ValueError, match="2 probabilities for 3 texts"):
        inference.save_predictions(saved, validation=(texts, probs[:2]))
    other = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])  # another model file at the same path
    save_model(other, {"test_accuracy": 0.5}, saved)
    with pytest.raises(ModelFileError, match="another m.keras"):
        inference.load_predictions(saved, "validation", texts)
    inference.predictions_path(saved).unlink()
    with pytest.raises(ModelFileError, match="missing"):
        inference.load_predictions(saved, "validation", texts)


def test_missing_model_says_how_to_make_it(tmp_path):
    with pytest.raises(ModelFileError, match="make book"):
        load_model(tmp_path / "nothing.keras")


def test_model_without_card_is_refused(saved):
    saved.with_suffix(".json").unlink()
    with pytest.raises(ModelFileError, match="no model card"):
        read_card(saved)


def test_truncated_model_file_is_refused(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="does not match its model card"):
        load_model(saved)


def test_interrupted_save_keeps_previous_pair(tiny_model, saved, monkeypatch):
    before = saved.read_bytes(), saved.with_suffix(".json").read_text()

    def dying_save(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        save_model(tiny_model, {"test_accuracy": 0.5}, saved)
    assert (saved.read_bytes(), saved.with_suffix(".json").read_text()) == before
    assert read_card(saved)["test_accuracy"] == 1.0
    assert not list(saved.parent.glob(".m.*"))


def test_save_requires_keras_suffix(tiny_model, tmp_path):
    with pytest.raises(ValueError, match=".keras"):
        save_model(tiny_model, {}, tmp_path / "model.h5")


def test_masked_max_pooling_ignores_padding():
    x = np.array([[[-1.0, -2.0], [-3.0, -0.5], [0.0, 0.0]]], dtype="float32")
    mask = np.array([[True, True, False]])
    out = MaskedGlobalMaxPooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(out, [[-1.0, -0.5]])  # the padded zeros must not win
    empty = MaskedGlobalMaxPooling1D()(x, mask=np.zeros((1, 3), bool)).numpy()
    np.testing.assert_allclose(empty, [[0.0, 0.0]])


def test_truncate_keeps_prefix_and_always_one_step():
    out = TruncateSequence(2)(np.array([[5, 6, 7]], dtype="int64")).numpy()
    np.testing.assert_array_equal(out, [[5, 6, 0]])
    assert TruncateSequence(4)(np.zeros((3, 0), dtype="int64")).shape == (3, 1)


def test_evaluate_cli_reports_mismatch(tiny_model, tmp_path, monkeypatch):
    path = save_model(tiny_model, {"test_accuracy": 0.9}, tmp_path / "m.keras")
    monkeypatch.setattr(inference, "evaluate_saved_model",
                        lambda p: {"n": 10, "accuracy": 0.8, "card_accuracy": 0.9})
    assert inference.main(["--model", str(path)]) == 1
    monkeypatch.setattr(inference, "evaluate_saved_model",
                        lambda p: {"n": 10, "accuracy": 0.9004, "card_accuracy": 0.9})
    assert inference.main(["--model", str(path)]) == 0
    assert inference.main(["--model", str(path), "--tolerance", "0.2"]) == 0


def test_evaluate_checks_every_saved_model_by_default(tiny_model, tmp_path, monkeypatch, capsys):
    a = save_model(tiny_model, {"test_accuracy": 0.9}, tmp_path / "a.keras")
    b = save_model(tiny_model, {"test_accuracy": 0.8}, tmp_path / "b.keras")
    (tmp_path / "stray.keras").write_bytes(b"no card: not a model the book saved")
    assert inference.saved_models(tmp_path) == [a, b]
    monkeypatch.setattr(inference, "saved_models", lambda folder=None: [a, b])
    monkeypatch.setattr(inference, "evaluate_saved_model",
                        lambda p: {"n": 10, "accuracy": 0.9, "card_accuracy": read_card(p)["test_accuracy"]})
    assert inference.main([]) == 1  # b's card says 0.8
    out = capsys.readouterr()
    assert "a.keras" in out.out and "b.keras differs" in out.err
    monkeypatch.setattr(inference, "saved_models", lambda folder=None: [])
    assert inference.main([]) == 2


def test_saved_model_serves_raw_text_without_the_books_code(tmp_path):
    """The SavedModel export answers like the Keras file, in a Python that cannot import `utils` at all."""
    import json as _json
    import subprocess
    import sys
    from pathlib import Path

    from utils import lm
    from utils.models import export_text_model

    setup(seed=0, verbose=False)
    try:
        from utils.data import load_imdb

        texts = load_imdb("test", quick=True).text.tolist()[:1000]
    except Exception:  # no archive here: long synthetic reviews do as well for this check
        rng = np.random.default_rng(0)
        words = np.array("the film was good bad great awful not very plot acting <br /> ! , .".split())
        texts = [" ".join(rng.choice(words, size=int(rng.integers(0, 300)))) for _ in range(1000)]
    vec = lm.make_lm_vectorizer(200)
    vec.adapt(texts[:200])
    reader = export_text_model(lm.build_lm_classifier(vec.vocabulary_size(), embed_dim=8, units=8), vec, 64)
    path = save_model(reader, {"test_accuracy": None}, tmp_path / "served.keras")
    export_dir = inference.export_saved_model(path)
    assert export_dir == inference.saved_model_dir(path) and (export_dir / "saved_model.pb").is_file()
    expected = predict_sentiment(texts, model=path)
    (tmp_path / "texts.json").write_text(_json.dumps(texts))
    repo = str(Path(inference.__file__).resolve().parent.parent)
    code = f"""
import json, sys
sys.modules["utils"] = None                       # `import utils` now fails: the export must not need it
sys.path = [p for p in sys.path if p and (not p.startswith({repo!r}) or "site-packages" in p)]  # no repository
import numpy as np, tensorflow as tf
served = tf.saved_model.load({str(export_dir)!r})
texts = json.load(open({str(tmp_path / "texts.json")!r}))
probs = np.concatenate(
    [served.serve(tf.constant(texts[i:i + 100])).numpy().reshape(-1) for i in range(0, len(texts), 100)]
)
print(json.dumps(probs.tolist()))
"""
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    served = np.array(_json.loads(out.stdout.strip().splitlines()[-1]))
    assert served.shape == (len(texts),)
    assert np.max(np.abs(served - expected)) <= 1e-6


def test_language_model_classifier_loads_where_only_inference_is_imported(tmp_path):
    """`make evaluate` and `predict_sentiment` load chapter 6's fine-tuned classifier, whose vectoriser uses the
    language model's standardisation, in a Python that has imported nothing but utils.inference."""
    import subprocess
    import sys
    from pathlib import Path

    from utils import lm
    from utils.models import export_text_model

    setup(seed=0, verbose=False)
    texts = ["a good film", "a bad film", "good acting , bad plot"]
    vec = lm.make_lm_vectorizer(20)
    vec.adapt(texts)
    reader = export_text_model(lm.build_lm_classifier(vec.vocabulary_size(), embed_dim=4, units=4), vec, 16)
    path = save_model(reader, {"test_accuracy": None}, tmp_path / "lm_classifier.keras")
    expected = predict_sentiment(texts, model=path)
    repo = str(Path(inference.__file__).resolve().parent.parent)
    code = (f"import json, sys; sys.path.insert(0, {repo!r}); from utils.inference import predict_sentiment; "
            f"print(json.dumps(predict_sentiment({texts!r}, model={str(path)!r}).tolist()))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    np.testing.assert_allclose(json.loads(run.stdout.strip().splitlines()[-1]), expected, atol=1e-6)


def test_an_average_of_string_models_with_different_vocabularies_saves_and_serves(tmp_path):
    """Chapter 6 may save the mean of chapter 5's LSTM file and its own classifier: two models with their own
    vectorisers, both named imdb_lstm. The saved average must reload, answer as the mean, and export."""
    from utils import lm
    from utils.models import average_text_models, export_text_model

    setup(seed=0, verbose=False)
    texts = ["a good film", "a bad film", "good acting , bad plot", ""]
    first, second = lm.make_lm_vectorizer(20), lm.make_lm_vectorizer(10)
    first.adapt(texts)
    second.adapt(["bad bad plot", "good"])
    nets = (lm.build_lm_classifier(first.vocabulary_size(), embed_dim=4, units=u) for u in (4, 3))
    pair = [keras.Model(m.input, m.output, name=f"net_{k}") for k, m in enumerate(nets)]  # like chapter 5's file
    a = save_model(export_text_model(pair, first, 16), {"test_accuracy": None}, tmp_path / "a.keras")
    b = export_text_model(lm.build_lm_classifier(second.vocabulary_size(), embed_dim=3, units=2), second, 8)
    assert b.name == load_model(a).name == "imdb_lstm"
    mean = average_text_models({"chapter_5": load_model(a), "chapter_6": b})
    expected = (predict_sentiment(texts, model=load_model(a)) + predict_sentiment(texts, model=b)) / 2
    np.testing.assert_allclose(predict_sentiment(texts, model=mean), expected, atol=1e-6)
    path = save_model(mean, {"test_accuracy": None}, tmp_path / "mean.keras")
    np.testing.assert_allclose(predict_sentiment(texts, model=path), expected, atol=1e-6)
    export_dir = inference.export_saved_model(path)
    loaded = tf.saved_model.load(str(export_dir))  # kept referenced: its variables live as long as it does
    np.testing.assert_allclose(loaded.serve(tf.constant(texts)).numpy().reshape(-1), expected, atol=1e-6)
    with pytest.raises(ValueError, match="at least two"):
        average_text_models({"only": b})
