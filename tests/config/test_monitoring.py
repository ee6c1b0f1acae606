"""docs/monitoring/: the alert rules pass ``promtool check rules`` and their unit tests,
``/metrics`` passes ``promtool check metrics`` (Prometheus' naming lint), and the rules
and the dashboard name only families the code exports.

promtool is Debian's ``prometheus`` package; without it these tests skip and say so,
and with ``CI`` set they fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR, IN_CI

MONITORING = BASE_DIR / "docs" / "monitoring"
RULES = MONITORING / "alerts.yml"
RULES_TESTS = MONITORING / "alerts.test.yml"
DASHBOARD = MONITORING / "dashboard.json"
METRICS_MODULE = BASE_DIR / "reminders" / "metrics.py"
PROMTOOL = Path("/usr/bin/promtool")
FAMILY = re.compile(r"\blightblog_[a-z_]+")


def promtool() -> str:
    path = shutil.which("promtool") or (str(PROMTOOL) if PROMTOOL.exists() else None)
    if path:
        return path
    message = "promtool is missing (apt-get install prometheus)"
    if IN_CI:
        pytest.fail(f"{message}; CI is set: monitoring tests never skip")
    pytest.skip(f"{message}: embedded run, skipped")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [promtool(), *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_the_rules_pass_promtool_check_rules() -> None:
    result = run("check", "rules", str(RULES))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout


def test_the_rules_fire_when_they_must_promtool_test_rules() -> None:
    result = run("test", "rules", str(RULES_TESTS))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.django_db
def test_metrics_pass_promtool_check_metrics(client, settings) -> None:
    """Prometheus' own lint of names, units, suffixes and help texts."""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    text = client.get("/metrics").content.decode()
    assert "lightblog_reminders_outbox" in text

    result = run("check", "metrics", stdin=text)

    problems = [
        line for line in (result.stdout + result.stderr).splitlines() if "lightblog" in line
    ]
    assert problems == []


def exported_families() -> set[str]:
    """The names a scrape may show: each family of reminders/metrics.py, with the
    suffixes its type adds."""
    source = METRICS_MODULE.read_text()
    names = set()
    for kind, name in re.findall(
        r'(Counter|Histogram|_gauge|GaugeMetricFamily)\(\s*"(lightblog_[a-z_]+)"', source
    ):
        if kind == "Counter":
            names.add(f"{name}_total")
        elif kind == "Histogram":
            names.update(f"{name}_{suffix}" for suffix in ("bucket", "count", "sum"))
        else:
            names.add(name)
    return names


def test_the_rules_and_the_dashboard_name_only_exported_families() -> None:
    exported = exported_families()
    assert "lightblog_emails_total" in exported
    assert "lightblog_beat_last_tick_age_seconds" in exported
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    )
    rules = RULES.read_text()

    assert set(FAMILY.findall(expressions)) - exported == set()
    assert set(FAMILY.findall(rules)) - exported == set()
    # Every family is on the dashboard or in a rule (the rest would be invisible).
    shown = set(FAMILY.findall(expressions)) | set(FAMILY.findall(rules))
    bases = {re.sub(r"_(bucket|count|sum)$", "", name) for name in exported}
    unseen = {
        base
        for base in bases
        if base not in shown and not any(name.startswith(base) for name in shown)
    }
    assert unseen <= {"lightblog_digest_started_timestamp_seconds"}, unseen


def test_the_dashboard_is_grafana_json_with_a_datasource_variable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())

    assert dashboard["uid"] == "lightblog"
    [variable] = dashboard["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
