from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tributary_worker.models.resolver import ModelNotAvailable, ModelResolver, load_model, load_tokenizer, parse_models_arg
from tributary_worker.models.tiny_llama import TinyLlamaSpec, build_tiny_llama, ensure_tiny_llama
from tributary_worker.transfer import TransferError


def test_tiny_llama_is_deterministic_per_seed(tmp_path: Path, tiny_path: Path) -> None:
    again = build_tiny_llama(tmp_path / "again")
    other = build_tiny_llama(tmp_path / "other", TinyLlamaSpec(seed=1))
    files = sorted(p.name for p in tiny_path.iterdir())
    assert {"config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"} <= set(files)
    for name in files:
        assert (again / name).read_bytes() == (tiny_path / name).read_bytes(), name
    assert (other / "model.safetensors").read_bytes() != (tiny_path / "model.safetensors").read_bytes()
    assert (other / "tokenizer.json").read_bytes() == (tiny_path / "tokenizer.json").read_bytes()


def test_tiny_llama_loads_with_auto_classes(tiny_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_path)
    tokenizer = AutoTokenizer.from_pretrained(tiny_path)
    config = model.config
    assert (config.model_type, config.hidden_size, config.num_hidden_layers) == ("llama", 64, 2)
    assert (config.num_attention_heads, config.num_key_value_heads) == (4, 2)
    assert config.vocab_size == len(tokenizer)
    text = "Ünïcode, emoji 🙂 and code: def f(x): return x"
    assert tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"]) == text


def test_chat_template_marks_roles_and_generation_prompt(tokenizer) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
    ]
    assert tokenizer.apply_chat_template(messages, tokenize=False) == (
        "<|begin|><|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n"
    )
    prompt = tokenizer.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|user|>\nHi<|end|>\n<|assistant|>\n")
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert tokenizer.convert_tokens_to_ids("<|assistant|>") in ids  # one special token, not split
    assert tokenizer.eos_token == "<|end|>"
    with pytest.raises(Exception, match="role must be system, user or assistant"):
        tokenizer.apply_chat_template([{"role": "bot", "content": "x"}], tokenize=False)


def test_ensure_tiny_llama_builds_once(worker_cache: Path, tiny_path: Path) -> None:
    before = (tiny_path / "model.safetensors").stat().st_mtime_ns
    assert ensure_tiny_llama(worker_cache / "models") == tiny_path
    assert (tiny_path / "model.safetensors").stat().st_mtime_ns == before
    staging = [p.name for p in (worker_cache / "models").iterdir() if p.name.startswith(f".{tiny_path.name}.")]
    assert staging == []  # no leftover build folders


def test_mirror_folder_serves_hub_ids(tmp_path: Path, worker_cache: Path, tiny_path: Path) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(tiny_path, mirror / "acme" / "tiny-chat")
    resolver = ModelResolver(cache_dir=worker_cache, model_dir=mirror, extra_models=("Qwen/Qwen2.5-0.5B-Instruct",))
    assert resolver.available() == ["tiny-llama", "acme/tiny-chat", "Qwen/Qwen2.5-0.5B-Instruct"]
    source = resolver.resolve("acme/tiny-chat")
    assert (source.kind, source.location) == ("mirror", str(mirror / "acme" / "tiny-chat"))
    import torch

    model = load_model(source, torch.float32, "cpu")
    assert load_tokenizer(source).eos_token == "<|end|>"
    assert model.config.hidden_size == 64


