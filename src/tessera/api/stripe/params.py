"""Stripe's request parameters: bracket-notation form bodies and query strings, checked against
the contract's JSON Schemas so that every error names the parameter the way Stripe does
(``components[payment_element][enabled]``).

Form values are all strings on the wire; this is also where they become booleans and
integers, as the schema says.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_plus, unquote_to_bytes

import qs_codec
from qs_codec import DecodeOptions

# Stripe's limits are generous; these only stop a hostile body from building huge structures.
MAX_PARAMETERS = 1000
# Brackets are read as hash keys only (``metadata[0]`` is the key "0"): whether ``a[0]=x`` is a
# list or a hash is the parameter's declared type's to say, in ``validate``.
DECODE_OPTIONS = DecodeOptions(
    depth=8, parse_lists=False, parameter_limit=MAX_PARAMETERS, strict_depth=False
)


class ParamError(Exception):
    """A parameter Stripe would refuse: rendered as a 400 ``invalid_request_error``."""

    def __init__(self, code: str, message: str, param: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


# ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() then refuses or misreads.
# At most 18 digits: any integer the contract allows fits, and int() of far more (4,301) raises.
_INTEGER = re.compile(r"-?[0-9]{1,18}", re.ASCII)
# An array index (``expand[0]``): a body of at most 1 MB cannot hold more items than this.
_INDEX = re.compile(r"[0-9]{1,7}", re.ASCII)


def _check_parameter_count(raw: str) -> None:
    """More than ``MAX_PARAMETERS`` parameters is refused, naming the first one past the limit:
    the decoder would otherwise drop the rest, and the idempotency fingerprint with them."""
    pairs = [pair for pair in raw.split("&") if pair]
    if len(pairs) > MAX_PARAMETERS:
        name = unquote_plus(pairs[MAX_PARAMETERS].partition("=")[0])
        raise ParamError(
            "parameter_unknown",
            f"Received too many parameters: a request may send at most {MAX_PARAMETERS}, and "
            f"{name} is parameter number {MAX_PARAMETERS + 1}.",
            name,
        )


def _number_appends(raw: str) -> str:
    """``expand[]=a&expand[]=b`` as ``expand[0]=a&expand[1]=b``: each ``[]`` is the next index
    under its prefix, so the decoder (which reads every bracket as a hash key) keeps them
    apart."""
    counters: dict[str, int] = {}
    pairs = []
    for pair in raw.split("&"):
        name, sep, value = pair.partition("=")
        key = unquote_plus(name)
        if "[]" not in key:
            pairs.append(pair)
            continue
        while "[]" in key:
            prefix, _, rest = key.partition("[]")
            index = counters.get(prefix, 0)
            counters[prefix] = index + 1
            key = f"{prefix}[{index}]{rest}"
        pairs.append(quote(key, safe="[]") + sep + value)
    return "&".join(pairs)


def decode_form(raw: str) -> dict[str, Any]:
    if not raw:
        return {}
    _check_parameter_count(raw)
    try:
        # The decoder would replace bad percent-escapes with U+FFFD; refuse them instead.
        unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        raise ParamError(
            "parameter_invalid_string",
            "Invalid request: the parameters are not valid UTF-8 once percent-decoded.",
            None,
        ) from None
    decoded = qs_codec.decode(_number_appends(raw), DECODE_OPTIONS)
    return decoded if isinstance(decoded, dict) else {}


def _as_lists(value: Any) -> Any:
    """Hashes whose keys are all indexes as lists, in order: the shape the decoder gave before
    it read every bracket as a hash key, so an answer stored by an older worker (in a rolling
    upgrade) still replays to a retry."""
    if isinstance(value, list):
        return [_as_lists(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value and all(_INDEX.fullmatch(str(k)) for k in value):
        return [_as_lists(value[k]) for k in sorted(value, key=int)]
    return {k: _as_lists(item) for k, item in value.items()}


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    shape = [method, path, _as_lists(params)]
    canonical = json.dumps(shape, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _path(parent: str, key: str | int) -> str:
    return f"{parent}[{key}]" if parent else str(key)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# Marks an "unset this" empty string, where the contract allows one (``metadata=""``).
@dataclass(frozen=True, slots=True)
class Cleared:
    pass


CLEARED = Cleared()


def form_metadata(params: dict[str, Any]) -> tuple[dict[str, str] | None, bool]:
    """(changes, given): ``metadata=""`` clears every key (changes None)."""
    if "metadata" not in params:
        return {}, False
    value = params["metadata"]
    return (None if value is CLEARED else value), True


def clearable(value: Any) -> Any:
    """A parameter's value, None where it was sent empty to clear it."""
    return None if value is CLEARED else value


# Longer enums (the 269 event types of ``enabled_events``) are not spelled out in a message.
_ENUM_SHOWN = 12


def _enum_message(path: str, options: list[Any], value: str) -> str:
    shown = [str(o) for o in options]
    if len(shown) > _ENUM_SHOWN:
        given = value if len(value) <= 100 else value[:100] + "..."
        return (
            f"Invalid {path}: {given!r} is not one of the {len(shown)} values it accepts "
            "(listed in Stripe's API reference and in /openapi/stripe.json)"
        )
    joined = " or ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + ", or " + shown[-1]
    return f"Invalid {path}: must be one of {joined}"


