"""Turn pydantic's validation errors into messages that say what is wrong and what to do."""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from incidentctl.model.types import Date, Duration, Handle, Percent, Timestamp, shown
from incidentctl.suggest import did_you_mean

Loc = tuple[str | int, ...]

_KEY_TAG = "[key]"  # pydantic's marker for an error in a mapping's key, not its value


def clean_loc(data: Any, loc: tuple[Any, ...], kind: str = "") -> Loc:
    """Drop pydantic's union-member tags from ``loc``, keeping the steps that exist in data."""
    clean: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
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


# -- what the model expects at a place -------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    return [annotation]


def _field(model: type[BaseModel], key: str) -> Any | None:
    """A field's annotation with its metadata, so ``Timestamp`` is still recognisable."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            if info.metadata:
                return typing.Annotated[(info.annotation, *info.metadata)]
            return info.annotation
    return None


def _members(annotation: Any) -> list[Any]:
    """Union members, each kept with its ``Annotated`` metadata; ``None`` dropped."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    if annotation is type(None):
        return []
    if origin is typing.Annotated:
        inner = typing.get_args(annotation)[0]
        if typing.get_origin(inner) in (typing.Union, types.UnionType):
            return _members(inner)
    return [annotation]


def _step(annotation: Any, part: str | int) -> list[Any]:
    found: list[Any] = []
    for member in _unwrap(annotation):
        origin = typing.get_origin(member)
        if isinstance(part, int) and origin is list:
            found.extend(_members(typing.get_args(member)[0]))
        elif isinstance(part, str) and origin is dict:
            found.extend(_members(typing.get_args(member)[1]))
        elif isinstance(part, str) and isinstance(member, type) and issubclass(member, BaseModel):
            field = _field(member, part)
            if field is not None:
                found.extend(_members(field))
    return found


def expected_at(root: type[BaseModel], loc: Loc) -> list[Any]:
    """The annotations a value at ``loc`` may have (several for a union)."""
    current: list[Any] = [root]
    for part in loc:
        current = [n for c in current for n in _step(c, part)]
    return current


def allowed_keys(root: type[BaseModel], parent: Loc) -> list[str]:
    """The keys a mapping at ``parent`` may hold, walking the model's annotations."""
    keys: list[str] = []
    for member in expected_at(root, parent):
        for model in _unwrap(member):
            if isinstance(model, type) and issubclass(model, BaseModel):
                keys.extend(info.alias or name for name, info in model.model_fields.items())
    return list(dict.fromkeys(keys))


def _has_metadata(annotation: Any, alias: Any) -> bool:
    if typing.get_origin(annotation) is not typing.Annotated:
        return False
    metadata = annotation.__metadata__
    return any(m in metadata for m in alias.__metadata__)


_SPECIAL_FORMS = (
    (Timestamp, "a timestamp such as 2026-11-22T10:05:00Z"),
    (Percent, "a percentage such as 75%"),
    (Handle, "a handle such as @alice or @org/team"),
    (Date, "a date such as 2026-12-24"),
)


def describe_type(annotation: Any) -> str:
    """How a value of ``annotation`` is written, for messages: ``a list``, ``one of A, B``."""
    for alias, phrase in _SPECIAL_FORMS:
        if _has_metadata(annotation, alias):
            return phrase
    base = _unwrap(annotation)
    if len(base) != 1:
        return " or ".join(describe_type(m) for m in _members(annotation))
    kind = base[0]
    origin = typing.get_origin(kind)
    if origin is typing.Literal:
        values = [str(v) for v in typing.get_args(kind)]
        return values[0] if len(values) == 1 else f"one of {', '.join(values)}"
    if origin is list:
        return "a list"
    if origin is dict:
        return "a mapping"
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        fields = kind.model_fields
        keys = [info.alias or name for name, info in fields.items() if info.is_required()]
        if not keys and len(fields) <= 5:
            keys = [info.alias or name for name, info in fields.items()]
        if not keys:
            return "a mapping"
        return f"a mapping with the key{'s' if len(keys) > 1 else ''} {', '.join(keys)}"
    phrases: dict[Any, str] = {
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        dt.datetime: "a timestamp such as 2026-11-22T10:05:00Z",
        dt.date: "a date such as 2026-12-24",
        Duration: "a duration such as 4h",
    }
    return phrases.get(kind, "a value (see `incidentctl schema`)")


def _alternatives(phrases: list[str]) -> str:
    # Mappings last: their list of keys would run into the next alternative.
    phrases = sorted(dict.fromkeys(phrases), key=lambda p: p.startswith("a mapping"))
    if len(phrases) == 1:
        return phrases[0]
    return f"{', '.join(phrases[:-1])}, or {phrases[-1]}"


# -- messages ---------------------------------------------------------------------------


