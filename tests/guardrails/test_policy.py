"""Policy: the default TOML builds all ten guardrails; bad policies fail loudly, naming the culprit."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails import (
    REGISTRY,
    GuardContext,
    Guardrail,
    PolicyError,
    build_guardrails,
    load_policy,
    load_policy_dict,
    run_guardrail,
)
from guardrails.policy import DEFAULT_POLICY_PATH, parameters

ALL = {
    "input_size",
    "prompt_injection",
    "completeness",
    "relevance",
    "context_injection",
    "degenerate_output",
    "citations",
    "grounding",
    "answer_relevance",
    "answer_injection",
}


def test_default_policy_builds_all_ten() -> None:
    built = build_guardrails(load_policy())
    names = {g.name for stage in built.values() for g in stage}
    assert names == ALL == set(REGISTRY)
    assert [g.name for g in built["input"]] == ["input_size", "prompt_injection", "completeness"]
    assert [g.name for g in built["retrieval"]] == ["context_injection", "relevance"]  # the chain's run order
    assert [g.name for g in built["output"]] == [
        "degenerate_output",
        "citations",
        "grounding",
        "answer_relevance",
        "answer_injection",
    ]
    for stage, items in built.items():
        for guardrail in items:
            assert isinstance(guardrail, Guardrail)
            assert guardrail.stage == stage
            assert guardrail.fail_mode in ("open", "closed")


def test_default_policy_lists_every_guardrail_enabled() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    assert set(policy.guardrails) == ALL
    assert all(policy.is_enabled(name) for name in ALL)
    assert policy.params("relevance")["min_score"] == 0.35
    assert policy.params("grounding")["min_overlap"] == 0.5
    assert policy.params("input_size")["max_chars"] == 2000


def test_default_toml_matches_the_dataclass_defaults() -> None:
    # The TOML writes every threshold out; it must not silently drift from the code's defaults.
    policy = load_policy()
    for name, cls in REGISTRY.items():
        default = cls()
        for key, value in policy.params(name).items():
            assert getattr(default, key) == value, (name, key)


def test_fail_modes_are_deliberate() -> None:
    modes = {name: cls().fail_mode for name, cls in REGISTRY.items()}
    assert modes == {
        "input_size": "closed",
        "prompt_injection": "closed",
        "completeness": "open",
        "relevance": "closed",
        "context_injection": "closed",
        "degenerate_output": "closed",
        "citations": "closed",
        "grounding": "closed",
        "answer_relevance": "open",
        "answer_injection": "closed",
    }


def test_unknown_guardrail_is_named() -> None:
    with pytest.raises(PolicyError, match="toxicity"):
        load_policy_dict({"guardrails": {"toxicity": {"enabled": True}}})


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("relevance", {"min_score": "high"}),
        ("input_size", {"max_chars": -5}),
        ("grounding", {"min_overlap": 1.5}),
        ("completeness", {"max_questions": 9}),
        ("prompt_injection", {"fail_mode": "sometimes"}),
        ("citations", {"no_such_param": 1}),
    ],
)
def test_bad_parameter_names_the_guardrail(name: str, params: dict) -> None:
    with pytest.raises(PolicyError, match=repr(name)):
        load_policy_dict({"guardrails": {name: params}})


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[guardrails.relevance\nmin_score = ", encoding="utf-8")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(broken)


def test_disabled_guardrail_is_not_built(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[guardrails.completeness]\nenabled = false\n", encoding="utf-8")
    built = build_guardrails(load_policy(path))
    names = {g.name for stage in built.values() for g in stage}
    assert names == ALL - {"completeness"}


def test_with_overrides() -> None:
    base = load_policy()
    changed = base.with_overrides({"relevance": {"min_score": 0.6}, "grounding": {"enabled": False}})
    assert changed.params("relevance")["min_score"] == 0.6
    assert not changed.is_enabled("grounding")
    assert base.params("relevance")["min_score"] == 0.35  # the original is untouched
    built = build_guardrails(changed)
    relevance = next(g for g in built["retrieval"] if g.name == "relevance")
    assert relevance.min_score == 0.6
    assert all(g.name != "grounding" for g in built["output"])
    with pytest.raises(PolicyError, match="'relevance'"):
        base.with_overrides({"relevance": {"min_score": "x"}})


def test_run_guardrail_times_and_stamps_fail_mode() -> None:
    built = build_guardrails(load_policy_dict({}))  # an empty policy is valid: every guardrail, defaults
    completeness = next(g for g in built["input"] if g.name == "completeness")
    verdict = run_guardrail(completeness, GuardContext(question="Is this plan reasonable?"))
    assert verdict.fired and not verdict.errored
    assert verdict.fail_mode == "open"
    assert verdict.duration_ms >= 0


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        # the likeliest slip: the guardrail's table at the top level
        (
            "[relevance]\nmin_hybrid = 0.3\n",
            "[relevance] is not a policy table: a guardrail's settings go under [guardrails.relevance]",
        ),
        ("[retrieval]\nk = 3\n", "[retrieval] is not a policy table: the file holds [guardrails.NAME] tables"),
        ("[guardrails.relevanse]\nmin_hybrid = 0.3\n", "relevanse (did you mean relevance?)"),
        (
            "[guardrails.relevance]\nmin_hybrd = 0.3\n",
            "min_hybrd is not a parameter of relevance (did you mean min_hybrid?); its parameters: min_hybrid,",
        ),
        ('[guardrails.relevance]\nmin_hybrid = "high"\n', "min_hybrid = 'high': Input should be a valid number"),
        ("[guardrails.grounding]\nmin_overlap = 1.5\n", "min_overlap = 1.5: Input should be less than or equal to 1"),
        (
            '[guardrails.relevance]\nenabled = "maybe"\n',
            "guardrails.relevance.enabled = 'maybe': Input should be a valid boolean",
        ),
        ("[guardrails]\nrelevance = 3\n", "guardrails.relevance = 3: must be a table"),
    ],
)
def test_a_bad_policy_file_is_explained_in_its_own_terms(tmp_path: Path, toml: str, says: str) -> None:
    """The message names the file, the TOML key and the value, suggests the near miss, and carries none of
    pydantic's own wording for the user to decode (its error URLs, "Extra inputs", "keyword argument")."""
    path = tmp_path / "policy.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert says in message
    assert message.endswith(f"(in {path})")
    for jargon in ("errors.pydantic.dev", "Extra inputs", "keyword argument", "validation error", "GuardrailEntry"):
        assert jargon not in message


def test_a_disabled_guardrails_values_are_checked_when_the_policy_loads() -> None:
    # They were checked only once enabled: a typo under enabled = false stopped the app the day it was turned on.
    with pytest.raises(PolicyError, match=r"min_hybrid.*enabled = false; its values are checked all the same"):
        load_policy_dict({"guardrails": {"relevance": {"enabled": False, "min_hybrid": 7}}})
    with pytest.raises(PolicyError, match=r"min_hybird is not a parameter of relevance"):
        load_policy_dict({"guardrails": {"relevance": {"enabled": False, "min_hybird": 0.3}}})
    policy = load_policy_dict({"guardrails": {"relevance": {"enabled": False, "min_hybrid": 0.3}}})
    assert not policy.is_enabled("relevance") and "relevance" not in {
        g.name for s in build_guardrails(policy).values() for g in s
    }


def test_parameters_give_defaults_as_values_not_pydantic_field_objects() -> None:
    for name in REGISTRY:
        for param, default in parameters(name).items():
            assert type(default).__module__ != "pydantic.fields", (name, param, default)
    assert parameters("input_size")["max_chars"] == 2000
