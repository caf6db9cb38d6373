"""What the API accepts: the upload form's fields (derived from ``redline.parameters``) and its files (one, or a
shapefile's parts), the listing's filters, a reviewer's decision with overrides, log-in credentials; whose turn a
request's job takes (its client address)."""

from __future__ import annotations

import html
import inspect
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Form, HTTPException, Query, Request, UploadFile
from pydantic import BaseModel
from pydantic import Field as PydanticField

from redline.io.cleaning import UNSAFE
from redline.io.formats import MULTIPART_FORMATS, UNREAD_FORMATS, UPLOADABLE_SUFFIXES
from redline.parameters import Parameter


class Override(BaseModel):
    """A reviewer's override of one generated finding: the status it should have, and why (required)."""

    rule: str = PydanticField(max_length=64)
    status: Literal["violation", "review", "pass", "clear"]
    reason: str = PydanticField(min_length=1, max_length=2000)


class Decision(BaseModel):
    """A reviewer's decision on a check: approve (已通过), return for correction (退回补正) or reject (不予通过)."""

    decision: Literal["approve", "return", "reject"]
    opinion: str = PydanticField(default="", max_length=4000)
    overrides: list[Override] = PydanticField(default_factory=list, max_length=50)


class Credentials(BaseModel):
    name: str = PydanticField(min_length=1, max_length=64)
    password: str = PydanticField(min_length=1, max_length=1024)


STATES = {"approve": ("approved", "已通过"), "return": ("returned", "退回补正"), "reject": ("rejected", "不予通过")}
ISO_DATE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
"""An ISO 8601 date, or date and time (the ``since`` of the checks listing)."""




def form_fields(parameters):
    """A decorator giving a route that takes ``**fields`` one form field per ``redline.parameters.Parameter``, with
    its type, bounds and label, for FastAPI to validate and document (put it below ``@app.post``: FastAPI reads the
    signature when the route is registered); a field left out takes the parameter's default (text: empty)."""
    def with_fields(route):
        signature = inspect.signature(route)
        fixed = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        route.__signature__ = signature.replace(parameters=[*fixed, *(_form_field(parameter) for parameter in parameters)])
        return route
    return with_fields


def _form_field(parameter: Parameter) -> inspect.Parameter:
    constraints: dict = {}
    if parameter.kind is str:
        constraints["max_length"] = parameter.max_length
        if parameter.choices:
            constraints["pattern"] = "^(|" + "|".join(map(re.escape, parameter.choices)) + ")$"
        elif parameter.pattern:
            constraints["pattern"] = parameter.pattern
    if parameter.minimum is not None:
        constraints["ge"] = parameter.minimum
    if parameter.maximum is not None:
        constraints["le"] = parameter.maximum
    default = "" if parameter.kind is str else parameter.default
    kind = parameter.kind if default is not None else parameter.kind | None
    field = Form(description=f"{parameter.zh} / {parameter.help}", **constraints)
    return inspect.Parameter(parameter.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, field])


def form_html(parameters) -> str:
    """The planner page's fields for ``parameters``: a checkbox for a flag, a list for a choice or a small range, a
    number or text box otherwise; each named and labelled (zh, en) as declared, its help as its title."""
    return "\n".join(_field_html(parameter) for parameter in parameters)


def _field_html(parameter: Parameter) -> str:
    label = f'<span class="zh">{html.escape(parameter.zh)}</span> <span class="en">{html.escape(parameter.en)}</span>'
    title = html.escape(parameter.help, quote=True)
    name = html.escape(parameter.name, quote=True)
    if parameter.kind is bool:
        return f' <label title="{title}"><input id="{name}" name="{name}" type="checkbox"> {label}</label>'
    values, shown = parameter.choices, parameter.choice_labels or parameter.choices
    if not values and parameter.kind is int and parameter.maximum is not None and parameter.maximum - parameter.minimum < 20:
        values = shown = tuple(str(value) for value in range(int(parameter.minimum), int(parameter.maximum) + 1))
    if values:
        options = "".join(f'<option value="{html.escape(value, quote=True)}">{html.escape(text)}</option>'
                          for value, text in zip(values, shown))
        return (f' <label title="{title}">{label} <select id="{name}" name="{name}"><option value="">—</option>'
                f'{options}</select></label>')
    if parameter.kind in (int, float):
        bounds = "".join(f' {key}="{value:g}"' for key, value in (("min", parameter.minimum), ("max", parameter.maximum))
                         if value is not None)
        default = f' value="{parameter.default:g}"' if parameter.default is not None else ""
        return (f' <label title="{title}">{label} <input id="{name}" name="{name}" type="number" step="any"'
                f'{bounds}{default}></label>')
    example = f' placeholder="{html.escape(parameter.example, quote=True)}"' if parameter.example else ""
    return (f' <label title="{title}">{label} <input id="{name}" name="{name}" maxlength="{parameter.max_length}"'
            f'{example}></label>')


