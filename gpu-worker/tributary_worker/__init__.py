"""Tributary GPU worker: trains LoRA adapters and serves them for a Tributary server."""

__version__ = "0.1.0"
