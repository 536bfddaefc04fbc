"""Use the trained IMDb classifier: load it safely, predict, and re-check its test accuracy.

Chapter 5 trains the model and saves two files with :func:`save_model`:

* ``models/imdb_lstm.keras``: the Keras model. It takes raw review strings
  (the ``TextVectorization`` layer with the book's standardisation is inside)
  and returns the probability that each review is positive.
* ``models/imdb_lstm.json``: its model card (test accuracy, data checksum,
  parameters, training time, library versions, and the SHA-256 of the model
  file).

Both are written to temporary files and renamed into place, the card last; a
model file whose checksum does not match its card is refused. So an
interrupted save never leaves a pair that :func:`load_model` takes as good.

``python -m utils.inference`` re-measures the saved model's accuracy on the
official IMDb test set, independently of the notebook, and compares it with the
card (``make evaluate``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from utils._tf import keras, tf

# Importing these registers the custom objects that live inside the saved model.
from utils import models as _models  # noqa: F401
from utils import text as _text  # noqa: F401
from utils.data import sha256_of

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL_PATH = MODELS_DIR / "imdb_lstm.keras"
CARD_SUFFIX = ".json"
ACCURACY_TOLERANCE = 0.003

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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_model = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        model.save(tmp_model)
        digest = sha256_of(Path(tmp_model))
        os.replace(tmp_model, path)
    except BaseException:
        Path(tmp_model).unlink(missing_ok=True)
        raise
    card = {**card, "model_file": path.name, "model_sha256": digest}
    fd, tmp_card = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(card, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(tmp_card, card_path(path))
    except BaseException:
        Path(tmp_card).unlink(missing_ok=True)
        raise
    _loaded.pop(path.resolve(), None)
    return path


def read_card(path: str | os.PathLike = DEFAULT_MODEL_PATH) -> dict:
    """The model card next to ``path``, checked against the model file's SHA-256."""
    path = Path(path)
    card_file = card_path(path)
    if not path.is_file():
        raise ModelFileError(
            f"No trained model at {path}. Build the book (`make book`), which trains it in chapter 5, "
            f"or pass model=... to use another one. (If the book was built before and the model deleted since, "
            f"chapter 5 is served from the execution cache and not re-run: `make clean book` re-runs it.)"
        )
    if not card_file.is_file():
        raise ModelFileError(
            f"{path} has no model card ({card_file.name}): the save was interrupted or the file was copied "
            f"alone. Re-run chapter 5 (`make book`)."
        )
    card = json.loads(card_file.read_text())
    actual = sha256_of(path)
    if card.get("model_sha256") != actual:
        raise ModelFileError(
            f"{path} does not match its model card (sha256 {actual}, card says {card.get('model_sha256')}): "
            f"the file is incomplete or was replaced. Re-run chapter 5 (`make book`)."
        )
    return card


def load_model(path: str | os.PathLike = DEFAULT_MODEL_PATH) -> keras.Model:
    """Load a model saved by :func:`save_model`, after checking it against its card (cached per path)."""
    path = Path(path).resolve()
    if path not in _loaded:
        read_card(path)
        _loaded[path] = keras.models.load_model(path, compile=False)  # for inference only
    return _loaded[path]


def _as_texts(texts) -> tuple[list[str], bool]:
    """Validate ``texts``; return the reviews as a list and whether a single string was given."""
    if isinstance(texts, str):
        return [texts], True
    if isinstance(texts, (list, tuple)):
        items = list(texts)
    elif isinstance(texts, np.ndarray) and texts.ndim == 1 or type(texts).__name__ == "Series":
        items = list(texts.tolist())
    else:
        raise TypeError(
            f"texts must be a string or a list of strings, not {type(texts).__name__}. "
            f"Example: predict_sentiment('A wonderful film.') or predict_sentiment(['Great!', 'Awful.'])"
        )
    if not items:
        raise ValueError("texts is empty: pass at least one review string.")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"texts[{i}] is a {type(item).__name__}, not a string; every review must be a str.")
    return items, False


def predict_sentiment(texts, model=None, *, batch_size: int = 64):
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
    items, single = _as_texts(texts)
    if model is None or isinstance(model, (str, os.PathLike)):
        model = load_model(DEFAULT_MODEL_PATH if model is None else model)
    # Sort by length so each batch is padded only to similar lengths; restore the order afterwards.
    order = np.argsort([len(t) for t in items], kind="stable")
    batches = tf.data.Dataset.from_tensor_slices(tf.constant([items[i] for i in order])).batch(batch_size)
    probs = np.empty(len(items), dtype=np.float64)
    probs[order] = np.asarray(model.predict(batches, verbose=0), dtype=np.float64).reshape(-1)
    return float(probs[0]) if single else probs


def evaluate_saved_model(path: str | os.PathLike = DEFAULT_MODEL_PATH, *, data_dir=None) -> dict:
    """Accuracy of the saved model on the full official IMDb test set (25,000 reviews)."""
    from utils.data import load_imdb

    card = read_card(path)
    test = load_imdb("test", data_dir=data_dir, quick=False)
    probs = predict_sentiment(test["text"].tolist(), model=load_model(path), batch_size=128)
    accuracy = float(np.mean((probs > 0.5) == (test["label"].to_numpy() == 1)))
    return {"n": len(test), "accuracy": accuracy, "card_accuracy": card.get("test_accuracy")}


def main(argv: list[str] | None = None) -> int:
    """``python -m utils.inference``: re-measure the saved model on the test set and compare with its card."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--model", default=str(DEFAULT_MODEL_PATH))
    parser.add_argument("--tolerance", type=float, default=ACCURACY_TOLERANCE)
    args = parser.parse_args(argv)
    try:
        result = evaluate_saved_model(args.model)
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    card_acc = result["card_accuracy"]
    print(f"test accuracy of {args.model} on {result['n']:,} reviews: {result['accuracy']:.4f} "
          f"(model card / book: {card_acc if card_acc is None else format(card_acc, '.4f')})")
    if card_acc is None or abs(result["accuracy"] - card_acc) > args.tolerance:
        print(f"error: differs from the model card by more than {args.tolerance}", file=sys.stderr)
        return 1
    print(f"OK: within {args.tolerance} of the accuracy reported in the book.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
