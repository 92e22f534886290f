"""The polarity check on an answer sentence that adds a clause of its own (its clauses are then compared one by
one with the passage sentence each restates), and on a yes that is a sentence of its own ("Yes. …", "可以。…"),
which leads the sentence after it. Passages are data/docs text; answers from data/eval are tune-split items only."""

from __future__ import annotations

import pytest

from guardrails.polarity import contradictions

AUTH = "Ollama has **no built-in authentication**, so anyone who can reach the port can use every model."
LAN = "设置为 `0.0.0.0:11434` 即可监听所有网卡。注意 Ollama 本身没有登录认证，对外开放前务必配置防火墙或带认证的反向代理。"
SEED = (
    "Setting `temperature` to 0 and a fixed `seed` makes runs far more repeatable, but not perfectly: different "
    "hardware, batch sizes or Ollama versions can still change the output."
)
MAC = "在 macOS 上，Docker 容器无法使用 Apple Silicon 的 Metal GPU，只能跑 CPU，因此 Mac 上建议直接安装原生应用。"


def _kinds(answer: str, support: str) -> list[str]:
    return [c.kind for c in contradictions(answer, support, min_alignment=0.4, min_tokens=3, lead_flips=1)]


@pytest.mark.parametrize(
    ("answer", "support", "kind"),
    [
        # g3z036 (tune): the first clause flips 登录认证; the consequence clause keeps the sentence from aligning
        ("有的，Ollama 自带登录认证，所以把监听地址设成 0.0.0.0:11434 对外开放也比较安全。", LAN, "polarity"),
        (
            "Ollama ships with built-in authentication, so exposing the server to the office network, a cloud VM or a "
            "home router is perfectly safe without extra setup.",
            AUTH,
            "polarity",
        ),
        # g3e042 (tune) shape: the yes is a sentence of its own, and leads the next one
        ("Yes. Temperature 0 with a fixed seed makes the output perfectly identical on any hardware.", SEED, "affirmed"),
        ("可以。macOS 上的 Docker 容器能用 GPU 加速。", MAC, "affirmed"),
    ],
)
def test_a_clause_or_a_yes_sentence_contradicts(answer: str, support: str, kind: str) -> None:
    assert kind in _kinds(answer, support)


@pytest.mark.parametrize(
    ("answer", "support"),
    [
        # the added clause is advice, and the restated clause negates as the passage does
        (
            "Ollama has no built-in authentication of its own, so before exposing the server to the office network "
            "put a reverse proxy with a login in front.",
            AUTH,
        ),
        ("Ollama 本身不带登录认证，所以对外开放之前一定要先配好防火墙或者带认证的反向代理。", LAN),
        ("没有，Ollama 本身没有登录认证，所以别直接把 0.0.0.0:11434 暴露到公网上。", LAN),
        # a yes sentence before one that negates itself, or restates what the passage affirms
        ("Yes. Temperature 0 with a fixed seed is far more repeatable, but not perfectly.", SEED),
        ("Yes. A fixed seed with temperature 0 makes runs far more repeatable.", SEED),
        ("可以。Mac 上建议直接安装原生应用。", MAC),
        ("不能。macOS 上的 Docker 容器用不了 Metal GPU，只能跑 CPU。", MAC),
        # a yes leads only the sentence right after it
        (
            "Yes. Ollama runs it locally. Temperature 0 with a fixed seed makes the output perfectly identical on any hardware.",
            SEED,
        ),
        ("可以。Ollama 在本地运行。macOS 上的 Docker 容器能用 GPU 加速。", MAC),
    ],
)
def test_paraphrases_with_an_added_clause_or_a_yes_pass(answer: str, support: str) -> None:
    assert _kinds(answer, support) == []


def test_the_clause_is_what_is_reported() -> None:
    answer = "有的，Ollama 自带登录认证，所以把监听地址设成 0.0.0.0:11434 对外开放也比较安全。"
    [found] = contradictions(answer, LAN, min_alignment=0.4, min_tokens=3, lead_flips=1)
    assert (found.claim, found.terms) == ("Ollama 自带登录认证", ("录认", "登录", "认证"))


ADAPTER = "`ADAPTER ./lora.gguf` 可以在基础模型上叠加 LoRA 微调权重，适配器必须与 FROM 指定的基础模型相匹配，否则输出会异常。"


@pytest.mark.parametrize(
    ("answer", "kinds"),
    [
        # g3z013 (tune, supported): 的话 closes the condition, so 不 negates 匹配 only, not the consequence after it
        ("不行，LoRA 适配器得和 FROM 里写的基础模型对得上，不匹配的话输出会异常。", []),
        ("适配器不匹配的话，输出会异常。", []),
        # a negated consequence still contradicts the passage's plain one
        ("适配器和基础模型对不上的话输出也不会异常。", ["polarity"]),
    ],
)
def test_a_condition_closed_by_dehua_bounds_its_negation(answer: str, kinds: list[str]) -> None:
    assert _kinds(answer, ADAPTER) == kinds
