"""Files: atomic output (write to a temporary file in the same folder, fsync, then rename over the target) and
digests read a block at a time."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from redline.errors import RedlineError

UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]|^\.+')
"""Characters no file name may hold on the systems reviewers use (and a leading dot, which hides a file)."""


@contextmanager
def atomic_path(path, *, overwrite: bool = True):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename, else it is removed."""
    path = Path(path)
    if not overwrite:
        refuse_existing(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(descriptor)
    os.unlink(temporary)  # writers such as GDAL want to create the file themselves
    try:
        yield Path(temporary)
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def refuse_existing(*paths) -> None:
    """Refuse (``RedlineError``) when any of ``paths`` (None: none) already exists."""
    for path in paths:
        if path and Path(path).exists():
            raise RedlineError(f"{path} 已存在 / exists; pass overwrite=True to replace it")


def write_atomic(path, text: str | bytes, *, overwrite: bool = True) -> Path:
    """Write ``text`` (UTF-8, or bytes as they are) to ``path`` so readers see the old file or the whole new one,
    never a part."""
    with atomic_path(path, overwrite=overwrite) as temporary:
        if isinstance(text, bytes):
            temporary.write_bytes(text)
        else:
            temporary.write_text(text, encoding="utf-8")
    return Path(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_file(path) -> str:
    """Hex SHA-256 of a file's bytes, read a block at a time (a large input is never held whole); of a folder (a
    File Geodatabase), of each file's name and digest in name order."""
    path = Path(path)
    if path.is_dir():
        listing = "".join(f"{item.name}\0{sha256_file(item)}\n" for item in sorted(path.iterdir()) if item.is_file())
        return hashlib.sha256(listing.encode()).hexdigest()
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
