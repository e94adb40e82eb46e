from django.urls import path

from frontend import trends, views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup", views.signup, name="signup"),
    path("login", views.LoginPage.as_view(), name="login"),
    path("logout", views.LogoutPage.as_view(), name="logout"),
    path("settings", views.settings_page, name="settings"),
    path("settings/password", views.PasswordChangePage.as_view(), name="password_change"),
    path("settings/timezone", views.timezone_switch, name="timezone_switch"),
    path("settings/sessions/end", views.sessions_end, name="sessions_end"),
    path("settings/invite-code", views.invite_code_rotate, name="invite_code_rotate"),
    path("settings/recovery-codes", views.recovery_codes_renew, name="recovery_codes_renew"),
    path("two-step", views.second_step, name="second_step"),
    path("two-step/setup", views.second_step_setup, name="second_step_setup"),
    path("password-reset", views.PasswordResetPage.as_view(), name="password_reset"),
    path("password-reset/sent", views.PasswordResetSentPage.as_view(), name="password_reset_sent"),
    path("reset/<uidb64>/<token>", views.PasswordResetConfirmPage.as_view(), name="password_reset_confirm"),
    path("reset/done", views.PasswordResetDonePage.as_view(), name="password_reset_done"),
    path("history", views.history, name="history"),
    path("checkins/<int:checkin_id>/edit", views.checkin_edit, name="checkin_edit"),
    path("checkins/<int:checkin_id>/delete", views.checkin_delete, name="checkin_delete"),
    path("links", views.links, name="links"),
    path("links/<int:link_id>/end", views.link_end, name="link_end"),
    path("access", views.access_log, name="access_log"),
    path("alert", views.alert, name="alert"),
    path("trends", trends.my_trends, name="my_trends"),
    path("trends/charts/<slug:kind>.svg", trends.my_chart, name="my_chart"),
    path("summary", trends.my_summary, name="my_summary"),
    path("patients/<int:patient_id>", views.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/charts/<slug:kind>.svg", trends.patient_chart, name="patient_chart"),
    path("patients/<int:patient_id>/sparkline.svg", trends.patient_sparkline, name="patient_sparkline"),
    path("patients/<int:patient_id>/summary", trends.patient_summary, name="patient_summary"),
    path("patients/<int:patient_id>/flags/<str:code>/acknowledge", views.flag_acknowledge, name="flag_acknowledge"),
    path("patients/<int:patient_id>/notes", views.note_create, name="note_create"),
    path("patients/<int:patient_id>/notes/<int:note_id>/delete", views.note_delete, name="note_delete"),
]
