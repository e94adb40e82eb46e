"""The stored flags: judging a diary, keeping the answer, reading it back with its acknowledgements.

One home for every flag rule's plumbing, so that a new rule (medicines) changes one place:
- writes: `flags_refresh(_many)` re-judge and store (`FlagState`), `flag_acknowledge`, and the
  diary lock (`lock_diary`) that serialises every write to one patient's diary;
- reads that may write: `flags_current_for(_many)` re-judge first when the patient's day turned;
- reads: `flags_for`, `alerts_for`, `flags_with_checkins`, `patients_by_urgency`.
What a flag asks of people (guidance, acknowledgement cover, news) is the pure `flag_policy`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import F, Q, TextField, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from diary import flag_policy, selectors, trends
from diary.models import CheckIn, Dose, FlagAcknowledgement, FlagState, MedicineKind, User

# How much history the trend module is given: its longest window (weight: the latest
# weight within 30 days against the 180 days before it) with room for "since" to look back
# about six months. Older check-ins are left out, except the therapy baseline (below): a
# flag's "since" stops at this horizon, and a patient silent for longer has no missed_checkins.
TREND_HISTORY_DAYS = 400
# What is read first: the rules' longest look back (trends.LONGEST_LOOKBACK, 209 days) and a month
# more. Where that could change an answer (a flag whose "since" reaches further back, or no recent
# check-in: trends.evaluate_recent) the rest of TREND_HISTORY_DAYS is read too, so every flag is
# exactly what the whole history gives; a patient-year is then read in two parts instead of one.
RECENT_HISTORY_DAYS = 240


def lock_diary(patient: User) -> str:
    """Serialise writes to one patient's diary, so each flag refresh sees the writes before it.

    Returns the patient's time zone as stored now, which a concurrent profile change may have
    moved since the caller read it.
    """
    return lock_diaries([patient.pk])[patient.pk]


def lock_diaries(patient_ids: list[int]) -> dict[int, str]:
    # In id order, so that two requests locking overlapping sets cannot deadlock.
    rows = User.objects.select_for_update().filter(pk__in=patient_ids).order_by("pk").values_list("pk", "timezone")
    return dict(rows)


_ENTRY_FIELDS = (
    "id",
    "patient_id",
    "recorded_at",
    "local_date",
    "part_of_day",
    "pain",
    "movement_effect",
    "fatigue",
    "rest_helped",
    "sleep_hours",
    "woke_from_pain",
    "weight_kg",
    "symptoms",
)


def _entry(row: tuple[Any, ...], zone: ZoneInfo) -> trends.Entry:
    """A check-in as the trend module reads it, from its _ENTRY_FIELDS."""
    (
        _id,
        _patient,
        recorded_at,
        local_date,
        part_of_day,
        pain,
        movement,
        fatigue,
        rest,
        sleep,
        woke,
        weight,
        symptoms,
    ) = row
    return trends.Entry(
        id=_id,
        local_date=local_date,
        local_time=recorded_at.astimezone(zone).time(),
        part_of_day=part_of_day,
        pain=pain,
        movement_effect=movement,
        fatigue=fatigue,
        rest_helped=rest,
        sleep_hours=sleep,
        woke_from_pain=woke,
        weight_kg=weight,
        symptoms=frozenset(symptoms),
    )


def history_start(as_of: dict[int, date], days: int) -> date:
    # Patients' todays differ across zones; the earliest start serves all.
    return min(as_of.values()) - timedelta(days=days)


def therapy_baseline(began: date) -> tuple[date, date]:
    """The first and last day of the check-ins pain_not_improving compares with (the week before therapy
    began to the end of its first week), read however long ago they were."""
    return began - timedelta(days=7), began + timedelta(days=6)


def trend_entries(
    patients: list[User], *, as_of: dict[int, date], days: int = TREND_HISTORY_DAYS
) -> dict[int, list[trends.Entry]]:
    """The check-ins of the last `days` days the trend module needs for each patient, in one query."""
    start = history_start(as_of, days)
    history = Q(local_date__gte=start)
    for patient in patients:
        # pain_not_improving compares with the week before therapy began, however long ago that was.
        began = patient.therapy_started_on
        if began is not None and therapy_baseline(began)[0] < start:
            history |= Q(patient_id=patient.pk, local_date__range=therapy_baseline(began))
    return _entries_where(history, patients)


def _entries_where(where: Q, patients: list[User]) -> dict[int, list[trends.Entry]]:
    zones = {patient.pk: ZoneInfo(patient.timezone) for patient in patients}
    # The symptoms come as JSON text: most check-ins have none, and "[]" then costs no decoding
    # (a year of diary is read on every write, and the JSON field's own decoding was a fifth of it).
    rows = (
        CheckIn.objects.filter(where, patient__in=patients)
        .order_by()
        .annotate(symptoms_json=Cast("symptoms", TextField()))
        .values_list(*_ENTRY_FIELDS[:-1], "symptoms_json")
    )
    entries: dict[int, list[trends.Entry]] = {patient.pk: [] for patient in patients}
    for row in rows:
        symptoms = () if row[-1] == "[]" else json.loads(row[-1])
        entries[row[1]].append(_entry((*row[:-1], symptoms), zones[row[1]]))
    return entries


def _older_entries(
    patients: list[User], *, as_of: dict[int, date], read: dict[int, list[trends.Entry]]
) -> dict[int, list[trends.Entry]]:
    """`read` (RECENT_HISTORY_DAYS of each diary) with the older check-ins of TREND_HISTORY_DAYS added."""
    older = Q(
        local_date__gte=history_start(as_of, TREND_HISTORY_DAYS),
        local_date__lt=history_start(as_of, RECENT_HISTORY_DAYS),
    )
    whole = {}
    for patient_id, entries in _entries_where(older, patients).items():
        # A therapy baseline in that stretch was read with the recent check-ins.
        seen = {entry.id for entry in read[patient_id]}
        whole[patient_id] = read[patient_id] + [entry for entry in entries if entry.id not in seen]
    return whole


# The medicine rules look back at most 21 days (the last 7 against the 14 before), and "since" a
# little further: a month of doses is plenty, and a year of doses is never read on every write.
DOSE_HISTORY_DAYS = 60


def trend_doses(patients: list[User], *, as_of: dict[int, date]) -> dict[int, list[trends.DoseEntry]]:
    """The doses the medicine rules need for each patient, with whether each medicine is as-needed, in one query."""
    start = min(as_of.values()) - timedelta(days=DOSE_HISTORY_DAYS)
    rows = (
        Dose.objects.filter(patient__in=patients, local_date__gte=start)
        .order_by()
        .values_list(
            "id", "patient_id", "local_date", "relief", "medicine__kind", "medicine__name", "medicine__strength"
        )
    )
    doses: dict[int, list[trends.DoseEntry]] = {patient.pk: [] for patient in patients}
    for id_, patient_id, local_date, relief, kind, name, strength in rows:
        doses[patient_id].append(
            trends.DoseEntry(
                id=id_,
                local_date=local_date,
                as_needed=kind == MedicineKind.AS_NEEDED,
                relief=relief,
                medicine=f"{name} {strength}".strip(),
            )
        )
    return doses


def flags_current_for(patient: User) -> FlagState:
    """The patient's stored flags, re-judged and stored first if their day has turned since (windows slide).

    A read that may write: it takes the diary's lock when it re-judges.
    """
    state = FlagState.objects.filter(patient=patient).first()
    if state is None or state.as_of != selectors.today_for(patient):
        state = flags_refresh(patient=patient)
    return state


def flags_current_for_many(patients: list[User]) -> dict[int, FlagState]:
    """Fresh flags for many patients in a fixed number of queries, however many there are."""
    states = {state.patient_id: state for state in FlagState.objects.filter(patient__in=patients)}
    stale = [p for p in patients if p.pk not in states or states[p.pk].as_of != selectors.today_for(p)]
    states.update(flags_refresh_many(patients=stale))
    return states


class FlagNotActive(Exception):
    """The patient has no active flag with this code."""


def flag_state_for(
    *, patient: User, as_of: date, entries: list[trends.Entry], doses: list[trends.DoseEntry] | None = None
) -> FlagState:
    """Judge a diary (check-ins and doses) with the trend module and return the (unsaved) state to store."""
    facts = trends.PatientFacts(therapy_started_on=patient.therapy_started_on)
    return _state_of(patient, trends.evaluate(entries, facts, as_of, doses or []))


def _state_of(patient: User, evaluation: trends.Evaluation) -> FlagState:
    # Most severe first is the API's promise, so it is kept here rather than trusted; the sort is stable.
    flags = [flag_data(flag) for flag in sorted(evaluation.flags, key=lambda flag: trends.LEVEL_RANK[flag.level])]
    top = flags[0]["level"] if flags else None
    return FlagState(
        patient=patient,
        as_of=evaluation.as_of,
        flags=flags,
        not_enough_data=list(evaluation.not_enough_data),
        top_level=top,
        top_rank=trends.LEVEL_RANK[top] if top else len(trends.LEVELS),
        computed_at=timezone.now(),
    )


def flag_data(flag: trends.Flag) -> dict[str, Any]:
    return {
        "code": flag.code,
        "level": flag.level,
        "title": flag.title,
        "detail": flag.detail,
        "since": flag.since.isoformat(),
        "evidence": dict(flag.evidence),
        "source": flag.source,
        "name": flag.name,
        "clinician_title": flag.clinician_title,
        "clinician_detail": flag.clinician_detail,
        "peak": flag.peak,
    }


def _evaluate(
    patients: list[User],
    as_of: dict[int, date],
    entries: dict[int, list[trends.Entry]],
    doses: dict[int, list[trends.DoseEntry]],
    whole: set[int],
) -> dict[int, trends.Evaluation]:
    """Judge diaries read for RECENT_HISTORY_DAYS, reading the rest (one query for all) where it could count.

    `entries` gains the older check-ins of those diaries, and `whole` their patients' ids.
    """
    start = history_start(as_of, RECENT_HISTORY_DAYS)
    evaluations: dict[int, trends.Evaluation] = {}
    unsure: list[User] = []
    for patient in patients:
        facts = trends.PatientFacts(therapy_started_on=patient.therapy_started_on)
        evaluation: trends.Evaluation | None
        if patient.pk in whole:
            evaluation = trends.evaluate(entries[patient.pk], facts, as_of[patient.pk], doses[patient.pk])
        else:
            evaluation = trends.evaluate_recent(
                entries[patient.pk], facts, as_of[patient.pk], doses[patient.pk], start=start
            )
        if evaluation is None:
            unsure.append(patient)
        else:
            evaluations[patient.pk] = evaluation
    if unsure:
        entries.update(_older_entries(unsure, as_of=as_of, read=entries))
        whole.update(patient.pk for patient in unsure)
        for patient in unsure:
            facts = trends.PatientFacts(therapy_started_on=patient.therapy_started_on)
            evaluations[patient.pk] = trends.evaluate(entries[patient.pk], facts, as_of[patient.pk], doses[patient.pk])
    return evaluations


def _store(states: list[FlagState]) -> None:
    FlagState.objects.bulk_create(
        states,
        update_conflicts=True,
        unique_fields=["patient"],
        update_fields=["as_of", "flags", "not_enough_data", "top_level", "top_rank", "computed_at"],
    )


def flags_refresh(*, patient: User) -> FlagState:
    """Re-judge one patient's diary as of their today, and store the answer."""
    return flags_refresh_many(patients=[patient])[patient.pk]


