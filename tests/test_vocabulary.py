"""Contract tests: the codes the trend rules read are the codes the diary stores and API.md publishes.

The rules are pure Python and compare plain strings, so renaming a model choice would silently
switch a clinical rule off. These tests tie every code a rule reads to the model's choices and to
API.md, and every flag level to the model's levels and to the words a patient is shown.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from diary import flag_policy, trends
from diary.models import FlagLevel, MovementEffect, PartOfDay, RestHelped, Symptom
from diary.trends import wording

TRENDS = Path(trends.__file__).parent
API_MD = Path(__file__).resolve().parents[2] / "shared" / "API.md"

# The answer each attribute holds, and the model's choices for it.
VOCABULARIES = {
    "part_of_day": set(PartOfDay.values),
    "movement_effect": set(MovementEffect.values),
    "rest_helped": set(RestHelped.values),
    "symptoms": set(Symptom.values),
}


def _attribute_names(node: ast.AST) -> set[str]:
    return {child.attr for child in ast.walk(node) if isinstance(child, ast.Attribute)}


def codes_compared_in_the_rules() -> list[tuple[str, str, str]]:
    """(file:line, vocabulary, code) for every string literal a rule compares with a stored answer."""
    found = []
    for path in sorted(TRENDS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            literals = [side.value for side in sides if isinstance(side, ast.Constant) and isinstance(side.value, str)]
            names = set().union(*(_attribute_names(side) for side in sides)) & set(VOCABULARIES)
            # rest_helped is kept per day as a list of answers: `"no" in day.rest_helped`.
            for name in names:
                found.extend((f"{path.name}:{node.lineno}", name, literal) for literal in literals)
    return found


def test_the_rules_compare_stored_answers_somewhere() -> None:
    """The scan below finds the comparisons it is meant to check (else it would check nothing)."""
    vocabularies = {name for _, name, _ in codes_compared_in_the_rules()}
    assert vocabularies == {"part_of_day", "movement_effect", "rest_helped", "symptoms"}


@pytest.mark.parametrize(("where", "name", "code"), codes_compared_in_the_rules())
def test_every_code_a_rule_compares_is_a_stored_choice(where: str, name: str, code: str) -> None:
    assert code in VOCABULARIES[name], f"{where}: {code!r} is not a {name} the diary stores"


def symptoms_the_rules_read() -> set[str]:
    return set().union(*(rule.symptoms for rule in trends.RULES)) | set(wording.SYMPTOM_WORDS)


def test_every_symptom_a_rule_reads_is_a_stored_choice() -> None:
    assert symptoms_the_rules_read() <= set(Symptom.values)
    # Each symptom rule says which symptoms it reads; the emergency rule's are the cord-compression signs.
    assert trends.RULES_BY_CODE["spinal_cord_compression_signs"].symptoms == trends.CORD_COMPRESSION_SYMPTOMS


@pytest.mark.skipif(not API_MD.exists(), reason="../shared/API.md is not beside the project")
def test_the_stored_symptoms_are_api_mds() -> None:
    text = API_MD.read_text()
    section = text[text.index("Symptom codes:") : text.index("## Trends and flags")]
    published = set(re.findall(r"`([a-z_]+)`", section))
    assert published == set(Symptom.values)
    assert symptoms_the_rules_read() <= published


def test_flag_levels_are_one_list() -> None:
    """The trend module's levels, the model's, and the words for each are the same four, in one order."""
    assert list(trends.LEVELS) == list(FlagLevel.values)
    assert {rule.level for rule in trends.RULES} <= set(trends.LEVELS)
    assert list(flag_policy.PATIENT_ACTION) == list(trends.LEVELS)
    assert list(flag_policy.LEVEL_WORD) == list(trends.LEVELS)
    assert set(flag_policy.ALERT_LEVELS) == {"emergency", "urgent"}


def test_every_rule_speaks_in_both_voices() -> None:
    for rule in trends.RULES:
        assert rule.title and rule.name and rule.clinician_title, rule.code
        assert rule.code not in rule.clinician_title


def test_every_check_in_form_speaks_the_models_list_of_answers() -> None:
    """The API's input and output, the page's form and the CSV all carry exactly CHECKIN_FIELDS."""
    from diary.api.checkins import CheckinFields, CheckinOutput
    from diary.exports import CSV_COLUMNS
    from diary.models import CHECKIN_FIELDS, REPORTABLE_FIELDS
    from frontend.forms import CheckinCreateForm, CheckinForm

    assert list(CheckinFields().fields) == list(CHECKIN_FIELDS)
    assert set(CHECKIN_FIELDS) <= set(CheckinOutput().fields)
    assert set(CheckinForm().fields) == set(CHECKIN_FIELDS)  # in the order a patient answers them
    assert set(CheckinCreateForm().fields) == {*CHECKIN_FIELDS, "client_uuid"}
    assert CSV_COLUMNS[-len(CHECKIN_FIELDS) + 1 :] == list(CHECKIN_FIELDS[1:])
    assert set(REPORTABLE_FIELDS) <= set(CHECKIN_FIELDS)
