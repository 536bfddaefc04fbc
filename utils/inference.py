"""Use the trained IMDb classifiers: load them safely, predict, and re-check their test accuracy.

The book saves two models with :func:`save_model`, each as two files:

* ``models/<name>.keras``: the Keras model. It takes raw review strings
  (the ``TextVectorization`` layer with the book's standardisation is inside)
  and returns the probability that each review is positive;
* ``models/<name>.json``: its model card (which chapter made it, test
  accuracy, seed, data checksum, parameters, training time, library versions,
  and the SHA-256 of the model file).

``imdb_lstm`` is the book's final model, the default of :func:`predict_sentiment`:
chapter 6 saves whichever pure LSTM candidate (its fine-tuned language model,
chapter 5's LSTM, or the average of the two) validation ranks first, and its card
says which. ``ch05_lstm`` is chapter 5's supervised LSTM.

Both are written to temporary files and renamed into place, the card last; a
model file whose checksum does not match its card is refused. So an
interrupted save never leaves a pair that :func:`load_model` takes as good.

Chapter 5 also stores its models' validation and test probabilities beside
them (:func:`save_predictions`, ``<name>.predictions.npz``), so chapter 6
compares with them without computing them again; :func:`load_predictions`
refuses them for other reviews or for a model file saved since.

``python -m utils.inference`` re-measures every saved model's accuracy on the
official IMDb test set, independently of the notebooks, and compares it with
its card (``make evaluate``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from utils import config

# Importing these registers the custom objects that live inside the saved models: the layers (models), the
# classifier's standardisation (text) and the language model's, with its review marker (lm), which chapter 6's
# fine-tuned classifier carries. Without the last, that model loads in the notebook but not in `make evaluate`.
from utils import lm as _lm  # noqa: F401
from utils import models as _models  # noqa: F401
from utils import text as _text  # noqa: F401
from utils._tf import keras, tf
from utils.data import sha256_of, write_atomically
from utils.text import as_reviews

__all__ = ["MODELS_DIR", "ACCURACY_TOLERANCE", "predict_sentiment", "save_model", "load_model", "read_card",
           "saved_models", "export_saved_model", "saved_model_dir", "save_predictions", "load_predictions"]

MODELS_DIR = config.models_dir()
"""``models/`` of the repository, or of the current folder outside a checkout, or ``$BOOK_MODELS_DIR``."""
DEFAULT_MODEL_PATH = MODELS_DIR / "imdb_lstm.keras"
CARD_SUFFIX = ".json"
ACCURACY_TOLERANCE = 0.0005
"""``make evaluate`` fails if a re-measured test accuracy differs from its card by more (12 of 25,000 reviews).

On the machine that trained the model the two computations run the same arithmetic, so they agree
to a review or two (the batches differ, which can move a float in the last place); a model file
copied to another CPU can differ by a few borderline reviews more: pass ``--tolerance 0.002`` there."""

_loaded: dict[Path, keras.Model] = {}


class ModelFileError(RuntimeError):
    """The saved model is missing, incomplete or does not match its card."""


def card_path(model_path: str | os.PathLike) -> Path:
    """``models/imdb_lstm.keras`` → ``models/imdb_lstm.json``."""
    return Path(model_path).with_suffix(CARD_SUFFIX)


def save_model(model: keras.Model, card: dict, path: str | os.PathLike = DEFAULT_MODEL_PATH) -> Path:
    """Save ``model`` and its ``card`` atomically; the card gains ``model_sha256``.

    The model goes to a temporary file in the same directory, is renamed into
    place, and only then is the card (with the model's checksum) written the
    same way. A crash at any point leaves either the previous good pair or a
    pair that :func:`load_model` refuses.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"the model file must end in .keras, got {path.name}")
    digest = {}

    def write_model(tmp: Path) -> None:
        model.save(tmp)
        digest["sha256"] = sha256_of(tmp)

    def write_card(tmp: Path) -> None:
        full = {**card, "model_file": path.name, "model_sha256": digest["sha256"]}
        tmp.write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")

    write_atomically(path, write_model)  # the model first: a card always describes a complete file
    write_atomically(card_path(path), write_card)
    _loaded.pop(path.resolve(), None)
    return path


def read_card(path: str | os.PathLike = DEFAULT_MODEL_PATH) -> dict:
    """The model card next to ``path``, checked against the model file's SHA-256."""
    path = Path(path)
    card_file = card_path(path)
    if not path.is_file():
        raise ModelFileError(
            f"No trained model at {path}. Build the book (`make book`), which trains it, "
            f"or pass model=... to use another one. (If the book was built before and the model deleted since, "
            f"its chapter is served from the execution cache and not re-run: `make clean book` re-runs it.)"
        )
    if not card_file.is_file():
        raise ModelFileError(
            f"{path} has no model card ({card_file.name}): the save was interrupted or the file was copied "
            f"alone. Re-run the chapter that trains it (`make clean book`)."
        )
    card = json.loads(card_file.read_text())
    actual = sha256_of(path)
    if card.get("model_sha256") != actual:
        raise ModelFileError(
            f"{path} does not match its model card (sha256 {actual}, card says {card.get('model_sha256')}): "
            f"the file is incomplete or was replaced. Re-run the chapter that trains it (`make clean book`)."
        )
    return card


def load_model(path: str | os.PathLike = DEFAULT_MODEL_PATH) -> keras.Model:
    """Load a model saved by :func:`save_model`, after checking it against its card (cached per path)."""
    path = Path(path).resolve()
    if path not in _loaded:
        read_card(path)
        _loaded[path] = keras.models.load_model(path, compile=False)  # for inference only
    return _loaded[path]


def predictions_path(model_path: str | os.PathLike) -> Path:
    """``models/ch05_lstm.keras`` → ``models/ch05_lstm.predictions.npz``."""
    return Path(model_path).with_suffix(".predictions.npz")


def _texts_sha256(texts) -> str:
    import hashlib

    digest = hashlib.sha256()
    for text in as_reviews(texts)[0]:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def save_predictions(model_path: str | os.PathLike, **splits) -> Path:
    """Store a saved model's probabilities, so a later chapter reuses them instead of computing them again.

    ``splits`` maps a name to ``(texts, probabilities)``, e.g. ``validation=(val.text, p_val)``.
    The file (``<model>.predictions.npz``, written atomically) records the SHA-256 of the
    texts and of the model file, so :func:`load_predictions` refuses them for other reviews
    or for a model saved since.
    """
    card = read_card(model_path)  # the model must be saved (and whole) first
    arrays = {"model_sha256": np.array(card["model_sha256"])}
    for name, (texts, probs) in splits.items():
        probs = np.asarray(probs, dtype=np.float64).reshape(-1)
        n_texts = len(as_reviews(texts, name)[0])
        if len(probs) != n_texts:
            raise ValueError(f"{name}: {len(probs)} probabilities for {n_texts} texts")
        arrays[name] = probs
        arrays[f"{name}_texts_sha256"] = np.array(_texts_sha256(texts))
    return write_atomically(predictions_path(model_path), lambda tmp: np.savez(tmp, **arrays))


def load_predictions(model_path: str | os.PathLike, name: str, texts) -> np.ndarray:
    """The probabilities :func:`save_predictions` stored for ``texts`` under ``name``, after checking that
    they belong to these texts (same reviews, same order) and to the model file now at ``model_path``."""
    card = read_card(model_path)
    path = predictions_path(model_path)
    redo = f"Run the chapter that saved {Path(model_path).name} again (`make clean book`)."
    if not path.is_file():
        raise ModelFileError(f"{path.name} is missing: its model was saved without its predictions. {redo}")
    with np.load(path) as stored:
        if str(stored["model_sha256"]) != card["model_sha256"]:
            raise ModelFileError(f"{path.name} was computed by another {Path(model_path).name} than the one "
                                 f"saved now. {redo}")
        if name not in stored.files:
            raise KeyError(f"{path.name} holds no predictions named {name!r}; it has "
                           f"{sorted(f for f in stored.files if f != 'model_sha256' and not f.endswith('_sha256'))}")
        if str(stored[f"{name}_texts_sha256"]) != _texts_sha256(texts):
            raise ValueError(f"the {name!r} predictions in {path.name} are for other texts (or another order) than "
                             f"the ones given: use the same split, seed and mode as the chapter that saved them.")
        return np.array(stored[name])


def saved_model_dir(model_path: str | os.PathLike) -> Path:
    """Where :func:`export_saved_model` puts the SavedModel of ``models/<name>.keras``:
    ``models/<name>_savedmodel/``."""
    path = Path(model_path)
    return path.with_name(path.stem + "_savedmodel")


