"""Unified social credit codes: agreement with GB 32100-2015, legacy numbers, generation."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from planner.common import uscc

# The standard's alphabet and weights, written out independently of the module under test.
STD_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
STD_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def std_check(body: str) -> str:
    total = sum(STD_ALPHABET.index(c) * w for c, w in zip(body, STD_WEIGHTS, strict=True))
    value = 31 - total % 31
    return "0" if value == 31 else STD_ALPHABET[value]


bodies = st.builds(
    lambda a, b, div, org: a + b + div + org,
    st.sampled_from("159Y"),
    st.sampled_from("123"),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(STD_ALPHABET, min_size=9, max_size=9),
)


def test_published_example_is_valid():
    assert uscc.uscc_problem("91350100M000100Y43") is None


def test_wrong_check_character_names_the_expected_one():
    assert uscc.uscc_problem("91350100M000100Y44") == (
        "check character is '4', GB 32100-2015 gives '3'"
    )


@given(bodies)
def test_check_character_agrees_with_the_standard(body):
    assert uscc.check_char(body) == std_check(body)
    assert uscc.uscc_problem(body + std_check(body)) is None


@given(bodies, st.sampled_from(STD_ALPHABET))
def test_any_other_check_character_is_rejected(body, last):
    if last != std_check(body):
        assert "check character" in uscc.uscc_problem(body + last)


@given(st.text(max_size=25))
def test_checker_never_crashes_and_accepts_only_standard_codes(text):
    problem = uscc.uscc_problem(text)
    valid = (
        len(text) == 18
        and all(c in STD_ALPHABET for c in text)
        and text[2:8].isdigit()
        and std_check(text[:17]) == text[17]
    )
    assert (problem is None) == valid


def test_length_forbidden_letters_and_division_code():
    assert uscc.uscc_problem("9135") == "has 4 characters, a unified social credit code has 18"
    assert "outside the credit-code alphabet" in uscc.uscc_problem("91350100M000100I43")
    assert "administrative division" in uscc.uscc_problem("9135A100M000100Y4" + "3")


def test_legacy_registration_number():
    assert uscc.is_legacy_registration_number("110108000000016")
    assert not uscc.is_legacy_registration_number("110108000000017")
    assert not uscc.is_legacy_registration_number("91350100M000100Y43")


def test_generated_codes_are_valid_distinct_and_seeded():
    a = uscc.generate(np.random.default_rng(3), 2000)
    b = uscc.generate(np.random.default_rng(3), 2000)
    assert list(a) == list(b)
    assert len(set(a)) == 2000
    assert all(p is None for p in uscc.uscc_problems(a))
    assert list(uscc.generate(np.random.default_rng(4), 2000)) != list(a)


def test_batch_check_agrees_with_single_checks_on_mixed_batches():
    good = list(uscc.generate(np.random.default_rng(5), 50))
    broken = [good[0][:17] + ("0" if good[0][17] != "0" else "1"), "SHORT", "91350100M000100I43"]
    for batch in (good, good + broken[:1], broken + good):  # fast path, fast path, per-code path
        assert uscc.uscc_problems(np.array(batch, dtype=object)) == [
            uscc.uscc_problem(c) for c in batch]
