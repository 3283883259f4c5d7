"""Text the analysis reads: Unicode evasion, long ads, other languages (issue 19, items 4-6)."""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from fairaudit.adcheck.outcome import format_check
from fairaudit.engine.drivers import word_drivers
from fairaudit.text.language import english_share, job_text_warnings, language_warnings
from fairaudit.text.lexicon import find_coded_words, neutralize_text
from fairaudit.engine.occlusion import content_words, occlusion_drivers
from fairaudit.adcheck.checker import check
from fairaudit.text.textnorm import mixed_script_words, normalise, script_warnings
from toy import ToyRecommender, toy_data

CYR_I = "\u0456"  # Cyrillic small letter byelorussian-ukrainian i, looks like "i"
ZWSP = "\u200b"
PLAIN = "We want a competitive, dominant ninja who leads."
EVASIVE = f"We want a competitive, domi{ZWSP}nant n{CYR_I}nja who leads."


# --------------------------------------------------------------------------- item 4: Unicode evasion
def test_normalise_undoes_evasive_spellings_and_keeps_real_words():
    assert normalise(EVASIVE) == PLAIN
    assert normalise("\uff4e\uff49\uff4e\uff4a\uff41 \U0001d427\U0001d422\U0001d427\U0001d423\U0001d41a") == "ninja ninja"
    assert normalise("soft\u00adware") == "software"  # soft hyphen (category Cf)
    # words of another script, and Latin letters with accents, are not folded
    assert normalise("\u043f\u0440\u0438\u0432\u0435\u0442 Stra\u00dfe caf\u00e9") == "\u043f\u0440\u0438\u0432\u0435\u0442 Stra\u00dfe caf\u00e9"
    assert normalise(PLAIN) == PLAIN and normalise(normalise(EVASIVE)) == normalise(EVASIVE)


def test_word_list_finds_hidden_words_and_reports_them_as_written():
    plain, evasive = find_coded_words(PLAIN), find_coded_words(EVASIVE)
    assert len(plain) == len(evasive) == 4
    assert [c for _, c in plain] == [c for _, c in evasive]
    words = [w for w, _ in evasive]
    assert f"n{CYR_I}nja" in words and f"domi{ZWSP}nant" in words  # verbatim, so callers find them in the text
    assert all(w in EVASIVE for w in words)
    # the lexicon baseline replaces them too
    assert neutralize_text(EVASIVE) == neutralize_text(PLAIN) == "We want a strong, established expert who leads."


def test_occlusion_words_accept_non_ascii_letters():
    words = content_words(EVASIVE)
    assert f"n{CYR_I}nja" in words and f"domi{ZWSP}nant" in words
    assert len(words) == len(content_words(PLAIN)) == 5
    assert "caf\u00e9" in content_words("A caf\u00e9 barista")  # plain accented words are words too


def _reads_through(texts):
    # a stand-in for the embedding model, which reads "nіnja" much as it reads "ninja"
    return np.array([1.0 if "ninja" in normalise(t) else 0.0 for t in texts]) + \
        np.array([0.5 if "dominant" in normalise(t) else 0.0 for t in texts])


def test_drivers_and_occlusion_label_hidden_words_as_coded():
    jobs = pd.DataFrame({"job_id": ["a"], "title": ["Engineer"], "text": [EVASIVE]})
    table = occlusion_drivers(_reads_through, jobs, sentences=False)
    coded = table[table["coded"]]
    assert set(coded["word"]) == {"competitive", f"domi{ZWSP}nant", f"n{CYR_I}nja", "leads"}
    assert coded.set_index("word").loc[f"n{CYR_I}nja", "delta"] == pytest.approx(1.0)
    drivers = word_drivers(_reads_through, jobs)
    assert drivers.set_index("word").loc[f"n{CYR_I}nja", "delta"] == pytest.approx(1.0)
    assert drivers.set_index("word").loc[f"domi{ZWSP}nant", "delta"] == pytest.approx(0.5)


def test_mixed_script_words_are_warned_about():
    assert mixed_script_words(EVASIVE) == [f"n{CYR_I}nja"]
    assert mixed_script_words(PLAIN) == [] and mixed_script_words("\u043f\u0440\u0438\u0432\u0435\u0442 world") == []
    notes = script_warnings(EVASIVE)
    assert len(notes) == 2 and "mixes scripts inside 1 word" in notes[0] and "zero width space" in notes[1]
    assert script_warnings(PLAIN) == []


