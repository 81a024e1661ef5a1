"""Turn pydantic's validation errors into messages that say what is wrong and what to do."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]


def clean_loc(data: Any, loc: tuple[Any, ...], kind: str = "") -> Loc:
    """Drop pydantic's union-member tags from ``loc``, keeping the steps that exist in data."""
    clean: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict) and part in node:
            clean.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            clean.append(part)
            node = node[part]
        elif isinstance(node, dict) and last and kind in ("missing", "extra_forbidden"):
            clean.append(part)  # a missing key: reported at its parent
        # anything else is a union tag such as 'Hotfix' or "literal['next-release']"
    return tuple(clean)


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    return [annotation]


def _step(annotation: Any, part: str | int) -> list[Any]:
    found: list[Any] = []
    for member in _unwrap(annotation):
        origin = typing.get_origin(member)
        if isinstance(part, int) and origin is list:
            found.extend(_unwrap(typing.get_args(member)[0]))
        elif isinstance(part, str) and origin is dict:
            found.extend(_unwrap(typing.get_args(member)[1]))
        elif isinstance(part, str) and isinstance(member, type) and issubclass(member, BaseModel):
            field = _field(member, part)
            if field is not None:
                found.extend(_unwrap(field))
    return found


def _field(model: type[BaseModel], key: str) -> Any | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def allowed_keys(root: type[BaseModel], parent: Loc) -> list[str]:
    """The keys a mapping at ``parent`` may hold, walking the model's annotations."""
    current: list[Any] = [root]
    for part in parent:
        current = [n for c in current for n in _step(c, part)]
    keys: list[str] = []
    for member in current:
        if isinstance(member, type) and issubclass(member, BaseModel):
            keys.extend(info.alias or name for name, info in member.model_fields.items())
    return list(dict.fromkeys(keys))


def _choices(expected: str) -> str:
    return expected.replace("'", "").replace(" or ", ", ")


def describe(root: type[BaseModel], data: Any, error: ValidationError) -> Iterator[tuple[Loc, str]]:
    """Yield (location, message) per distinct problem, most useful message first."""
    best: dict[Loc, Any] = {}
    for item in error.errors(include_url=False):
        loc = clean_loc(data, item["loc"], item["type"])
        # One message per place: the members of a union each say what they expected;
        # a literal's list of choices says it best.
        if loc not in best or (
            item["type"] in ("literal_error", "enum")
            and best[loc]["type"] not in ("literal_error", "enum")
        ):
            best[loc] = item
    for loc, item in best.items():
        if any(other[: len(loc)] == loc and len(other) > len(loc) for other in best):
            continue  # a deeper problem inside this value explains it better
        yield loc, _message(root, loc, item)


def _message(root: type[BaseModel], loc: Loc, item: Any) -> str:
    kind = item["type"]
    where = dotted(loc)
    value = item.get("input")
    ctx = item.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        allowed = allowed_keys(root, loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key {key!r}: {hint}allowed keys are {', '.join(allowed)}"
    if kind == "missing":
        return f"missing required key {str(loc[-1])!r}" + (
            f" in {dotted(loc[:-1])}" if len(loc) > 1 else ""
        )
    prefix = f"{where}: " if where else ""
    if kind in ("literal_error", "enum"):
        return f"{prefix}{value!r} is not one of {_choices(str(ctx.get('expected', '')))}"
    if kind == "string_pattern_mismatch":
        return f"{prefix}{value!r} does not have the expected form ({_pattern_hint(loc)})"
    if kind == "too_short" and isinstance(value, list):
        return f"{prefix}needs at least {ctx.get('min_length', 1)} item(s)"
    if kind == "string_too_short":
        return f"{prefix}must not be empty"
    if kind == "string_type":
        return f"{prefix}expected text, got {_yaml_type(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{prefix}expected a mapping (key: value), got {_yaml_type(value)}"
    if kind == "list_type":
        return f"{prefix}expected a list, got {_yaml_type(value)}"
    if kind in ("int_type", "int_parsing"):
        return f"{prefix}expected a whole number, got {value!r}"
    message = str(item["msg"]).removeprefix("Value error, ")
    return f"{prefix}{message}"


_PATTERN_HINTS = {
    "id": "INC-YYYY-NNNN, e.g. INC-2026-0042",
    "incident": "INC-YYYY-NNNN, e.g. INC-2026-0042",
    "incidents": "INC-YYYY-NNNN, e.g. INC-2026-0042",
    "duplicate_of": "INC-YYYY-NNNN, e.g. INC-2026-0042",
    "tracker": "github:owner/repo#123 or jira:PAY-123",
    "key": "lower-case letters, digits, '.', '_' or '-', e.g. payment-timeout",
    "name": "letters, digits, '.', '_' or '-', e.g. gold",
    "calendar": "a calendar name, e.g. emea-support",
    "github": "owner/repo",
    "project": "a Jira project key such as PAY",
}


def _pattern_hint(loc: Loc) -> str:
    for part in reversed(loc):
        if isinstance(part, str):
            return _PATTERN_HINTS.get(part, "see `incidentctl schema`")
    return "see `incidentctl schema`"


def _yaml_type(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return f"{value!r}"
