"""A tiny deterministic recommender and data set for fast tests (no model)."""
from __future__ import annotations

import numpy as np
import pandas as pd


class ToyRecommender:
    """Scores rise with candidate row number; 'ninja' in a job favours men."""

    name = "toy"

    def fit(self, texts):
        self.fem = np.array(["female" in t for t in texts])
        self.n = len(texts)
        return self

    def score(self, job_texts):
        base = np.tile(np.linspace(0, 1, self.n), (len(job_texts), 1))
        bonus = np.array([0.5 if "ninja" in self.read(t) else 0.0 for t in job_texts])[:, None] * (~self.fem)[None, :]
        return base + bonus

    def read(self, text):
        """The job text as this recommender reads it (verbatim)."""
        return text

    def describe(self):
        return {"name": "toy"}


def toy_data(n_jobs=20, n_cand=200, seed=0):
    rng = np.random.default_rng(seed)
    jobs = pd.DataFrame({
        "job_id": [f"j{i}" for i in range(n_jobs)], "title": [f"Job {i}" for i in range(n_jobs)],
        "text": [("competitive ninja " if i % 2 else "nurturing supportive ") + f"role {i}" for i in range(n_jobs)],
    })
    sex = rng.choice(["female", "male"], n_cand)
    race = rng.choice(["white", "black", "asian", "hispanic"], n_cand)
    cands = pd.DataFrame({
        "candidate_id": [f"c{i}" for i in range(n_cand)],
        "text": [f"{s} candidate {i}" for i, s in enumerate(sex)],
        "sex": sex, "race_ethnicity": race, "name": [f"Person{i} Surname{i}" for i in range(n_cand)],
    })
    return jobs, cands


#: Four profiles and three jobs whose right match is obvious: job i -> candidate EXPECTED[i].
CANDIDATES = [
    "Registered nurse with ten years of intensive care and patient triage experience",
    "Backend software engineer: Python, Django, PostgreSQL and AWS",
    "Long haul truck driver holding a commercial driver license",
    "Certified public accountant, audits, tax returns and bookkeeping",
]
JOBS = [
    "We are hiring a Python software engineer to build Django services on AWS",
    "Hospital seeks a registered nurse for the intensive care unit",
    "Accounting firm needs a certified public accountant for audits",
]
EXPECTED = [1, 0, 3]


def tiny_llama(*, hidden_size=32, intermediate_size=64, num_hidden_layers=2, max_position_embeddings=1024,
               tie_word_embeddings=False):
    """A randomly initialised (seed 0) tiny Llama with the packaged SmolLM2 tokenizer: ``(model, tokenizer, config)``.

    Stands in for the generator where a test needs a real model but not a trained one.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from fairaudit.rewriting.policy import load_gguf_tokenizer

    tok = load_gguf_tokenizer()
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=hidden_size, intermediate_size=intermediate_size,
                      num_hidden_layers=num_hidden_layers, num_attention_heads=2, num_key_value_heads=2,
                      max_position_embeddings=max_position_embeddings, bos_token_id=tok.bos_token_id,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=tie_word_embeddings)
    torch.manual_seed(0)
    return LlamaForCausalLM(cfg), tok, cfg


def save_tiny_llama(folder, **sizes):
    """:func:`tiny_llama` (``sizes``: its keyword arguments) saved in ``folder``, for a test that needs a model folder."""
    model, tok, _ = tiny_llama(**sizes)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder
