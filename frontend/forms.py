"""The shapes the pages accept. Domain rules stay in diary.services; these only parse what a browser sends."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any
from uuid import uuid4

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from diary import limits, lockout, units, zones
from diary.models import (
    CHECKIN_FIELDS,
    NOTE_MAX_LENGTH,
    NOTHING_REPORTED,
    CheckIn,
    MedicineKind,
    MovementEffect,
    PainLocation,
    Relief,
    ReminderSettings,
    RestHelped,
    Symptom,
    WeightUnit,
    validate_reminder_times,
)
from diary.trends import CORD_COMPRESSION_SYMPTOMS

# The questions with the most urgent consequences come first (NICE NG234: weakness,
# walking, saddle numbness, bladder or bowel control), so nobody scrolls past them.
SYMPTOM_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Weakness, walking, numbness, bladder or bowel control",
        (
            Symptom.LIMB_WEAKNESS,
            Symptom.DIFFICULTY_WALKING,
            Symptom.SADDLE_NUMBNESS,
            Symptom.BLADDER_CONTROL_LOSS,
            Symptom.BOWEL_CONTROL_LOSS,
        ),
    ),
    (
        "Tingling, bleeding, breathing and pain",
        (
            Symptom.LIMB_NUMBNESS_TINGLING,
            Symptom.BLOOD_IN_URINE,
            Symptom.BLOOD_IN_STOOL,
            Symptom.COUGHING_BLOOD,
            Symptom.SHORTNESS_OF_BREATH,
            Symptom.PAIN_WORSE_STRAINING,
            Symptom.BAND_LIKE_PAIN,
        ),
    ),
    (
        "Toilet habits, sleep, sweats, weight and sickness",
        (
            Symptom.URINARY_CHANGE,
            Symptom.BOWEL_CHANGE,
            Symptom.DIFFICULTY_SLEEPING,
            Symptom.NIGHT_SWEATS,
            Symptom.UNEXPLAINED_WEIGHT_LOSS,
            Symptom.NAUSEA,
        ),
    ),
)
EMERGENCY_GROUP = SYMPTOM_GROUPS[0][0]

# The check-in page's folded "More" section holds every question but the two scales.
MORE_FIELDS = tuple(name for name in CHECKIN_FIELDS if name not in ("pain", "fatigue"))

TOO_MANY_ATTEMPTS = lockout.TOO_MANY_ATTEMPTS

SCALE_CHOICES = [(n, str(n)) for n in range(11)]
NOT_SURE = ("", "Not sure")
NOT_SURE_MOVING = ("", "Not sure, or I have not moved")


ZoneChoices = list[tuple[str, list[tuple[str, str]]] | tuple[str, str]]


def _zone_label(name: str) -> str:
    return name.replace("_", " ")


@cache
def _zones_by_area() -> ZoneChoices:
    """Every canonical zone once, grouped by area; UTC on its own at the end."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in zones.picker_zones():
        if name != zones.UTC:
            groups.setdefault(name.split("/", 1)[0], []).append((name, _zone_label(name)))
    return [*groups.items(), (zones.UTC, zones.UTC)]


def zone_choices() -> ZoneChoices:
    """The common zones first (the clinic's own at the top), then every place by area."""
    common = [(name, _zone_label(name)) for name in zones.common_zones()]
    return [("Common time zones", common), *_zones_by_area()]


class ZoneField(forms.ChoiceField):
    """A time zone from the picker. An alias (Asia/Calcutta) is taken, as the API takes it, and becomes
    the canonical name (diary/zones.py)."""

    def to_python(self, value: Any) -> str:
        name: str = super().to_python(value)
        return zones.canonical_zone(name) or name

    def valid_value(self, value: Any) -> bool:
        # Any IANA zone, not only the listed ones: the phone may report one the list leaves out.
        return zones.canonical_zone(str(value)) is not None


def zone_field(current: str, *, blank: str | None = None) -> ZoneField:
    """The time zone select with `current` chosen, or (given `blank`) an empty first choice and nothing chosen."""
    current = zones.canonical_zone(current) or current
    choices = zone_choices()
    if current and current not in zones.picker_zones():
        # A zone the list leaves out (Etc/GMT+5) stays selectable rather than silently changed.
        choices = [*choices, (current, _zone_label(current))]
    if blank:
        choices = [("", blank), *choices]
    return ZoneField(
        label="Time zone",
        choices=choices,
        initial=current,
        help_text="Your days and times of day in the diary follow this zone.",
        error_messages={
            "required": "Choose your time zone.",
            "invalid_choice": "Choose a time zone from the list, such as Europe/London.",
        },
    )


class PageForm(forms.Form):
    """A form whose errors can be listed at the top of the page, each linking to its field."""

    def error_summary(self) -> list[tuple[str | None, str]]:
        """(anchor id, message) for every error, in the order the fields appear; no anchor for the form's own."""
        summary: list[tuple[str | None, str]] = [(None, message) for message in self.non_field_errors()]
        for bound in self:
            if not bound.errors:
                continue
            # A group of radios or checkboxes has no single id; point at its first option.
            anchor = f"{bound.auto_id}_0" if bound.field.widget.use_fieldset else bound.auto_id
            summary.extend((anchor, message) for message in bound.errors)
        return summary

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError next to the fields it names, the rest at the top."""
        messages = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for field, field_messages in messages.items():
            self.add_error(field if field in self.fields else None, list(field_messages))


class SignupForm(PageForm):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=128,
        help_text="At least 12 characters. A few unrelated words are easy to remember and hard to guess.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    display_name = forms.CharField(
        label="What should we call you? (optional)",
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Nothing is chosen for the person: a wrong default, left as it was, dated every check-in
        # wrongly. signup.js chooses the phone's own zone, and says so.
        self.fields["timezone"] = zone_field("", blank="Choose your time zone")


class TimezoneSwitchForm(forms.Form):
    """The travel prompt's one tap on the check-in page: the zone the phone is on now."""

    timezone = ZoneField(
        error_messages={
            "required": "Say which time zone to use.",
            "invalid_choice": "That is not a time zone the diary knows.",
        }
    )


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form; emails are stored in lower case, so compare them that way."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account.",
    }

    def __init__(self, *args: Any, throttled: bool = False, wait_seconds: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.throttled = throttled
        self.wait_seconds = wait_seconds
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false", "maxlength": 254}
        )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def clean(self) -> dict[str, Any]:
        # Refused before the password is even checked, so guessing gets no answer at all.
        if self.throttled:
            raise ValidationError(lockout.too_many_attempts(self.wait_seconds), code="throttled")
        return super().clean()

    def error_summary(self) -> list[tuple[str | None, str]]:
        return [(None, message) for message in self.non_field_errors()] + [
            (self[name].auto_id, message) for name in self.fields for message in self[name].errors
        ]


class _OptionsInPython:
    """Radios and checkboxes whose inputs are made in Python, to the byte as Django's templates make them.

    The pages draw each option's `<input>` themselves (`option.tag`, frontend/templates/frontend/fields/);
    Django renders each through three templates, which took half the check-in page's time (63 inputs).
    """

    option_template_name: str

    def _render(self, template_name: str, context: dict[str, Any], renderer: Any = None) -> SafeString:
        widget = context["widget"]
        if template_name != self.option_template_name or widget.get("wrap_label"):
            return super()._render(template_name, context, renderer)  # type: ignore[misc]
        # django/forms/widgets/input.html and attrs.html, in Python.
        parts = [format_html('<input type="{}" name="{}"', widget["type"], widget["name"])]
        if widget["value"] is not None:
            parts.append(format_html(' value="{}"', widget["value"]))
        for name, value in widget["attrs"].items():
            if value is True:
                parts.append(format_html(" {}", name))
            elif value is not False:
                parts.append(format_html(' {}="{}"', name, value))
        return mark_safe("".join(parts) + ">")  # noqa: S308 (every part is escaped by format_html)


class RadioSelect(_OptionsInPython, forms.RadioSelect):
    pass


class CheckboxSelectMultiple(_OptionsInPython, forms.CheckboxSelectMultiple):
    pass


def _range_messages(limit: limits.Range, invalid: str) -> dict[str, str]:
    # Django's defaults ("Ensure this value is greater than or equal to 20.") do not say which answer is meant.
    return {**limit.error_messages(), "invalid": invalid}


def _scale_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCALE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=RadioSelect,
        error_messages={"invalid_choice": "Choose a number from 0 to 10."},
    )


def _optional_choice(
    label: str, choices: list[tuple[str, str]], none: tuple[str, str] = NOT_SURE
) -> forms.TypedChoiceField:
    # The empty choice is an answer in its own right ("not sure"), stored as null.
    return forms.TypedChoiceField(
        label=label,
        choices=[*choices, none],
        coerce=str,
        empty_value=None,
        required=False,
        widget=RadioSelect,
    )


class CheckinForm(PageForm):
    """Every question of a check-in; only one answer is needed (services decide which count)."""

    # What the page's script says before sending an empty check-in: the services' own words.
    nothing_reported = NOTHING_REPORTED
    later_than_now = limits.RECORDED_AT_LATER_THAN_NOW

    pain = _scale_field("Pain right now")
    pain_locations = forms.MultipleChoiceField(
        label="Where is the pain?",
        choices=PainLocation.choices,
        required=False,
        widget=CheckboxSelectMultiple,
        help_text="Choose all that apply.",
    )
    movement_effect = _optional_choice("Does moving change the pain?", list(MovementEffect.choices), NOT_SURE_MOVING)
    fatigue = _scale_field("Tiredness right now")
    rest_helped = _optional_choice("Did rest or sleep ease the tiredness?", list(RestHelped.choices))
    symptoms = forms.MultipleChoiceField(
        label="Have you noticed any of these since your last check-in?",
        choices=Symptom.choices,
        required=False,
        widget=CheckboxSelectMultiple,
    )
    sleep_hours = forms.FloatField(
        label="Hours of sleep last night",
        required=False,
        min_value=limits.SLEEP_HOURS.low,
        max_value=limits.SLEEP_HOURS.high,
        error_messages=_range_messages(limits.SLEEP_HOURS, "Give hours of sleep as a number, like 7 or 6.5."),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    woke_from_pain = forms.TypedChoiceField(
        label="Did pain wake you last night?",
        choices=[("yes", "Yes"), ("no", "No"), ("", "Not answered")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=RadioSelect,
    )
    weight_kg = forms.FloatField(
        label="Weight in kg",
        required=False,
        min_value=limits.WEIGHT_KG.low,
        max_value=limits.WEIGHT_KG.high,
        error_messages=_range_messages(limits.WEIGHT_KG, "Give your weight in kg as a number, like 72.5."),
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    exercise_minutes = forms.IntegerField(
        label="Minutes of therapy exercise since your last check-in",
        required=False,
        min_value=limits.EXERCISE_MINUTES.low,
        max_value=limits.EXERCISE_MINUTES.high,
        error_messages=_range_messages(limits.EXERCISE_MINUTES, "Give exercise as whole minutes, like 20."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=limits.NOTES_MAX_LENGTH,
        help_text=f"Anything else you want your therapist to know. Up to {limits.NOTES_MAX_LENGTH} characters.",
        error_messages={"max_length": limits.NOTES_TOO_LONG_COUNTED},
        widget=forms.Textarea(attrs={"rows": 4, "data-max-length": limits.NOTES_MAX_LENGTH}),
    )
    recorded_at = forms.DateTimeField(
        label="Time of this check-in",
        required=False,
        help_text="Change it only if the time shown is wrong.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, weight_unit: str = WeightUnit.KG, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django would add maxlength, and a browser then cuts pasted text without a word. The page counts
        # the characters instead (checkin.js), and the server refuses a longer note with its length.
        self.fields["notes"].widget.attrs.pop("maxlength", None)
        self.weight_unit = weight_unit
        if weight_unit == WeightUnit.LB:
            # Typed in pounds; clean_weight_kg turns it into the kg the services store (diary/units.py).
            self.fields["weight_kg"] = forms.FloatField(
                label="Weight in lb",
                required=False,
                min_value=units.WEIGHT_LB_LOW,
                max_value=units.WEIGHT_LB_HIGH,
                error_messages={
                    "min_value": units.WEIGHT_LB_MESSAGE,
                    "max_value": units.WEIGHT_LB_MESSAGE,
                    "invalid": "Give your weight in lb as a number, like 160.5.",
                },
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            )

    def clean_weight_kg(self) -> float | None:
        weight: float | None = self.cleaned_data.get("weight_kg")
        stored = self.initial.get("stored_weight_kg")
        if stored is not None and "weight_kg" not in self.changed_data:
            # Unchanged on the edit page: keep the stored kg rather than a round trip through pounds.
            return float(stored)
        return None if weight is None else units.kg_from(weight, self.weight_unit)

    def opens_more(self) -> bool:
        """Whether the check-in page's "More" section starts open. Changing a check-in shows every answer."""
        return True

    def symptom_groups(self) -> list[dict[str, Any]]:
        """The symptom checkboxes split into SYMPTOM_GROUPS, for one fieldset each."""
        options = {option.data["value"]: option for option in self["symptoms"]}
        return [
            {"title": title, "options": [options[code] for code in codes], "urgent": title == EMERGENCY_GROUP}
            for title, codes in SYMPTOM_GROUPS
        ]

    def emergency_symptoms(self) -> str:
        """The symptom codes the device itself answers with emergency guidance (checkin.js), space-separated."""
        return " ".join(sorted(CORD_COMPRESSION_SYMPTOMS))

    def checkin_fields(self) -> dict[str, Any]:
        """The cleaned answers, as keyword arguments for services.checkin_create / checkin_update."""
        fields = {name: self.cleaned_data[name] for name in self.fields if name not in ("client_uuid", "recorded_at")}
        if self.cleaned_data.get("recorded_at") is not None and "recorded_at" in self.changed_data:
            fields["recorded_at"] = self.cleaned_data["recorded_at"]
        return fields


class CheckinCreateForm(CheckinForm):
    # Made when the page is rendered, so a second press of the same form is the same check-in.
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recorded_at"].label = "Earlier time (optional)"
        self.fields["recorded_at"].help_text = "Only if you are recording how you were earlier. Leave empty for now."
        # The picker offers nothing later than now, on the diary's clock (the page is rendered in its
        # zone); checkin.js keeps it current while the page stays open, and the server still checks.
        self.fields["recorded_at"].widget.attrs["max"] = f"{timezone.localtime():%Y-%m-%dT%H:%M}"

    def opens_more(self) -> bool:
        """A new check-in starts folded to its two scales; what was answered or refused below them stays in sight."""
        if not self.is_bound:
            return False
        return any(self[name].errors or self.data.get(name) for name in MORE_FIELDS)


class CheckinShellForm(CheckinCreateForm):
    """The same questions for the offline app shell (frontend/pwa.py), without a client_uuid.

    The shell is cached once for everyone on the phone, so it must not carry a key;
    the device makes one for each check-in it saves.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["client_uuid"]
        # Cached for days and rendered in no one's zone: checkin.js sets the picker's limit instead.
        del self.fields["recorded_at"].widget.attrs["max"]


def checkin_initial(checkin: CheckIn, weight_unit: str = WeightUnit.KG) -> dict[str, Any]:
    """A stored check-in as the edit form's initial values, its weight in the patient's unit."""
    initial = {name: getattr(checkin, name) for name in CHECKIN_FIELDS}
    return {
        **initial,
        "weight_kg": None if checkin.weight_kg is None else units.shown_weight(checkin.weight_kg, weight_unit),
        "stored_weight_kg": checkin.weight_kg,
        # A radio's "not sure" is the empty choice; stored, it is null.
        "movement_effect": checkin.movement_effect or "",
        "rest_helped": checkin.rest_helped or "",
        "woke_from_pain": {True: "yes", False: "no", None: ""}[checkin.woke_from_pain],
        # The input shows minutes; compare like with like, or every save would "change" the time.
        "recorded_at": checkin.recorded_at.replace(second=0, microsecond=0),
    }


class LinkForm(PageForm):
    invite_code = forms.CharField(
        label="Your therapist's code",
        max_length=32,
        help_text="10 letters and numbers, like ABCDE-12345. Capitals and dashes do not matter.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    consent = forms.BooleanField(
        label="I have read what my therapist will see and I agree to share my diary with them",
        error_messages={"required": "Tick the box to agree to what your therapist will see, or do not share."},
    )
    # The version of the wording on the page the patient read (diary/consent.py).
    consent_version = forms.CharField(widget=forms.HiddenInput, max_length=32)


class SettingsForm(PageForm):
    display_name = forms.CharField(
        label="Your name",
        required=False,
        max_length=80,
        help_text="Shown to you and to the people you share your diary with.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    therapy_started_on = forms.DateField(
        label="Date physical therapy started",
        required=False,
        help_text="Helps your therapist see whether pain eases with treatment. Leave empty if not started.",
        widget=forms.DateInput(
            attrs={
                "type": "date",
                "min": limits.THERAPY_START_EARLIEST.isoformat(),
                "max": limits.THERAPY_START_LATEST.isoformat(),
            },
            format="%Y-%m-%d",
        ),
        validators=limits.therapy_start_validators(),
    )

    weight_unit = forms.ChoiceField(
        label="Show my weight in",
        # Not required: a form sent without it (an older page) leaves the unit as it was.
        required=False,
        choices=WeightUnit.choices,
        widget=RadioSelect,
        help_text="Your diary keeps weight in kg for your care team; this changes only what you see and type.",
    )

    def __init__(self, *args: Any, timezone_name: str, is_patient: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"] = zone_field(timezone_name)
        self.fields["timezone"].help_text = "Changing it re-dates every check-in you stored to that zone's days."
        if not is_patient:
            # A therapist keeps no diary: their name is what patients see, their zone dates their own pages.
            self.fields["display_name"].help_text = "Shown to the patients who share their diary with you."
            self.fields[
                "timezone"
            ].help_text = "Times on your pages are shown in this zone; each patient's check-ins keep their own days."
        if not is_patient:
            del self.fields["therapy_started_on"]
            del self.fields["weight_unit"]


def _reminder_time_field(label: str) -> forms.CharField:
    """A time of day; the browser shows its clock picker and sends HH:MM (the model's rule checks it)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=16,
        widget=forms.TimeInput(attrs={"type": "time", "step": "60"}),
    )


class RemindersForm(PageForm):
    """The settings page's reminders: the same choices as PUT reminders (API.md 1.1), as a plain form."""

    enabled = forms.BooleanField(label="Remind me to check in", required=False)
    time_1 = _reminder_time_field("First time")
    time_2 = _reminder_time_field("Second time")
    time_3 = _reminder_time_field("Third time")
    time_4 = _reminder_time_field("Fourth time")
    missed_nudge = forms.BooleanField(label="Nudge me if I have not checked in for 2 days", required=False)
    channels = forms.MultipleChoiceField(
        label="How to remind me",
        required=False,
        choices=[("push", "On my phone (a notification)"), ("email", "By email")],
        widget=CheckboxSelectMultiple,
    )

    TIME_FIELDS = ("time_1", "time_2", "time_3", "time_4")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.TIME_FIELDS:
            value = cleaned.get(name) or ""
            if value:
                try:
                    validate_reminder_times([value])
                except ValidationError:
                    self.add_error(name, "Write the time as HH:MM on the 24-hour clock, like 08:30 or 20:00.")
        return cleaned

    def times(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.TIME_FIELDS if self.cleaned_data.get(name)]

    @staticmethod
    def initial_from(reminder_settings: ReminderSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "enabled": reminder_settings.enabled,
            "missed_nudge": reminder_settings.missed_nudge,
            "channels": [name for name in ("push", "email") if getattr(reminder_settings, name)],
        }
        for name, time in zip(RemindersForm.TIME_FIELDS, reminder_settings.times, strict=False):
            initial[name] = time
        return initial


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Note (what you did or plan)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
    )
    # Blank: the default for the flag's level (diary/flag_policy.py).
    follow_up_on = forms.DateField(
        label="Look again on", required=False, error_messages={"invalid": "Give the follow-up date as a date."}
    )
    share_with_patient = forms.BooleanField(label="Show my note to the patient", required=False)


class NoteTextField(forms.CharField):
    """A textarea's text with line breaks as the browser counted them.

    A browser counts a line break as one character against maxlength but sends it as two
    (CR LF); without this, a note that fitted the box could be refused as too long.
    """

    def to_python(self, value: Any) -> str:
        text: str = super().to_python(value)
        return text.replace("\r\n", "\n")


class NoteForm(PageForm):
    """A therapist's dated note on a patient's timeline."""

    written_on = forms.DateField(
        label="Day the note is about",
        help_text="Today in the patient's time zone, unless you change it.",
        error_messages={
            "required": "Give the day the note is about.",
            "invalid": "Give the day as a date, like 2026-03-10.",
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    text = NoteTextField(
        label="Note",
        max_length=NOTE_MAX_LENGTH,
        help_text=(
            "Seen by the therapists this patient shares their diary with, not by the patient. "
            f"Up to {NOTE_MAX_LENGTH} characters."
        ),
        error_messages={
            "required": "Write the note before saving it.",
            "max_length": f"A note can be at most {NOTE_MAX_LENGTH} characters; this one has %(show_value)d.",
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        # Its own ids: the page also holds a note box for each flag it asks to acknowledge.
        kwargs.setdefault("auto_id", "new-note-%s")
        super().__init__(*args, **kwargs)
        self.fields["written_on"].initial = today
        self.fields["written_on"].widget.attrs["max"] = today.isoformat()


# --- passwords: Django's own forms, with the error summary the pages show ------------------------


class ResetRequestForm(PasswordResetForm, PageForm):
    email = forms.EmailField(
        label="Your email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}),
    )


# The app's own words for its password rules (AUTH_PASSWORD_VALIDATORS), not Django's list of them.
NEW_PASSWORD_HINT = "At least 12 characters. A few unrelated words are easy to remember and hard to guess."  # noqa: S105 - words


class NewPasswordForm(SetPasswordForm, PageForm):
    """Choosing a new password from a reset link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = NEW_PASSWORD_HINT


class ChangePasswordForm(PasswordChangeForm, PageForm):
    """Changing one's password while signed in. The current password is checked as a sign-in is, so
    wrong ones count toward the address's lockout (diary.lockout.password_confirms)."""

    def __init__(self, user: Any, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request
        self.fields["new_password1"].help_text = NEW_PASSWORD_HINT

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        if lockout.password_confirms(self.request, self.user, old_password):
            return old_password
        if lockout.is_locked(self.request):
            raise ValidationError(lockout.LOCKED, code="locked")
        raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")


WRONG_CODE = "That code is not right. Type the 6 digits your app shows now, or one of your recovery codes."


class SecondStepForm(PageForm):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )


# --- medicines (the settings page's list, API.md 1.1 "Medicines and doses") -----------------------


class MedicineForm(PageForm):
    """Add or rename a medicine, in the patient's own words: the same rules as POST medicines."""

    name = forms.CharField(
        label="Name",
        max_length=limits.MEDICINE_NAME_MAX_LENGTH,
        help_text="As it is written on the box, or as you call it.",
        error_messages={
            "required": "Write the medicine's name.",
            "max_length": f"Keep the name to {limits.MEDICINE_NAME_MAX_LENGTH} characters or fewer.",
        },
    )
    strength = forms.CharField(
        label="Strength (optional)",
        required=False,
        max_length=limits.MEDICINE_STRENGTH_MAX_LENGTH,
        help_text="Such as 5 mg, or 1–2 tablets.",
        error_messages={
            "max_length": f"Keep the strength to {limits.MEDICINE_STRENGTH_MAX_LENGTH} characters or fewer."
        },
    )
    kind = forms.ChoiceField(
        label="How you take it",
        choices=[(MedicineKind.REGULAR, "On a schedule"), (MedicineKind.AS_NEEDED, "When I need it (for pain)")],
        widget=RadioSelect,
        error_messages={
            "required": "Choose how you take it: on a schedule, or when you need it.",
            "invalid_choice": "Choose how you take it: on a schedule, or when you need it.",
        },
    )


class MedicineRenameForm(MedicineForm):
    """A medicine already on the list: a new name or strength. Its kind stays; a wrong kind is a new medicine."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class DoseForm(PageForm):
    """ "I took a pain reliever", without JavaScript: which as-needed medicine, and (optionally) when."""

    # Made when the page is rendered, so a second press of the same form is the same dose.
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid4)
    medicine_id = forms.TypedChoiceField(
        label="Which one?",
        coerce=int,
        widget=RadioSelect,
        error_messages={
            "required": "Choose the medicine you took.",
            "invalid_choice": "Choose one of your own medicines.",
        },
    )
    taken_at = forms.DateTimeField(
        label="Earlier time (optional)",
        required=False,
        help_text="Only if you took it earlier. Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Give the time as a date and a time, like 2026-03-01 14:30."},
    )

    def __init__(self, *args: Any, medicines: list[Any], **kwargs: Any) -> None:
        # Ids of its own: it shares the check-in page (and names like client_uuid) with the check-in form.
        kwargs.setdefault("auto_id", "dose_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["medicine_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(medicine.pk, medicine.label) for medicine in medicines]
        # The only one is chosen already: two taps, not three.
        if len(medicines) == 1:
            field.initial = medicines[0].pk


class ReliefForm(PageForm):
    """ "Did the <medicine> help?": one tap of four, sent as PATCH doses/{id} {relief} would be."""

    relief = forms.ChoiceField(
        label="Did it help?",
        choices=Relief.choices,
        widget=RadioSelect,
        error_messages={
            "required": "Choose how much it helped.",
            "invalid_choice": "Choose how much it helped.",
        },
    )