def export_saved_model(model_path: str | os.PathLike = DEFAULT_MODEL_PATH) -> Path:
    """Export a saved model as a TensorFlow SavedModel that serves raw review strings; return its directory.

    The SavedModel holds the traced computation (vectoriser included) and needs only TensorFlow to run:
    ``tf.saved_model.load(dir).serve(tf.constant(["A great film."]))`` returns the probabilities, shape
    ``(n, 1)``. TensorFlow Serving can serve the directory as a model version (see README). It is written to a
    temporary directory and renamed into place, so an interrupted export never leaves a half-written one.
    """
    import shutil

    model = load_model(model_path)
    target = saved_model_dir(model_path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model.export(str(tmp / "export"), format="tf_saved_model", verbose=False)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp / "export", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def predict_sentiment(texts, model=None, *, batch_size: int = 256):
    """Probability that each review is positive.

    Parameters
    ----------
    texts:
        A review (``str``) or a list/tuple/array of reviews. Raw text is fine:
        ``<br />`` markup, punctuation, any length, any language (unknown words
        simply count as out-of-vocabulary). Empty strings get a probability too.
    model:
        ``None`` for the book's model (``models/imdb_lstm.keras``), a path to
        another saved model, or a loaded ``keras.Model`` that maps strings to
        probabilities.
    batch_size:
        Reviews per call of the model. The reviews are sorted by length first, so a
        batch is padded only to its longest review. Larger batches are faster on a
        CPU and hold more activations in memory at once.

    Returns
    -------
    float for a single string, else a NumPy array of floats, one per review.

    Raises
    ------
    TypeError
        ``texts`` is not a string or a sequence of strings (e.g. ``None``, a number).
    ValueError
        ``texts`` is an empty list.
    ModelFileError
        the saved model is missing or does not match its model card.
    """
    items, single = as_reviews(texts, single=True)
    if model is None or isinstance(model, (str, os.PathLike)):
        model = load_model(DEFAULT_MODEL_PATH if model is None else model)
    # Sort by length so each batch is padded only to similar lengths; restore the order afterwards.
    order = np.argsort([len(t) for t in items], kind="stable")
    batches = tf.data.Dataset.from_tensor_slices(tf.constant([items[i] for i in order])).batch(batch_size)
    probs = np.empty(len(items), dtype=np.float64)
    probs[order] = np.asarray(model.predict(batches, verbose=0), dtype=np.float64).reshape(-1)
    return float(probs[0]) if single else probs


def evaluate_saved_model(path: str | os.PathLike = DEFAULT_MODEL_PATH, *, data_dir=None) -> dict:
    """Accuracy of a saved model on the full official IMDb test set (25,000 reviews)."""
    from utils.data import load_imdb

    card = read_card(path)
    test = load_imdb("test", data_dir=data_dir, quick=card.get("quick_mode", False))
    probs = predict_sentiment(test["text"].tolist(), model=load_model(path))
    accuracy = float(np.mean((probs > 0.5) == (test["label"].to_numpy() == 1)))
    return {"n": len(test), "accuracy": accuracy, "card_accuracy": card.get("test_accuracy")}


def saved_models(folder: str | os.PathLike = MODELS_DIR) -> list[Path]:
    """The ``.keras`` files in ``folder`` that have a model card (the models the book saved)."""
    return sorted(p for p in Path(folder).glob("*.keras") if card_path(p).is_file())


def main(argv: list[str] | None = None) -> int:
    """``python -m utils.inference``: re-measure saved models on the test set and compare with their cards.

    Without ``--model``, every model the book saved in ``models/`` is checked (``make evaluate``).
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--model", action="append", help="a saved .keras file (repeatable); default: all of models/")
    parser.add_argument("--tolerance", type=float, default=ACCURACY_TOLERANCE)
    args = parser.parse_args(argv)
    paths = [Path(m) for m in args.model] if args.model else saved_models()
    if not paths:
        print(f"error: no saved model with a model card in {MODELS_DIR}. Build the book (`make book`), which "
              f"trains them.", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            result = evaluate_saved_model(path)
        except ModelFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = max(status, 2)
            continue
        card_acc = result["card_accuracy"]
        print(f"{path}: test accuracy on {result['n']:,} reviews {result['accuracy']:.4f} "
              f"(model card / book: {card_acc if card_acc is None else format(card_acc, '.4f')})")
        if card_acc is None or abs(result["accuracy"] - card_acc) > args.tolerance:
            print(f"error: {path.name} differs from its model card by more than {args.tolerance}", file=sys.stderr)
            status = max(status, 1)
        else:
            print(f"OK: within {args.tolerance} of the accuracy reported in the book.")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
