"""Output checks on steps told in the wrong order (guardrails/step_order.py): the passage gives a procedure as a
numbered list or with sequence words (then, before, after, 先…再, 之后, 在…之前), and the answer tells two of its
steps the other way round: two list items swapped, the last step put first, "then" turned round, "before" put for
"after" with the steps mentioned in the same order. The steps keep the passage's words, so overlap and similarity
pass them. And the faithful restatements (same order, part of the steps, "Before B, A", a list in the passage's
order of mention, a ranking, bullets) must let through.

Every passage and answer here is written for this file (none is an item of data/eval), in Chinese and English.
"""

from __future__ import annotations

from functools import partial

import pytest

from guardrails.step_order import swapped_steps
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict

_check = partial(grounding_verdict, similarity=PARAPHRASE_SIMILARITY)  # the signal present, as at run time

LIST_EN = """To move the archive to the new disk:

1. Stop the backup agent with `svc stop backupd`.
2. Copy the archive directory to the new disk.
3. Update the mount point in `/etc/fstab`.
4. Start the backup agent again.
"""
PROSE_EN = (
    "Edit the unit with `unitctl edit relay.service`, then run `unitctl reload-units` and after that `unitctl restart relay`."
)
BEFORE_EN = "Check the checksum file before you unpack the release tarball."
LIST_ZH = """升级网关的步骤：

1. 备份网关配置文件；
2. 升级数据库驱动；
3. 重启网关服务。
"""
PROSE_ZH = "先在控制台创建访问密钥，再把密钥写入客户端配置，然后重启同步客户端。"
BEFORE_ZH = "在导入历史数据之前，应先关闭实时索引。"


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # two list steps swapped, the last put first
        ("1. Copy the archive directory to the new disk.\n2. Stop the backup agent with `svc stop backupd`.", LIST_EN),
        ("1. Update the mount point in `/etc/fstab`.\n2. Stop the backup agent.\n3. Copy the archive directory.", LIST_EN),
        ("1、重启网关服务\n2、备份网关配置文件\n3、升级数据库驱动", LIST_ZH),
        ("步骤：\n\n1. 升级数据库驱动\n\n2. 备份网关配置文件", LIST_ZH),
        # "then" turned round, within a sentence or across sentences
        ("First, update the mount point in `/etc/fstab`. Then copy the archive directory to the new disk.", LIST_EN),
        ("Run `unitctl restart relay`, then run `unitctl reload-units`.", PROSE_EN),
        ("先重启网关服务，然后备份网关配置文件。", LIST_ZH),
        ("首先把密钥写入客户端配置；之后在控制台创建访问密钥。", PROSE_ZH),
        # "before" for "after", the steps mentioned in the same order
        ("Before you copy the archive directory to the new disk, update the mount point in `/etc/fstab`.", LIST_EN),
        ("Before you check the checksum file, unpack the release tarball.", BEFORE_EN),
        ("在备份网关配置文件之前，要先升级数据库驱动。", LIST_ZH),
        ("重启同步客户端之后，再把密钥写入客户端配置。", PROSE_ZH),
        ("先导入历史数据，再关闭实时索引。", BEFORE_ZH),
    ],
)
def test_steps_told_in_the_wrong_order_are_caught(answer: str, passage: str) -> None:
    assert swapped_steps(answer, passage), answer
    assert_caught(_check(answer, passage), "step_order:")


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # the same order: a list, sequence words, part of the steps
        ("1. Stop the backup agent with `svc stop backupd`.\n2. Copy the archive directory to the new disk.", LIST_EN),
        (
            "First stop the backup agent, then update the mount point in `/etc/fstab`. Finally, start the backup agent again.",
            LIST_EN,
        ),
        ("Run `unitctl reload-units`, and after that run `unitctl restart relay`.", PROSE_EN),
        ("1、备份网关配置文件\n2、重启网关服务", LIST_ZH),
        ("先备份网关配置文件，再升级数据库驱动。", LIST_ZH),
        ("首先在控制台创建访问密钥。然后把密钥写入客户端配置。最后重启同步客户端。", PROSE_ZH),
        # "before" and "after" that keep the order
        ("Before you update the mount point in `/etc/fstab`, copy the archive directory to the new disk.", LIST_EN),
        ("Unpack the release tarball after you check the checksum file.", BEFORE_EN),
        ("在升级数据库驱动之前，要先备份网关配置文件。", LIST_ZH),
        ("关闭实时索引之后，再导入历史数据。", BEFORE_ZH),
        # a list in the passage's order of mention, a ranking, bullets, a reason clause: no order of steps claimed
        ("1. 导入历史数据时\n2. 应先关闭实时索引", BEFORE_ZH),
        ("- Copy the archive directory to the new disk.\n- Stop the backup agent.", LIST_EN),
        ("Restart the relay last, because `unitctl reload-units` must run before it.", PROSE_EN),
    ],
)
def test_steps_in_the_passage_order_pass(answer: str, passage: str) -> None:
    assert swapped_steps(answer, passage) == [], answer


RANKED = """Where the cache size comes from, from weakest to strongest:

1. The built-in default of the proxy.
2. The `cache_size` key in the config file.
3. The `--cache-size` flag.
"""


@pytest.mark.parametrize(
    "answer",
    [
        "The `--cache-size` flag is strongest, then the `cache_size` key in the config file, then the built-in default.",
        "The built-in default of the proxy is weakest, then the `cache_size` key in the config file.",
    ],
)
def test_a_ranking_told_from_the_other_end_is_no_step_order(answer: str) -> None:
    assert swapped_steps(answer, RANKED) == []


def test_the_evidence_names_both_steps_and_the_passage_sentences() -> None:
    (found,) = swapped_steps("先重启网关服务，再升级数据库驱动。", LIST_ZH)
    assert found.kind == "step_order"
    assert found.terms == ("升级数据库驱动", "重启网关服务")
    assert "2. 升级数据库驱动" in found.sentence and "3. 重启网关服务" in found.sentence
