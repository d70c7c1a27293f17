from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tributary_worker
from tributary_worker import cli

SECRET = "tw_test_secret_0123456789"


@pytest.fixture(autouse=True)
def no_worker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeps a developer's own TRIBUTARY_* settings out of the tests."""
    monkeypatch.delenv(cli.URL_ENV, raising=False)
    monkeypatch.delenv(cli.TOKEN_ENV, raising=False)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if k not in (cli.URL_ENV, cli.TOKEN_ENV)}
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tributary_worker.cli", *args],
        capture_output=True,
        text=True,
        env=child_env,
        timeout=60,
        check=False,
    )


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err


def test_version_flag_prints_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tributary-worker {tributary_worker.__version__}\n"


def test_package_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tributary_worker", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tributary-worker {tributary_worker.__version__}"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://tributary.example.com", "found scheme 'ftp'"),
        ("tributary.example.com", "found no scheme"),
        ("https://", "has no host name"),
        ("http://tributary.example.com:notaport", "cannot be parsed"),
    ],
)
def test_invalid_url_is_rejected_with_a_clear_error(
    url: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = usage_error(["--url", url, "--token", SECRET], capsys)
    assert f"--url {url!r}" in err
    assert reason in err
    assert "e.g. https://" in err


def test_invalid_url_exits_non_zero_from_the_shell() -> None:
    result = run_cli("--url", "ftp://tributary.example.com", "--token", SECRET)
    assert result.returncode == 2
    assert "--url 'ftp://tributary.example.com' must start with http:// or https://" in result.stderr


def test_missing_url_names_flag_and_variable(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(["--token", SECRET], capsys)
    assert "--url is required" in err
    assert cli.URL_ENV in err


@pytest.mark.parametrize("token", ["", "   "])
def test_empty_token_is_rejected(token: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(["--url", "https://tributary.example.com", "--token", token], capsys)
    assert "--token is empty" in err


def test_missing_token_names_flag_and_variable(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(["--url", "https://tributary.example.com"], capsys)
    assert "--token" in err
    assert cli.TOKEN_ENV in err


def test_options_are_parsed(tmp_path) -> None:
    args = cli.parse_args([
        "--url", "https://tributary.example.com", "--token", SECRET, "--name", "gpu-1",
        "--models", "Qwen/Qwen2.5-0.5B-Instruct,acme/x", "--model-dir", str(tmp_path),
        "--work-dir", str(tmp_path / "w"), "--device", "cpu", "--once",
    ])
    assert (args.name, args.models, args.model_dir, args.device, args.once) == (
        "gpu-1", ("Qwen/Qwen2.5-0.5B-Instruct", "acme/x"), tmp_path, "cpu", True
    )


def test_bad_models_and_model_dir_are_rejected(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--url", "https://tributary.example.com", "--token", SECRET]
    assert "--models: model id '../x' is not valid" in usage_error([*base, "--models", "../x"], capsys)
    assert "is not a folder" in usage_error([*base, "--model-dir", str(tmp_path / "missing")], capsys)


def test_parse_args_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.URL_ENV, "https://tributary.example.com")
    monkeypatch.setenv(cli.TOKEN_ENV, f" {SECRET}\n")
    args = cli.parse_args([])
    assert (args.url, args.token) == ("https://tributary.example.com", SECRET)


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.URL_ENV, "ftp://stale.example.com")
    monkeypatch.setenv(cli.TOKEN_ENV, "stale")
    args = cli.parse_args(["--url", "https://tributary.example.com", "--token", SECRET])
    assert (args.url, args.token) == ("https://tributary.example.com", SECRET)


def test_bad_url_from_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(cli.URL_ENV, "localhost:3000")
    err = usage_error(["--token", SECRET], capsys)
    assert f"{cli.URL_ENV} 'localhost:3000'" in err


def test_empty_environment_variable_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(cli.URL_ENV, "")
    err = usage_error(["--token", SECRET], capsys)
    assert "--url is required" in err


def test_serve_options_are_parsed() -> None:
    base = ["--url", "https://tributary.example.com", "--token", SECRET]
    assert cli.parse_args(base).serve is None
    assert cli.parse_args([*base, "--serve"]).serve == cli.ServeArgs()
    args = cli.parse_args([
        *base, "--serve", "--serve-host", "0.0.0.0", "--serve-port", "9000", "--serve-url", "http://10.0.0.5:9000",
        "--serve-model", "acme/base", "--max-batch-size", "64", "--gpu-adapter-slots", "16", "--cpu-adapter-slots", "128",
    ])
    assert args.serve == cli.ServeArgs(
        host="0.0.0.0", port=9000, url="http://10.0.0.5:9000", model="acme/base", max_batch_size=64, gpu_adapter_slots=16,
        cpu_adapter_slots=128,
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--serve-port", "9000"], "--serve-port only applies to a serving worker: add --serve"),
        (["--serve", "--max-batch-size", "0"], "--max-batch-size 0 is out of range: use 1 to 4096"),
        (["--serve", "--serve-port", "70000"], "--serve-port 70000 is out of range"),
        (["--serve", "--gpu-adapter-slots", "8", "--cpu-adapter-slots", "4"], "--cpu-adapter-slots 4 is below --gpu-adapter-slots 8"),
        (["--serve", "--serve-url", "10.0.0.5:9000"], "--serve-url '10.0.0.5:9000'"),
        (["--serve", "--serve-model", "../x"], "--serve-model: model id '../x' is not valid"),
    ],
)
def test_bad_serve_options_are_rejected(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert message in usage_error(["--url", "https://tributary.example.com", "--token", SECRET, *argv], capsys)