def test_non_latin_scripts_next_to_latin_words_are_not_homoglyphs():
    """Issue 25: a Chinese ad (no spaces, Latin product names inside) got the "letters look Latin" warning."""
    chinese = "\u6211\u4eec\u6b63\u5728\u62db\u8058\u5de5\u7a0b\u5e08\uff0c\u8d1f\u8d23\u5f00\u53d1Python\u540e\u7aef\u670d\u52a1\uff0c\u719f\u6089AWS\u548cDocker\u3002"
    japanese = "Python\u30a8\u30f3\u30b8\u30cb\u30a2\u3092\u52df\u96c6\u3057\u3066\u3044\u307e\u3059\u3002"
    korean = "Java\uac1c\ubc1c\uc790 \ucc44\uc6a9"
    hyphenated = "Python-\u0440\u0430\u0437\u0440\u0430\u0431\u043e\u0442\u0447\u0438\u043a"  # a Latin and a Russian word
    for text in (chinese, japanese, korean, hyphenated, "Wir suchen eine Entwicklerin f\u00fcr M\u00fcnchen."):
        assert mixed_script_words(text) == [] and script_warnings(text) == [], text
    assert not [w for w in job_text_warnings(["zh"], [chinese]) if "mix scripts" in w]  # the audit's warning too
    # a look-alike letter inside a Latin word is still found, in any of those contexts
    assert mixed_script_words(chinese + f" n{CYR_I}nja") == [f"n{CYR_I}nja"]
    assert mixed_script_words(f"\u5f00\u53d1n{CYR_I}nja\u540e\u7aef") == [f"\u5f00\u53d1n{CYR_I}nja\u540e\u7aef"]


class ReadsThroughToy(ToyRecommender):
    """Like tests/toy.ToyRecommender (men first when the ad says "ninja"), but it reads "nіnja" as "ninja"."""

    name = "toy-reads-through"

    def read(self, text):
        return normalise(text)

    def describe(self):
        return {"name": self.name}


def test_check_finds_the_hidden_driver_warns_and_keeps_the_text_verbatim():
    pool = toy_data(n_cand=200, seed=1)[1]
    ad = f"Engineer\nWe build software. {EVASIVE} Apply now."
    r = check(ad, pool, recommender=ReadsThroughToy(), k=50, rewrite=False, identity_blind=False)
    words = {d.text: d for d in r.drivers if d.kind == "word"}
    hidden = words[f"n{CYR_I}nja"]  # reported as written
    assert hidden.coded and hidden.label == "masculine-coded" and hidden.delta > r.headline.noise_floor
    assert r.text == ad and r.to_dict()["text"] == ad
    assert any("mixes scripts" in w for w in r.warnings) and any("invisible" in w for w in r.warnings)
    assert "Warning: the ad mixes scripts" in format_check(r)
    plain = check(f"Engineer\nWe build software. {PLAIN} Apply now.", pool, recommender=ReadsThroughToy(), k=50,
                  rewrite=False, identity_blind=False)
    assert plain.warnings == [] and len([d for d in plain.drivers if d.coded]) == len([d for d in r.drivers if d.coded])


# --------------------------------------------------------------------------- item 6: other languages
GERMAN = ("Softwareentwickler (m/w/d)\nWir suchen eine erfahrene Softwareentwicklerin oder einen erfahrenen "
          "Softwareentwickler f\u00fcr unser Team in Berlin. Sie entwickeln, testen und betreiben Webanwendungen in "
          "Python und SQL. Sie arbeiten eng mit Produkt und Design zusammen und \u00fcbernehmen Verantwortung f\u00fcr "
          "die Qualit\u00e4t unseres Codes. Wir bieten ein faires Gehalt und flexible Arbeitszeiten. Bewerben Sie "
          "sich jetzt!")


def test_german_ad_is_detected_and_english_ads_are_not():
    g = english_share(GERMAN)
    assert g.english is False and g.share < 0.05 and g.n_words > 40
    assert english_share(PLAIN + " " + PLAIN).english is True
    assert english_share("Kurz.").english is None  # too short to judge: no warning
    assert language_warnings("Kurz.") == []
    # the packaged synthetic ads are English: none is flagged
    from fairaudit.data.datasets import make_hiring_data

    jobs, _ = make_hiring_data(60, 10, seed=3)
    assert all(english_share(t).english for t in jobs["text"])


def test_check_warns_on_a_german_ad_and_measures_it_all_the_same():
    pool = toy_data(n_cand=200, seed=1)[1]
    r = check(GERMAN, pool, recommender=ReadsThroughToy(), k=50, rewrite=False, identity_blind=False)
    notes = [w for w in r.warnings if "does not look English" in w]
    assert len(notes) == 1 and "English-only" in notes[0] and "stay valid" in notes[0]
    assert r.headline.gap == pytest.approx(
        check(GERMAN.replace("Berlin", "Hamburg"), pool, recommender=ReadsThroughToy(), k=50, rewrite=False,
              identity_blind=False).headline.gap)  # the measure itself is language-blind
    assert "Warning: the ad does not look English" in format_check(r)


