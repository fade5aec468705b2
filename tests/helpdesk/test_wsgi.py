"""The WSGI module that gunicorn serves: what it leaves behind for the garbage collector."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.processes import run_django

WHAT_IMPORTING_LEAVES = """
import gc, json, sys
import helpdesk.wsgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "tracked": len(gc.get_objects()),
    "views_loaded": all(name in sys.modules for name in ("helpdesk.urls", "tickets.api", "tickets.views.staff")),
}))
"""


def test_serving_process_hides_what_loading_made_from_the_collector(tmp_path: Path) -> None:
    """A full collection in a worker walks only what requests left, not the app's code and settings."""
    result = run_django(WHAT_IMPORTING_LEAVES, {}, tmp_path)

    assert result.returncode == 0, result.stderr
    left = json.loads(result.stdout.strip().splitlines()[-1])
    assert left["views_loaded"], "the URLconf (every view module) is loaded before the freeze, not in a request"
    assert left["frozen"] > 50_000
    assert left["tracked"] < left["frozen"] / 20
