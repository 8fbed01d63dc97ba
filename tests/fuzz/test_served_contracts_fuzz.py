"""schemathesis against every served contract, on a live `tessera serve` for each database:
no 5xx, no answer that breaks its schema, no status the contract does not document."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tessera.api.contract import CONTRACTS, load_contract
from tessera.auth.stripe_keys import create_stripe_keys
from tessera.config import Settings, normalize_database_url
from tessera.store.engine import create_engine
from tests.conftest import LiveServer, _create_database, run_async, start_live_server
from tests.headless.helpers import demo_tenant
from tests.services import PostgresServer

EXAMPLES = 30
# The contracts are LoyaltyLion's and Stripe's, and looser than the services behind them: an
# email is a plain string there, unknown fields are allowed, Stripe documents parameters Tessera
# refuses by name. A schema-valid request may therefore be refused, with a 4xx naming the field
# in the dialect's envelope (which every other check still holds it to).
LOOSER_THAN_THE_SERVICE = [schemathesis.checks.positive_data_acceptance]
# Every call here carries the tenant's key as a header, which schemathesis's own "does the API
# ignore invalid credentials" retry would send again; tests/test_permission_matrix.py sends
# every endpoint no credentials and every refused key kind instead.
CHECKED_ELSEWHERE = [schemathesis.checks.ignored_auth]
NO_DELIVERIES = {"TESSERA_WEBHOOKS_INTERVAL": "86400"}
CONFIG = SchemathesisConfig.from_dict(
    {
        # Unknown query parameters are ignored, as the real APIs ignore them.
        "generation": {"allow-extra-parameters": False},
        # Invalid input is refused with any of the statuses the dialects document for it,
        # 413 (a body over the limit), 415 (not the body encoding) and 431 (a URL over 64 KiB) too.
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": ["400", "401", "403", "404", "405", "413", "415", "422", "431"]
            }
        },
    }
)


@dataclass
class Served:
    server: LiveServer
    site_id: int
    api_key: str
    stripe_key: str

    def headers_for(self, case: Any) -> dict[str, str]:
        if case.operation.path.startswith("/v1/"):
            return {"Authorization": f"Bearer {self.stripe_key}"}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        # The Headless API needs a channel, as ?channel= or this header: no schema can say
        # "one of the two", so the header is sent whenever the case generated neither.
        generated = {name.lower() for name in (case.headers or {})}
        if "channel" not in (case.query or {}) and "x-loyaltylion-channel" not in generated:
            headers["X-LoyaltyLion-Channel"] = "web"
        return headers


async def _tenant(database_url: str) -> tuple[int, str, str]:
    engine = create_engine(Settings(database_url=normalize_database_url(database_url)))
    try:
        tenant = await demo_tenant(engine, rate_limit="1000000/second")
        async with engine.begin() as conn:
            keys = await create_stripe_keys(conn, tenant.program_id, rate_limit="1000000/second")
    finally:
        await engine.dispose()
    return tenant.site.id, tenant.api_key, keys.secret_key


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("fuzz") / "tessera.db"
        shutil.copyfile(template, path)
        database_url = f"sqlite:///{path}"
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        name = f"t_{uuid.uuid4().hex[:16]}"
        run_async(_create_database(postgres.admin_url, name, template="tessera_template"))
        database_url = postgres.url(name)
    site_id, api_key, stripe_key = run_async(_tenant(database_url))
    # The fuzzed requests create webhook endpoints at made-up addresses: the delivery worker
    # makes its first pass at start (nothing to post yet) and none after, so nothing is posted.
    server = start_live_server(database_url, tmp_path_factory.mktemp("fuzz-log"), env=NO_DELIVERIES)
    try:
        yield Served(server, site_id, api_key, stripe_key)
    finally:
        server.stop()


def operations(contract: str) -> list[Any]:
    """Every operation of a served contract (read from the same documents the server serves)."""
    schema = schemathesis.openapi.from_dict(load_contract(contract), config=CONFIG)
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = [
    pytest.param(operation, id=f"{name}:{operation.label}")
    for name in CONTRACTS
    for operation in operations(name)
]


def cases(operation: Any, served: Served) -> st.SearchStrategy[Any]:
    """Valid and invalid requests, addressed to the tenant's site where the path names one."""
    path = {"site_id": served.site_id} if "{site_id}" in operation.path else None
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=path),
    )


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_keeps_its_contract(operation: Any, served: Served) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation, served))
    def check(case: Any) -> None:
        case.call_and_validate(
            base_url=served.server.url,
            headers=served.headers_for(case),
            excluded_checks=LOOSER_THAN_THE_SERVICE + CHECKED_ELSEWHERE,
        )

    check()
