"""Steps and pipelines: the DAG comes from the values passed; misuse is a clear error."""

from __future__ import annotations

import pytest

import driftloop as dl
from driftloop.pipelines._definition import StepOptions, parse_memory


@dl.step
def load(n: int) -> list[int]:
    return list(range(n))


@dl.step(retries=3, retry_delay=0.5, backoff=3, timeout=9, cpus=2, memory="1GB", cache=False)
def total(values: list[int], offset: int = 0) -> int:
    return sum(values) + offset


@dl.pipeline
def two_branches(n: int = 3, offset: int = 1):
    values = load(n)
    total(values, offset=offset)
    total(load(n + 1))


def test_the_dag_comes_from_the_values_passed_between_steps() -> None:
    graph = two_branches.build({"n": 3, "offset": 1})
    assert list(graph.nodes) == ["load", "total", "load_2", "total_2"]
    assert graph.nodes["total"].upstream_args == {"values": ("load", None)}
    assert graph.nodes["total"].literals == {"offset": 1}
    assert graph.nodes["total_2"].upstream == ("load_2",)
    assert graph.dependents("load") == ["total"]


def test_a_step_called_outside_a_pipeline_is_its_function() -> None:
    assert total(load(3), offset=1) == 4


def test_step_options_are_kept_with_resources() -> None:
    options = total.options
    assert (options.retries, options.timeout_s, options.cache) == (3, 9, False)
    assert (options.cpus, options.memory) == (2, 10**9)
    assert [options.delay_before(a) for a in (2, 3, 4)] == [0.5, 1.5, 4.5]
    assert StepOptions().delay_before(2) == 1.0


def test_memory_sizes_parse_and_nonsense_is_refused() -> None:
    assert parse_memory("512MiB") == 512 * 2**20
    assert parse_memory(1024) == 1024
    with pytest.raises(dl.InvalidInputError, match="'lots' is not a size"):
        parse_memory("lots")


def test_using_a_placeholder_as_a_value_says_what_to_do() -> None:
    @dl.pipeline
    def branchy():
        if load(2):
            total(load(1))

    with pytest.raises(dl.InvalidInputError, match="pass it to another step"):
        branchy.build({})


def test_outputs_hidden_in_a_container_are_refused() -> None:
    @dl.pipeline
    def nested():
        total([load(2)])

    with pytest.raises(dl.InvalidInputError, match="inside a container"):
        nested.build({})


def test_a_pipeline_without_steps_and_a_called_pipeline_are_refused() -> None:
    @dl.pipeline
    def empty():
        return 1

    with pytest.raises(dl.InvalidInputError, match="called no step"):
        empty.build({})
    with pytest.raises(dl.InvalidInputError, match="not called"):
        two_branches()


def test_bad_options_are_refused() -> None:
    with pytest.raises(dl.InvalidInputError, match="retries"):
        dl.step(retries=-1)
    with pytest.raises(dl.InvalidInputError, match="timeout"):
        dl.step(timeout=0)


def test_a_step_with_several_outputs_gives_one_placeholder_each() -> None:
    @dl.step(outputs=2)
    def halves(values: list[int]) -> tuple[list[int], list[int]]:
        return values[::2], values[1::2]

    @dl.pipeline
    def split_sum():
        even, odd = halves(load(4))
        total(even)
        total(odd)

    graph = split_sum.build({})
    assert graph.nodes["total"].upstream_args == {"values": ("halves", 0)}
    assert graph.nodes["total_2"].upstream_args == {"values": ("halves", 1)}
    assert halves([1, 2, 3]) == ([1, 3], [2])
    with pytest.raises(dl.InvalidInputError, match="outputs=0"):
        dl.step(outputs=0)
