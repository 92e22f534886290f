"""Where a negation's scope ends when a faithful answer is compared with the passage sentence it restates: a table's
"no" cell, a "because" clause, the consequence of a negated Chinese condition (就/则), an item coordinated after the
negated one (或), the noun of "no"/"without", the prohibitive 别, a double negation ("never pass unvalidated output"), and a number an answer
clause merges in from a neighbouring passage statement; and an acronym the passage writes in the plural. Passages
are data/docs text; the faithful answers come from a hunt for false blocks (2026-12-06: 177 faithful answers written
by hand in a capable model's register, ids h163e/h163z below), not from any eval set."""

from __future__ import annotations

import pytest

from guardrails.claims import unsupported_names
from guardrails.marking import mark
from guardrails.polarity import contradictions

TABLE = (
    "| Instruction | Required | Meaning |\n|-------------|----------|---------|\n| `FROM` | yes | base model |\n"
    "| `PARAMETER` | no | runtime and sampling parameter |\n"
    "| `TEMPLATE` | no | full prompt template (Go template syntax) |\n"
    "| `SYSTEM` | no | system message placed in the template |\n"
    "| `ADAPTER` | no | LoRA adapter applied to the base model |"
)
TEMPLATE = (
    "`TEMPLATE` defines the exact text sent to the model, using variables such as `{{ .System }}` and "
    "`{{ .Prompt }}`. Most users never write one because `FROM` inherits the base model's template."
)
VALIDATE = (
    "On failure, optionally retry once with the validation error included, then give up. Never pass unvalidated "
    "model output to downstream code."
)
Q8 = (
    "Example: on a machine with **8 GB of RAM**, Q4_K_M is the right choice for a 7B model. Q8_0 (about 7.2 GB of "
    "weights) leaves no room for the operating system and the cache, so it will swap or fail to load."
)
RETRY_ZH = "3. 用 Pydantic 的 `model_validate_json` 校验；\n4. 校验失败时，把错误信息附在提示中重试一次，仍失败则走降级路径。"
TEMPLATE_ZH = "绝大多数情况下不需要自己写模板，`FROM` 会继承基础模型的模板。模板写错的典型症状是：输出夹杂特殊标记、回答停不下来或答非所问。"
CTX_ZH = "2. 同等内存下，较大模型的 Q4 版本通常优于较小模型的 Q8 版本；\n3. 长上下文很占内存，不需要时不要把 `num_ctx` 设得过大；"
GPU_ZH = "例如 12 GB 显存可以完整容纳 7B/8B 的 Q4 模型，而 13B 的 Q8 模型就放不下。"


def _found(answer: str, support: str) -> list[str]:
    return [c.kind for c in contradictions(answer, support, min_alignment=0.4, min_tokens=3, lead_flips=1)]


