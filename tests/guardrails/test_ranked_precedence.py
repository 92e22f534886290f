"""Output checks on a ranking turned round: the passage ranks settings in a list under a heading that names the
ranking ("From weakest to strongest:", "优先级从低到高："), and the answer has a lower item override a higher one, or
take precedence while another ranks above it. No sentence of such a list names both items, so the sentence check of
precedence.py had nothing to compare. And the correct restatements of those lists each must let through.

Every passage and answer here is written for this file (none is an item of data/eval), in Chinese and English.
"""

from __future__ import annotations

from functools import partial

import pytest

from guardrails.precedence import swapped_precedence
from guardrails.ranked_lists import rankings
from tests.guardrails.cited import PARAPHRASE_SIMILARITY, assert_caught, grounding_verdict

_check = partial(grounding_verdict, similarity=PARAPHRASE_SIMILARITY)  # the signal present, as at run time

UP_EN = """Where the log level comes from, from weakest to strongest:

1. The compiled-in default of the daemon.
2. The `log_level` key in the system config file.
3. The `--log-level` flag on the command line.
"""
DOWN_EN = """In decreasing order of precedence:

- Environment variables set for the service unit.
- Values in `~/.appconfig` of the user.
- Built-in fallbacks.
"""
UP_ZH = """超时时间的来源，优先级从低到高：

1. 程序内置的默认超时
2. 配置文件里的 timeout 设置
3. 命令行传入的 --timeout 参数
"""
DOWN_ZH = """缓存目录按优先级从高到低：

- 环境变量 CACHE_DIR
- 用户目录下的配置文件
- 系统自带的默认路径
"""


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # a lower item said to override one ranked above it
        ("The log_level key in the system config file overrides the --log-level flag.", UP_EN),
        ("Values in the user's ~/.appconfig take precedence over environment variables of the service unit.", DOWN_EN),
        ("配置文件里的 timeout 设置会覆盖命令行传入的 --timeout 参数。", UP_ZH),
        ("用户目录下的配置文件优先于环境变量 CACHE_DIR。", DOWN_ZH),
        # a lower item said to win outright while another ranks above it
        ("The log_level key of the system config file is the strongest setting.", UP_EN),
        ("The user's ~/.appconfig values are the strongest source.", DOWN_EN),
        ("配置文件里的 timeout 设置优先级最高。", UP_ZH),
        ("用户目录下的配置文件优先级最高，其次才是环境变量。", DOWN_ZH),
        # a lower item said to win over one it leaves unnamed, where the answer names the one above it
        (
            "The log_level key in the config file takes precedence; the --log-level flag of the command line only "
            "fills in the rest.",
            UP_EN,
        ),
        ("用户目录下的配置文件优先级更高。环境变量 CACHE_DIR 只在没有配置文件时才生效。", DOWN_ZH),
    ],
)
def test_a_ranking_turned_round_is_caught(answer: str, passage: str) -> None:
    assert_caught(_check(answer, passage), "precedence")


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        # the ranking kept, in either direction of the list
        ("The --log-level flag on the command line overrides the log_level key in the config file.", UP_EN),
        ("The log_level key in the system config file overrides the compiled-in default of the daemon.", UP_EN),
        ("The --log-level flag takes precedence.", UP_EN),
        ("Environment variables of the service unit take precedence over values in ~/.appconfig.", DOWN_EN),
        ("命令行传入的 --timeout 参数优先级最高，会覆盖配置文件里的 timeout 设置。", UP_ZH),
        ("环境变量 CACHE_DIR 优先于用户目录下的配置文件。", DOWN_ZH),
        # a win over an unnamed item, with no item above it named; a beat kept beside a win said of the pair
        ("Yes, the log_level key in the system config file takes precedence.", UP_EN),
        ("配置文件里的 timeout 设置优先级更高，会覆盖程序内置的默认超时。", UP_ZH),
        ("The log_level key in the config file takes priority, overriding the compiled-in default of the daemon.", UP_EN),
        # negated, passive, or asked: nothing is claimed the other way round
        ("The log_level key in the system config file does not override the --log-level flag.", UP_EN),
        ("The log_level key in the system config file is overridden by the --log-level flag.", UP_EN),
        ("配置文件里的 timeout 设置会被命令行传入的 --timeout 参数覆盖。", UP_ZH),
        ("Does the log_level key in the system config file override the flag?", UP_EN),
        # a list that ranks by something else than precedence is no ranking
        ("配置文件里的 timeout 设置优先级最高。", UP_ZH.replace("优先级从低到高", "按出现顺序")),
    ],
)
def test_a_ranking_kept_passes(answer: str, passage: str) -> None:
    assert not swapped_precedence(answer, passage, min_alignment=0.4)
    assert not _check(answer, passage).fired


def test_rankings_read_the_heading_direction() -> None:
    (up,) = rankings(UP_EN)
    (down,) = rankings(DOWN_ZH)
    assert max(up, key=lambda r: r.strength).text.startswith("The `--log-level` flag")
    assert max(down, key=lambda r: r.strength).text == "环境变量 CACHE_DIR"
    assert rankings("Steps, from first to last:\n\n1. Stop it.\n2. Start it.\n") == ()
