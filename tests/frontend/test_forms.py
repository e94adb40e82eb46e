"""The pages' forms (frontend/forms.py): what is made in Python is what Django's templates would make."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms as django_forms

from frontend import forms


def _every_option(form: django_forms.Form) -> list[Any]:
    return [
        option
        for field in form
        if isinstance(field.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple))
        for option in field
    ]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "pain": "0",
            "fatigue": "10",
            "symptoms": ["limb_weakness", "nausea"],
            "movement_effect": "",
            "woke_from_pain": "yes",
        },
        {"pain": "<b>", "pain_locations": ['"><script>'], "rest_helped": "no"},
    ],
    ids=["unanswered", "answered", "hostile"],
)
def test_each_radio_and_checkbox_is_the_input_djangos_templates_make(data: dict[str, Any] | None) -> None:
    form = forms.CheckinCreateForm(data)
    options = _every_option(form)
    assert len(options) > 50

    for option in options:
        widget = option.parent_widget
        django_made = super(forms._OptionsInPython, widget)._render(
            option.template_name, {"widget": {**option.data, "wrap_label": False}}, option.renderer
        )
        assert option.tag() == django_made
    assert "<script>" not in "".join(option.tag() for option in options)
    if data and data["pain"] == "0":
        assert 'value="0" id="id_pain_0" checked' in form["pain"][0].tag()
