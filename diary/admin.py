"""The clinic's admin: accounts, care links and invite codes, and no health data.

No check-ins, flags, acknowledgements or notes are registered, and accounts are shown without
their health fields (the therapy start date), so an administrator reads nobody's diary here.
Opening a patient's account or one of their care links is recorded in the patient's access audit
(SECURITY.md, "What the admin may see").
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm as BaseUserCreationForm

from diary import audit
from diary.invite_codes import new_invite_code
from diary.models import CareLink, Role, User


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
        ("Profile", {"fields": ("role", "display_name", "timezone", "invite_code")}),
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
        elif obj.role != Role.THERAPIST:
            obj.invite_code = None
        super().save_model(request, obj, form, change)

    def get_object(self, request: Any, object_id: str, from_field: str | None = None) -> User | None:
        # Every view of one account (change, history, delete) fetches it here: a patient's is audited.
        user: User | None = super().get_object(request, object_id, from_field)
        if user is not None and user.is_patient:
            audit.shown(request, [user.pk])
        return user


@admin.register(CareLink)
class CareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "patient", "therapist", "created_at", "ended_at")
    raw_id_fields = ("patient", "therapist", "ended_by")

    # Read only: a link is the patient's consent, made and ended by the two people in it (an
    # administrator adding one would share a diary nobody agreed to share).
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: CareLink | None = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: CareLink | None = None) -> bool:
        return False

    def get_object(self, request: Any, object_id: str, from_field: str | None = None) -> CareLink | None:
        # Who shares with whom is part of a patient's record: opening one link is in their audit.
        link: CareLink | None = super().get_object(request, object_id, from_field)
        if link is not None:
            audit.shown(request, [link.patient_id])
        return link
