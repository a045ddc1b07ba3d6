"""Quote exporters, one module per format (see issue 6)."""
