"""A passage's own list numbering, numbered headings and step labels ("3. ", "## 3. Memory", "第 3 步：") are layout:
they support no number the answer states as a value ("重试 3 次"), only one by which it names an item ("step 3",
"第 3 步", "4 steps")."""

from __future__ import annotations

import pytest

from guardrails.grounding_support import item_numbers, layout_free
from tests.guardrails.cited import grounding_verdict

ZH = "上线流程：\n1. 下载安装包\n2. 解压到目标目录\n3. 校验签名，校验失败时重试两次\n4. 启动服务"
EN = "Release steps:\n1. Download the package\n2. Unzip it\n3. Verify the signature; on failure retry twice\n4. Start it"
LABELS = "Step 1: download the package.\nStep 2: unzip it.\n第 3 步：校验签名，失败时重试两次。"
MARKED = "**1. Input screening.** Check user input.\n### 2) Delimiting\n- 3、 校验签名\n**4.** Least privilege: no tools."
HEADING = "Failure Modes > 3. Unparseable output\nThe model returns text that is not valid JSON. Retry twice."


@pytest.mark.parametrize(
    ("answer", "passage", "number", "words"),
    [
        ("校验失败时重试 3 次。", ZH, "3", False),
        ("第 2 步：校验失败时重试三次。", ZH, "3", True),
        ("启动服务前等待 4 秒。", ZH, "4", False),
        ("On failure it retries 3 times.", EN, "3", False),
        ("Step 2: on failure retry three times.", EN, "3", True),
        ("It needs 1 GB to unzip.", EN, "1", False),
        ("校验失败时重试 3 次。", LABELS, "3", False),
        ("Download the package 1 time.", LABELS, "1", False),
        ("Check user input with 1 classifier.", MARKED, "1", False),
        ("Least privilege allows 4 tools.", MARKED, "4", False),
        ("The delimiting adds 2 headers.", MARKED, "2", False),
        ("校验签名 3 次。", MARKED, "3", False),
        ("It retries 3 times on invalid JSON.", HEADING, "3", False),
    ],
)
def test_list_mark_supports_no_value(answer: str, passage: str, number: str, words: bool) -> None:
    assert number in grounding_verdict(answer, passage, check_number_words=words).details["unsupported_numbers"]


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("第 3 步是校验签名，失败时重试两次。", ZH),
        ("步骤 3 会校验签名。", ZH),
        ("上线一共 4 步：下载、解压、校验、启动。", ZH),
        ("第 2、3 条是解压和校验签名。", ZH),
        ("流程：1) 下载安装包；2) 解压到目标目录；3) 校验签名。", ZH),
        ("In step 3 you verify the signature and retry twice on failure.", EN),
        ("There are 4 steps: download, unzip, verify and start.", EN),
        ("Steps 2 and 3 unzip the package and verify the signature.", EN),
        ("The 3rd step verifies the signature.", EN),
        ("Step 3 of the guide: verify the signature.", LABELS),
        ("Defence 1 is input screening; measures 2 and 4 are delimiting and least privilege.", MARKED),
        ("Failure mode 3 is unparseable output: retry twice.", HEADING),
        ("Section 3 covers unparseable output.", HEADING),
    ],
)
def test_item_named_by_its_mark_is_supported(answer: str, passage: str) -> None:
    assert grounding_verdict(answer, passage).details["unsupported_numbers"] == []


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Retry 3 times, as step 3 says.", "3. Verify the signature.\nAs step 3 says, retry 3 times."),  # running text
        ("校验失败时重试 3 次。", "校验失败时重试 3 次。\n3. 启动服务"),
        ("It uses 3 GB.", "Failure Modes > 3. Memory\nIt uses 3 GB."),
        ("The default is 3.", "x > 3. Then the default is 3."),
    ],
)
def test_numbers_the_passage_states_still_support(answer: str, passage: str) -> None:
    assert grounding_verdict(answer, passage).details["unsupported_numbers"] == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("1. a\n## 2. b\n**3.** c\nStep 4: d\n第 5 步：e", "a b c d e"),
        ("Doc > 3. Memory\nx", "Doc > Memory x"),
        ("x > 3. Then y.", "x > 3. Then y."),
        ("In step 3 it retries. 第 3 步会重试", "In step 3 it retries. 第 3 步会重试"),
    ],
)
def test_layout_free(text: str, kept: str) -> None:
    assert " ".join(layout_free(text).split()) == kept


@pytest.mark.parametrize(
    ("claim", "items"),
    [
        ("retry 3 times", set()),
        ("重试 3 次，等待 2 秒", set()),
        ("steps 2 and 3", {"2", "3"}),
        ("第 2、3 条", {"2", "3"}),
        ("the 4th item", {"4"}),
        ("5 个步骤", {"5"}),
        ("：1) 下载；2) 解压", {"1", "2"}),
        ("3 GB (see section 4)", {"4"}),
    ],
)
def test_item_numbers(claim: str, items: set[str]) -> None:
    assert item_numbers(claim) == items


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        (
            "1. **2. Non-deterministic output:** the same prompt gives different answers.",
            "Failure Modes > 2. Non-deterministic output\nThe same prompt gives different answers.",
        ),
        ("- **3. Verify the signature** and retry twice.", EN),
        ("### 1. **3、 校验签名**", MARKED),
    ],
)
def test_numbered_title_copied_with_its_number(answer: str, passage: str) -> None:
    assert grounding_verdict(answer, passage).details["unsupported_numbers"] == []


def test_number_before_another_title_is_a_value() -> None:
    assert "3" in grounding_verdict("Retry 3. Download the package again.", EN).details["unsupported_numbers"]
