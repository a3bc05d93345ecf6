"""extraDeployVariables: typed inputs a user supplies at request time, rendered into templates as `.vars`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from domain.base import Model

InputType = Literal["boolean", "text", "number", "storageSize", "select", "multiSelect"]


class VariableOption(Model):
    """One choice of a select/multiSelect variable."""

    value: str = Field(min_length=1)
    display_name: str = ""
    description: str = ""
    disabled: bool = False
    allowed_groups: list[str] = Field(default_factory=list)


class VariableValidation(Model):
    """Validation bounds; each applies to one input type only (see the catalog rules)."""

    pattern: str | None = None
    pattern_error: str | None = None
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=0)
    min: str | None = None
    max: str | None = None
    min_storage: str | None = None
    max_storage: str | None = None
    min_items: int | None = Field(default=None, ge=0)
    max_items: int | None = Field(default=None, ge=0)


class ExtraDeployVariable(Model):
    """A variable definition: name, input type, default, validation, who may set it."""

    name: str
    display_name: str = ""
    description: str = ""
    input_type: InputType = "text"
    options: list[VariableOption] = Field(default_factory=list)
    default: Any = None
    required: bool = False
    validation: VariableValidation | None = None
    allowed_groups: list[str] = Field(default_factory=list)
    advanced: bool = False
    group: str = ""
