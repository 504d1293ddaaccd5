"""The Grafana dashboard in docs/ queries only metrics workhorse exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workhorse import prometheus

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana-workhorse.json"
DOCS = Path(__file__).parents[2] / "docs" / "observability.md"


def test_every_metric_the_dashboard_queries_is_exported_and_documented() -> None:
    data = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in data["panels"] for t in p["targets"]]
    used = {
        re.sub(r"_(bucket|sum|count)$", "", m)
        for e in exprs
        for m in re.findall(r"workhorse_[a-z_]+", e)
    }
    source = Path(prometheus.__file__).read_text()
    documented = DOCS.read_text()
    for name in used:
        base = name.removesuffix("_total")
        assert f'"{base}"' in source, f"{name} is not exported"
        assert name in documented, f"{name} is not documented"
