"""CompletenessGuardrail: a demonstrative before an edition of a name ("this version of Ollama") names its referent
by the of-phrase, as "the latest version of Ollama" does; an edition of nothing named, or a part of a name ("this
function of numpy"), still points at nothing. In Chinese the name comes first ("Ollama 的这个版本")."""

from __future__ import annotations

import pytest

from guardrails.base import GuardContext
from guardrails.completeness import CompletenessGuardrail

GUARD = CompletenessGuardrail()


def missing(question: str) -> set[str]:
    verdict = GUARD.check(GuardContext(question=question))  # no semantic signal: the lexical checks alone
    return set(verdict.details["missing"]) if verdict.fired else set()


@pytest.mark.parametrize(
    ("question", "gaps"),
    [
        # clear: an edition of a named thing
        ("What's new in this version of Ollama?", set()),
        ("What’s new in this version of Ollama?", set()),
        ("Is this version of Qwen2.5 stable?", set()),
        ("That version of llama.cpp crashes on start, why?", set()),
        ("Ollama 的这个版本有什么新功能？", set()),
        ("Ollama 这个版本支持哪些模型？", set()),
        # vague: no of-phrase, an of-phrase naming nothing, or a part of the name (which one is not said)
        ("Is this version OK?", {"referent"}),
        ("What's new in this version?", {"referent"}),
        ("What's wrong with this version of it?", {"referent"}),
        ("What's new in this version of the app?", {"referent"}),
        ("Is this version of Python code correct?", {"referent"}),
        ("What does this function of numpy do?", {"referent"}),
        ("What does this error of Ollama mean?", {"referent"}),
        ("Explain this line of Python code.", {"object"}),
        ("这个版本行吗？", {"referent"}),
        ("这个版本有什么新功能？", {"referent"}),
    ],
)
def test_an_edition_of_a_name_is_resolved(question: str, gaps: set[str]) -> None:
    assert missing(question) == gaps
