"""Every spec in openapi/ is served, has a generated client in both
languages and client tests in both: a surface cannot be added without
them."""

import json

import pytest

from conftest import OUT, ROOT

SURFACES = sorted(path.stem for path in (ROOT / "openapi").glob("*.yaml"))


def test_there_are_surfaces():
    assert SURFACES, "no specs in openapi/"


@pytest.mark.parametrize("surface", SURFACES)
def test_surface_has_client_tests(surface):
    assert (ROOT / "clients" / "python" / f"test_{surface}.py").is_file(), f"clients/python/test_{surface}.py"
    assert (ROOT / "clients" / "ts" / f"{surface}.test.ts").is_file(), f"clients/ts/{surface}.test.ts"


@pytest.mark.parametrize("surface", SURFACES)
def test_surface_spec_was_served_and_generated(surface):
    spec = json.loads((OUT / "specs" / f"{surface}.json").read_text())
    assert spec["openapi"].startswith("3.")
    assert (OUT / "python" / f"steward_{surface}" / "client.py").is_file()
    assert (OUT / "ts" / f"{surface}.d.ts").is_file()