def flags_refresh_many(*, patients: list[User]) -> dict[int, FlagState]:
    """Re-judge several diaries with one query for all their check-ins, one for their doses, and one write.

    The diaries stay locked from reading the check-ins to storing the flags. A read that
    refreshes a stale state (the day turned) would otherwise race a check-in being written:
    it could read the diary without the check-in and store its answer after the write's,
    leaving flags that miss the check-in until the next write.
    """
    if not patients:
        return {}
    with transaction.atomic():
        zones = lock_diaries([patient.pk for patient in patients])
        # An account erased meanwhile has no diary left to judge.
        patients = [patient for patient in patients if patient.pk in zones]
        if not patients:
            return {}
        for patient in patients:
            patient.timezone = zones[patient.pk]
        as_of = {patient.pk: selectors.today_for(patient) for patient in patients}
        entries = trend_entries(patients, as_of=as_of, days=RECENT_HISTORY_DAYS)
        doses = trend_doses(patients, as_of=as_of)
        evaluations = _evaluate(patients, as_of, entries, doses, whole=set())
        states = [_state_of(patient, evaluations[patient.pk]) for patient in patients]
        _store(states)
    return {state.patient_id: state for state in states}


def flags_refresh_for_checkin(*, patient: User, checkin: CheckIn) -> tuple[FlagState, FlagState]:
    """Save a new check-in and store the flags it leaves; the flags before and after it, from one read of the diary.

    The caller holds the diary's lock (lock_diary) in a transaction, and dated the check-in in the
    zone the lock returned. The stored flags are the "before" unless the patient's day has turned
    since they were judged; then the diary read here, still without the check-in, is judged first.
    The check-in itself joins the records read in memory, as the database would give it back.
    """
    today = selectors.today_for(patient)
    as_of = {patient.pk: today}
    stored = FlagState.objects.filter(patient=patient).first()
    entries = trend_entries([patient], as_of=as_of, days=RECENT_HISTORY_DAYS)
    doses = trend_doses([patient], as_of=as_of)
    whole: set[int] = set()
    if stored is not None and stored.as_of == today:
        before = stored
    else:
        before = _state_of(patient, _evaluate([patient], as_of, entries, doses, whole)[patient.pk])
    checkin.save()
    start = history_start(as_of, TREND_HISTORY_DAYS if whole else RECENT_HISTORY_DAYS)
    began = patient.therapy_started_on
    in_baseline = began is not None and therapy_baseline(began)[0] <= checkin.local_date <= therapy_baseline(began)[1]
    if checkin.local_date >= start or in_baseline:
        entries[patient.pk].append(entry_of(checkin, ZoneInfo(patient.timezone)))
    after = _state_of(patient, _evaluate([patient], as_of, entries, doses, whole)[patient.pk])
    _store([after])
    return before, after


