"""The create request (docs/behaviour/resolution.md#request-fields)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CreateSessionRequest(BaseModel):
    """What a user asks for. Unknown fields are refused by the API layer (docs/behaviour/api.md#request-bodies)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        # Required in the contract; at run time a missing one is refused with its own message
        # ("templateRef is required"), checked in order by the resolution.
        json_schema_extra={
            "required": ["templateRef", "cluster"],
            "examples": [{"templateRef": "minimal-debug", "cluster": "dev-1", "reason": "checking DNS"}],
        },
    )

    template_ref: str = Field(default="", alias="templateRef", json_schema_extra={"minLength": 1, "pattern": r"\S"})
    cluster: str = Field(default="", json_schema_extra={"minLength": 1, "pattern": r"\S"})
    binding_ref: str = Field(default="", alias="bindingRef")
    requested_duration: str = Field(default="", alias="requestedDuration")
    node_selector: dict[str, str] = Field(default_factory=dict, alias="nodeSelector")
    namespace: str = ""
    """Deprecated alias of targetNamespace."""
    target_namespace: str = Field(default="", alias="targetNamespace")
    reason: str = ""
    invited_participants: list[str] = Field(default_factory=list, alias="invitedParticipants")
    selected_scheduling_option: str = Field(default="", alias="selectedSchedulingOption")
    extra_deploy_values: dict[str, Any] = Field(default_factory=dict, alias="extraDeployValues")
