from django.contrib import admin
from django.urls import include, path

from diary.admin_login import AdminSignInForm

# The admin's sign-in counts toward the same per-address limit as the app's (diary/admin_login.py).
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("diary.api.urls")),
    path("", include("frontend.pwa_urls")),
    path("", include("frontend.urls")),
]

handler404 = "diary.api.common.api_not_found"
handler500 = "diary.api.common.api_server_error"
