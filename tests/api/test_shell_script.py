"""The five-line deploy script of docs/api.md, run exactly as written (bash + curl + jq + sha256sum)
against a real uvicorn server on 127.0.0.1.  CI needs curl and jq installed (apt-get install jq)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.api.server import running
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in ("bash", "curl", "jq", "sha256sum")),
                                reason="needs bash, curl, jq and sha256sum (apt-get install jq)")


def _script() -> str:
    text = (REPO / "docs" / "api.md").read_text()
    block = re.search(r"<!-- deploy-script -->\s*```bash\n(.*?)```\s*<!-- /deploy-script -->", text, re.DOTALL)
    assert block, "docs/api.md lost its deploy script block"
    return block.group(1)


def test_the_documented_script_deploys_an_approved_version(app, world, client, tmp_path):
    script = _script()
    assert len(script.strip().splitlines()) == 5
    with running(app) as url:
        env = {**os.environ, "CANVAS_URL": url, "CANVAS_TOKEN": world.tokens["dee"], "V": str(world.approved_id),
               "ENVIRONMENT": "script-env", "RELEASE": "pipeline-run-42"}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, check=False,
                              text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "model.joblib: OK" in done.stdout
    deployment_id = int(done.stdout.strip().splitlines()[-1])
    deps = client.get("/api/v1/deployments", params={"environment": "script-env"}, headers=world.headers("dee")).json()
    assert [(d["id"], d["version_id"], d["reference"]) for d in deps] == [(deployment_id, world.approved_id, "pipeline-run-42")]


def test_the_script_stops_on_a_tampered_download(app, world, tmp_path):
    """A digest mismatch must stop the script before anything is recorded (simulated by a wrong SHA)."""
    script = _script().replace('SHA=$(', 'SHA=0$(', 1)
    with running(app) as url:
        env = {**os.environ, "CANVAS_URL": url, "CANVAS_TOKEN": world.tokens["dee"], "V": str(world.approved_id),
               "ENVIRONMENT": "never-env", "RELEASE": "x"}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, check=False,
                              text=True, timeout=120)
    assert done.returncode != 0
