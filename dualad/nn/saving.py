"""``save`` and ``load``: checkpoints of nested state (state dicts, epochs, metrics) without
pickle, so loading a file never runs code.

A checkpoint is a zip archive: the structure as JSON, and every array as a ``.npy`` entry
read with ``allow_pickle=False``. It holds what state dicts are made of -- arrays, NumPy
scalars, tensors, numbers, strings, ``None``, and lists, tuples and dicts of them (dict keys
keep their types, e.g. the int keys of an optimizer's state). Floats round-trip exactly, so
a resumed run continues bit for bit. Whole objects (modules, optimizers) need ``pickle``.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np

from dualad.engines.tensor import Tensor
from dualad.nn.parameter import Parameter

__all__ = ["load", "save"]

_STRUCTURE = "structure.json"


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` (e.g. ``{"model": model.state_dict(), "optimizer": opt.state_dict()}``)
    to the file ``path``.

    Raises:
        TypeError: ``obj`` holds something other than arrays, tensors, numbers, strings,
            ``None``, lists, tuples and dicts (the message gives where).

    Examples:
        >>> import numpy as np, os, tempfile
        >>> from dualad import nn
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = os.path.join(tmp, "ckpt.dualad")
        ...     nn.save({"epoch": 3, "w": np.ones(2), 0: (1.5, None)}, path)
        ...     nn.load(path)
        {'epoch': 3, 'w': array([1., 1.]), 0: (1.5, None)}
    """
    arrays: dict[str, np.ndarray] = {}
    structure = _encode(obj, arrays, "obj")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_STRUCTURE, json.dumps(structure))
        for name, value in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, value, allow_pickle=False)


def load(path: str | os.PathLike[str]) -> Any:
    """Read an object written by :func:`save` (arrays with ``allow_pickle=False``)."""
    with zipfile.ZipFile(path) as archive:
        structure = json.loads(archive.read(_STRUCTURE))
        arrays = {}
        for name in archive.namelist():
            if name.endswith(".npy"):
                with archive.open(name) as f:
                    arrays[name[:-4]] = np.lib.format.read_array(f, allow_pickle=False)
    return _decode(structure, arrays)


def _encode(obj: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    if obj is None or isinstance(obj, (bool, int, float, str)) and not isinstance(obj, np.generic):
        return obj
    if isinstance(obj, (np.ndarray, np.generic)):
        if np.asarray(obj).dtype.hasobject:
            raise TypeError(f"dualad.nn.save: {where} is an object array, which needs pickle")
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"__array__" if isinstance(obj, np.ndarray) else "__scalar__": key}
    if isinstance(obj, Tensor):
        key = _encode(obj.detach().numpy(), arrays, where)["__array__"]
        return {"__tensor__": key, "requires_grad": obj.requires_grad,
                "parameter": isinstance(obj, Parameter)}
    if isinstance(obj, list):
        return [_encode(v, arrays, f"{where}[{k}]") for k, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{where}[{k}]") for k, v in enumerate(obj)]}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays, f"{where} key"), _encode(v, arrays, f"{where}[{k!r}]")]
                             for k, v in obj.items()]}
    raise TypeError(
        f"dualad.nn.save: {where} is a {type(obj).__name__}; save state dicts (arrays, "
        "numbers, strings, lists, tuples, dicts), e.g. model.state_dict(), or use pickle for "
        "whole objects")


def _decode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        return arrays[obj["__array__"]]
    if "__scalar__" in obj:
        return arrays[obj["__scalar__"]][()]
    if "__tensor__" in obj:
        value = arrays[obj["__tensor__"]]
        if obj["parameter"]:
            return Parameter(value, requires_grad=obj["requires_grad"])
        return Tensor(value, requires_grad=obj["requires_grad"])
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__dict__"]}
