"""The two dependency lists (pyproject.toml and environment.yml) must agree."""

from __future__ import annotations

import re
import tomllib

import yaml

from innolab import config

# conda-forge spells a few packages differently from PyPI
_CONDA_TO_PYPI = {"pyyaml": "pyyaml"}
_NOT_PACKAGES = {"python", "pip"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject():
    with open(config.PROJECT_ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)


def test_environment_yml_matches_pyproject():
    project = _pyproject()["project"]
    pypi = {_name(r): r.strip() for r in project["dependencies"]}
    pypi.update({_name(r): r.strip() for r in project["optional-dependencies"]["dev"]})
    with open(config.PROJECT_ROOT / "environment.yml", encoding="utf-8") as fh:
        env = yaml.safe_load(fh)
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and _name(dep) not in _NOT_PACKAGES:
            name = _CONDA_TO_PYPI.get(_name(dep), _name(dep))
            conda[name] = dep.strip()
    assert set(conda) == set(pypi), (
        f"only in environment.yml: {sorted(set(conda) - set(pypi))}; "
        f"only in pyproject.toml: {sorted(set(pypi) - set(conda))}"
    )
    # and the same version floors
    for name, req in pypi.items():
        floor_py = re.sub(r"^[^<>=!~]+", "", req)
        floor_conda = re.sub(r"^[^<>=!~]+", "", conda[name])
        assert floor_py == floor_conda, (
            f"{name}: pyproject {floor_py!r} vs environment.yml {floor_conda!r}"
        )


def test_console_script_is_declared():
    assert _pyproject()["project"]["scripts"]["innolab"] == "innolab.cli:main"


def test_design_card_layout_exists():
    root = config.PROJECT_ROOT
    for part in [
        "notebooks",
        "innolab",
        "data/raw",
        "data/processed",
        "reports",
        "tests",
        "environment.yml",
        "Makefile",
        "benchmarks",
        "pyproject.toml",
        "README.md",
    ]:
        assert (root / part).exists(), part


def test_python3_kernel_resolves_to_this_environment():
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    exe = spec.argv[0]
    assert exe in {"python", sys.executable} or exe.startswith(sys.prefix), spec.argv
