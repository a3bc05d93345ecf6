"""The create request (reference §1.4 `CreateDebugSessionRequest`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CreateSessionRequest(BaseModel):
    """What a user asks for. Unknown fields are refused (strict JSON, §0.5) by the API layer."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    template_ref: str = Field(default="", alias="templateRef")
    cluster: str = ""
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
