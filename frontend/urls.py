from django.urls import path

from frontend.views import accounts, checkins, patients, sharing, trends

app_name = "frontend"

urlpatterns = [
    path("", checkins.home, name="home"),
    path("signup", accounts.signup, name="signup"),
    path("login", accounts.LoginPage.as_view(), name="login"),
    path("logout", accounts.LogoutPage.as_view(), name="logout"),
    path("settings", accounts.settings_page, name="settings"),
    path("settings/password", accounts.PasswordChangePage.as_view(), name="password_change"),
    path("settings/reminders", accounts.reminders_update, name="reminders_update"),
    path("settings/timezone", accounts.timezone_switch, name="timezone_switch"),
    path("settings/sessions/end", accounts.sessions_end, name="sessions_end"),
    path("settings/invite-code", patients.invite_code_rotate, name="invite_code_rotate"),
    path("settings/recovery-codes", accounts.recovery_codes_renew, name="recovery_codes_renew"),
    path("two-step", accounts.second_step, name="second_step"),
    path("two-step/setup", accounts.second_step_setup, name="second_step_setup"),
    path("password-reset", accounts.PasswordResetPage.as_view(), name="password_reset"),
    path("password-reset/sent", accounts.PasswordResetSentPage.as_view(), name="password_reset_sent"),
    path("reset/<uidb64>/<token>", accounts.PasswordResetConfirmPage.as_view(), name="password_reset_confirm"),
    path("reset/done", accounts.PasswordResetDonePage.as_view(), name="password_reset_done"),
    path("history", checkins.history, name="history"),
    path("checkins/<int:checkin_id>/edit", checkins.checkin_edit, name="checkin_edit"),
    path("checkins/<int:checkin_id>/delete", checkins.checkin_delete, name="checkin_delete"),
    path("links", sharing.links, name="links"),
    path("links/<int:link_id>/end", sharing.link_end, name="link_end"),
    path("access", sharing.access_log, name="access_log"),
    path("alert", checkins.alert, name="alert"),
    path("trends", trends.my_trends, name="my_trends"),
    path("trends/charts/<slug:kind>.svg", trends.my_chart, name="my_chart"),
    path("summary", trends.my_summary, name="my_summary"),
    path("patients/<int:patient_id>", patients.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/charts/<slug:kind>.svg", trends.patient_chart, name="patient_chart"),
    path("patients/<int:patient_id>/sparkline.svg", trends.patient_sparkline, name="patient_sparkline"),
    path("patients/<int:patient_id>/summary", trends.patient_summary, name="patient_summary"),
    path("patients/<int:patient_id>/flags/<str:code>/acknowledge", patients.flag_acknowledge, name="flag_acknowledge"),
    path("patients/<int:patient_id>/notes", patients.note_create, name="note_create"),
    path("patients/<int:patient_id>/notes/<int:note_id>/delete", patients.note_delete, name="note_delete"),
]