def entry_of(checkin: CheckIn, zone: ZoneInfo) -> trends.Entry:
    """A check-in just saved, as trend_entries would read it back (the floats as floats, as the database gives them)."""
    row = [getattr(checkin, name) for name in _ENTRY_FIELDS]
    for name in ("sleep_hours", "weight_kg"):
        index = _ENTRY_FIELDS.index(name)
        row[index] = None if row[index] is None else float(row[index])
    return _entry(tuple(row), zone)


FOLLOW_UP_LIMIT = timedelta(days=365)


def flag_acknowledge(
    *,
    patient: User,
    therapist: User,
    code: str,
    note: str,
    follow_up_on: date | None = None,
    share_with_patient: bool = False,
) -> FlagAcknowledgement:
    """Record that a therapist saw a flag, what it showed, and when to look again.

    The flag is raised again when new evidence is worse or different than what it showed, or when
    the follow-up date (default: the next day for an emergency, else a week) has passed while it
    still holds (diary/flag_policy.py). Who may is the views' question: they pass only a therapist
    linked to `patient` (the gatekeeper, diary/selectors.py `patient_for`).
    """
    state = flags_current_for(patient)
    flag = next((f for f in state.flags if f["code"] == code), None)
    if flag is None:
        raise FlagNotActive
    today = state.as_of
    if follow_up_on is None:
        follow_up_on = flag_policy.default_follow_up(flag["level"], today)
    elif not today <= follow_up_on <= today + FOLLOW_UP_LIMIT:
        raise ValidationError(
            {"follow_up_on": ["Choose a follow-up date from today to a year ahead, in the patient's calendar."]},
            code="out_of_range",
        )
    acknowledgement = FlagAcknowledgement(
        patient=patient,
        therapist=therapist,
        code=code,
        note=note,
        checkin_ids=sorted(flag["evidence"].get("checkin_ids", [])),
        dose_ids=sorted(flag["evidence"].get("dose_ids", [])),
        level=flag["level"],
        symptoms=sorted(flag_policy.symptoms_of(flag)),
        peak=flag.get("peak"),
        follow_up_on=follow_up_on,
        share_with_patient=share_with_patient,
    )
    acknowledgement.full_clean()
    acknowledgement.save()
    return acknowledgement


