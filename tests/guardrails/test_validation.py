"""describe_validation: one line per ValidationError, "where: what", never pydantic's multi-line dump or URLs."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from guardrails import describe_validation


class Inner(BaseModel):
    role: str


class Body(BaseModel):
    model: str
    messages: list[Inner]
    count: int = 0


def problems_of(data: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate(data)
    return caught.value


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [
        ({"messages": []}, {}, "model: Field required"),
        ({"model": "m", "messages": [{"role": 3}]}, {}, "messages.0.role: Input should be a valid string"),
        ([1, 2], {}, "object: Input should be a valid dictionary or instance of Body"),
        ([1, 2], {"whole": "the line"}, "the line: Input should be a valid dictionary or instance of Body"),
        (
            {"messages": "x", "count": "many"},
            {},
            "model: Field required; messages: Input should be a valid list; "
            "count: Input should be a valid integer, unable to parse string as an integer",
        ),
        ({"messages": "x", "count": "many"}, {"limit": 1}, "model: Field required (and 2 more)"),
        (
            {"messages": "x", "count": "many"},
            {"limit": 3},
            "model: Field required; messages: Input should be a valid list; "
            "count: Input should be a valid integer, unable to parse string as an integer",
        ),
    ],
)
def test_each_problem_is_where_then_what(data, kwargs, expected):
    assert describe_validation(problems_of(data), **kwargs) == expected


def test_no_documentation_urls_and_one_line():
    text = describe_validation(problems_of({"messages": [{}, {}], "count": []}))
    assert "http" not in text and "\n" not in text and text.count("; ") == 3
