"""docs/benchmarks.png: each endpoint's req/s as a share of its setup's ceiling, beside its
target, and its p99 beside the p99 target."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bench.report import Run, ratio


def share_text(value: float) -> str:
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def write_chart(path: Path, run: Run) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not run.setups:
        return
    endpoints = [result.endpoint for result in run.setups[0].results]
    labels = [textwrap.fill(e.label.replace("/v2/sites/{id}/", ""), 18) for e in endpoints]
    width = 0.8 / len(run.setups)
    figure, (shares, p99s) = plt.subplots(2, 1, figsize=(11, 8.5), sharex=True)
    for index, setup in enumerate(run.setups):
        xs = [i - 0.4 + width * (index + 0.5) for i in range(len(endpoints))]
        share, p99 = [], []
        for endpoint in endpoints:
            result = setup.result(endpoint.key)
            share.append(
                ratio(result.measured.per_second, setup.ceiling.per_second) or 0.0
                if result
                else 0.0
            )
            p99.append(result.measured.p99_ms if result else 0.0)
        bars = shares.bar(xs, share, width, label=setup.setup.title)
        shares.bar_label(bars, fmt=share_text, fontsize=7)
        p99s.bar(xs, p99, width, label=setup.setup.title)
    for i, endpoint in enumerate(endpoints):
        if endpoint.target is None:
            continue
        shares.hlines(endpoint.target.min_ratio, i - 0.45, i + 0.45, colors="black")
        if endpoint.target.max_p99_ms is not None:
            p99s.hlines(endpoint.target.max_p99_ms, i - 0.45, i + 0.45, colors="black")
    shares.set_ylabel("req/s ÷ ceiling (black: target)")
    shares.set_title("Tessera under wrk, as a share of a bare ASGI app on the same uvicorn")
    shares.legend(fontsize=8)
    p99s.set_ylabel("p99 ms (black: target)")
    p99s.set_yscale("log")
    p99s.set_xticks(range(len(endpoints)), labels, fontsize=8, rotation=0)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
