"""Before/after read as a relation (guardrails/relation_order.py): "A before B" is "B after A", "A, and after that
B" and "After A, B"; an answer contradicts the passage's order only when it puts the two things the other way round,
whichever word it uses. A sentence's lead (a bold run, a heading, a "Label:") is neither of the two things: "**Pull
first.** Before you …" reads its "Before" as fronted."""

from __future__ import annotations

import re

import pytest

from guardrails.relation_order import converse, lead_end
from tests.guardrails.cited import grounding_verdict

EN = "Input screening. Check user input before passing it to the model."
ZH = "在选模型规模和量化级别之前，要先确定可用内存或显存。"
BOLD = "**Pull first.** Before you recreate the container, pull the new image with `docker pull ollama/ollama`."
NOTE = "Note: before you recreate the container, pull the new image with `docker pull ollama/ollama`."
BOLD_ZH = "**注意**：在解析结构化输出之前，程序应先检查 `done_reason` 是否为 `stop`。"
PULL, RECREATE = "pull the new image with `docker pull ollama/ollama`", "recreate the container"


def _opposite(answer: str, passage: str) -> bool:
    return any(e.startswith("opposite: before/after") for e in grounding_verdict(answer, passage).evidence)


@pytest.mark.parametrize(
    ("answer", "passage", "reversed_order"),
    [
        # the passage's order, told with "after" or the other way round with "before"
        ("Check user input, and after that pass it to the model.", EN, False),
        ("Check user input, then after that pass it to the model.", EN, False),
        ("Check user input, after which pass it to the model.", EN, False),
        ("After you check user input, pass it to the model.", EN, False),
        ("Pass it to the model after you check user input.", EN, False),
        ("Before you pass it to the model, check user input.", EN, False),
        ("确定可用内存或显存之后，再选模型规模和量化级别。", ZH, False),
        ("先确定可用内存或显存，之后再选模型规模和量化级别。", ZH, False),
        # a bold heading or a label run into the sentence: the passage's, the answer's, or both
        (f"{PULL.capitalize()}, and after that {RECREATE}.", BOLD, False),
        (f"After you {PULL}, {RECREATE}.", BOLD, False),
        (f"**Pull first.** After you {PULL}, {RECREATE}.", BOLD, False),
        (f"**Pull first.** Before you {RECREATE}, {PULL}.", BOLD, False),
        (f"Note: after you {PULL}, {RECREATE}.", NOTE, False),
        (f"{PULL.capitalize()}, and after that {RECREATE}.", NOTE, False),
        ("程序应先检查 `done_reason` 是否为 `stop`，之后再解析结构化输出。", BOLD_ZH, False),
        ("**注意**：检查 `done_reason` 是否为 `stop` 之后，程序再解析结构化输出。", BOLD_ZH, False),
        # the other way round
        ("Pass it to the model, and after that check user input.", EN, True),
        ("After you pass it to the model, check user input.", EN, True),
        ("Check user input after passing it to the model.", EN, True),
        ("Pass it to the model before you check user input.", EN, True),
        ("选模型规模和量化级别之后，再确定可用内存或显存。", ZH, True),
        ("在确定可用内存或显存之前，要先选模型规模和量化级别。", ZH, True),
        (f"{RECREATE.capitalize()} before you {PULL}.", BOLD, True),
        (f"After you {RECREATE}, {PULL}.", BOLD, True),
        (f"**Pull first.** {RECREATE.capitalize()}, and after that {PULL}.", BOLD, True),
        (f"Note: {PULL} after you {RECREATE}.", NOTE, True),
        ("程序在检查 `done_reason` 是否为 `stop` 之前，应先解析结构化输出。", BOLD_ZH, True),
        ("**注意**：解析结构化输出之后，程序再检查 `done_reason` 是否为 `stop`。", BOLD_ZH, True),
    ],
)
def test_before_after_is_a_relation(answer: str, passage: str, reversed_order: bool) -> None:
    assert _opposite(answer, passage) == reversed_order


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        ("**Pull first.** Before you run it, pull it.", "**Pull first.**"),
        ("Pull first.** Before you run it, pull it.", "Pull first.**"),  # its opening marks trimmed as layout
        ("__Tip__: before you run it, pull it.", "__Tip__:"),
        ("**注意**：之前先拉取。", "**注意**："),
        ("## Before you start", "##"),
        ("Note: before you run it, pull it.", "Note:"),
        ("**Ollama** runs before the server starts.", ""),  # a bold subject, not a heading
        ("Set `OLLAMA_HOST=0.0.0.0:11434` before starting.", ""),  # a port's colon, not a label's
        ("Run it, e.g. before starting.", ""),
    ],
)
def test_a_lead_is_not_part_of_the_relation(text: str, lead: str) -> None:
    form = next(re.finditer(r"(?i)before|之前", text))
    assert text[: lead_end(text, form.start())].rstrip() == lead


@pytest.mark.parametrize(
    ("text", "word", "named_other_way"),
    [
        ("A before B.", "before", False),
        ("Before A, B.", "Before", True),
        ("**Heading.** Before A, B.", "Before", True),
        ("**Ollama** runs before the server.", "before", False),
        ("A, and after that B.", "after", True),
        ("A, after which B.", "after", True),
        ("A, and afterwards B.", "afterwards", True),
        ("A after that is done.", "after", False),
        ("A 之后，B。", "之后", False),
    ],
)
def test_which_forms_name_their_things_the_other_way_round(text: str, word: str, named_other_way: bool) -> None:
    form = next(m for m in re.finditer(re.escape(word), text))
    assert converse(text, form) == named_other_way