def test_resolver_sources_and_refusals(tmp_path: Path, worker_cache: Path) -> None:
    resolver = ModelResolver(cache_dir=worker_cache, model_dir=tmp_path, extra_models=("Qwen/Qwen2.5-0.5B-Instruct",))
    assert resolver.resolve("tiny-llama").kind == "built"
    offered = resolver.resolve("Qwen/Qwen2.5-0.5B-Instruct")
    assert (offered.kind, offered.location) == ("hub", "Qwen/Qwen2.5-0.5B-Instruct")
    with pytest.raises(ModelNotAvailable, match="--models HuggingFaceTB/SmolLM2-135M-Instruct"):
        resolver.resolve("HuggingFaceTB/SmolLM2-135M-Instruct")
    with pytest.raises(ModelNotAvailable, match="--models acme/secret"):
        resolver.resolve("acme/secret")
    for bad in ("../etc/passwd", "/abs/path", "a/../b", "acme/x/y", "acme/.."):
        with pytest.raises(ModelNotAvailable, match="is not valid"):
            resolver.resolve(bad)
    assert parse_models_arg(" a/b, c/d ,") == ("a/b", "c/d")
    with pytest.raises(ModelNotAvailable):
        parse_models_arg("a/b,../x")


def test_hub_id_loads_from_the_hub_cache_offline(tmp_path: Path, tiny_path: Path) -> None:
    """The Hub path is the real from_pretrained(repo_id); here it reads a local Hub cache."""
    hub_cache = tmp_path / "hub"
    revision = "0" * 40
    snapshot = hub_cache / "models--acme--tiny-chat" / "snapshots" / revision
    shutil.copytree(tiny_path, snapshot)
    (hub_cache / "models--acme--tiny-chat" / "refs").mkdir()
    (hub_cache / "models--acme--tiny-chat" / "refs" / "main").write_text(revision)
    script = (
        "import torch\n"
        "from pathlib import Path\n"
        "from tributary_worker.models.resolver import ModelResolver, load_model, load_tokenizer\n"
        "r = ModelResolver(cache_dir=Path(r'%s'), extra_models=('acme/tiny-chat',))\n"
        "s = r.resolve('acme/tiny-chat')\n"
        "m = load_model(s, torch.float32, 'cpu'); t = load_tokenizer(s)\n"
        "print(s.kind, m.config.hidden_size, t.eos_token)\n"
    ) % (tmp_path / "cache")
    env = {**os.environ, "HF_HUB_CACHE": str(hub_cache), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hub 64 <|end|>"


def test_hosted_model_is_fetched_once_and_whole(tmp_path: Path, tiny_path: Path) -> None:
    import torch
    from fake_server import FakeServer

    resolver = ModelResolver(cache_dir=tmp_path / "cache")
    with FakeServer() as server:
        files = []
        for path in sorted(tiny_path.iterdir()):
            server.blobs[f"base-models/acme/m/{path.name}"] = path.read_bytes()
            files.append({"name": path.name, "url": server.blob_url(f"base-models/acme/m/{path.name}"), "sizeBytes": path.stat().st_size})
        folder = resolver.fetch_hosted("acme/m", files)
        assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(p.name for p in tiny_path.iterdir())
        source = resolver.resolve("acme/m")
        assert (source.kind, source.location) == ("hosted", str(folder))
        assert load_model(source, torch.float32, "cpu").config.hidden_size == 64

        # The same files again: nothing is downloaded (the blobs are gone, so a GET would fail).
        blobs = dict(server.blobs)
        server.blobs.clear()
        assert ModelResolver(cache_dir=tmp_path / "cache").fetch_hosted("acme/m", files) == folder

        # A new copy whose download fails leaves the cached one as it was, and no scratch folder.
        server.blobs.update(blobs)
        changed = [*files[:-1], {**files[-1], "sizeBytes": files[-1]["sizeBytes"] + 1}]
        with pytest.raises(TransferError, match="bytes"):
            resolver.fetch_hosted("acme/m", changed)
        assert (folder / "config.json").is_file()
        assert sorted(p.name for p in folder.parent.iterdir()) == ["m"]

        with pytest.raises(ModelNotAvailable, match="not a relative path"):
            resolver.fetch_hosted("acme/m", [{**files[0], "name": "../evil"}])
        with pytest.raises(ModelNotAvailable, match="is not valid"):
            resolver.fetch_hosted("../x", files)
