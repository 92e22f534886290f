"""An ordinal label of a list item or heading ("Step 1:", "**Option 2.**", "第 1 步：", "步骤2：", "方法 3、") is layout,
like list numbering: its number is no claim. The same words in running text ("in step 3", "第 3 步会重试") still are."""

from __future__ import annotations

import pytest

from guardrails.grounding_support import claim_of
from tests.guardrails.cited import grounding_verdict

EN = "Download the app. Unzip it and drag Ollama.app into Applications. On failure, retry once, then give up."
ZH = "先确定可用内存或显存，再选模型规模和量化级别。校验失败时重试一次，仍失败则走降级路径。"


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("Step 1: Download the app\nStep 2: unzip it\nStep 3: drag Ollama.app into Applications", EN),
        ("Here are the steps:\n\nStep 1: retry once\nStep 2: give up", EN),
        ("**Step 1:** download the app\n**Step 2:** unzip it", EN),
        ("### Step 1. Download the app\n### Step 2. Unzip it", EN),
        ("1. **Step 1**: download the app\n2. **Step 2**: unzip it", EN),
        ("- Step 1 - download the app\n- Step 2 - unzip it", EN),
        ("Download the app first. Step 2: unzip it. Step 3: drag Ollama.app into Applications.", EN),
        ("Option 1: retry once.\nOption 2: give up.", EN),
        ("Method 1) retry once\nMethod 2) give up", EN),
        ("第 1 步：确定可用内存或显存\n第 2 步：选模型规模和量化级别", ZH),
        ("第1步：先确定可用内存或显存。第2步：再选模型规模和量化级别。", ZH),
        ("步骤1：确定可用内存或显存\n步骤2：选模型规模和量化级别", ZH),
        ("**第 1 步：** 确定可用内存或显存\n**第 2 步：** 选模型规模和量化级别", ZH),
        ("方法 1、重试一次\n方法 2、走降级路径", ZH),
        ("第一步：确定可用内存或显存\n第二步：选模型规模和量化级别", ZH),
    ],
)
def test_step_labels_are_layout(answer: str, passage: str) -> None:
    assert grounding_verdict(answer, passage).details["unsupported_numbers"] == []


@pytest.mark.parametrize(
    ("answer", "number"),
    [
        ("In step 3 it gives up.", "3"),
        ("Step 3 retries twice before it gives up.", "3"),
        ("It has 4 steps. Step 1: download the app.", "4"),
        ("Step 1: retry 5 times.", "5"),
        ("Step 2.5: unzip it.", "2.5"),
        ("第 3 步会重试一次。", "3"),
        ("第 1 步：重试 5 次。", "5"),
    ],
)
def test_numbers_outside_a_label_are_claims(answer: str, number: str) -> None:
    assert number in grounding_verdict(answer, EN + ZH).details["unsupported_numbers"]


@pytest.mark.parametrize(
    ("answer", "claim"),
    [
        ("Step 1: a", "a"),
        ("**Step 1:** a", "a"),
        ("1. **Step 3:** c", "c"),
        ("Step 1: a. Step 2: b", "a. b"),
        ("第 1 步：下载", "下载"),
        ("in step 3 it retries", "in step 3 it retries"),
    ],
)
def test_claim_of_drops_labels(answer: str, claim: str) -> None:
    assert " ".join(claim_of(answer, []).split()) == claim
