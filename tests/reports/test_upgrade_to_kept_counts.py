"""The upgrade that added the open counts and the per-day figures (reports migration 0003) leaves the dashboard
right at once: it counts the open tickets from the metrics and marks every rolled-up day stale, so those days are
read from the metrics until the beat task rebuilds them."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.db.models import F

from reports.models import DailyRollup, DurationRollup, OpenTicketCount, StaleRollupDay
from reports.selectors import dashboard
from tests.reports.conftest import PERIOD

upgrade = importlib.import_module("reports.migrations.0003_open_counts_and_duration_rollups")


def as_before_the_upgrade() -> None:
    """What an install had before 0003: rollups without the new columns' figures, no distributions or open counts."""
    DailyRollup.objects.update(sla_tracked=0, sla_breached=0, reopened=0, rated=0, rated_good=0, created_web=0)
    DailyRollup.objects.update(created_email=F("created_api"))  # zeros too: the month has no API tickets
    DurationRollup.objects.all().delete()
    OpenTicketCount.objects.all().delete()
    StaleRollupDay.objects.all().delete()


def test_the_upgrade_gives_the_figures_the_rollups_would(month):
    rolled_up = dashboard(PERIOD)
    as_before_the_upgrade()
    assert dashboard(PERIOD) != rolled_up  # what the upgrade must mend

    upgrade.fill_from_the_metrics(apps, None)

    assert dashboard(PERIOD) == rolled_up
    assert StaleRollupDay.objects.count() == DailyRollup.objects.values("day").distinct().count()