def client_of(request: Request) -> str:
    """The address a request comes from: whose turn a job takes in the queue."""
    return request.client.host if request.client else ""


def uploaded_parts(files: list[UploadFile]) -> tuple[str, str, list[tuple[UploadFile, str]]]:
    """The project's name (its main file's, cleaned), its suffix, and each uploaded file with the suffix it is kept
    under: one file of a format that is one file, or a shapefile's parts (one name; .shp, .shx and .dbf at least).
    415 for a format not read or not one file, 422 for files that are not one shapefile's parts."""
    names = [UNSAFE.sub("", part.filename or "upload")[-200:] or "upload" for part in files]
    suffixes = [Path(name).suffix.lower() for name in names]
    main = next((index for index, suffix in enumerate(suffixes) if suffix in MULTIPART_FORMATS), 0)
    name, suffix = names[main], suffixes[main]
    if suffix in UNREAD_FORMATS:
        raise HTTPException(415, f"{name}: {UNREAD_FORMATS[suffix][0]} / {UNREAD_FORMATS[suffix][1]}")
    found = MULTIPART_FORMATS.get(suffix)
    if found is None:
        if len(files) == 1 and suffix in UPLOADABLE_SUFFIXES:
            return name, suffix, [(files[0], suffix)]
        if len(files) > 1:
            raise HTTPException(422, f"{len(files)} 个文件 / {len(files)} files: 一次上传一个项目，多个文件只能是同一 "
                                     "shapefile 的各部分 / one project per upload: several files must be one shapefile's "
                                     "parts (.shp, .shx, .dbf, .prj, .cpg of one name); send each project on its own")
        hint = "; send the .shp with its .shx, .dbf and .prj, or zip them" if suffix in (".shx", ".dbf", ".prj") else ""
        raise HTTPException(415, f"{name}: 不支持的格式 / unknown format {suffix or '(no suffix)'}; send one of "
                                 f"{', '.join(UPLOADABLE_SUFFIXES)}{hint}")
    stem = Path(name).stem.lower()
    strays = [n for n, s in zip(names, suffixes) if Path(n).stem.lower() != stem or s not in (suffix, *found.parts)]
    missing = [part for part in found.parts[:found.needed] if part not in suffixes]
    if strays or missing or len(set(suffixes)) != len(suffixes):
        raise HTTPException(422, f"{name}: {found.name} 的文件不全或不属于它 / not one {found.name}'s parts: "
                                 + "; ".join([*(f"缺 / lacks {part}" for part in missing),
                                              *(f"{stray} 不是它的部分 / is not one of its parts" for stray in strays[:5]),
                                              *(["重复的部分 / a part twice"] if len(set(suffixes)) != len(suffixes) else [])])
                                 + f"; send {suffix} with {', '.join(found.parts)} of the same name, or zip them")
    return name, suffix, list(zip(files, suffixes))


LEDGER_ROWS = 5000
"""At most this many checks in one ledger download (narrow the filters for more)."""


def listing_filters(verdict: Literal["pass", "review", "violation"] | None = None,
                    since: Annotated[str | None, Query(pattern=ISO_DATE, max_length=40,
                                                       description="only checks made at or after (ISO 8601)")] = None,
                    q: Annotated[str | None, Query(max_length=200, description="text in the project's name or file")] = None,
                    id: Annotated[list[str] | None, Query(description="only these checks (at most 200)")] = None,
                    ) -> dict:
    """The filters of the listing and the ledger (``Store.find``): ``since`` as a UTC time; 422 if it is none."""
    if id is not None and (len(id) > 200 or any(len(one) > 64 for one in id)):
        raise HTTPException(422, "id: 至多 200 个检查编号 / at most 200 check ids of at most 64 characters")
    try:
        moment = None if since is None else datetime.fromisoformat(since.replace("Z", "+00:00"))
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(timezone.utc) if moment else None  # year 1 at +01:00 is before year 1 UTC
    except (ValueError, OverflowError):
        raise HTTPException(422, f"since={since!r}: 不是可用的 ISO 8601 时间 / not a usable ISO 8601 date or time") from None
    return {"verdict": verdict, "since": moment.isoformat() if moment else None, "q": q, "ids": tuple(id or ())}
