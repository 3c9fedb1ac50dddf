"""Private transport for :func:`dualad.datasets.download_mnist`.

Streams one URL into a temporary file next to its destination while hashing
it and showing progress; verification and renaming are the caller's job.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import importlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

__all__: list[str] = []


class _Progress:
    """Progress display: tqdm if installed, else a percentage on stderr."""

    def __init__(self, label: str, total: int | None, enabled: bool) -> None:
        self._label, self._total, self._enabled = label, total, enabled
        self._done, self._shown = 0, -1
        self._bar: Any = None
        if enabled:
            with contextlib.suppress(ImportError):
                tqdm: Any = importlib.import_module("tqdm")
                self._bar = tqdm.tqdm(
                    total=total, unit="B", unit_scale=True, desc=label
                )

    def update(self, n: int) -> None:
        self._done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self._enabled:
            # Percent when the size is known, else whole MiB received.
            shown = 100 * self._done // self._total if self._total else self._done >> 20
            if shown != self._shown:
                self._shown = shown
                unit = "%" if self._total else " MiB"
                sys.stderr.write(f"\r{self._label}: {shown}{unit}")
                sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
        self._enabled = False


def fetch_to_temp(
    url: str, dest: Path, *, progress: bool, timeout: float, hint: str
) -> tuple[Path, str]:
    """Download ``url`` into a temporary file in ``dest``'s directory.

    Returns:
        The temporary file (the caller renames or deletes it) and its md5.

    Raises:
        ConnectionError: If the URL cannot be fetched completely; the message
            ends with ``hint`` (how to install the files by hand).
    """
    offline = f"This machine appears to be offline or cannot reach the server. {hint}"
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as err:
        raise ConnectionError(
            f"could not download {url}: the server answered "
            f"HTTP {err.code} {err.reason}. {hint}"
        ) from err
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        msg = f"could not download {url} ({reason}). {offline}"
        raise ConnectionError(msg) from err
    fd, name = tempfile.mkstemp(
        dir=dest.parent, prefix=f".{dest.name}.", suffix=".part"
    )
    tmp = Path(name)
    try:
        with response, os.fdopen(fd, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            bar = _Progress(dest.name, total, progress)
            digest = hashlib.md5(usedforsecurity=False)
            received = 0
            while True:
                try:
                    chunk = response.read(1 << 16)
                except (OSError, http.client.HTTPException) as err:
                    bar.close()
                    msg = f"download of {url} was interrupted ({err}). {offline}"
                    raise ConnectionError(msg) from err
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
            bar.close()
        if total is not None and received != total:
            raise ConnectionError(
                f"download of {url} stopped after {received} of {total} bytes. "
                f"{offline}"
            )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest()
