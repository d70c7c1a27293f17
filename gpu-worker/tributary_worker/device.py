"""Which accelerator the worker uses, in what precision, and how it describes it to the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DeviceChoice = Literal["auto", "cpu", "cuda"]


class DeviceError(Exception):
    """The requested device is not usable on this machine."""


@dataclass(frozen=True)
class Device:
    """The torch device and the settings that go with it."""

    kind: Literal["cuda", "cpu", "mps"]
    """torch device type; also what the worker registers as `capabilities.device`."""

    name: str | None
    """GPU model name, e.g. "NVIDIA H100 80GB HBM3"; None on CPU."""

    memory_gb: float
    """Accelerator memory in GiB (0 on CPU)."""

    @property
    def torch_device(self) -> str:
        return self.kind

    def dtype(self):  # -> torch.dtype
        """bf16 on CUDA GPUs that support it (Ampere and newer), else fp32."""
        import torch

        if self.kind == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32

    def autocast(self):  # -> context manager
        """bf16 autocast on CUDA (LoRA weights stay fp32 while matmuls run in bf16); a no-op on CPU."""
        import contextlib

        import torch

        if self.dtype() == torch.bfloat16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()


def pick_device(choice: DeviceChoice = "auto") -> Device:
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            "--device cuda was given but torch sees no CUDA GPU (check nvidia-smi and that torch was "
            "installed with CUDA support), or use --device cpu"
        )
    if choice in ("auto", "cuda") and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return Device("cuda", props.name, round(props.total_memory / 2**30, 1))
    if choice == "auto" and torch.backends.mps.is_available():
        return Device("mps", "Apple GPU", 0.0)
    return Device("cpu", None, 0.0)
