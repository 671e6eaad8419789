"""The pinned installs (requirements/*.txt) agree with pyproject.toml, without the network.

``scripts/lock.sh --check`` (run by CI) re-resolves against the package index and
compares byte for byte; this test catches the common slip earlier and offline:
a range edited in pyproject.toml that the lock's pin no longer satisfies, a new
dependency that is not locked, a pin without hashes, the locks drifting apart,
or PyTorch creeping in.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import REPO

#: The platform the lock is resolved for (scripts/lock.sh): markers are evaluated as there.
TARGET = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux", "platform_system": "Linux",
          "platform_machine": "x86_64", "os_name": "posix", "implementation_name": "cpython",
          "platform_python_implementation": "CPython"}
LOCKS = {"runtime": ("postgres", "s3"), "ray": ("postgres", "s3", "ray"), "dev": ("dev",)}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _pins(name: str) -> dict[str, tuple[str, int]]:
    """``{package: (version, number of hashes)}`` of one lock file."""
    out: dict[str, tuple[str, int]] = {}
    current = None
    for line in (REPO / "requirements" / f"{name}.txt").read_text().splitlines():
        if m := _PIN.match(line):
            current = canonicalize_name(m.group(1))
            out[current] = (m.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, n = out[current]
            out[current] = (version, n + 1)
    return out


def _requirements(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return [r for r in reqs if r.marker is None or r.marker.evaluate({**TARGET, "extra": ""})]


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_declared_dependency_is_pinned_within_its_range(lock):
    pins = _pins(lock)
    for req in _requirements(LOCKS[lock]):
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is declared in pyproject.toml but not locked in requirements/{lock}.txt: run scripts/lock.sh"
        version = pins[name][0]
        assert req.specifier.contains(version, prereleases=True), (
            f"requirements/{lock}.txt pins {name}=={version}, outside pyproject.toml's {req}: run scripts/lock.sh")
    assert all(n > 0 for _, n in pins.values()), f"requirements/{lock}.txt has a pin without a hash"


def test_runtime_and_ray_locks_hold_the_tested_versions():
    dev = _pins("dev")
    for lock in ("runtime", "ray"):
        differ = {name: (v, dev.get(name, ("missing", 0))[0]) for name, (v, _) in _pins(lock).items()
                  if dev.get(name, (None, 0))[0] != v}
        assert not differ, f"requirements/{lock}.txt pins versions the dev lock (what CI tests) does not: {differ}"
    assert {"pytest", "selenium", "schemathesis", "moto"}.isdisjoint(_pins("runtime")), "test tools in the runtime lock"
    assert "ray" not in _pins("runtime") and "ray" in _pins("ray")


def test_no_lock_installs_pytorch():
    for lock in LOCKS:
        assert {"torch", "torchvision", "torchaudio", "triton"}.isdisjoint(_pins(lock)), lock
