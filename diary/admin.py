from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm as BaseUserCreationForm

from diary.invite_codes import new_invite_code
from diary.models import CareLink, CheckIn, Role, User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role", "display_name", "timezone")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "display_name", "role", "timezone", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "display_name")
    readonly_fields = ("invite_code", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("role", "display_name", "timezone", "therapy_started_on", "invite_code")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "role", "display_name", "timezone", "password1", "password2")},
        ),
    )

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        # Every therapist has an invite code from the start; patients never have one.
        if obj.role == Role.THERAPIST and not obj.invite_code:
            obj.invite_code = new_invite_code()
        elif obj.role == Role.PATIENT:
            obj.invite_code = None
        super().save_model(request, obj, form, change)


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("id", "patient", "recorded_at", "local_date", "part_of_day", "pain", "fatigue")
    list_filter = ("part_of_day",)
    search_fields = ("patient__email",)
    raw_id_fields = ("patient",)
    readonly_fields = ("client_uuid", "local_date", "part_of_day", "created_at", "updated_at")


@admin.register(CareLink)
class CareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "patient", "therapist", "created_at", "ended_at")
    raw_id_fields = ("patient", "therapist", "ended_by")