# --------------------------------------------------------------------------- item 5: long ads
@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from fairaudit.models import default_embedding_model_path

    return AutoTokenizer.from_pretrained(default_embedding_model_path())


class HashingST:
    """A bag-of-token-ids encoder with the packaged model's tokenizer that, like it, reads max_seq_length tokens."""

    def __init__(self, tokenizer, max_seq_length: int):
        self.tokenizer, self.max_seq_length, self.dim = tokenizer, max_seq_length, 64

    def get_embedding_dimension(self):
        return self.dim

    def encode(self, texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True, normalize_embeddings=False):
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_seq_length)["input_ids"]
        out = np.full((len(texts), self.dim), 0.01, dtype=np.float32)
        for i, row in enumerate(ids):
            for t in row[1:-1]:
                out[i, zlib.crc32(str(t).encode()) % self.dim] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True) if normalize_embeddings else out


SENTENCES = ["We want a male engineer.", "The team builds payment software.", "You will review code daily."] + \
    [f"Paragraph {i} describes the benefits, the office and the hiring process in detail." for i in range(9)]


def test_long_ad_check_warns_says_how_much_was_read_and_occludes_only_that(monkeypatch, tokenizer, tmp_path):
    import fairaudit.recommenders.embedding as emb_mod
    from fairaudit.recommenders import EmbeddingRecommender

    limit = 40
    monkeypatch.setattr(emb_mod, "load_sentence_transformer", lambda resolved, device: HashingST(tokenizer, limit))
    monkeypatch.setattr(emb_mod, "model_fingerprint", lambda resolved: "hashing-test")
    ad = " ".join(SENTENCES)
    # independent count: [CLS] + each sentence's tokens; a sentence is read when its first token is within the
    # limit ([SEP] takes the last place)
    lengths = [len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in SENTENCES]
    starts = 1 + np.concatenate([[0], np.cumsum(lengths)[:-1]])
    n_tokens = 2 + sum(lengths)
    read = int((starts <= limit - 2).sum())
    assert 1 < read < len(SENTENCES) and n_tokens > limit

    pool = toy_data(n_cand=120, seed=2)[1]
    rec = EmbeddingRecommender(cache_dir=False)
    r = check(ad, pool, recommender=rec, k=20, rewrite=False, identity_blind=False)
    assert r.read is not None and r.read["truncated"]
    assert (r.read["n_tokens"], r.read["max_tokens"], r.read["sentences_read"]) == (n_tokens, limit, read)
    note = [w for w in r.warnings if "longer than the embedding model reads" in w]
    assert len(note) == 1 and f"read {read} of {len(SENTENCES)} sentences / {limit} of {n_tokens} tokens" in note[0]
    assert "Warning: the ad is longer" in format_check(r)
    # occlusion stops at the last sentence read: no later sentence or word is a driver
    assert r.drivers and max(d.sentence_no for d in r.drivers) <= r.read["last_sentence_no"] == read
    # what the model reads of the ad is exactly its first chars_read characters
    emb = rec.encode([ad, ad[: r.read["chars_read"]], ad[: r.read["chars_read"] - 8]])
    assert np.allclose(emb[0], emb[1]) and not np.allclose(emb[0], emb[2])


def test_short_ad_is_read_whole(monkeypatch, tokenizer):
    from fairaudit.engine.reading import read_extent

    ext = read_extent(HashingST(tokenizer, 256), " ".join(SENTENCES[:3]))
    assert not ext.truncated and ext.sentences_read == ext.n_sentences == 3 and ext.chars_read == ext.n_chars
    assert read_extent(object(), "text") is None  # no tokenizer: nothing to say


def test_audit_warns_about_non_english_and_mixed_script_job_texts():
    import fairaudit
    from fairaudit.errors import FairauditWarning

    jobs, cands = toy_data(n_jobs=4, n_cand=40, seed=0)
    jobs.loc[1, "text"] = GERMAN
    jobs.loc[2, "text"] = f"We want a n{CYR_I}nja engineer."
    with pytest.warns(FairauditWarning, match="do not look English"):
        res = fairaudit.audit(jobs, cands, recommender="bm25", k=5, n_bootstrap=0, drivers=False,
                              decomposition=False)
    notes = res.summary["warnings"]
    assert any(n.startswith("1 of 4 job texts do not look English (j1)") for n in notes)
    assert any(n.startswith("1 of 4 job texts mix scripts inside a word (j2)") for n in notes)
