"""The bench harness's pure parts: wrk's summary line, the ratios and targets, what fails a
run, the report it writes, and the requests it sends. No server is started."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlencode

import stripe._encode
from bench.endpoints import (
    FRESH,
    STRIPE_PYTHON,
    Demo,
    Endpoint,
    Target,
    endpoints,
    stripe_form,
)
from bench.report import (
    BEGIN,
    END,
    EndpointResult,
    Peer,
    Run,
    SetupResult,
    failures,
    meets_p99,
    meets_rss,
    meets_throughput,
    render,
    versus_sqlite,
    write_report,
)
from bench.rows import check_rows
from bench.setups import SETUPS, parse_vmhwm_kb
from bench.wrk import Measured, Request, combine, parse_summary

SUMMARY = (
    "Running 5s test @ http://127.0.0.1:1/\n"
    'BENCH_JSON {"requests": 1500, "duration_us": 5000000, "connect": 0, "read": 2, '
    '"write": 0, "status": 3, "timeout": 1, "p50_us": 2500, "p99_us": 19000, '
    '"statuses": {"201": 1497, "429": 2, "503": 1}}\n'
)


def measured(
    per_second: float, p99_ms: float = 5.0, statuses: dict[int, int] | None = None
) -> Measured:
    requests = int(per_second * 5)
    return Measured(requests, 5.0, 1.0, p99_ms, 0, statuses or {200: requests})


def endpoint(key: str, target: Target | None, rows: tuple[str, ...] = ()) -> Endpoint:
    return Endpoint(key, key, Request("GET", "/"), target, rows)


def setup_result(database: str, ceiling: float, webview: float, **extra: object) -> SetupResult:
    name = "postgresql" if database == "postgresql" else "sqlite"
    results = [
        EndpointResult(
            endpoint("webview", Target(0.40, 20), ("webview_sessions",)),
            measured(webview, p99_ms=25.0),
            {201: int(webview * 6)},
            check_rows(
                ["webview_sessions"],
                int(webview * 6),
                {"webview_sessions": 0},
                {"webview_sessions": int(webview * 6)},
            ),
        )
    ]
    return SetupResult(
        SETUPS[name],
        measured(ceiling),
        [30.0, 31.0],
        results,
        [100.0, 120.0],
        **extra,  # type: ignore[arg-type]
    )


def test_the_summary_line_gives_counts_per_status_summed_over_threads() -> None:
    m = parse_summary(SUMMARY)
    assert m.requests == 1500
    assert m.per_second == 300
    assert (m.p50_ms, m.p99_ms) == (2.5, 19.0)
    assert m.statuses == {201: 1497, 429: 2, 503: 1}
    assert m.acknowledged == 1497
    assert m.server_errors == 1
    assert m.socket_errors == 3
    assert m.errors == 6


def test_a_summary_without_answers_has_no_statuses() -> None:
    line = SUMMARY.replace('{"201": 1497, "429": 2, "503": 1}', "{}")
    assert parse_summary(line).statuses == {}


def test_warm_up_and_measurement_answers_add_up() -> None:
    a = measured(10, statuses={201: 5, 500: 1})
    b = measured(10, statuses={201: 7})
    assert combine([a, b]) == {201: 12, 500: 1}


def test_targets_compare_shares_of_the_ceiling_and_p99() -> None:
    target = Target(0.40, 20)
    assert meets_throughput(target, 0.40) is True
    assert meets_throughput(target, 0.39) is False
    assert meets_throughput(None, 0.5) is None
    assert meets_p99(target, 20.0) is True
    assert meets_p99(target, 20.1) is False
    assert meets_p99(Target(0.6), 500) is None
    assert meets_rss([149.0, 150.0]) is True
    assert meets_rss([90.0, 151.0]) is False


def test_postgresql_is_judged_by_its_share_against_sqlites_share() -> None:
    sqlite = setup_result("sqlite", 50_000, 20_000)  # 0.40 of its ceiling
    postgres = setup_result("postgresql", 40_000, 12_000)  # 0.30 of its ceiling
    run = Run([sqlite, postgres])
    assert versus_sqlite(run, postgres, "webview") == 0.30 / 0.40
    assert versus_sqlite(run, sqlite, "webview") is None


def test_a_missed_target_does_not_fail_the_run_but_5xx_and_missing_rows_do() -> None:
    fine = setup_result("sqlite", 50_000, 100)  # far below target: reported only
    assert failures(Run([fine])) == []
    broken = SetupResult(
        SETUPS["sqlite"],
        measured(50_000),
        [30.0],
        [
            EndpointResult(
                endpoint("stripe-customer", Target(0.35), ("stripe_customers",)),
                measured(100),
                {200: 600, 500: 2},
                check_rows(
                    ["stripe_customers"], 600, {"stripe_customers": 10}, {"stripe_customers": 608}
                ),
            )
        ],
        [100.0],
    )
    found = failures(Run([broken]))
    assert len(found) == 2
    assert "2 answers with status 5xx (2 x 500)" in found[0]
    assert (
        "600 acknowledged answers but only 598 new rows in stripe_customers (2 missing)" in found[1]
    )


def test_rows_may_outnumber_acknowledged_answers() -> None:
    (check,) = check_rows(["customers"], 10, {"customers": 5}, {"customers": 20})
    assert check.stored == 15
    assert check.missing == 0


def test_peak_rss_is_read_from_vmhwm() -> None:
    status = "Name:\tpython3\nVmPeak:\t  400000 kB\nVmHWM:\t  104448 kB\nVmRSS:\t 90000 kB\n"
    assert parse_vmhwm_kb(status) == 104448
    assert parse_vmhwm_kb("Name:\tkthreadd\n") is None


def test_the_report_shows_ratios_targets_rows_rss_and_peers() -> None:
    sqlite = setup_result("sqlite", 50_000, 20_000)
    postgres = setup_result("postgresql", 40_000, 12_000, notes=["PostgreSQL as it ran: fsync=on."])
    peers = [Peer("stripe-mock", None, 55_000, note="quoted", quoted_per_second=19_600)]
    text = render(Run([sqlite, postgres], peers, settings="wrk: test."), commit="abc1234")
    assert "at commit `abc1234`" in text
    assert "![Each endpoint's req/s as a share of the ceiling](benchmarks.png)" in text
    assert "| ceiling (bare ASGI app) | 50,000 | 1.00 |" in text
    assert (
        "| webview | 20,000 | 0.40 | ≥ 0.40, p99 ≤ 20 ms | pass "
        "| 1.00 | 1.00 | 25.0 | 5.00 | **miss** |" in text
    )
    assert "| webview | 12,000 | 0.30 | ≥ 0.40, p99 ≤ 20 ms | **miss** |" in text
    assert "120,000 acked: webview_sessions +120,000 (ok)" in text
    assert "| 0.75 | pass |" in text  # PostgreSQL's 0.30 against SQLite's 0.40
    assert "100 MB, 120 MB; the ceiling's 30 MB, 31 MB (÷ ceiling 3.87)" in text
    assert "target ≤ 150 MB per worker: pass" in text
    assert "PostgreSQL as it ran: fsync=on." in text
    assert "| stripe-mock | 19,600 | 55,000 | 0.36 |" in text


def test_the_report_replaces_its_section_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(f"# Benchmarks\n\nWritten by hand.\n\n{BEGIN}\nold\n{END}\n\nAlso by hand.\n")
    run = Run(
        [setup_result("sqlite", 50_000, 20_000)], started=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    write_report(path, run, commit="x")
    write_report(path, run, commit="x")
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\nWritten by hand.\n")
    assert text.endswith(f"{END}\n\nAlso by hand.\n")
    assert "old" not in text
    assert text.count(BEGIN) == 1
    assert "Measured 2026-01-01 00:00 UTC" in text


def test_stripe_bodies_are_encoded_as_stripe_python_encodes_them() -> None:
    params: dict[str, object] = {
        "customer": "cus_123",
        "components": {"pricing_table": {"enabled": True}},
    }
    theirs = urlencode(list(stripe._encode._api_encode(params)))
    assert stripe_form(params) == theirs.replace("%5B", "[").replace("%5D", "]")
    assert stripe_form(params) == "customer=cus_123&components[pricing_table][enabled]=true"
    assert stripe_form({"email": "shopper@example.com"}) == "email=shopper%40example.com"


def test_the_stripe_requests_carry_stripe_pythons_headers_and_a_fresh_idempotency_key() -> None:
    import stripe

    assert stripe.VERSION == STRIPE_PYTHON
    demo = Demo(site_id=7, api_key="pat_x", stripe_secret_key="sk_test_x", stripe_customer="cus_1")
    by_key = {e.key: e for e in endpoints(demo)}
    for key in ("stripe-customer", "stripe-customer-session"):
        headers = by_key[key].request.headers
        assert headers["Authorization"] == "Bearer sk_test_x"
        assert headers["Idempotency-Key"] == FRESH
        assert headers["Stripe-Version"] == stripe.api_version
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "stripe_idempotency" in by_key["stripe-customer"].rows


def test_a_new_headless_customer_gets_a_fresh_id_and_email_per_request() -> None:
    demo = Demo(site_id=7, api_key="pat_x", stripe_secret_key="sk_test_x")
    request = next(e for e in endpoints(demo) if e.key == "headless-new").request
    assert request.path == f"/headless/2025-06/7/customers/bench-{FRESH}/sessions?channel=web"
    assert FRESH in request.body


def test_a_profile_sample_goes_to_the_innermost_library_or_tessera_package() -> None:
    from bench.profile import bucket_of

    outer = "run (asyncio/runners.py:118);endpoint (src/tessera/api/stripe/endpoint.py:40)"
    assert bucket_of(outer) == "dialect adapters"
    inner = outer + ";execute (site-packages/sqlalchemy/engine/base.py:1400)"
    assert bucket_of(inner) == "SQLAlchemy"
    assert bucket_of("<module> (<frozen>)") == "other (interpreter, C)"
