"""Session templates (list, get, clusters) and pod templates (list, get), filtered for the caller."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import Caller, CatalogDep, State
from api.errors import ApiError
from api.responses import errors
from api.template_views import (
    CATALOG_NOT_LOADED,
    PodTemplateList,
    PodTemplateView,
    TemplateClustersView,
    TemplateList,
    TemplateView,
    pod_template_view,
    template_clusters_view,
    template_list,
    template_view,
)
from domain.catalog.catalog import Catalog
from domain.identity import Identity
from domain.resolution.template_access import template_visible
from domain.session_template import DebugSessionTemplate

templates_router = APIRouter(tags=["templates"])
pod_templates_router = APIRouter(tags=["pod templates"])


@templates_router.get(
    "", response_model=TemplateList, response_model_exclude_none=True, responses={**CATALOG_NOT_LOADED}
)
async def list_templates(
    state: State, who: Caller, catalog: CatalogDep, includeHidden: bool = False, includeUnavailable: bool = False
) -> TemplateList:
    """Templates the caller may use (priority first, then name); hidden ones with `includeHidden=true`, those
    without a ready cluster for the caller with `includeUnavailable=true`."""
    return template_list(catalog, who, datetime.now(UTC), state.health.unready(), includeHidden, includeUnavailable)


def _readable(catalog: Catalog, name: str, who: Identity) -> DebugSessionTemplate:
    template = catalog.session_templates.get(name)
    if template is None:
        raise ApiError(404, "template not found")
    if not template_visible(catalog, template, who, datetime.now(UTC)):
        raise ApiError(403, "access denied to this template")
    return template


@templates_router.get(
    "/{name}",
    response_model=TemplateView,
    response_model_exclude_none=True,
    responses={**errors(403, 404), **CATALOG_NOT_LOADED},
)
async def get_template(state: State, name: str, who: Caller, catalog: CatalogDep) -> TemplateView:
    """One template (hidden ones too): 404 `template not found`, 403 `access denied to this template`."""
    template = _readable(catalog, name, who)
    return template_view(catalog, template, who, datetime.now(UTC), state.health.unready())


@templates_router.get(
    "/{name}/clusters",
    response_model=TemplateClustersView,
    response_model_exclude_none=True,
    responses={**errors(403, 404), **CATALOG_NOT_LOADED},
)
async def template_clusters(
    state: State,
    name: str,
    who: Caller,
    catalog: CatalogDep,
    environment: str | None = None,
    location: str | None = None,
    bindingName: str | None = None,
) -> TemplateClustersView:
    """Per-cluster details for the two-step create flow: the ready clusters the caller can request the
    template for, each with every binding offering it (`bindingOptions`, the default first)."""
    template = _readable(catalog, name, who)
    return template_clusters_view(
        catalog, template, who, datetime.now(UTC), state.health, environment, location, bindingName
    )


@pod_templates_router.get("", response_model=PodTemplateList, responses={**CATALOG_NOT_LOADED})
async def list_pod_templates(who: Caller, catalog: CatalogDep) -> PodTemplateList:
    """Every pod template (any authenticated caller), by name."""
    views = [pod_template_view(catalog, n) for n in sorted(catalog.pod_templates)]
    return PodTemplateList(templates=views, total=len(views))


@pod_templates_router.get("/{name}", response_model=PodTemplateView, responses={**errors(404), **CATALOG_NOT_LOADED})
async def get_pod_template(name: str, who: Caller, catalog: CatalogDep) -> PodTemplateView:
    """One pod template: 404 `pod template not found`."""
    if name not in catalog.pod_templates:
        raise ApiError(404, "pod template not found")
    return pod_template_view(catalog, name)
