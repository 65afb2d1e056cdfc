"""The one bounded memory of the project: most recently used keys, at most `size` of them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectsbot.recent import Recent


def test_past_its_size_the_least_recently_used_key_is_forgotten() -> None:
    recent: Recent[str, int] = Recent(2)
    assert recent.put("a", 1) == [] and recent.put("b", 2) == []
    assert recent.get("a") == 1  # reading "a" makes "b" the least recent
    assert recent.put("c", 3) == [("b", 2)]  # what was forgotten, for a caller that must release it
    assert "b" not in recent and recent["a"] == 1 and recent.get("c") == 3 and len(recent) == 2


def test_asking_whether_a_key_is_there_does_not_make_it_recent() -> None:
    recent: Recent[int, None] = Recent(2)
    recent.put(1, None)
    recent.put(2, None)
    assert 1 in recent
    recent.put(3, None)
    assert 1 not in recent and 2 in recent and 3 in recent


def test_discard_clear_and_a_size_of_none() -> None:
    recent: Recent[str, int] = Recent(3)
    recent.put("a", 1)
    recent.discard("a")
    recent.discard("never there")
    assert recent.get("a") is None
    recent.put("b", 2)
    recent.clear()
    assert len(recent) == 0
    off: Recent[str, int] = Recent(0)
    off.put("a", 1)
    assert "a" not in off
    with pytest.raises(ValueError):
        Recent(-1)


@given(size=st.integers(0, 5), keys=st.lists(st.integers(0, 9), max_size=40))
def test_it_keeps_the_last_distinct_keys_stored(size: int, keys: list[int]) -> None:
    recent: Recent[int, int] = Recent(size)
    for key in keys:
        recent.put(key, key * 10)
    last = list(dict.fromkeys(reversed(keys)))[:size]
    assert len(recent) == len(last) and all(recent.get(key) == key * 10 for key in last)
