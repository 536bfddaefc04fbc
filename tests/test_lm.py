"""utils.lm: the token stream, truncated-BPTT batches, the language model, its training loop and fine-tuning."""

from __future__ import annotations

import numpy as np
import pytest

from utils import lm
from utils._tf import tf
from utils.notebook import setup


@pytest.fixture
def vectorizer():
    vec = lm.make_lm_vectorizer(30)
    vec.adapt(["a good film", "a bad film", "good good fun", "bad bad mess"])
    return vec


def test_every_review_starts_with_the_marker(vectorizer):
    vocab = vectorizer.get_vocabulary()
    ids = vectorizer(tf.constant(["Good film!", ""])).numpy()
    assert vocab[ids[0, 0]] == lm.BOS and [vocab[i] for i in ids[0, 1:3]] == ["good", "film"]
    assert vocab[ids[1, 0]] == lm.BOS  # even an empty review


def test_token_stream_concatenates_reviews_in_a_seeded_order(vectorizer):
    texts = ["a good film", "a bad film", "good fun"]
    plain = lm.token_stream(texts, vectorizer, shuffle=False)
    vocab = vectorizer.get_vocabulary()
    assert plain.dtype == np.int32
    assert [vocab[i] for i in plain] == [lm.BOS, "a", "good", "film", lm.BOS, "a", "bad", "film", lm.BOS, "good", "fun"]
    shuffled = lm.token_stream(texts, vectorizer, seed=3)
    assert sorted(shuffled) == sorted(plain)
    np.testing.assert_array_equal(shuffled, lm.token_stream(texts, vectorizer, seed=3))


def test_bptt_chunks_continue_each_row_and_targets_are_shifted():
    stream = np.arange(27, dtype=np.int32)
    batches = lm.BPTTBatches(stream, batch_size=3, seq_len=4)
    assert batches.rows.shape == (3, 9) and len(batches) == 2 and batches.tokens_per_chunk == 12
    x0, y0 = batches[0]
    x1, _ = batches[1]
    np.testing.assert_array_equal(x0[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(y0, x0 + 1)  # each target is the next token
    np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)  # row b of chunk 1 continues row b of chunk 0
    np.testing.assert_array_equal(x0[1], [9, 10, 11, 12])
    with pytest.raises(IndexError):
        batches[2]
    with pytest.raises(ValueError, match="too short"):
        lm.BPTTBatches(np.arange(10), batch_size=4, seq_len=4)


def test_state_carried_across_chunks_equals_one_long_pass():
    setup(seed=0, verbose=False)
    model = lm.LanguageModel(20, embed_dim=4, units=5)
    ids = tf.constant(np.random.default_rng(0).integers(2, 20, size=(2, 8)), tf.int32)
    whole, _ = model(ids)
    first, state = model(ids[:, :5])
    second, _ = model(ids[:, 5:], state)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-5)
    assert model.logits(whole).shape == (2, 8, 20)


def test_training_lowers_the_loss_and_perplexity_is_exp_of_the_cross_entropy():
    setup(seed=0, verbose=False)
    stream = np.tile(np.arange(2, 10, dtype=np.int32), 200)  # a perfectly predictable cycle
    model = lm.LanguageModel(12, embed_dim=8, units=16)
    batches = lm.BPTTBatches(stream, batch_size=4, seq_len=10)
    before = lm.perplexity(model, stream[:400], batch_size=2, seq_len=10)
    history = lm.train_language_model(model, batches, steps=300, learning_rate=1e-2, warmup=10, num_sampled=8,
                                      log_every=50, val_stream=stream[:400], eval_every=150, verbose=False)
    after = lm.perplexity(model, stream[:400], batch_size=2, seq_len=10)
    assert history.loss[-1] < history.loss[0] and after < 2.0 < before
    assert history.val_perplexity[-1] == pytest.approx(lm.perplexity(model, stream[:400]), rel=1e-4)
    assert history.tokens[-1] == 300 * 40 and history.tokens_per_second > 0
    # an untrained model with zero output weights would give perplexity = vocabulary size
    flat = lm.LanguageModel(12, embed_dim=8, units=16)
    flat(tf.zeros((1, 1), tf.int32))
    flat.embedding.embeddings.assign(tf.zeros_like(flat.embedding.embeddings))
    assert lm.perplexity(flat, stream[:400], batch_size=2, seq_len=10) == pytest.approx(12, rel=1e-4)


def test_unigram_perplexity():
    train = np.array([2, 2, 3, 3], dtype=np.int32)
    # add-one counts over 4 ids: [1, 1, 3, 3] / 8; eval on [2, 3]: exp(-log(3/8))
    assert lm.unigram_perplexity(train, np.array([2, 3]), 4) == pytest.approx(8 / 3)


def test_generate_stops_at_the_marker_and_never_draws_unknown(vectorizer):
    setup(seed=0, verbose=False)
    model = lm.LanguageModel(vectorizer.vocabulary_size(), embed_dim=4, units=4)
    text = lm.generate(model, vectorizer, n_tokens=15, temperature=1.0, seed=1)
    words = text.split()
    assert len(words) <= 15 and "[UNK]" not in words and lm.BOS not in words
    assert text == lm.generate(model, vectorizer, n_tokens=15, temperature=1.0, seed=1)
    assert lm.generate(model, vectorizer, prompt="a good", n_tokens=3, seed=1).startswith("a good")
    with pytest.raises(ValueError):
        lm.generate(model, vectorizer, temperature=0)


def test_classifier_takes_the_language_models_weights():
    setup(seed=0, verbose=False)
    source = lm.LanguageModel(30, embed_dim=4, units=6)
    source(tf.zeros((1, 2), tf.int32))
    clf = lm.build_lm_classifier(30, embed_dim=4, units=6, language_model=source)
    for name in ("embedding", "lstm"):
        for a, b in zip(clf.get_layer(name).get_weights(), getattr(source, name).get_weights()):
            np.testing.assert_array_equal(a, b)
    scratch = lm.build_lm_classifier(30, embed_dim=4, units=6, seed=1)
    assert not np.array_equal(scratch.get_layer("lstm").get_weights()[0], source.lstm.get_weights()[0])
    # padding is masked: a review alone and padded gives the same probability
    ids = np.array([[3, 4, 5, 0, 0, 0]])
    np.testing.assert_allclose(clf(ids[:, :3]).numpy(), clf(ids).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="sizes"):
        lm.build_lm_classifier(30, embed_dim=4, units=7, language_model=source)


def test_sampled_softmax_step_is_timed_for_both_output_layers():
    setup(seed=0, verbose=False)
    model = lm.LanguageModel(50, embed_dim=4, units=4)
    x = np.random.default_rng(0).integers(2, 50, size=(2, 5))
    full = lm.softmax_step_seconds(model, x, x, num_sampled=None, repeats=1)
    sampled = lm.softmax_step_seconds(model, x, x, num_sampled=8, repeats=1)
    assert full > 0 and sampled > 0
