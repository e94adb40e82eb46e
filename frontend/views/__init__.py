"""The pages, by audience, as diary/api/ is split by resource.

- accounts: sign-up, sign-in and out, the second step, passwords, settings;
- checkins: a patient's check-in page (home), the alert page, history, edit and delete;
- sharing: a patient shares their diary with a therapist, and sees who has seen it;
- patients: a therapist's list of patients, a patient's page, flags and notes;
- trends: the charts and the visit summary, for both.

Every page parses its form, calls one function of diary.services (or diary.flags) to write, and
reads other people's data only through diary.selectors. Pages run in the signed-in person's own
time zone, so "today" and "08:12" mean what they see on their clock.
"""
