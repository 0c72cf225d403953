"""Property tests: ``screen`` never fails any other way on arbitrary JSON-like input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.screening import QUESTIONS, RULES, Flag, ScreeningInputError, screen

QUESTION_IDS = [q.id for q in QUESTIONS]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(QUESTION_IDS + [f"{q}_details" for q in QUESTION_IDS]) | st.text(max_size=25)
answers_like = st.dictionaries(keys, json_values | st.sampled_from(["yes", "no"]), max_size=30)
valid_answers = st.fixed_dictionaries(
    {q: st.sampled_from(["yes", "no"]) for q in QUESTION_IDS},
    optional={f"{q}_details": st.text(max_size=50) for q in QUESTION_IDS},
)


def _screen_or_validation_error(value: object) -> list[Flag] | None:
    try:
        return screen(value)  # type: ignore[arg-type]
    except ScreeningInputError:
        return None


@given(json_values | answers_like)
@settings(max_examples=400)
def test_screen_only_ever_raises_its_own_error(value):
    _screen_or_validation_error(value)


@given(valid_answers)
@settings(max_examples=400)
def test_flags_are_ordered_deduplicated_and_justified(answers):
    flags = screen(answers)
    codes = [f.code for f in flags]
    assert len(codes) == len(set(codes))
    ranks = [f.severity.rank for f in flags]
    assert ranks == sorted(ranks)
    rule_for = {r.code: r for r in RULES}
    for flag in flags:
        assert flag.because
        assert all(answers[q] == "yes" for q in flag.because)
        assert set(flag.because) == {
            q for q in rule_for[flag.code].questions if answers[q] == "yes"
        }
    raised = set(codes)
    for rule in RULES:
        if any(answers[q] == "yes" for q in rule.questions):
            assert rule.code in raised
