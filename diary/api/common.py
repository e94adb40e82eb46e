"""What every API view shares: authentication, parsing, fields, errors, roles."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views import defaults
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.fields import empty
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from diary.models import Role
from diary.paths import is_api


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session cookie, answering 401 (not 403) when nobody is signed in.

    DRF only sends 401 when the authenticator names a WWW-Authenticate scheme.
    """

    def authenticate_header(self, request: Any) -> str:
        return 'Session realm="api"'


class SignInSessionAuthentication(SessionAuthentication):
    """For the views that sign people in: check the CSRF token of anonymous callers too.

    DRF checks CSRF only once a session has a user, so without this a forged form
    on another site could sign a victim into the attacker's account (login CSRF).
    """

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        user_auth = super().authenticate(request)
        if user_auth is None:
            self.enforce_csrf(request)
        return user_auth


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class LimitedJSONParser(JSONParser):
    """JSON only, and no more than API_MAX_BODY_BYTES of it.

    DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    never applies; without this a client could make us buffer any amount.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit // 1024} KB.")
        too_deep = f"The body is nested deeper than {MAX_JSON_DEPTH} levels."
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except RecursionError:
            # Thousands of `[` exhaust the parser's stack before anything else can count them.
            raise exceptions.ParseError(too_deep) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None
        # A body that parsed could still be deep enough to exhaust the stack of whatever walks it next.
        if _depth(data) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(too_deep)
        return data


# No request of the API nests more than three levels; this leaves room and stops a stack overflow.
MAX_JSON_DEPTH = 16


def _depth(data: Any) -> int:
    """How deeply lists and objects nest in parsed JSON (a scalar is 0), counted without recursion."""
    deepest = 0
    pending = [(data, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                break
            pending.extend((item, level + 1) for item in value)
    return deepest


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in JSON")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus our domain's ValidationError (400) and oversized bodies (413)."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data: Any = {field: _messages(errs) for field, errs in exc.error_dict.items()}
            if list(data) == ["detail"]:
                data = {"detail": " ".join(data["detail"])}
        else:
            data = {"detail": " ".join(exc.messages)}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "The request body is too large."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    # Imported here: rest_framework.views imports this module (our authentication class) at start-up.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


def _messages(errors: list[DjangoValidationError]) -> list[str]:
    return [message for error in errors for message in error.messages]


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """JSON 404 under /api/, the ordinary page elsewhere."""
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def api_server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        # The request failed part-way: what it sent may or may not be stored, so say so, and that a
        # check-in sent again (same client_uuid) is stored once.
        detail = (
            "Something went wrong on our side. What you sent may not have been saved: send it again "
            "(a check-in sent twice is stored once)."
        )
        return JsonResponse({"detail": detail}, status=500)
    return defaults.server_error(request)


def hide_slash_duplicates(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """Every API path answers with and without a trailing slash; document only the slashless form."""
    return [endpoint for endpoint in endpoints if not endpoint[0].endswith("/")]


# --- roles ---------------------------------------------------------------


class IsPatient(permissions.BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user.is_authenticated and request.user.role == Role.PATIENT)


class IsPatientOrReadOnly(permissions.BasePermission):
    """Anyone signed in may read; only a patient may write (a patient shares their own diary)."""

    message = IsPatient.message

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user.is_authenticated)
        return IsPatient().has_permission(request, view)


class IsTherapist(permissions.BasePermission):
    message = "Only therapists can do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user.is_authenticated and request.user.role == Role.THERAPIST)


# --- strict fields -------------------------------------------------------


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer and nothing else: "7", 7.5, true and "٧" are refused."""

    default_error_messages = {"invalid": "Must be a whole number, like 7 (not text or a decimal)."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A JSON number (integer or decimal), never a string or a boolean."""

    default_error_messages = {"invalid": "Must be a number, like 72.5."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only ("yes", 1 and "true" are refused)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's CharField would turn 0 or 7.5 into "0" or "7.5"."""

    default_error_messages = {"invalid": "Must be text, in quotes."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CodeListField(serializers.ListField):
    """A list of codes whose errors are a flat list of messages.

    DRF reports a bad item as {"0": [message]}; API.md promises {field: [message, ...]}.
    """

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        try:
            items: list[Any] = super().run_child_validation(data)
        except serializers.ValidationError as exc:
            detail: Any = exc.detail
            raise serializers.ValidationError(
                [message for messages in detail.values() for message in messages]
            ) from None
        return items


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that states its UTC offset; a bare local time is ambiguous and refused."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, like 2026-03-01T08:30:00+01:00 or ...Z.",
    }

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss±hh:mm")
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss±hh:mm")
        if timezone.is_naive(parsed):
            self.fail("naive")
        return parsed


@extend_schema_field(OpenApiTypes.DATETIME)
class PatientLocalTimeField(serializers.Field):
    """A check-in's time (or a dose's: `attribute="taken_at"`), written with the offset of the patient's own zone."""

    def __init__(self, attribute: str = "recorded_at", **kwargs: Any) -> None:
        self.attribute = attribute
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, record: Any) -> str:
        local: datetime = getattr(record, self.attribute).astimezone(ZoneInfo(record.patient.timezone))
        return local.isoformat()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


_ERROR_TEXT = {
    400: ('Invalid input: either {"detail": message} or {field: [message, ...]} for each bad field.', None),
    401: ("Not signed in.", ErrorSerializer),
    403: ("This role may not do this, or the X-CSRFToken header is missing or wrong.", ErrorSerializer),
    404: ("No such object, or not one the caller may see.", ErrorSerializer),
    409: ("Conflict with stored data.", ErrorSerializer),
    413: ("The request body is too large.", ErrorSerializer),
    415: ("The body is not JSON.", ErrorSerializer),
    429: ("Too many attempts; wait and try again.", ErrorSerializer),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI descriptions of the error answers an operation can give."""
    return {
        code: OpenApiResponse(response=_ERROR_TEXT[code][1] or OpenApiTypes.OBJECT, description=_ERROR_TEXT[code][0])
        for code in codes
    }


class SessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Document our session authentication as the cookie scheme it is."""

    target_class = "diary.api.common.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


class _GivenMeansChecked(serializers.Field):
    """A query parameter that is present is checked, even when blank: "?until=" is refused, not ignored
    (DRF treats a blank optional form value as absent)."""

    def get_value(self, dictionary: Any) -> Any:
        return dictionary.get(self.field_name, empty)


class QueryDateField(_GivenMeansChecked, serializers.DateField):
    """A date in a query string, like 2026-03-10."""


class QueryIntegerField(_GivenMeansChecked, serializers.IntegerField):
    """A whole number in a query string: ASCII digits only ("7.0", "7.5", " 7" and "٧" are refused)."""

    default_error_messages = {"invalid": "Must be a whole number, like 30."}

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not data.isascii() or not data.isdigit():
            self.fail("invalid")
        return int(super().to_internal_value(data))


def page_of(name: str, item: serializers.Serializer) -> Any:
    """The schema of one page of a paginated list (count, next, previous, results)."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )
