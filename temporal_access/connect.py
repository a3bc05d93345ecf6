"""One way to connect to Temporal for every process: the pydantic data converter, TLS/mTLS, API keys."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from temporal_access.settings import TemporalSettings


def tls_config(settings: TemporalSettings) -> TLSConfig | bool:
    """The TLS configuration the settings ask for; False for a plain connection (the dev server)."""
    if not settings.uses_tls:
        return False
    return TLSConfig(
        server_root_ca_cert=settings.tls_ca.read_bytes() if settings.tls_ca else None,
        client_cert=settings.tls_cert.read_bytes() if settings.tls_cert else None,
        client_private_key=settings.tls_key.read_bytes() if settings.tls_key else None,
        domain=settings.tls_server_name or None,
    )


async def connect(settings: TemporalSettings, runtime: Runtime | None = None) -> Client:
    """A client with the pydantic data converter (every client of this system uses it)."""
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        data_converter=pydantic_data_converter,
        tls=tls_config(settings),
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        runtime=runtime,
    )
