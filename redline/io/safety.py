"""Checks on hostile containers before any driver opens them: zip archives and XML (KML).

Zip (shapefile zip, KMZ): members that climb out of the folder (absolute paths, ``..``, drive letters,
symbolic links), too many members, too many uncompressed bytes, or an extreme compression ratio (a zip
bomb) are refused. Nothing is extracted: GDAL reads members through ``/vsizip/``.
XML: a KML never needs a DTD, so any ``<!DOCTYPE`` or ``<!ENTITY`` (entity expansion, external
entities) is refused before the XML parser sees the file.
"""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from redline.errors import InputError, LimitError

MAX_MEMBERS = 200
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def check_zip(path: Path) -> list[str]:
    """Names of the members of a zip archive that passed every check; InputError otherwise."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError(f"{path}: not a readable zip archive ({error}); export it again") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise LimitError(f"{path}: {len(members)} members is over the {MAX_MEMBERS}-member limit for one project")
        total = 0
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", member.filename):
                raise InputError(f"{path}: member {member.filename!r} climbs out of the archive's folder (zip slip); "
                                 "refusing the archive")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise InputError(f"{path}: member {member.filename!r} is a symbolic link; refusing the archive")
            total += member.file_size
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO and member.file_size > 1 << 20:
                raise InputError(f"{path}: member {member.filename!r} expands {member.file_size / member.compress_size:,.0f}"
                                 " times (a zip bomb?); refusing the archive")
        if total > MAX_UNCOMPRESSED_BYTES:
            raise LimitError(f"{path}: {total:,} uncompressed bytes is over the {MAX_UNCOMPRESSED_BYTES:,}-byte limit")
        return [m.filename for m in members if not m.is_dir()]


def check_xml(data: bytes, *, source: str) -> None:
    """Refuse XML with a DTD or entity declarations (billion laughs, external entities)."""
    if DTD.search(data[:1 << 20]) or DTD.search(data):
        raise InputError(f"{source}: declares a DTD or XML entities, which a KML never needs (entity expansion or "
                         "external entities); remove the <!DOCTYPE …> and export it again")


def zipped_kml(path: Path, members: list[str]) -> bytes:
    """The KML text inside a KMZ, for ``check_xml``."""
    with zipfile.ZipFile(path) as archive:
        kml = [m for m in members if m.lower().endswith(".kml")]
        if not kml:
            raise InputError(f"{path}: a KMZ without a .kml member; export it again")
        return b"".join(archive.read(m) for m in kml)
