"""Containers: modules that hold other modules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dualad.nn.module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """Apply modules one after the other; parameters are named ``"0.weight"``, ``"1.bias"``...

    Args:
        *layers: the modules in order, or a single mapping ``{name: module}`` to name them.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> [name for name, _ in model.named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
        >>> model(np.ones((5, 3), dtype=np.float32)).shape
        (5, 2)
    """

    def __init__(self, *layers: Module | Mapping[str, Module]) -> None:
        super().__init__()
        named: dict[str, Any] = (dict(layers[0]) if len(layers) == 1 and isinstance(layers[0], Mapping)
                                 else {str(i): m for i, m in enumerate(layers)})
        for name, m in named.items():
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {name!r} is a {type(m).__name__}, not a Module")
        self._layers: dict[str, Module] = named

    def _direct_members(self) -> Iterator[tuple[str, Any]]:
        yield "training", self.training
        yield from self._layers.items()

    def forward(self, x: Any) -> Any:
        """Feed ``x`` through each module in turn."""
        for m in self._layers.values():
            x = m(x)
        return x

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); returns ``self``."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: got a {type(module).__name__}, not a Module")
        self._layers[str(len(self._layers))] = module
        return self

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._layers.values())
        if isinstance(index, slice):
            return Sequential(*items[index])
        return items[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers.values())