def note_new_alerts(
    checkin: CheckIn, before: FlagState, after: FlagState, acks: dict[tuple[int, str], FlagAcknowledgement]
) -> None:
    """Record which emergency and urgent flags this check-in made news (diary/flag_policy.py).

    `acks`: the patient's latest acknowledgements (latest_acknowledgements).
    """
    checkin.new_alerts = flag_policy.news(
        shown_flags(checkin.patient, before, acks),
        shown_flags(checkin.patient, after, acks),
        checkin.symptoms,
    )
    if checkin.new_alerts:
        CheckIn.objects.filter(pk=checkin.pk).update(new_alerts=checkin.new_alerts)


# What the API shows of an acknowledgement, and of the therapist behind it (their name).
ACK_FIELDS = (
    "patient_id",
    "code",
    "at",
    "note",
    "checkin_ids",
    "dose_ids",
    "level",
    "symptoms",
    "peak",
    "follow_up_on",
    "share_with_patient",
    "therapist__id",
    "therapist__email",
    "therapist__display_name",
)


def latest_acknowledgements(patient_ids: list[int]) -> dict[tuple[int, str], FlagAcknowledgement]:
    """The last acknowledgement of each patient's each flag code, in one query.

    Only the last ones are read: a diary kept for years gathers many, and the list must not slow
    down with them.
    """
    acks = FlagAcknowledgement.objects.filter(patient_id__in=patient_ids).select_related("therapist").only(*ACK_FIELDS)
    if connections[acks.db].features.can_distinct_on_fields:
        # PostgreSQL's DISTINCT ON picks the same rows along the (patient, code, -at) index, and the
        # ORM builds it in a third of the window's time: it runs on every GET flags (issue 16).
        acks = acks.order_by("patient_id", "code", "-at", "-id").distinct("patient_id", "code")
    else:
        newest_first = Window(
            RowNumber(), partition_by=[F("patient_id"), F("code")], order_by=[F("at").desc(), F("id").desc()]
        )
        acks = acks.annotate(newness=newest_first).filter(newness=1).order_by()
    return {(ack.patient_id, ack.code): ack for ack in acks}


