"""The one outbound request: what it refuses, what it does not follow, what it bounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tessera.webhooks.outbound import MAX_RESPONSE_BYTES, AddressRefused, check_url, post

from .receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_a_private_loopback_or_link_local_address_is_refused(url: str) -> None:
    with pytest.raises(AddressRefused, match="TESSERA_WEBHOOKS_ALLOW_PRIVATE"):
        check_url(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/hook", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("https://user:pass@example.com/hook", "credentials"),
        ("https:///hook", "no host"),
        ("https://example.com:99999/hook", "not a valid URL"),
    ],
)
def test_a_url_that_is_not_plain_http_or_https_is_refused(url: str, why: str) -> None:
    with pytest.raises(AddressRefused, match=why):
        check_url(url, allow_private=True)


async def test_a_name_resolving_to_loopback_is_refused_when_posting() -> None:
    outcome = await post("http://localhost:9/hook", b"{}", [], allow_private=False)
    assert outcome.status is None and not outcome.succeeded
    assert outcome.error is not None and "loopback" in outcome.error


async def test_a_2xx_is_success_and_the_body_and_headers_arrive(receiver: Receiver) -> None:
    outcome = await post(receiver.url, b'{"a": 1}', [("x-sig", "abc")], allow_private=True)
    [got] = receiver.requests
    assert outcome.succeeded and outcome.status == 200 and outcome.excerpt == "ok"
    assert got.body == b'{"a": 1}' and got.headers["x-sig"] == "abc"
    assert got.headers["content-type"].startswith("application/json")


async def test_a_redirect_is_a_failure_and_is_not_followed(receiver: Receiver) -> None:
    receiver.script = [302]
    receiver.answer_headers = {"location": receiver.url + "/elsewhere"}
    outcome = await post(receiver.url, b"{}", [], allow_private=True)
    assert not outcome.succeeded and outcome.status == 302
    assert outcome.error is not None and "not followed" in outcome.error
    assert len(receiver.requests) == 1


async def test_a_huge_answer_is_read_only_to_the_bound(receiver: Receiver) -> None:
    receiver.answer_body = b"x" * (MAX_RESPONSE_BYTES * 8)
    outcome = await post(receiver.url, b"{}", [], allow_private=True)
    assert outcome.succeeded and len(outcome.excerpt) == 1000


async def test_an_answer_slower_than_the_timeout_is_a_failure(receiver: Receiver) -> None:
    receiver.delay = 1.0
    outcome = await post(receiver.url, b"{}", [], allow_private=True, within=0.2)
    assert not outcome.succeeded and outcome.error == "no answer within 0.2 s"


async def test_a_closed_port_is_a_failure_that_says_so() -> None:
    outcome = await post("http://127.0.0.1:9/hook", b"{}", [], allow_private=True)
    assert outcome.status is None and outcome.error is not None
    assert outcome.error.startswith("could not connect")
