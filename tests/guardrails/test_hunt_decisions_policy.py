"""Bug hunt (decisions): a policy value the guardrail cannot honour is refused when the policy loads.

grounding's `lead_flips` is the number of flipped terms that contradict in an answer sentence opening with a yes;
every other sentence is contradicted at two (polarity.MIN_FLIPPED), and a yes-sentence is one of them. So only 1
(the relaxed rule) and 2 (the plain rule, "off") mean what the parameter says: 3 or more were accepted and then
silently acted as 2 (a yes-sentence with two flipped terms was still re-asked).
"""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext
from guardrails.grounding import GroundingGuardrail
from guardrails.policy import PolicyError, load_policy_dict


@pytest.mark.parametrize("value", [3, 5])
def test_lead_flips_above_the_plain_rule_is_refused(value: int) -> None:
    with pytest.raises(PolicyError, match=r"lead_flips"):
        load_policy_dict({"guardrails": {"grounding": {"lead_flips": value}}})


@pytest.mark.parametrize("value", [1, 2])
def test_lead_flips_one_and_two_load(value: int) -> None:
    policy = load_policy_dict({"guardrails": {"grounding": {"lead_flips": value}}})
    assert policy.params("grounding")["lead_flips"] == value


@pytest.mark.parametrize(
    ("answer", "support"),
    [
        (
            "Yes, temperature 0 with a fixed seed makes the output perfectly identical and fully deterministic.",
            "Temperature 0 with a fixed seed makes the output far more repeatable, but not perfectly identical "
            "and not fully deterministic.",
        ),
        ("可以，macOS 上的 Docker 容器能用 GPU 加速推理。", "macOS 上的 Docker 容器无法使用 GPU 加速推理。"),
    ],
    ids=["en", "zh"],
)
def test_a_yes_sentence_with_two_flips_is_contradicted_at_every_accepted_value(answer: str, support: str) -> None:
    """What a lead_flips above 2 would have promised to let through, and what the check does whatever its value."""
    chunk = Chunk(chunk_id="a", source="a.md", label="S1", score=0.8, text=support)
    for value in (1, 2):
        verdict = GroundingGuardrail(lead_flips=value).check(
            GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",))
        )
        assert verdict.fired and verdict.details["contradictions"], (value, verdict.reason)
