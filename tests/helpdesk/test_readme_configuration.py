"""What an operator reads in the README is what the code reads: every environment variable, and nothing else."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()

# A name read by the app: env_str/env_bool/env_int/env_list("X"), os.environ.get("X"), os.environ["X"],
# os.getenv("X"), "X" in os.environ.
PYTHON_READ = re.compile(
    r"""(?:env_(?:str|bool|int|list)\(|os\.environ\.get\(|os\.environ\[|os\.getenv\()\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|["']([A-Z][A-Z0-9_]*)["']\s+(?:not\s+)?in\s+os\.environ"""
)
SHELL_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")  # ${X}, ${X:-default}, ${X:?message}
MAKE_READ = re.compile(r"^([A-Z][A-Z0-9_]*)\s*\?=|\$\(([A-Z][A-Z0-9_]*)\)", re.MULTILINE)
# Read by the tools themselves, not knobs of this project.
NOT_OURS = {"DJANGO_SETTINGS_MODULE", "PATH", "HOSTNAME", "BIN", "VENV", "CURDIR"}


def configuration_table() -> set[str]:
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


def python_files(*, tests: bool) -> list[Path]:
    skipped = {".venv", ".git", "bench", "node_modules", "staticfiles", "var", *(() if tests else ("tests",))}
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in skipped]
        found += [Path(folder, name) for name in files if name.endswith(".py")]
    return found


def names_read_by_the_app() -> set[str]:
    found = set()
    for path in python_files(tests=False):
        found |= {a or b for a, b in PYTHON_READ.findall(path.read_text())}
    return found - NOT_OURS


def names_read_anywhere() -> set[str]:
    found = names_read_by_the_app()
    for path in python_files(tests=True):
        found |= {a or b for a, b in PYTHON_READ.findall(path.read_text())}
    for name in ("Procfile.dev", "Dockerfile", "compose.yaml"):
        found |= set(SHELL_READ.findall((ROOT / name).read_text()))
    found |= {a or b for a, b in MAKE_READ.findall((ROOT / "Makefile").read_text())}
    return found


def test_every_variable_the_app_reads_is_in_the_configuration_table():
    assert names_read_by_the_app(), "the scan found nothing: the pattern no longer matches the settings"

    assert names_read_by_the_app() - configuration_table() == set()


def test_every_variable_in_the_configuration_table_is_read_somewhere():
    assert configuration_table() - names_read_anywhere() == set()


def test_every_variable_the_image_and_compose_take_is_in_the_readme():
    taken = set()
    for name in ("Procfile.dev", "Dockerfile", "compose.yaml"):
        taken |= set(SHELL_READ.findall((ROOT / name).read_text()))

    assert {name for name in taken - NOT_OURS if f"`{name}`" not in README} == set()


def test_every_variable_compose_gives_the_app_is_one_the_app_reads():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    given = set(compose["x-app"]["environment"])
    assert {"DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME"} <= given

    assert given - names_read_by_the_app() == set()


def test_migrations_run_once_before_web_worker_and_beat():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]

    assert services["migrate"]["command"][-3:] == ["manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web1", "web2", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


def test_compose_web_metrics_count_every_worker_and_beat_keeps_its_schedule():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]

    for name in ("web1", "web2"):
        folder = services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert services[name]["environment"]["DATABASE_URL"] == compose["x-app"]["environment"]["DATABASE_URL"]
        # Emptied before gunicorn starts: prometheus_client's files of a previous run would count again.
        assert 'rm -rf "$$PROMETHEUS_MULTIPROC_DIR"' in services[name]["command"][-1] and folder.startswith("/")
    schedule = services["beat"]["command"][services["beat"]["command"].index("--schedule") + 1]
    volume, mounted_at = services["beat"]["volumes"][0].split(":")
    assert schedule.startswith(mounted_at + "/") and volume in compose["volumes"]
