"""Text decoding for planners' text formats (CSV, TXT) and shapefile attributes (DBF).

Text files: a BOM decides (UTF-8, UTF-16 LE/BE); else UTF-8; else UTF-16 recognised by its NUL bytes; else
GB18030 (a superset of GBK, what Chinese Windows writes). A DBF without ``.cpg``: its language-driver byte
when it names a code page, else the records decoded as UTF-8, else GBK. Every choice not declared by the
file itself is a correction (``redline.errors.correct``); nothing is decoded as Latin-1 silently.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from redline.errors import InputError, correct

BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
DBF_LANGUAGE_DRIVERS = {0x4D: "GBK", 0x7A: "GBK", 0x4F: "Big5", 0x4E: "CP949", 0x4C: "CP932", 0x57: None, 0x00: None}
"""A DBF header's language-driver id (byte 29) → encoding; None: it names none (0x57 is 'ANSI', the system code page)."""


def decode_text(path: Path, encoding: str | None = None) -> str:
    """The file's text in ``encoding``, or in the encoding its bytes show (see the module)."""
    data = path.read_bytes()
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise InputError(f"{path}: 文本不是 {encoding} 编码 / the text is not in {encoding}; "
                             "pass encoding=… with its encoding") from None
    declared = next((name for bom, name in BOMS if data.startswith(bom)), None)
    for candidate in [declared] if declared else ["utf-8", _utf16_without_bom(data), "gb18030"]:
        if candidate is None:
            continue
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if candidate not in ("utf-8", declared) and not text.isascii():
            correct("encoding_guessed", str(path), f"文件未声明编码，按 {candidate.upper()} 读取",
                    f"the file declares no encoding; read as {candidate.upper()}")
        return text
    raise InputError(f"{path}: 文本不是 UTF-8、UTF-16 或 GBK 编码 / the text is not in UTF-8, UTF-16 or GBK; "
                     "pass encoding=… with its encoding")


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when every other byte is NUL, as in BOM-less UTF-16 of ASCII-heavy text."""
    if len(data) < 4 or len(data) % 2:
        return None
    if data[1::2].count(0) > 0.4 * len(data) / 2:
        return "utf-16-le"
    if data[0::2].count(0) > 0.4 * len(data) / 2:
        return "utf-16-be"
    return None


DBF_SAMPLE_BYTES = 1 << 20
"""Bytes of a DBF's records that ``dbf_encoding`` decodes: enough for the attributes of any boundary file."""


def dbf_encoding(data: bytes, *, source: str) -> str | None:
    """The encoding of a DBF's text (its first bytes: header and up to ``DBF_SAMPLE_BYTES`` of records) when no
    ``.cpg`` says it; None when the text is ASCII."""
    if len(data) < 32:
        return None
    header_length = int.from_bytes(data[8:10], "little")
    records = data[header_length:header_length + DBF_SAMPLE_BYTES]
    driver = DBF_LANGUAGE_DRIVERS.get(data[29], None)
    if records.isascii():
        return None
    if driver:
        correct("encoding_declared", source, f"属性表无 .cpg，按 DBF 语言驱动标记读作 {driver}",
                f"no .cpg; attributes read as {driver}, the DBF's language-driver byte")
        return driver
    for candidate in ("UTF-8", "GBK"):
        try:  # a sample may end inside a character: decoded as the start of a stream, not a whole text
            codecs.getincrementaldecoder("gb18030" if candidate == "GBK" else candidate)().decode(records, final=False)
        except UnicodeDecodeError:
            continue
        correct("encoding_guessed", source, f"属性表无 .cpg，按内容读作 {candidate}；如有误请指定编码",
                f"no .cpg; attributes read as {candidate} from their bytes; pass the encoding if that is wrong")
        return candidate
    raise InputError(f"{source}: 属性表编码无法判断 / the attribute encoding is neither UTF-8 nor GBK; "
                     "add a .cpg or pass encoding=…")
