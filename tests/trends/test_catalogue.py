"""The rules are CLINICAL.md's flag catalogue: every code, no more and no fewer, each with its source."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from diary import trends
from diary.trends import LEVELS, RULES, RULES_BY_CODE, rules

# CLINICAL.md's flag catalogue, code → level (limb_numbness_tingling is "urgent, or review").
CATALOGUE = {
    "spinal_cord_compression_signs": "emergency",
    "limb_numbness_tingling": "urgent",
    "blood_in_stool_or_urine": "urgent",
    "night_pain": "urgent",
    "pain_worse_straining": "urgent",
    "morning_pain_eases": "review",
    "pain_unrelated_to_movement": "review",
    "pain_not_improving": "review",
    "worsening_pain": "review",
    "persistent_fatigue": "review",
    "severe_fatigue": "review",
    "weight_loss": "review",
    "bladder_bowel_change": "review",
    "night_sweats": "review",
    "sleep_disturbance": "review",
    "missed_checkins": "info",
}
# CLINICAL.md 1.1, "Medicines and breakthrough pain": a table of its own.
MEDICINE_CATALOGUE = {
    "rescue_doses_high": "review",
    "rescue_doses_rising": "review",
    "rescue_doses_not_helping": "review",
}

CLINICAL_MD = Path(__file__).resolve().parents[3] / "shared" / "CLINICAL.md"


def test_it_has_exactly_the_nineteen_codes_of_the_catalogues_at_their_levels() -> None:
    """No code missing, none invented, none twice, each at the catalogue's level."""
    assert len(RULES) == 19
    assert {rule.code: rule.level for rule in RULES} == CATALOGUE | MEDICINE_CATALOGUE


def _table(section_title: str) -> dict[str, str]:
    """code → level from the table of one section of CLINICAL.md."""
    text = CLINICAL_MD.read_text()
    start = text.index(section_title)
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    return dict(re.findall(r"^\| `([a-z_]+)` \| ([a-z]+) \|", section, flags=re.MULTILINE))


@pytest.mark.skipif(not CLINICAL_MD.exists(), reason="../shared/CLINICAL.md is not beside the project")
def test_it_matches_the_catalogue_table_in_clinical_md() -> None:
    """The table of the section "Flag catalogue" in ../shared/CLINICAL.md and the rules name the same codes.

    Version 1.1's medicine flags have a table of their own, in a later section (issue 14).
    """
    text = CLINICAL_MD.read_text()
    section = text[text.index("## Flag catalogue") : text.index("\n## ", text.index("## Flag catalogue") + 1)]
    table = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    assert sorted(table) == sorted(rule.code for rule in RULES if rule.code not in MEDICINE_CATALOGUE)


@pytest.mark.skipif(not CLINICAL_MD.exists(), reason="../shared/CLINICAL.md is not beside the project")
def test_it_matches_the_medicine_table_in_clinical_md() -> None:
    """The table of "Medicines and breakthrough pain (version 1.1)" names the medicine rules, at their levels."""
    table = _table("## Medicines and breakthrough pain")
    assert table == MEDICINE_CATALOGUE
    assert {code: RULES_BY_CODE[code].level for code in table} == table


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_each_rule_is_one_documented_function_naming_its_source(rule: trends.Rule) -> None:
    """The function is named after its code and its docstring says where the rule comes from."""
    assert rule.judge.__name__ == rule.code
    assert getattr(rules, rule.code) is rule.judge
    doc = inspect.getdoc(rule.judge) or ""
    assert re.search(r"^Source: \S", doc, flags=re.MULTILINE), f"{rule.code} names no source"
    assert rule.source


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_each_title_is_plain_words_for_the_patient(rule: trends.Rule) -> None:
    """Titles are sentences, not codes: no underscores, a capital letter first."""
    assert rule.level in LEVELS
    assert "_" not in rule.title and rule.title[0].isupper()
