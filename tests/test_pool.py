"""The process pool behind `--workers`: this process and its helpers give `map`'s results, in
order, whatever happens to a helper."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from imrparse.etl.pool import CHUNK, WINDOW, _chunks, map_inputs

PARENT = os.getpid()


def square(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def fail_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven is not allowed")
    return n


def die_in_helper(n: int) -> int:
    """A helper that crashes (as native code might) on its first input."""
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


@pytest.mark.parametrize("sized", [True, False], ids=["list", "iterator"])
@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("count", [0, 1, CHUNK - 1, CHUNK * 9 + 5])
def test_results_in_input_order(workers: int, count: int, sized: bool) -> None:
    inputs = list(range(count)) if sized else iter(range(count))
    results = list(map_inputs(square, inputs, workers=workers))
    assert [value for value, _ in results] == [n * n for n in range(count)]


def slow_square(n: int) -> tuple[int, int]:
    time.sleep(0.2)  # as a scan's OCR takes seconds
    return n * n, os.getpid()


def test_a_chunk_of_one_sends_even_a_few_slow_inputs_to_the_helpers() -> None:
    results = list(map_inputs(slow_square, [1, 2, 3, 4], workers=2, chunk=1))
    assert [value for value, _ in results] == [1, 4, 9, 16]
    assert len({pid for _, pid in results}) == 2


def test_a_handful_of_inputs_forks_no_helper() -> None:
    assert {pid for _, pid in map_inputs(square, list(range(CHUNK)), workers=2)} == {PARENT}
    assert len({pid for _, pid in map_inputs(square, list(range(CHUNK * 40)), workers=2)}) == 2


def test_this_process_and_the_helpers_share_the_work() -> None:
    pids = {pid for _, pid in map_inputs(square, range(CHUNK * 40), workers=2)}
    assert PARENT in pids
    assert len(pids) == 2


def test_unordered_gives_every_result_once() -> None:
    results = list(map_inputs(square, range(CHUNK * 9 + 5), workers=3, ordered=False))
    assert sorted(value for value, _ in results) == [n * n for n in range(CHUNK * 9 + 5)]


def test_an_exception_in_a_helper_is_raised_here() -> None:
    with pytest.raises(ValueError, match="seven is not allowed"):
        list(map_inputs(fail_on_seven, range(CHUNK * 4), workers=2))
    assert multiprocessing.active_children() == []


def lost(n: int, why: str) -> tuple[int, str]:
    return n, why


def test_a_dead_helpers_inputs_are_parsed_again_except_the_one_it_died_on() -> None:
    results = list(map_inputs(die_in_helper, range(CHUNK * 6), workers=3, lost=lost))
    died = [r for r in results if isinstance(r, tuple)]
    assert died == [(n, "signal 9 (SIGKILL)") for n, _ in died] and len(died) == 2  # each helper's first input
    assert [r[0] if isinstance(r, tuple) else r for r in results] == list(range(CHUNK * 6))
    assert multiprocessing.active_children() == []
    with pytest.raises(ChildProcessError, match="the process mapping an input died: signal 9"):
        list(map_inputs(die_in_helper, range(CHUNK * 6), workers=3))
    assert multiprocessing.active_children() == []


def test_inputs_are_read_a_bounded_window_ahead() -> None:
    taken = itertools.count()

    def endless() -> Iterator[int]:
        while True:
            yield next(taken)

    results = map_inputs(square, endless(), workers=2)
    for _ in range(CHUNK * 50):
        next(results)
    ahead = next(taken) - CHUNK * 50
    results.close()  # type: ignore[attr-defined]
    assert ahead <= CHUNK * (WINDOW * 2 + 1)
    assert multiprocessing.active_children() == []


def test_chunks_shrink_towards_the_end_of_a_known_number_of_inputs() -> None:
    chunks = list(_chunks(list(range(1000)), processes=2))
    sizes = [len(chunk) for chunk in chunks]
    assert [n for chunk in chunks for n in chunk] == list(range(1000))
    assert sizes[0] == CHUNK
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-3:] == [1, 1, 1]
    assert [len(chunk) for chunk in _chunks(iter(range(40)), processes=2)] == [CHUNK, CHUNK, 40 - 2 * CHUNK]


HELPERS_OF_A_KILLED_RUN = """
import os, time
from imrparse.etl.pool import map_inputs

def slow(n):
    time.sleep(0.005)
    return os.getpid()

for pid in map_inputs(slow, range(10**6), workers=3):
    if pid != os.getpid():
        print(pid, flush=True)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process states from /proc")
def test_helpers_exit_when_the_parent_is_killed() -> None:
    run = subprocess.Popen([sys.executable, "-c", HELPERS_OF_A_KILLED_RUN], stdout=subprocess.PIPE, text=True)
    assert run.stdout is not None
    helpers: set[int] = set()
    while len(helpers) < 2:
        helpers.add(int(run.stdout.readline()))
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in helpers)


def test_one_process_hands_each_input_ahead_before_it_maps_the_one_before() -> None:
    events: list[tuple[str, int]] = []

    def one(n: int) -> int:
        events.append(("map", n))
        return n * 2

    results = list(map_inputs(one, [1, 2, 3], workers=1, ahead=lambda n: events.append(("ahead", n))))
    assert results == [2, 4, 6]
    assert events == [("ahead", 1), ("ahead", 2), ("map", 1), ("ahead", 3), ("map", 2), ("map", 3)]


def test_looking_ahead_an_error_of_the_inputs_comes_after_the_results_before_it() -> None:
    def inputs() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("the inputs' own error")

    results: list[int] = []
    with pytest.raises(RuntimeError, match="the inputs' own error"):
        for result in map_inputs(lambda n: n, inputs(), workers=1, ahead=lambda n: None):
            results.append(result)
    assert results == [1, 2]
