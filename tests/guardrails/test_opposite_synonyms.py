"""Near-synonyms of the opposite senses (guardrails/opposites_lexicon.py) through the grounding guardrail: an answer
that says the opposite with another word of the sense ("the files stay on disk" for "deletes a model from disk",
"启动" turned into "shuts down") is caught, and a paraphrase that uses a synonym of the passage's own sense ("remains"
where the passage says "kept") passes. Passages are data/docs text; answers are written for these tests."""

from __future__ import annotations

import pytest

from tests.guardrails.cited import assert_caught, grounding_verdict

RM = "`ollama rm qwen2.5:3b` deletes a model from disk. Layers shared with other models are kept until no model uses them."
STOP = "`ollama stop qwen2.5:3b` unloads a model from memory immediately. The files stay on disk."
MAC = "The app runs in the menu bar and starts the server automatically; quitting the menu bar app stops the server."
VOLUME = "`-v ollama:/root/.ollama`：把名为 `ollama` 的数据卷挂载到模型目录，删除容器后模型仍然保留，无需重新下载。"
SSD = "建议放在 SSD 上，机械硬盘会让冷启动加载时间增加到数十秒。"
UNIFIED = "M 系列芯片的 CPU 和 GPU 共用同一块**统一内存**，因此“内存”就是“显存”。"
SIZES = "Ollama 官方给出的经验值是：运行 7B 模型至少需要 8 GB 内存，13B 模型需要 16 GB。"


@pytest.mark.parametrize(
    ("answer", "passage", "evidence"),
    [
        # keep said as stay / remain (tune item g5e017 is of this kind)
        ("After `ollama rm qwen2.5:3b` the model remains on disk.", RM, "opposite: delete/keep, remains, deletes"),
        (
            "`ollama rm qwen2.5:3b` unloads the model from memory, and the model files stay on disk.",
            RM,
            "opposite: delete/keep, stay",
        ),
        # delete said as erase / purge
        ("The files are erased from disk.", STOP, "opposite: delete/keep, erased, stay"),
        ("The files are purged from disk.", STOP, "opposite: delete/keep, purged, stay"),
        ("删除容器后模型会被清空，需要重新下载。", VOLUME, "opposite: delete/keep, 清空, 保留"),
        # start/stop, automatic/manual
        ("The app runs in the menu bar and shuts down the server automatically.", MAC, "opposite: start/stop"),
        ("The app runs in the menu bar, and the server must be launched by hand.", MAC, "opposite: automatic/manual"),
        # increase/decrease
        ("建议放在 SSD 上，机械硬盘会让冷启动加载时间缩减到数十秒。", SSD, "opposite: increase/decrease, 缩减, 增加"),
        ("机械硬盘会让冷启动加载时间变小到数十秒。", SSD, "opposite: increase/decrease, 变小, 增加"),
        # memory/disk: VRAM is memory
        ("M 系列芯片的 CPU 和 GPU 共用同一块统一硬盘，因此内存就是硬盘。", UNIFIED, "opposite: memory/disk"),
    ],
)
def test_an_opposite_said_with_a_synonym_is_caught(answer: str, passage: str, evidence: str) -> None:
    assert_caught(grounding_verdict(answer, passage), evidence)


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("`ollama stop qwen2.5:3b` unloads the model from memory right away; the model files remain on disk.", STOP),
        ("ollama stop only unloads the model from memory. The files persist on disk.", STOP),
        ("`ollama stop` unloads a model from memory immediately, and its files are retained on disk.", STOP),
        ("Layers shared with other models remain until no model uses them.", RM),
        ("`ollama rm qwen2.5:3b` wipes the model from disk.", RM),
        ("On macOS the menu bar app launches the server automatically, and quitting it stops the server.", MAC),
        ("The app starts the server automatically; quitting the menu bar app shuts down the server.", MAC),
        ("挂载数据卷后，删除容器后模型仍然留在数据卷里，无需重新下载。", VOLUME),
        ("把数据卷挂载到模型目录，删除容器后模型会留存下来，无需重新下载。", VOLUME),
        ("建议放在 SSD 上，机械硬盘会让冷启动加载时间增长到数十秒。", SSD),
        ("M 系列芯片的 CPU 和 GPU 共用同一块统一内存，所以内存就是显存。", UNIFIED),
        ("运行 7B 模型不少于 8 GB 内存，13B 模型需要 16 GB。", SIZES),
    ],
)
def test_a_synonym_of_the_passage_sense_is_accepted(answer: str, passage: str) -> None:
    verdict = grounding_verdict(answer, passage)
    assert not verdict.fired, verdict.reason
