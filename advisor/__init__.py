"""advisor: pick the GPU cluster to rent for serving an LLM and quote its cost per million tokens."""

from __future__ import annotations

__version__ = "0.1.0"