def acknowledged_on(at: datetime, patient: User) -> date:
    """An acknowledgement's date in the patient's calendar."""
    return at.astimezone(ZoneInfo(patient.timezone)).date()


def _with_acknowledgement(
    flag: dict[str, Any], ack: FlagAcknowledgement | None, patient: User, as_of: date, *, for_clinician: bool
) -> dict[str, Any]:
    """The flag as it is shown: acknowledged only while the acknowledgement still covers it (diary/flag_policy.py).

    The therapist's note reaches the patient only if they chose to share it.
    """
    acknowledged = None
    if ack is not None:
        seen = flag_policy.Acknowledged(
            seen=flag_policy.Seen(level=ack.level, symptoms=frozenset(ack.symptoms), peak=ack.peak),
            on=acknowledged_on(ack.at, patient),
            follow_up_on=ack.follow_up_on,
            checkin_ids=frozenset(ack.checkin_ids),
            dose_ids=frozenset(ack.dose_ids),
        )
        if flag_policy.still_covers(seen, flag, as_of):
            acknowledged = {
                "by": {"id": ack.therapist_id, "display_name": ack.therapist.name},
                "at": ack.at,
                "note": ack.note if for_clinician or ack.share_with_patient else None,
                "follow_up_on": ack.follow_up_on,
                "share_with_patient": ack.share_with_patient,
            }
    return {**flag, "acknowledged": acknowledged}


def shown_flags(
    patient: User,
    state: FlagState,
    acks: dict[tuple[int, str], FlagAcknowledgement],
    *,
    for_clinician: bool = False,
) -> list[dict[str, Any]]:
    """A stored state's flags with their acknowledgements, as the API and the pages show them."""
    return [
        _with_acknowledgement(
            flag, acks.get((patient.pk, flag["code"])), patient, state.as_of, for_clinician=for_clinician
        )
        for flag in state.flags
    ]


def flags_for(
    patient: User,
    *,
    for_clinician: bool = False,
    state: FlagState | None = None,
    acks: dict[tuple[int, str], FlagAcknowledgement] | None = None,
) -> dict[str, Any]:
    """What GET flags answers: the patient's active flags, most severe first, and what lacked data.

    `for_clinician`: the reader is a therapist, who sees every acknowledgement's note. `state` and
    `acks`: the flags and acknowledgements just read or stored, if the caller has them (else read here).
    """
    if state is None:
        state = flags_current_for(patient)
    if acks is None:
        # With no active flag there is nothing to mark acknowledged: no query (most GET flags, issue 16).
        acks = latest_acknowledgements([patient.pk]) if state.flags else {}
    return {
        "as_of": state.as_of,
        "flags": shown_flags(patient, state, acks, for_clinician=for_clinician),
        "not_enough_data": state.not_enough_data,
    }


def flags_with_checkins(patient: User, *, for_clinician: bool = False) -> list[dict[str, Any]]:
    """The active flags as flags_for gives them, each with "checkins": the check-ins behind it (one query for all)."""
    flags: list[dict[str, Any]] = flags_for(patient, for_clinician=for_clinician)["flags"]
    behind = selectors.checkins_by_id(patient, [i for flag in flags for i in flag["evidence"].get("checkin_ids", [])])
    for flag in flags:
        flag["checkins"] = [behind[i] for i in flag["evidence"].get("checkin_ids", []) if i in behind]
    return flags


def alerts_for(
    patient: User,
    *,
    new_codes: list[str] | tuple[str, ...] = (),
    state: FlagState | None = None,
    acks: dict[tuple[int, str], FlagAcknowledgement] | None = None,
) -> list[dict[str, Any]]:
    """The emergency and urgent flags, for the answer to a check-in: each says whether it is news.

    `new_codes` are the codes the check-in made news (CheckIn.new_alerts); the others get a calm
    status line instead of the full-screen alert. `state` and `acks` as for flags_for.
    """
    alerts = []
    for flag in flags_for(patient, state=state, acks=acks)["flags"]:
        if flag["level"] not in flag_policy.ALERT_LEVELS:
            continue
        alerts.append({**flag, "new": flag["code"] in new_codes, "status": patient_status_line(patient, flag)})
    return alerts


def patient_status_line(patient: User, flag: dict[str, Any]) -> str:
    """The calm line about an open flag, in the patient's calendar (diary/flag_policy.py)."""
    acknowledged = flag.get("acknowledged")
    on = acknowledged_on(acknowledged["at"], patient) if acknowledged else None
    return flag_policy.status_line(flag, acknowledged_on=on)


def patients_by_urgency(therapist: User) -> list[dict[str, Any]]:
    """A therapist's patients with their flags, most urgent first.

    Order: the most severe level (emergency, urgent, review, info, none); then patients with an
    unacknowledged flag at that level before those whose are all acknowledged; then the most
    recent check-in first. Five queries, whatever the number of patients.
    """
    patients = list(selectors.linked_patients(therapist))
    states = flags_current_for_many(patients)
    acks = latest_acknowledgements([p.pk for p in patients])
    rows = []
    for patient in patients:
        state = states.get(patient.pk)
        if state is None:  # the account was erased while this list was being made
            continue
        flags = shown_flags(patient, state, acks, for_clinician=True)
        all_top_seen = all(f["acknowledged"] for f in flags if f["level"] == state.top_level)
        rows.append(
            {
                "patient": patient,
                "id": patient.pk,
                "display_name": patient.name,
                "last_checkin_at": patient.last_checkin_at,  # type: ignore[attr-defined]
                "top_level": state.top_level,
                "flags": flags,
                "_order": (state.top_rank, all_top_seen and bool(flags)),
            }
        )
    rows.sort(key=lambda row: -(row["last_checkin_at"].timestamp() if row["last_checkin_at"] else float("-inf")))
    rows.sort(key=lambda row: row["_order"])
    return rows
