"""The allocation tuning during a solve is scoped: nested uses count, defaults come back."""

from __future__ import annotations

import pytest

from matcher.engine import memory

pytestmark = pytest.mark.engine


def test_hugepage_advice_is_off_inside_and_restored_after() -> None:
    switch = memory._hugepage_switch()
    if switch is None:
        pytest.skip("this numpy has no huge-page switch")
    before = switch(True)  # switch() sets a value and returns the previous one
    try:
        with memory.reuse_freed_memory():
            with memory.reuse_freed_memory():
                assert switch(False) is False
            # Still inside the outer block: still off.
            assert switch(False) is False
        assert switch(True) is True
    finally:
        switch(before)
