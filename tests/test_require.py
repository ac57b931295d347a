"""`require` and the `requires` marks: a test that cannot run here skips on a laptop and fails in CI."""

import json

import pytest

from tests.conftest import pytest_runtest_setup, require, require_module


@pytest.fixture(params=["true", "True", "1", "yes"])
def ci(request, monkeypatch):
    monkeypatch.setenv("CI", request.param)


@pytest.fixture
def laptop(monkeypatch):
    monkeypatch.delenv("CI", raising=False)


class Marked:
    """A stand-in test item carrying marks, as pytest hands one to pytest_runtest_setup."""

    def __init__(self, *marks):
        self.marks = [m.mark for m in marks]

    def iter_markers(self, name):
        return [m for m in self.marks if m.name == name]


def test_a_missing_need_skips_on_a_laptop(laptop):
    with pytest.raises(pytest.skip.Exception, match="shared data not present"):
        require(False, "shared data not present")


def test_a_missing_need_fails_in_ci(ci):
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI: shared data not present"):
        require(False, "shared data not present")


@pytest.mark.parametrize("value", ["", "false", "0"])
def test_ci_off_values_still_skip(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception):
        require(False, "why")


def test_a_met_need_neither_skips_nor_fails(ci):
    assert require(True, "never shown") is None
    assert require_module("json") is json


def test_a_missing_module_skips_on_a_laptop_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no_such_quarry_module is not installed"):
        require_module("no_such_quarry_module")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI: no_such_quarry_module is not installed"):
        require_module("no_such_quarry_module")


def test_marks_apply_the_same_rule_before_fixtures_run(monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytest_runtest_setup(Marked(pytest.mark.requires(True, "met"), pytest.mark.requires_modules("json")))
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI: shared PDFs not present"):
        pytest_runtest_setup(Marked(pytest.mark.requires(False, "shared PDFs not present")))
    with pytest.raises(pytest.fail.Exception, match="no_such_quarry_module is not installed"):
        pytest_runtest_setup(Marked(pytest.mark.requires_modules("json", "no_such_quarry_module")))
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="shared PDFs not present"):
        pytest_runtest_setup(Marked(pytest.mark.requires(False, "shared PDFs not present")))
