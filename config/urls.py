from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("diary.api.urls")),
    path("", include("frontend.pwa_urls")),
    path("", include("frontend.urls")),
]

handler404 = "diary.api.common.api_not_found"
handler500 = "diary.api.common.api_server_error"
