"""The kernel: the op registry, levels and bind, pytrees, errors."""
