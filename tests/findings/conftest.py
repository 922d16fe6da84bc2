"""Fixtures for the regression tests named after the outsiders' findings (shared/findings/)."""

from tests.matching.conftest import office, propose  # noqa: F401  (fixtures shared here)
