"""The review's legal basis (审查依据) and the wording of its opinions, read from templates: data, not code.

redline ships the national defaults (``review.toml`` beside this module); a manifest may name a file of its own
(``[manifest] review = "review.toml"``) whose instruments are added after them and whose opinions replace theirs.
Placeholders are checked when the templates are read, so a mistyped one is refused then, never while a document
is being made.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from redline.errors import ManifestError

DEFAULTS = Path(__file__).with_name("review.toml")
PLACEHOLDERS = {"title", "amount", "features", "nearest", "basis", "activity", "setback", "year", "seq"}
STATUS_KEYS = ("violation", "review", "pass", "clear")


@dataclass(frozen=True)
class Instrument:
    """One instrument of the legal basis: who issued it, its title, its number (文号) and the articles relied on."""

    title: str = ""
    issuer: str = ""
    number: str = ""
    articles: str = ""

    def cite(self) -> str:
        """'自然资源部《关于……的通知（试行）》（自然资发〔2022〕142号）', '《中华人民共和国土地管理法》第三十五条'."""
        text = f"{self.issuer}《{self.title}》" if self.title else self.issuer
        if self.number:
            text += f"（{self.number}）" if text else self.number
        return text + self.articles


@dataclass(frozen=True)
class Templates:
    """Instruments that apply to every check, and per rule its instruments and opinion texts."""

    general: tuple[Instrument, ...] = ()
    basis_of: dict[str, tuple[Instrument, ...]] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    document: dict[str, str] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    """Names of codes by kind: ``landcover`` (raster values), ``land_category`` (land-use code prefix → 农用地/…)."""
    files: tuple[str, ...] = ()
    """The template files read, by name (for the document's data block)."""

    def basis(self, rule: str) -> tuple[Instrument, ...]:
        return self.basis_of.get(rule, ())

    def document_names(self, kind: str) -> dict[str, str]:
        return self.names.get(kind, {})

    def text(self, rule: str, keys) -> str | None:
        """The first of ``keys`` this rule's texts have, else the first the default texts have."""
        for table in (self.texts.get(rule, {}), self.texts.get("default", {})):
            for key in keys:
                if key in table:
                    return table[key]
        return None


def read_templates(path: Path | None = None) -> Templates:
    """The national defaults, with the file at ``path`` (a manifest's review file) added when given."""
    templates = _read(DEFAULTS)
    return templates if path is None else _merged(templates, _read(Path(path)))


def _read(path: Path) -> Templates:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ManifestError(f"{path}: 无法读取审查模板 / cannot read the review templates ({error})") from None
    rules = data.get("rules", {})
    problems = []
    for rule, table in rules.items():
        for key, text in table.items():
            if key == "basis":
                continue
            if not isinstance(text, str) or key.split("_")[0] not in STATUS_KEYS:
                problems.append(f"rules.{rule}.{key} is not an opinion text (violation, review, pass, clear …)")
                continue
            unknown = {name for _, name, _, _ in string.Formatter().parse(text) if name} - PLACEHOLDERS
            if unknown:
                problems.append(f"rules.{rule}.{key} names {', '.join(sorted(unknown))}; "
                                f"known: {', '.join(sorted(PLACEHOLDERS))}")
    if problems:
        raise ManifestError(f"{path}: 审查模板有误 / the review templates are wrong: " + "; ".join(problems))
    try:
        return Templates(
            general=tuple(Instrument(**entry) for entry in data.get("basis", [])),
            basis_of={rule: tuple(Instrument(**entry) for entry in table.get("basis", [])) for rule, table in rules.items()},
            texts={rule: {k: v for k, v in table.items() if k != "basis"} for rule, table in rules.items()},
            document={k: str(v) for k, v in data.get("document", {}).items()},
            names={kind: {str(code): str(name) for code, name in table.items()}
                   for kind, table in data.get("names", {}).items()}, files=(f"{path.parent.name}/{path.name}",))
    except TypeError as error:
        raise ManifestError(f"{path}: 审查依据条目有误 / an instrument has an unknown key ({error}); use issuer, title, "
                            "number, articles") from None


def _merged(base: Templates, local: Templates) -> Templates:
    rules = set(base.texts) | set(local.texts)
    return Templates(
        general=base.general + local.general,
        basis_of={rule: base.basis(rule) + local.basis(rule) for rule in set(base.basis_of) | set(local.basis_of)},
        texts={rule: {**base.texts.get(rule, {}), **local.texts.get(rule, {})} for rule in rules},
        document={**base.document, **{k: v for k, v in local.document.items() if v}},
        names={kind: {**base.names.get(kind, {}), **local.names.get(kind, {})} for kind in set(base.names) | set(local.names)},
        files=base.files + local.files)
