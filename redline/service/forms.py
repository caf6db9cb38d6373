"""What the API accepts: the upload form's fields (derived from ``redline.parameters``), a reviewer's decision with
overrides, log-in credentials."""

from __future__ import annotations

import html
import inspect
import re
from typing import Annotated, Literal

from fastapi import Form
from pydantic import BaseModel
from pydantic import Field as PydanticField

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
