"""tiny-llama: a Llama-architecture model small enough to train on a CPU in seconds.

The worker builds it itself (no download): a byte-level BPE tokenizer trained on a built-in
corpus, with a chat template, and randomly initialized weights drawn from a seed. Both are saved
in Hugging Face format, so `AutoModelForCausalLM.from_pretrained(path)` and
`AutoTokenizer.from_pretrained(path)` load it like any Hub model. The same seed always gives the
same files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tributary_worker.models.corpus import CORPUS

# Part of the folder name: bump it whenever the corpus, tokenizer or model shape changes, so an
# old build in the cache is never mistaken for the new one.
TINY_LLAMA_VERSION = 1
TINY_LLAMA_ID = "tiny-llama"

BOS, EOS, PAD = "<|begin|>", "<|end|>", "<|pad|>"
ROLE_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>"]
SPECIAL_TOKENS = [PAD, BOS, EOS, *ROLE_TOKENS]

# `<|end|>` closes every turn and is the EOS token, so generation stops after one answer.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
    "{{ raise_exception('role must be system, user or assistant, got ' + message['role']) }}"
    "{% endif %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


@dataclass(frozen=True)
class TinyLlamaSpec:
    """Shape of the tiny model; the defaults are what the catalog's `tiny-llama` means."""

    seed: int = 0
    """Seed of the random weight initialization."""

    vocab_size: int = 512
    """Target BPE vocabulary size (special tokens and the 256 byte symbols included)."""

    hidden_size: int = 64
    """Width of the residual stream."""

    intermediate_size: int = 128
    """Width of the MLP's hidden layer."""

    num_layers: int = 2
    """Number of decoder layers."""

    num_heads: int = 4
    """Attention (query) heads; head size is hidden_size / num_heads."""

    num_kv_heads: int = 2
    """Key/value heads (grouped-query attention, as in Llama 3)."""

    max_positions: int = 2048
    """Longest sequence the rotary embedding is configured for."""

    def folder_name(self) -> str:
        return (
            f"tiny-llama-v{TINY_LLAMA_VERSION}-s{self.seed}-v{self.vocab_size}-h{self.hidden_size}"
            f"-i{self.intermediate_size}-l{self.num_layers}-a{self.num_heads}-k{self.num_kv_heads}"
            f"-p{self.max_positions}"
        )


def _train_tokenizer(spec: TinyLlamaSpec):  # -> TokenizersBackend (transformers' fast tokenizer)
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(CORPUS.splitlines(), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token=BOS, eos_token=EOS, pad_token=PAD, model_max_length=spec.max_positions
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def _build_model(spec: TinyLlamaSpec, tokenizer):  # -> LlamaForCausalLM
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads,
        max_position_embeddings=spec.max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    # The initialization draws from the global generator: fork it so callers' RNG is untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return model


def build_tiny_llama(out_dir: Path, spec: TinyLlamaSpec = TinyLlamaSpec()) -> Path:
    """Writes tiny-llama in Hugging Face format to `out_dir` (created; must not exist)."""
    tokenizer = _train_tokenizer(spec)
    model = _build_model(spec, tokenizer)
    out_dir.mkdir(parents=True)
    tokenizer.save_pretrained(out_dir)
    model.save_pretrained(out_dir)
    return out_dir


def ensure_tiny_llama(models_dir: Path, spec: TinyLlamaSpec = TinyLlamaSpec()) -> Path:
    """The folder of tiny-llama under `models_dir`, building it on first use.

    Built in a temporary folder and renamed into place, so concurrent workers and interrupted
    builds never leave a half-written model where loaders look.
    """
    target = models_dir / spec.folder_name()
    if (target / "config.json").is_file():
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.folder_name()}.", dir=models_dir))
    try:
        build_tiny_llama(staging / "model", spec)
        try:
            os.rename(staging / "model", target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