def describe(root: type[BaseModel], data: Any, error: ValidationError) -> Iterator[tuple[Loc, str]]:
    """Yield (location, message) per distinct problem, most useful message first.

    A value that fails every member of a union (``Text | Link``, ``Hotfix |
    "next-release"``) gets one message naming what it may be, unless it is a mapping
    whose problems inside explain it better.
    """
    groups: dict[tuple[Loc, bool], list[Any]] = {}
    for item in error.errors(include_url=False):
        raw = tuple(item["loc"])
        in_key = bool(raw) and raw[-1] == _KEY_TAG
        loc = clean_loc(data, raw[:-1] if in_key else raw, item["type"])
        groups.setdefault((loc, in_key), []).append(item)
    # Every place that has a deeper problem below it (a set: a file with thousands of
    # unknown keys must not take time growing with the square of their number).
    above = {loc[:depth] for loc, _ in groups for depth in range(len(loc))}
    for (loc, in_key), items in groups.items():
        if not in_key and loc in above:
            continue  # a deeper problem inside this value explains it better
        yield loc, _message(root, loc, items, in_key)


def _message(root: type[BaseModel], loc: Loc, items: list[Any], in_key: bool) -> str:
    if not in_key and len(items) > 1:
        expected = expected_at(root, loc)
        if len(expected) > 1:
            where = dotted(loc)
            return (
                f"{where + ': ' if where else ''}expected "
                f"{_alternatives([describe_type(e) for e in expected])}, "
                f"got {_yaml_type(items[0].get('input'))}"
            )
    # Several errors at one place outside a union: a literal's choices say it best.
    item = next((i for i in items if i["type"] in ("literal_error", "enum")), items[0])
    return _one_message(root, loc[:-1] if in_key else loc, item, loc)


def _one_message(root: type[BaseModel], where_loc: Loc, item: Any, loc: Loc) -> str:
    kind = item["type"]
    where = dotted(where_loc)
    value = item.get("input")
    ctx = item.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        allowed = allowed_keys(root, loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            return (
                f"unknown key {key!r}: did you mean {close[0]!r}? (allowed keys are "
                f"{', '.join(allowed)})"
            )
        return f"unknown key {key!r}: remove it; allowed keys are {', '.join(allowed)}"
    if kind == "missing":
        key = str(loc[-1])
        inside = f" in {dotted(loc[:-1])}" if len(loc) > 1 else ""
        expected = expected_at(root, loc)
        what = f" ({_alternatives([describe_type(e) for e in expected])})" if expected else ""
        return f"missing required key {key!r}{inside}{what}: add it"
    prefix = f"{where}: " if where else ""
    if kind in ("literal_error", "enum"):
        choices = _choices(str(ctx.get("expected", "")))
        hint = did_you_mean(value, choices.split(", ")) if isinstance(value, str) else ""
        return f"{prefix}{shown(value)} is not one of {choices}{hint}"
    if kind == "string_pattern_mismatch":
        return f"{prefix}{shown(value)} does not have the expected form: write {_pattern_hint(loc)}"
    if kind == "too_short" and isinstance(value, list):
        count = int(ctx.get("min_length", 1))
        return f"{prefix}needs at least {'one item' if count == 1 else f'{count} items'}"
    if kind == "string_too_short":
        return f"{prefix}must not be empty: write some text"
    if kind == "string_type":
        return f"{prefix}expected text, got {_yaml_type(value)}{_text_hint(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        expected = expected_at(root, loc)
        shape = describe_type(expected[0]) if len(expected) == 1 else "a mapping (key: value)"
        return f"{prefix}expected {shape}, got {_yaml_type(value)}"
    if kind == "list_type":
        return (
            f"{prefix}expected a list, got {_yaml_type(value)}: write [a, b] or one "
            "'- item' per line"
        )
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{prefix}expected a whole number, got {_yaml_type(value)}"
    if kind == "string_unicode":
        return f"{prefix}contains an escape that is not a character (such as \\ud800): remove it"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{prefix}{shown(value)} is too small: it must be {_bound(ctx)}"
    message = str(item["msg"]).removeprefix("Value error, ")
    return f"{prefix}{message}"


def _choices(expected: str) -> str:
    return expected.replace("'", "").replace(" or ", ", ")


def _bound(ctx: dict[str, Any]) -> str:
    if "ge" in ctx:
        return f"at least {ctx['ge']}"
    return f"more than {ctx.get('gt')}"


_PATTERN_HINTS = {
    "id": "INC-YYYY-NNNN, e.g. INC-2026-0042",
    "incident": "INC-YYYY-NNNN, e.g. INC-2026-0042",
    "incidents": "INC-YYYY-NNNN, e.g. INC-2026-0042",
    "duplicate_of": "INC-YYYY-NNNN, e.g. INC-2026-0042",
    "tracker": "github:owner/repo#123 or jira:PAY-123",
    "key": "lower-case letters, digits, '.', '_' or '-', e.g. payment-timeout",
    "name": "letters, digits, '.', '_' or '-', e.g. gold",
    "union": "a calendar name: letters, digits, '.', '_' or '-', e.g. emea-support",
    "calendar": "a calendar name: letters, digits, '.', '_' or '-', e.g. emea-support",
    "github": "owner/repo, e.g. acme/payments",
    "project": "a Jira project key in capitals, e.g. PAY",
}


def _pattern_hint(loc: Loc) -> str:
    for part in reversed(loc):
        if isinstance(part, str):
            return _PATTERN_HINTS.get(part, "the form `incidentctl schema` shows")
    return "the form `incidentctl schema` shows"


def _text_hint(value: Any) -> str:
    if value is None:
        return ": write the text after the colon"
    if isinstance(value, int | float):
        return ": put it in quotes if it is meant as text"
    return ""


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
        return f"a number ({shown(value)})"
    return shown(value)
