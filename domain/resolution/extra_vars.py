"""extraDeployValues: coercion, validation against the template's variables, rendering strings.

See docs/behaviour/resolution.md#extra-deploy-values.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from domain.extra_vars import ExtraDeployVariable, VariableOption
from domain.identity import Identity
from domain.quantity import QuantityError, parse_quantity
from domain.resolution.errors import bad_request

_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def coerce_values(variables: list[ExtraDeployVariable], values: dict[str, Any]) -> dict[str, Any]:
    """Numbers and booleans sent as strings become JSON numbers/booleans for their input type."""
    types = {v.name: v.input_type for v in variables}
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = types.get(name)
        if kind == "number" and isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                out[name] = value
                continue
            out[name] = int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
        elif kind == "boolean" and isinstance(value, str) and value in _GO_TRUE | _GO_FALSE:
            out[name] = value in _GO_TRUE
        else:
            out[name] = value
    return out


def validate_values(variables: list[ExtraDeployVariable], values: dict[str, Any], who: Identity) -> list[str]:
    """Every problem as `extraDeployValues[<name>]: <Kind>: <detail>`; empty when valid."""
    errors: list[str] = []
    for var in variables:
        path = f"extraDeployValues[{var.name}]"
        provided = var.name in values
        if not provided:
            if var.required and var.default is None:
                errors.append(f'{path}: Required value: required variable "{var.name}" must be provided')
            continue
        if var.allowed_groups and not set(var.allowed_groups) & set(who.groups):
            errors.append(
                f'{path}: Forbidden: variable "{var.name}" is restricted; requires membership in one of: '
                f"[{' '.join(var.allowed_groups)}]"
            )
            continue
        errors += _check_value(var, values[var.name], path, who)
    return errors


def _invalid(path: str, value: Any, detail: str) -> str:
    return f"{path}: Invalid value: {_go_value(value)}: {detail}"


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value) if not isinstance(value, float) else format_number(value)


def _check_value(var: ExtraDeployVariable, value: Any, path: str, who: Identity) -> list[str]:
    val = var.validation
    kind = var.input_type
    if kind == "boolean":
        return [] if isinstance(value, bool) else [_invalid(path, value, "must be a boolean (true or false)")]
    if kind == "text":
        if not isinstance(value, str):
            return [_invalid(path, value, "must be a string")]
        errs: list[str] = []
        size = len(value.encode())
        if val and val.min_length is not None and size < val.min_length:
            errs.append(_invalid(path, value, f"length must be at least {val.min_length}"))
        if val and val.max_length is not None and size > val.max_length:
            errs.append(_invalid(path, value, f"length must be at most {val.max_length}"))
        if val and val.pattern and not re.search(val.pattern, value):
            errs.append(_invalid(path, value, val.pattern_error or f'must match pattern "{val.pattern}"'))
        return errs
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [_invalid(path, value, "must be a number")]
        errs = []
        if val and val.min is not None and value < float(val.min):
            errs.append(_invalid(path, value, f"must be at least {val.min}"))
        if val and val.max is not None and value > float(val.max):
            errs.append(_invalid(path, value, f"must be at most {val.max}"))
        return errs
    if kind == "storageSize":
        if not isinstance(value, str):
            return [_invalid(path, value, "must be a string")]
        try:
            size_value = parse_quantity(value)
        except QuantityError as exc:
            return [_invalid(path, value, f"invalid storage size format: {exc}")]
        errs = []
        if val and val.min_storage is not None and size_value < parse_quantity(val.min_storage):
            errs.append(_invalid(path, value, f"must be at least {val.min_storage}"))
        if val and val.max_storage is not None and size_value > parse_quantity(val.max_storage):
            errs.append(_invalid(path, value, f"must be at most {val.max_storage}"))
        return errs
    if kind == "select":
        if not isinstance(value, str):
            return [_invalid(path, value, "must be a string")]
        return _check_option(var.options, value, path, who)
    # multiSelect
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [_invalid(path, value, "must be a list of strings")]
    errs = [e for i, item in enumerate(value) for e in _check_option(var.options, item, f"{path}[{i}]", who)]
    if val and val.min_items is not None and len(value) < val.min_items:
        errs.append(_invalid(path, value, f"must select at least {val.min_items} items"))
    if val and val.max_items is not None and len(value) > val.max_items:
        errs.append(_invalid(path, value, f"must select at most {val.max_items} items"))
    return errs


def _check_option(options: list[VariableOption], value: str, path: str, who: Identity) -> list[str]:
    if not options:
        return []
    option = next((o for o in options if o.value == value), None)
    if option is None:
        supported = ", ".join(json.dumps(o.value) for o in options)
        return [f"{path}: Unsupported value: {json.dumps(value)}: supported values: {supported}"]
    if option.disabled:
        return [_invalid(path, value, "this option is disabled and cannot be selected")]
    if option.allowed_groups and not set(option.allowed_groups) & set(who.groups):
        return [
            f'{path}: Forbidden: option "{value}" is restricted; requires membership in one of: '
            f"[{' '.join(option.allowed_groups)}]"
        ]
    return []


def resolve_values(variables: list[ExtraDeployVariable], values: dict[str, Any], who: Identity) -> dict[str, Any]:
    """Coerce and validate; raise the 400 `extraDeployValues validation failed` with every problem."""
    coerced = coerce_values(variables, values)
    errors = validate_values(variables, coerced, who)
    if errors:
        raise bad_request("extraDeployValues validation failed", "; ".join(errors))
    return coerced


def format_number(value: float) -> str:
    """Integral numbers as `%d`, others as Go's `%g` (shortest representation)."""
    if isinstance(value, int) or (math.isfinite(value) and value.is_integer() and abs(value) < 1e21):
        return str(int(value))
    return go_format_g(value)


def go_format_g(value: float) -> str:
    """Go's fmt `%g` (FormatFloat 'g', -1): shortest digits; exponent form below 1e-4 or from 1e6."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
    sign, digits_t, exp = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digits_t))
    x = exp + len(digits) - 1  # exponent in scientific notation
    prefix = "-" if sign else ""
    if x < -4 or x >= 6:  # with the shortest precision Go decides at precision 6
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if exp >= 0:
        return prefix + digits + "0" * exp
    point = len(digits) + exp
    if point > 0:
        return f"{prefix}{digits[:point]}.{digits[point:]}"
    return f"{prefix}0.{'0' * -point}{digits}"


def to_var_string(value: Any) -> str:
    """The string a value takes in `.vars` (before sanitisation)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return json.dumps(value, separators=(",", ":"))


def render_vars(variables: list[ExtraDeployVariable], values: dict[str, Any]) -> dict[str, str]:
    """Defaults first, then user values (including values for undefined variables), as strings."""
    out = {v.name: to_var_string(v.default) for v in variables if v.default is not None}
    out.update({name: to_var_string(value) for name, value in values.items()})
    return out
