"""The human-readable API docs at /docs, rendered from the served OpenAPI contracts."""

from __future__ import annotations

import httpx
import pytest
from markupsafe import escape

from tessera.api.contract import CONTRACTS, load_contract
from tessera.web.docs import METHODS, markdown


async def test_the_index_lists_every_served_contract(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    for name in CONTRACTS:
        assert f'href="/docs/{name}"' in response.text
        assert f'href="/openapi/{name}.json"' in response.text
        assert load_contract(name)["info"]["title"] in response.text


@pytest.mark.parametrize("name", list(CONTRACTS))
async def test_a_contract_page_shows_every_operation(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/docs/{name}")
    assert response.status_code == 200
    for path, item in load_contract(name)["paths"].items():
        for method in (m for m in METHODS if m in item):
            assert f"<code>{path}</code>" in response.text
            summary = item[method].get("summary")
            if summary:
                assert str(escape(summary)) in response.text


async def test_an_operation_shows_parameters_request_fields_and_responses(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/docs/admin-v2")).text
    start = page.index('id="post-v2-sites-site-id-webviews-sessions"')
    operation = page[start : page.index("</article>", start)]
    assert "<code>/v2/sites/{site_id}/webviews/sessions</code>" in operation
    assert ">site_id</code>" in operation and "path" in operation  # a path parameter
    assert "Request body" in operation
    assert 'title="customer.merchant_id"' in operation  # a nested request field
    assert ">201</span>" in operation and ">401</span>" in operation


async def test_an_unknown_contract_is_a_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/no-such-api")
    assert response.status_code == 404
    assert "No contract named" in response.text


async def test_docs_pages_load_no_script_and_no_remote_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/headless-2025-06")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "style-src 'sha256-" in policy
    assert "<script" not in response.text
    assert 'src="http' not in response.text and '<link rel="stylesheet"' not in response.text


def test_descriptions_render_markdown_but_escape_raw_html() -> None:
    html = markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript:' not in html


def test_stripe_paragraph_and_code_tags_read_as_text() -> None:
    html = markdown("<p>Pass <code>card[token]</code>.</p><p>Then claim.</p><b>bold</b>")
    assert "<p>Pass <code>card[token]</code>.</p>" in html and "<p>Then claim.</p>" in html
    assert "&lt;p&gt;" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # any other tag is still escaped
