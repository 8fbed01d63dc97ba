"""Idempotency-Key: replays for 24 hours, refuses other parameters, 409 while in flight."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from httpx import Response

import stripe
from tessera.api.stripe.idempotency import key_lookup
from tessera.api.stripe.params import decode_form, fingerprint
from tessera.config import Settings
from tessera.kit.clock import utcnow
from tessera.kit.secrets import server_key
from tessera.store.tables import stripe_customers, stripe_idempotency
from tests.stripe.conftest import StripeWorld, body, error_body, http, sdk

SESSION = {"components": {"buy_button": {"enabled": True}}}


def post(world: StripeWorld, path: str, form: str, key: str) -> Response:
    return http(
        "POST",
        f"{world.url}{path}",
        content=form,
        headers={
            "Authorization": f"Bearer {world.keys.secret_key}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": key,
        },
    )


async def count_customers(world: StripeWorld) -> int:
    async with world.db.connect() as conn:
        query = (
            sa.select(sa.func.count())
            .select_from(stripe_customers)
            .where(stripe_customers.c.program_id == world.program_id)
        )
        return int((await conn.execute(query)).scalar_one())


async def test_the_same_key_and_parameters_replay_the_first_answer(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    options = {"idempotency_key": "replay-1"}
    first = world.client.v1.customer_sessions.create(
        params={"customer": customer.id, **SESSION},
        options=options,  # type: ignore[typeddict-item]
    )
    second = world.client.v1.customer_sessions.create(
        params={"customer": customer.id, **SESSION},
        options=options,  # type: ignore[typeddict-item]
    )
    assert body(second) == body(first)
    assert second.client_secret == first.client_secret
    assert second.last_response is not None
    assert second.last_response.headers["Idempotent-Replayed"] == "true"


async def test_a_replay_creates_nothing_twice(world: StripeWorld) -> None:
    world.client.v1.customers.create(params={"name": "Once"}, options={"idempotency_key": "k1"})
    world.client.v1.customers.create(params={"name": "Once"}, options={"idempotency_key": "k1"})
    assert await count_customers(world) == 1


async def test_an_error_answer_replays_with_its_status(world: StripeWorld) -> None:
    form = "customer=cus_missing&components[buy_button][enabled]=true"
    first = post(world, "/v1/customer_sessions", form, "error-1")
    second = post(world, "/v1/customer_sessions", form, "error-1")
    assert first.status_code == second.status_code == 400
    assert first.content == second.content
    assert second.headers["Idempotent-Replayed"] == "true"


async def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    world: StripeWorld,
) -> None:
    world.client.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k2"})
    with pytest.raises(stripe.IdempotencyError) as caught:
        world.client.v1.customers.create(params={"name": "B"}, options={"idempotency_key": "k2"})
    assert caught.value.http_status == 400
    assert error_body(caught.value)["type"] == "idempotency_error"


async def test_concurrent_first_requests_with_one_key_create_once_and_answer_alike(
    world: StripeWorld,
) -> None:
    # Two server processes, eight requests each, all at once: the key is claimed, the customer
    # created and the answer stored in one transaction, so the others wait and replay it.
    servers = [world.url, world.another_server().url]
    form = "name=Racer&email=racer%40example.com"

    def send(index: int) -> Response:
        url = servers[index % 2]
        return http(
            "POST",
            f"{url}/v1/customers",
            content=form,
            headers={
                "Authorization": f"Bearer {world.keys.secret_key}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Idempotency-Key": "race-1",
            },
        )

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(16)))
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert sum(answer.headers.get("Idempotent-Replayed") == "true" for answer in answers) == 15
    assert await count_customers(world) == 1


async def test_a_key_still_in_flight_is_a_409(world: StripeWorld) -> None:
    form = "name=Slow"
    async with world.db.begin() as conn:
        await conn.execute(
            stripe_idempotency.insert().values(
                program_id=world.program_id,
                livemode=False,
                idempotency_key=key_lookup(world.server_key, "in-flight"),
                fingerprint=fingerprint("POST", "/v1/customers", decode_form(form)),
                state="in_flight",
                created_at=utcnow(),
            )
        )
    response = post(world, "/v1/customers", form, "in-flight")
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "idempotency_error"
    with pytest.raises(stripe.APIError) as caught:
        world.client.v1.customers.create(
            params={"name": "Slow"}, options={"idempotency_key": "in-flight"}
        )
    assert caught.value.http_status == 409


async def test_a_key_older_than_24_hours_runs_again(world: StripeWorld) -> None:
    first = world.client.v1.customers.create(
        params={"name": "Old"}, options={"idempotency_key": "old"}
    )
    async with world.db.begin() as conn:
        await conn.execute(
            stripe_idempotency.update()
            .where(stripe_idempotency.c.program_id == world.program_id)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    second = world.client.v1.customers.create(
        params={"name": "Old"}, options={"idempotency_key": "old"}
    )
    assert second.id != first.id


async def test_keys_are_per_program(world: StripeWorld) -> None:
    other = await world.more_keys(program_id=await world.other_program())
    mine = world.client.v1.customers.create(
        params={"name": "X"}, options={"idempotency_key": "shared"}
    )
    theirs = world.client_for(other.secret_key).v1.customers.create(
        params={"name": "X"}, options={"idempotency_key": "shared"}
    )
    assert mine.id != theirs.id


async def test_replays_survive_a_restart_and_cross_processes(world: StripeWorld) -> None:
    durable = {"idempotency_key": "durable"}
    first = world.client.v1.customers.create(params={"name": "Durable"}, options=durable)
    other_process = world.another_server()
    again = sdk(world.keys.secret_key, other_process.url).v1.customers.create(
        params={"name": "Durable"}, options=durable
    )
    assert again.id == first.id


async def test_a_stored_answer_does_not_reveal_the_client_secret(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    session = world.client.v1.customer_sessions.create(
        params={"customer": customer.id, **SESSION},  # type: ignore[typeddict-item]
        options={"idempotency_key": "secret-holder"},
    )
    async with world.db.connect() as conn:
        query = sa.select(stripe_idempotency).where(
            stripe_idempotency.c.program_id == world.program_id
        )
        rows = (await conn.execute(query)).mappings().all()
    stored = b"".join(bytes(row["body"]) for row in rows)
    assert session.client_secret.encode() not in stored
    assert "secret-holder" not in {row["idempotency_key"] for row in rows}


def test_a_sealed_answer_opens_only_with_its_key_and_only_unaltered() -> None:
    from cryptography.exceptions import InvalidTag

    from tessera.api.stripe.idempotency import seal, unseal

    server = b"s" * 32
    body = b'{"client_secret": "cuss_secret_abc"}'
    sealed = seal(server, "key-1", body)
    assert b"cuss_secret_abc" not in sealed
    assert unseal(server, "key-1", sealed) == body
    with pytest.raises(InvalidTag):
        unseal(server, "key-2", sealed)
    with pytest.raises(InvalidTag):
        unseal(b"t" * 32, "key-1", sealed)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(InvalidTag):
        unseal(server, "key-1", tampered)


async def test_a_stored_answer_altered_in_the_database_is_refused_not_replayed(
    world: StripeWorld,
) -> None:
    options = {"idempotency_key": "tampered-answer"}
    world.client.v1.customers.create(params={"name": "Once"}, options=options)
    async with world.db.begin() as conn:
        query = sa.select(stripe_idempotency).where(
            stripe_idempotency.c.program_id == world.program_id
        )
        row = (await conn.execute(query)).mappings().one()
        body = bytearray(row["body"])
        body[-1] ^= 1
        await conn.execute(
            stripe_idempotency.update()
            .where(stripe_idempotency.c.id == row["id"])
            .values(body=bytes(body))
        )
    with pytest.raises(stripe.APIError) as caught:
        world.client.v1.customers.create(params={"name": "Once"}, options=options)
    assert caught.value.http_status == 500
    assert error_body(caught.value)["type"] == "api_error"


async def test_a_refused_idempotency_key_is_not_echoed_back(world: StripeWorld) -> None:
    response = post(world, "/v1/customers", "name=Long", "k" * 8000)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "idempotency_error"
    assert "idempotency-key" not in response.headers


async def test_an_accepted_idempotency_key_is_echoed_back(world: StripeWorld) -> None:
    response = post(world, "/v1/customers", "name=Short", "order-1042")
    assert response.status_code == 200
    assert response.headers["idempotency-key"] == "order-1042"


async def test_parameters_past_the_thousandth_are_refused_by_name(world: StripeWorld) -> None:
    form = "&".join(f"metadata[k{i}]=v" for i in range(1001))
    response = post(world, "/v1/customers", form, "too-many")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "metadata[k1000]"
    assert await count_customers(world) == 0


def opened_as_before(key: str, sealed: bytes) -> bytes:
    """How answers were sealed before the server key: under the Idempotency-Key alone."""
    cipher = AESGCM(hashlib.sha256(b"tessera-idempotency-body|" + key.encode()).digest())
    return cipher.decrypt(sealed[:12], sealed[12:], None)


async def test_a_guessed_idempotency_key_alone_opens_no_stored_answer(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    session = world.client.v1.customer_sessions.create(
        params={"customer": customer.id, **SESSION},  # type: ignore[typeddict-item]
        options={"idempotency_key": "order-1042"},
    )
    async with world.db.connect() as conn:
        query = sa.select(stripe_idempotency).where(
            stripe_idempotency.c.program_id == world.program_id
        )
        rows = (await conn.execute(query)).mappings().all()
    guessed = hashlib.sha256(b"tessera-idempotency-key|order-1042").hexdigest()
    assert guessed not in {row["idempotency_key"] for row in rows}
    for row in rows:
        with pytest.raises(InvalidTag):
            opened_as_before("order-1042", bytes(row["body"]))
    again = world.client.v1.customer_sessions.create(
        params={"customer": customer.id, **SESSION},  # type: ignore[typeddict-item]
        options={"idempotency_key": "order-1042"},
    )
    assert again.client_secret == session.client_secret


async def test_a_sealed_answer_replays_from_another_worker(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    options: Any = {"idempotency_key": "order-2077"}
    params: Any = {"customer": customer.id, **SESSION}
    session = world.client.v1.customer_sessions.create(params=params, options=options)
    other_worker = sdk(world.keys.secret_key, world.another_server().url)
    again = other_worker.v1.customer_sessions.create(params=params, options=options)
    assert again.client_secret == session.client_secret


def test_workers_starting_at_once_agree_on_one_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "tessera.db.key"
    program = (
        "import sys; from pathlib import Path; from tessera.kit.secrets import server_key; "
        "print(server_key(None, Path(sys.argv[1])).hex())"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", program, str(key_file)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {worker.communicate(timeout=60)[0].strip() for worker in workers}
    assert len(keys) == 1
    assert key_file.read_text().strip() in keys
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["tessera.db.key"]


def test_a_configured_secret_key_is_the_same_key_everywhere() -> None:
    configured = "a-long-random-value-shared-by-all-machines"
    assert server_key(configured, None) == server_key(configured, Path("ignored"))
    assert server_key(configured, None) != server_key(configured + "!", None)


def test_a_secret_key_setting_too_short_to_be_secret_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="TESSERA_SECRET_KEY"):
        Settings.from_env({"TESSERA_SECRET_KEY": "short"})


async def test_machines_sharing_the_secret_key_setting_replay_each_others_answers(
    world: StripeWorld,
) -> None:
    customer = world.client.v1.customers.create(params={})
    options: Any = {"idempotency_key": "order-3001"}
    params: Any = {"customer": customer.id, **SESSION}
    shared = {"TESSERA_SECRET_KEY": "one-value-set-on-every-machine-0123456789"}
    first_machine = sdk(world.keys.secret_key, world.another_server(shared).url)
    second_machine = sdk(world.keys.secret_key, world.another_server(shared).url)
    session = first_machine.v1.customer_sessions.create(params=params, options=options)
    again = second_machine.v1.customer_sessions.create(params=params, options=options)
    assert again.client_secret == session.client_secret
    other = {"TESSERA_SECRET_KEY": "another-value-that-opens-nothing-0123456789"}
    elsewhere = sdk(world.keys.secret_key, world.another_server(other).url)
    unrelated = elsewhere.v1.customer_sessions.create(params=params, options=options)
    assert unrelated.client_secret != session.client_secret


def test_a_request_with_lists_keeps_the_fingerprint_older_workers_stored() -> None:
    # Before the decoder read every bracket as a hash key, it decoded lists as lists: the
    # fingerprint an older worker stored for this body must still match in a rolling upgrade.
    body = "customer=cus_1&components[buy_button][enabled]=true&expand[]=customer"
    older_shape = {
        "customer": "cus_1",
        "components": {"buy_button": {"enabled": "true"}},
        "expand": ["customer"],
    }
    canonical = json.dumps(
        ["POST", "/v1/customer_sessions", older_shape], sort_keys=True, separators=(",", ":")
    )
    stored = hashlib.sha256(canonical.encode()).hexdigest()
    assert fingerprint("POST", "/v1/customer_sessions", decode_form(body)) == stored
