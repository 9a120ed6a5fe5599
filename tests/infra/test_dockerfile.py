"""The Dockerfile (no Docker engine here): multi-stage, non-root, no build tools in the final image,
a HEALTHCHECK on /healthz, the Procfile's web command, and a static stage whose steps really collect
the static files with the production (manifest) storage."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.infra.processes import procfile

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            keyword, _, rest = current.partition(" ")
            joined.append((keyword.upper(), rest.strip()))
            current = ""
    return joined


def stages() -> dict[str, list[tuple[str, str]]]:
    found, name = {}, None
    for keyword, rest in instructions():
        if keyword == "FROM":
            match = re.search(r"\bAS\s+(\S+)", rest, re.IGNORECASE)
            name = match.group(1) if match else str(len(found))
            found[name] = []
        elif name is not None:
            found[name].append((keyword, rest))
    return found


def test_the_image_is_built_in_stages():
    assert list(stages()) == ["build", "static", "runtime"]


def test_the_final_image_runs_as_a_non_root_user():
    users = [rest for keyword, rest in stages()["runtime"] if keyword == "USER"]

    assert users and users[-1].split(":")[0] not in {"root", "0"}


def test_build_tools_stay_out_of_the_final_image():
    runtime_runs = " ".join(rest for keyword, rest in stages()["runtime"] if keyword == "RUN")
    build_runs = " ".join(rest for keyword, rest in stages()["build"] if keyword == "RUN")

    assert "build-essential" in build_runs
    assert not re.search(r"apt-get install|build-essential|gcc|pip install", runtime_runs)
    copies = [rest for keyword, rest in stages()["runtime"] if keyword == "COPY"]
    assert all("--from=" in c for c in copies)  # only the venv and the collected app, nothing from the host


def test_the_healthcheck_calls_healthz():
    checks = [rest for keyword, rest in stages()["runtime"] if keyword == "HEALTHCHECK"]

    assert len(checks) == 1 and "/healthz" in checks[0]


def test_the_default_command_is_the_procfile_web_process_and_never_migrates():
    command = [rest for keyword, rest in stages()["runtime"] if keyword == "CMD"][-1]

    assert procfile()["web"] in command.replace('\\"', '"')
    assert "migrate" not in command


def test_the_docker_context_leaves_out_local_state_and_secrets():
    ignored = set((REPO / ".dockerignore").read_text().split())

    assert {".git", ".venv", ".env", "db.sqlite3", "staticfiles", "tests"} <= ignored


def test_the_static_stage_collects_static_files_with_the_production_storage(tmp_path):
    """Runs the static stage's RUN steps (the image's collectstatic) in a copy of the build context."""
    context = tmp_path / "app"
    vendored = REPO / "static" / "vendor" / "graphiql-3.8.3" / "graphiql.min.css"
    before = vendored.read_bytes()
    ignore = shutil.ignore_patterns(
        ".git", ".venv", ".cache", "node_modules", "tests", "staticfiles", "__pycache__"
    )
    shutil.copytree(REPO, context, ignore=ignore)
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }

    for keyword, rest in stages()["static"]:
        if keyword == "RUN":
            result = subprocess.run(  # noqa: S603
                ["/bin/sh", "-c", rest.replace("/tmp/build.sqlite3", str(tmp_path / "build.sqlite3"))],
                cwd=context, env=env, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]

    manifest = context / "staticfiles" / "staticfiles.json"
    assert manifest.is_file()
    assert vendored.read_bytes() == before  # the build edits its own copy, never the sources
