"""kubesim: a Kubernetes API server emulator for the demo and end-to-end tests (see README.md)."""

from kubesim.sim import KubeSim

__all__ = ["KubeSim"]
