"""Property tests: the input guardrails never raise on arbitrary text and always return a Verdict."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.base import GuardContext, Turn, Verdict
from guardrails.completeness import CompletenessGuardrail
from guardrails.input_size import InputSizeGuardrail
from guardrails.prompt_injection import PromptInjectionGuardrail

GUARDS = (CompletenessGuardrail(), PromptInjectionGuardrail(), InputSizeGuardrail())
# Text biased toward the characters the checks care about, mixed with anything at all.
TRICKY = st.text(
    alphabet=st.sampled_from([*list('这个那它哪更好吗？?：:「」“”"`\n\t 帮我看this it which or 和还是'), "\x00", "�"]),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(question=st.one_of(st.text(), TRICKY), history=st.lists(st.text(max_size=40), max_size=2))
def test_input_guardrails_never_raise(question: str, history: list[str]) -> None:
    ctx = GuardContext(question=question, history=tuple(Turn(role="user", content=h) for h in history))
    for guard in GUARDS:
        verdict = guard.check(ctx)
        assert isinstance(verdict, Verdict)
        assert verdict.name == guard.name
        assert verdict.fired == (verdict.action != "pass")
        if guard.name == "completeness" and verdict.fired:
            assert 1 <= len(verdict.details["questions"]) <= 3
