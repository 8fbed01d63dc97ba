"""The Admin API's keyset pages and cursors, on both databases."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from tessera.api.loyaltylion_admin.pagination import Listing, cursors, list_request, no_filter
from tessera.kit.errors import Invalid
from tessera.store.pages import Window, fetch_page
from tessera.store.tables import customers
from tests.factories import make_customer, make_tenant

FILTERS = {"email": no_filter}


def request_for(query: str) -> Request:
    return Request(
        {"type": "http", "path": "/v2/customers", "query_string": query.encode(), "headers": []}
    )


async def walk(db: AsyncEngine, program_id: int, query: str) -> tuple[list[list[int]], Listing]:
    """Follow ``next`` cursors from the first page to the last; the ids of each page."""
    pages: list[list[int]] = []
    listing = list_request(request_for(query), FILTERS)
    first = listing
    while True:
        stmt = sa.select(customers.c.id).where(customers.c.program_id == program_id)
        async with db.connect() as conn:
            page = await fetch_page(conn, stmt, customers.c.id, listing.window)
        ids = [row.id for row in page.rows]
        pages.append(ids)
        found = cursors(request_for(query), "http://tessera.test", listing, page, ids)
        if found.body.next is None:
            return pages, first
        listing = list_request(request_for(f"cursor={found.body.next}&limit=2"), FILTERS)


async def test_next_cursors_walk_every_row_newest_first_without_repeats(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    made = [(await make_customer(db, tenant, f"c{n}")).id for n in range(5)]
    pages, _ = await walk(db, tenant.program_id, "limit=2")
    assert pages == [made[4:2:-1], made[2:0:-1], made[0:1]]


async def test_since_id_lists_oldest_first_after_that_id(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    made = [(await make_customer(db, tenant, f"c{n}")).id for n in range(4)]
    pages, _ = await walk(db, tenant.program_id, f"since_id={made[0]}&limit=2")
    assert pages == [made[1:3], made[3:4]]


async def test_a_prev_cursor_returns_the_page_before(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    made = [(await make_customer(db, tenant, f"c{n}")).id for n in range(5)]
    stmt = sa.select(customers.c.id).where(customers.c.program_id == tenant.program_id)
    first = list_request(request_for("limit=2"), FILTERS)
    async with db.connect() as conn:
        page = await fetch_page(conn, stmt, customers.c.id, first.window)
        ids = [row.id for row in page.rows]
        second = list_request(
            request_for(
                f"cursor={cursors(request_for(''), 'http://t', first, page, ids).body.next}"
            ),
            FILTERS,
        )
        page2 = await fetch_page(conn, stmt, customers.c.id, second.window)
        ids2 = [row.id for row in page2.rows]
        back = cursors(request_for(""), "http://t", second, page2, ids2)
        assert back.body.prev is not None
        previous = list_request(request_for(f"cursor={back.body.prev}&limit=2"), FILTERS)
        page0 = await fetch_page(conn, stmt, customers.c.id, previous.window)
    assert [row.id for row in page0.rows] == [made[4], made[3]]
    assert page0.has_prev is False


def test_the_first_page_has_no_prev_cursor_and_a_link_header_for_next() -> None:
    from tessera.store.pages import Page

    listing = list_request(request_for("limit=1"), FILTERS)
    found = cursors(
        request_for("limit=1"), "http://tessera.test", listing, Page([1], True, False), [9]
    )
    assert found.body.prev is None
    assert found.link is not None
    assert found.link.startswith("<http://tessera.test/v2/customers?cursor=")
    assert found.link.endswith('limit=1>; rel="next"')


def test_a_cursor_keeps_the_filters_of_the_first_request_and_ignores_new_ones() -> None:
    from tessera.store.pages import Page

    listing = list_request(request_for("email=ann&limit=1"), FILTERS)
    assert listing.filters == {"email": "ann"}
    found = cursors(request_for(""), "http://t", listing, Page([1], True, False), [9])
    again = list_request(request_for(f"cursor={found.body.next}&email=bob"), FILTERS)
    assert again.filters == {"email": "ann"}
    assert again.window.after_id == 9


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("limit=%EF%BC%91", "limit"),  # a full-width digit one
        ("since_id=-1", "since_id"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + "A" * 3000, "cursor"),
        ("email=" + "a" * 400, "email"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_the_parameter(query: str, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        list_request(request_for(query), FILTERS)
    assert field in refused.value.details


async def test_a_boundary_past_any_id_is_every_row_before_it_and_none_after(
    db: AsyncEngine,
) -> None:
    tenant = await make_tenant(db)
    made = (await make_customer(db, tenant, "c1")).id
    stmt = sa.select(customers.c.id).where(customers.c.program_id == tenant.program_id)
    huge = 10**15
    async with db.connect() as conn:
        after = await fetch_page(conn, stmt, customers.c.id, Window(limit=5, after_id=huge))
        since = await fetch_page(
            conn, stmt, customers.c.id, Window(limit=5, descending=False, after_id=huge)
        )
    assert [row.id for row in after.rows] == [made]
    assert since.rows == []


@pytest.mark.parametrize("path", ["/v2/activities", "/v2/orders", "/v2/customers"])
async def test_a_timestamp_filter_outside_utcs_years_is_a_400_naming_it(
    client: httpx.AsyncClient, db: AsyncEngine, path: str
) -> None:
    tenant = await make_tenant(db)
    response = await client.get(
        path, params={"created_at_min": "0001-01-01T00:00:00+05:00"}, headers=tenant.auth
    )
    assert response.status_code == 400, response.text
    assert "created_at_min" in response.json()["error"]["details"]
