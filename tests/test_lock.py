"""requirements.lock (what `make install` installs) stays in step with pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from assistant.settings import ROOT


def pins() -> dict[str, Version]:
    text = (ROOT / "requirements.lock").read_text()
    return {
        canonicalize_name(m.group(1)): Version(m.group(2))
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)
    }


def test_every_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = pins()
    for line in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is in pyproject.toml but not in requirements.lock: run make lock"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={locked[name]}, outside {req.specifier}: run make lock"
        )


def test_torch_stays_the_cpu_build_of_2_13_0() -> None:
    torch = pins()["torch"]
    assert torch.public == "2.13.0" and torch.local in (None, "cpu")
    assert not any(name.startswith("nvidia-") for name in pins()), "a CUDA build crept in"


def test_make_install_uses_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install -q -r requirements.lock" in makefile
    assert "--no-deps -e ." in makefile
