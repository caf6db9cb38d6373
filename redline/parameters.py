"""What a user says about an input besides the file, declared once: how to read it (``READING``: the keywords of
``redline.io.read_project``), what the applicant declares (``DECLARATIONS``: the fields of ``redline.model.Options``)
and the particulars printed in the review documents (``PARTICULARS``: keywords of
``redline.report.filing.review_files``).

Every front derives its spelling from these tables: the CLI's options (``--search-m``), the service's form fields
(``search_m``), the batch's per-application columns. Library messages name a parameter as its keyword with ``=``
(``pass crs=EPSG:4490``, ``pass repair=True``) and each front respells them with ``spelled``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from redline.io.degrees import DEGREES


@dataclass(frozen=True)
class Parameter:
    """One thing a user may say: its keyword, its Chinese and English labels, a one-line help, its type and bounds."""

    name: str
    zh: str
    en: str
    help: str
    kind: type = str
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    """What a page shows for each of ``choices`` (zh and en), when the value alone does not say."""
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 200
    default: object = None
    pattern: str = ""
    """A regular expression text must match (a front's form checks it)."""
    batch_column: bool = False
    """Whether a batch's table may give it per application (a column of that name)."""
    example: str = ""

    @property
    def flag(self) -> str:
        """The CLI's spelling: ``--search-m``."""
        return "--" + self.name.replace("_", "-")


READING = (
    Parameter("crs", "坐标系", "CRS", "CRS of a file without one, or with a wrong one (a label, not a transform); "
              "gcj02 / bd09 convert lon/lat drawn on a Chinese web map", max_length=64, example="EPSG:4527"),
    Parameter("layer", "图层", "layer", "The layer holding the boundary in a file of several", max_length=128,
              example="红线"),
    Parameter("encoding", "属性编码", "attribute encoding", "Attribute encoding of a file that declares none",
              max_length=20, pattern="^[A-Za-z0-9_-]*$", example="GBK"),
    Parameter("degrees", "经纬度写法", "how lon/lat are written", "How a table's lon/lat are written when the values "
              "cannot say: decimal degrees, or dms (packed ddd.mmss, 117.2530 = 117°25′30″)", choices=DEGREES,
              choice_labels=("十进制度 decimal degrees (117.425)", "度分秒 ddd.mmss (117.2530 = 117°25′30″)")),
    Parameter("repair", "修复无效几何", "repair invalid geometry", "Repair invalid geometry with make_valid (the change "
              "is reported)", kind=bool, default=False),
)
"""How to read a boundary file: ``redline.io.read_project``'s keywords."""

DECLARATIONS = (
    Parameter("national_major", "国家重大项目", "national major project",
              "Declare a national major project (国家重大项目)", kind=bool, default=False, batch_column=True),
    Parameter("activity", "允许的有限人为活动", "allowed activity", "Declare one of the 10 allowed red-line activities",
              kind=int, minimum=1, maximum=10, batch_column=True),
    Parameter("setback_m", "海岸线退缩距离（米）", "coastal setback (m)",
              "Coastal setback (m) within which natural coast counts as taken", kind=float, minimum=0, maximum=10_000,
              default=200.0),
    Parameter("search_m", "邻近检索半径（米）", "search radius (m)",
              "Radius (m) within which an absent constraint reports its nearest feature", kind=float, minimum=0,
              maximum=20_000, default=2000.0),
)
"""What the applicant declares: the fields of ``redline.model.Options``."""

PARTICULARS = (
    Parameter("applicant", "申请单位", "applicant", "Applicant (申请单位) printed in the review documents",
              batch_column=True),
    Parameter("reference", "文号", "reference", "Reference number (文号) printed in the review documents", max_length=100,
              batch_column=True, example="津审〔2026〕7号"),
    Parameter("project_code", "项目代码", "project code",
              "Project code (项目代码, e.g. from the investment project platform) printed in the review documents",
              max_length=64, batch_column=True, example="2026-120116-48-01-000001"),
)
"""What the review documents print about the application."""

WRITING = (Parameter("overwrite", "覆盖", "overwrite", "Replace output files that exist", kind=bool, default=False),)
"""How to write results."""

PARAMETERS = {parameter.name: parameter for parameter in (*READING, *DECLARATIONS, *PARTICULARS, *WRITING)}

_NAMED = re.compile(r"\b(" + "|".join(sorted(PARAMETERS, key=len, reverse=True)) + r")=(True\b|…)?")


def spelled(message: str, spelling: Callable[[Parameter, bool], str]) -> str:
    """``message`` with each ``name=`` of a parameter in a front's spelling: ``spelling(parameter, bare)`` gives the
    text that replaces it; ``bare`` when the message named the parameter alone (``repair=True`` for a flag,
    ``layer=…`` for "give a value"), else a value follows (``crs=EPSG:4527``)."""
    return _NAMED.sub(lambda match: spelling(PARAMETERS[match.group(1)], bool(match.group(2))), message)


def cli_spelling(parameter: Parameter, bare: bool) -> str:
    """``crs=EPSG:4527`` → ``--crs EPSG:4527``; ``crs=…`` → ``--crs``; ``repair=True`` → ``--repair``."""
    return parameter.flag if bare else parameter.flag + " "


def form_spelling(parameter: Parameter, bare: bool) -> str:
    """``crs=EPSG:4527`` → ``the form field crs=EPSG:4527``; ``crs=…`` and ``repair=True`` → ``the form field crs`` /
    ``repair``."""
    return f"the form field {parameter.name}" + ("" if bare else "=")