def validate(schema: dict[str, Any], value: Any, path: str = "") -> Any:
    """``value`` (as decoded from the form) checked and coerced against ``schema``."""
    if "anyOf" in schema:
        return _any_of(schema["anyOf"], value, path)
    kind = schema.get("type")
    if kind == "object":
        return _object(schema, value, path)
    if kind == "array":
        return _array(schema, value, path)
    if kind == "boolean":
        if value in ("true", "false"):
            return value == "true"
        raise ParamError("parameter_invalid_boolean", f"Invalid boolean: {_show(value)}", path)
    if kind == "integer":
        return _integer(schema, value, path)
    return _string(schema, value, path)


def _any_of(options: list[dict[str, Any]], value: Any, path: str) -> Any:
    if value == "" and any(option.get("enum") == [""] for option in options):
        return CLEARED
    real = [option for option in options if option.get("enum") != [""]]
    first_error: ParamError | None = None
    for option in real:
        try:
            return validate(option, value, path)
        except ParamError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _object(schema: dict[str, Any], value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParamError(
            "parameter_invalid_object",
            f"Invalid object: {path} must be a hash (use bracket notation, {path}[key]=value)",
            path or None,
        )
    properties: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", False)
    out: dict[str, Any] = {}
    for key, item in value.items():
        key = str(key)
        if "\x00" in key:
            # A hash's own keys are stored too (metadata): the same refusal as for values.
            raise ParamError(
                "parameter_invalid_string",
                f"Invalid {path or 'parameter'}: its keys must not contain NUL characters",
                path or None,
            )
        if key in properties:
            out[key] = validate(properties[key], item, _path(path, key))
        elif isinstance(extra, dict):
            out[key] = validate(extra, item, _path(path, key))
        else:
            raise ParamError(
                "parameter_unknown",
                f"Received unknown parameter: {_path(path, key)}",
                _path(path, key),
            )
    for key in schema.get("required", []):
        if key not in out:
            raise ParamError(
                "parameter_missing",
                f"Missing required param: {_path(path, key)}.",
                _path(path, key),
            )
    return out


def _array(schema: dict[str, Any], value: Any, path: str) -> list[Any]:
    if isinstance(value, dict) and all(_INDEX.fullmatch(str(k)) for k in value):
        # ``a[1]=y&a[0]=x``: the indexes only order the items.
        value = [value[k] for k in sorted(value, key=int)]
    if not isinstance(value, list):
        raise ParamError(
            "parameter_invalid_array",
            f"Invalid array: {path} must be a list (use {path}[]=value or {path}[0]=value)",
            path,
        )
    items = schema.get("items", {})
    return [validate(items, item, _path(path, index)) for index, item in enumerate(value)]


def _integer(schema: dict[str, Any], value: Any, path: str) -> int:
    if not isinstance(value, str) or not _INTEGER.fullmatch(value):
        raise ParamError("parameter_invalid_integer", f"Invalid integer: {_show(value)}", path)
    number = int(value)
    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is not None and number < low) or (high is not None and number > high):
        raise ParamError(
            "parameter_invalid_integer",
            f"Invalid {path}: must be an integer between {low} and {high}",
            path,
        )
    return number


def _string(schema: dict[str, Any], value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise ParamError(
            "parameter_invalid_string", f"Invalid string: {_show(value)} for {path}", path
        )
    if "enum" in schema and value not in schema["enum"]:
        raise ParamError("parameter_invalid_enum", _enum_message(path, schema["enum"], value), path)
    limit = schema.get("maxLength")
    if limit is not None and len(value) > limit:
        raise ParamError(
            "parameter_invalid_string",
            f"Invalid {path}: must be at most {limit} characters",
            path,
        )
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
        raise ParamError(
            "parameter_invalid_string", f"Invalid {path}: must not contain NUL characters", path
        )
    return value


def check_path_ids(path_params: Mapping[str, Any]) -> None:
    """An id in the URL with a NUL is refused as ``id``, like a value in the form: no object
    has one, and PostgreSQL could not even look it up."""
    if any("\x00" in str(value) for value in path_params.values()):
        raise ParamError(
            "parameter_invalid_string", "Invalid id: must not contain NUL characters", "id"
        )


def check_supported(params: dict[str, Any], supported: set[str]) -> None:
    """Parameters the contract knows but Tessera does not implement are refused by name, not
    silently ignored: an integration relying on them should find out at once."""
    for key in params:
        if key not in supported:
            raise ParamError(
                "parameter_unsupported",
                f"Tessera does not support the parameter {key} (it is valid for Stripe); "
                "see docs/stripe.md for what is supported.",
                key,
            )


def expansions(params: dict[str, Any], allowed: Collection[str]) -> frozenset[str]:
    wanted = frozenset(params.get("expand") or [])
    refused = sorted(wanted.difference(allowed))
    if refused:
        field = refused[0]
        raise ParamError(
            "parameter_invalid_expand", f"This property cannot be expanded ({field}).", "expand"
        )
    return wanted