@pytest.mark.parametrize(
    ("answer", "support"),
    [
        # h163e017: the Required column's "no" is a cell value, not a negation of the cells after it
        (
            "Only `FROM` is required. All the others are optional:\n\n- `PARAMETER`: runtime and sampling parameters\n"
            "- `TEMPLATE`: the full prompt template, in Go template syntax\n"
            "- `SYSTEM`: the system message placed in the template\n"
            "- `ADAPTER`: a LoRA adapter applied on top of the base model",
            TABLE,
        ),
        # h163e027, h163e089: the "because" clause is stated, not negated
        ("Usually you don't. Most users never write a `TEMPLATE`, because `FROM` inherits the base model's template.", TEMPLATE),
        ("They don't need to: `FROM` inherits the base model's template, so most users never write their own.", TEMPLATE),
        # h163e100: never + unvalidated says what "always validated" says
        ("You shouldn't. Model output must always be validated before it goes to downstream code.", VALIDATE),
        # h163e080: the 8 GB comes with the machine of the sentence before, the 7.2 GB stays in its own clause
        (
            "Q8_0 has about 7.2 GB of weights, which leaves no room for the operating system and the cache on an 8 GB "
            "machine, so it would swap or fail to load.",
            Q8,
        ),
        # h163z010: 不 negates the condition 还不行, not the consequence after 就
        ("4. 校验失败时把错误信息加进提示再重试一次，还不行就走降级路径。", RETRY_ZH),
        # h163z016: 答非所问 is coordinated after 停不下来 by 或; the answer's comma ends the negation before it
        ("模板写错时，典型表现是输出里夹杂特殊标记、回答停不下来，或者答非所问。", TEMPLATE_ZH),
        # h163e106, h163e104: "no"/"none" negates its noun, not the verb of the sentence after it
        (
            "Send a request that has only the `model` field. It just loads the model, which is a common way to warm it up.",
            "A request with only `model` and no prompt just loads the model, which is a common way to warm it up.",
        ),
        (
            "If it doesn't find an NVIDIA or AMD GPU, the script prints a warning that Ollama will run in CPU-only mode.",
            "4. Looks for NVIDIA or AMD GPUs. If none is found it prints a warning that Ollama will run in CPU-only mode.",
        ),
        # h163z047: 别 is "don't", as 不要 is
        ("不是。长上下文很占内存，如果用不到，就别把 `num_ctx` 设得太大。", CTX_ZH),
    ],
)
def test_a_faithful_paraphrase_contradicts_nothing(answer: str, support: str) -> None:
    assert _found(answer, support) == []


@pytest.mark.parametrize(
    ("answer", "support", "kind"),
    [
        # the coordinated item flips beside a term the negation surely covers
        (
            "A question-answering assistant needs write access.",
            "A question-answering assistant does not need network access or write access.",  # a docs sentence, shortened
            "polarity",
        ),
        ("You can pass unvalidated model output to downstream code.", VALIDATE, "polarity"),
        # the noun a determiner negates still flips
        ("Ollama ships with built-in authentication.", "Ollama has no built-in authentication.", "polarity"),
        (
            "Yes, you should always write your own template because `FROM` never inherits the base model's template.",
            TEMPLATE,
            "polarity",
        ),
        # a merged number needs its own word stated plainly with it: 13B Q8 is what does not fit
        ("可以。12 GB 显存能完整放下 13B 的 Q8 模型，7B/8B 的 Q4 模型更不在话下。", GPU_ZH, "number"),
        ("校验失败时不要重试，也不走降级路径。", RETRY_ZH, "polarity"),
    ],
)
def test_a_contradiction_is_still_found(answer: str, support: str, kind: str) -> None:
    assert kind in _found(answer, support)


@pytest.mark.parametrize(
    ("sentence", "negated", "not_negated"),
    [
        ("| `PARAMETER` | no | runtime and sampling parameter |", set(), {"runtime", "sampling"}),
        ("Most users never write one because `FROM` inherits the base model's template.", {"write"}, {"inherit"}),
        ("It is slow not because of the CPU.", {"cpu"}, set()),
        ("仍失败则走降级路径", set(), {"降级"}),
        ("就别把 `num_ctx` 设得太大", {"设得"}, set()),
        ("另外别忘了操作系统也要占内存", set(), {"操作"}),
    ],
)
def test_negation_scope(sentence: str, negated: set[str], not_negated: set[str]) -> None:
    marked = mark(sentence)
    assert negated <= marked.negated
    assert not (not_negated & marked.negated)


@pytest.mark.parametrize(
    ("answer", "support", "missing"),
    [
        # h163e104: an acronym the passage writes in the plural is one it writes
        ("If it doesn't find an NVIDIA or AMD GPU, the script warns.", "Looks for NVIDIA or AMD GPUs.", []),
        ("It also needs an NPU.", "Looks for NVIDIA or AMD GPUs.", ["NPU"]),
        ("Set OLLAMA_HOST first.", "Set OLLAMA_HOSTS first.", ["OLLAMA_HOST"]),
    ],
)
def test_acronym_in_the_plural(answer: str, support: str, missing: list[str]) -> None:
    assert unsupported_names(answer, support) == missing
