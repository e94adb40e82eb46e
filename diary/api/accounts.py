"""Signing up, in and out, and one's own profile."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from diary import audit, lockout, services, sessions, signup
from diary.api.common import SignInSessionAuthentication, errors
from diary.models import User, validate_timezone


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    role = serializers.ChoiceField(choices=["patient", "therapist"])
    timezone = serializers.CharField()
    therapy_started_on = serializers.DateField(allow_null=True)
    invite_code = serializers.CharField(allow_null=True, help_text="Therapists only; null for patients.")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def me_data(user: User) -> dict[str, Any]:
    return MeSerializer(user).data


class TimezoneField(serializers.CharField):
    """An IANA time zone name; the services store an alias ("Asia/Calcutta") as its canonical name."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("validators", [validate_timezone])
        super().__init__(**kwargs)


class CsrfView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_csrf",
        responses={200: inline_serializer("CsrfToken", {"csrfToken": serializers.CharField()})},
        auth=[],
    )
    def get(self, request: Any) -> Response:
        """Set the CSRF cookie and return its token, to send as X-CSRFToken on unsafe requests."""
        return Response({"csrfToken": get_token(request)})


class SignupView(APIView):
    authentication_classes = [SignInSessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    class SignupInput(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
        timezone = TimezoneField()

    @extend_schema(
        operation_id="auth_signup",
        request=SignupInput,
        responses={
            201: MeSerializer,
            202: OpenApiResponse(
                DetailSerializer, description="SIGNUP_VERIFY_EMAIL on: the same answer for every address"
            ),
            **errors(400, 403, 413, 415, 429),
        },
        auth=[],
    )
    def post(self, request: Any) -> Response:
        """Create a patient account and sign in; with SIGNUP_VERIFY_EMAIL on, email a link to finish
        instead, and answer the same whether or not the address has an account (API.md 1.1)."""
        serializer = self.SignupInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        if settings.SIGNUP_VERIFY_EMAIL:
            signup.signup_request(
                email=serializer.validated_data["email"],
                password=serializer.validated_data["password"],
                timezone_name=serializer.validated_data["timezone"],
            )
            return Response({"detail": signup.SENT}, status=status.HTTP_202_ACCEPTED)
        user = services.patient_signup(
            email=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
            timezone_name=serializer.validated_data["timezone"],
        )
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(me_data(user), status=status.HTTP_201_CREATED)


class SignupConfirmView(APIView):
    authentication_classes = [SignInSessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    class ConfirmInput(serializers.Serializer):
        token = serializers.CharField(max_length=200)

    @extend_schema(
        operation_id="auth_signup_confirm",
        request=ConfirmInput,
        responses={201: MeSerializer, **errors(400, 403, 413, 415, 429)},
        auth=[],
    )
    def post(self, request: Any) -> Response:
        """Finish signing up with the token from the emailed link, and sign in."""
        serializer = self.ConfirmInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signup.signup_confirm(token=serializer.validated_data["token"])
        if user is None:
            return Response({"detail": signup.LINK_EXPIRED}, status=status.HTTP_400_BAD_REQUEST)
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(me_data(user), status=status.HTTP_201_CREATED)


class LoginView(APIView):
    authentication_classes = [SignInSessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    class LoginInput(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(
        operation_id="auth_login",
        request=LoginInput,
        responses={200: MeSerializer, **errors(400, 403, 413, 415, 429)},
        auth=[],
    )
    def post(self, request: Any) -> Response:
        """Sign in. Wrong email and wrong password get the same answer."""
        serializer = self.LoginInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            email=serializer.validated_data["email"].strip().lower(),
            password=serializer.validated_data["password"],
        )
        if user is None:
            return Response(
                {"detail": "That email and password do not match an account."}, status=status.HTTP_400_BAD_REQUEST
            )
        login(request._request, user)
        return Response(me_data(user))


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="auth_logout", request=None, responses={204: None, **errors(403)})
    def post(self, request: Any) -> Response:
        """Sign out of this session, and tell the browser to forget what the app kept on the device."""
        logout(request._request)
        # As frontend.views.LogoutPage: the offline outbox and caches go, the cookies stay to Django.
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"Clear-Site-Data": sessions.CLEAR_SITE_DATA})


class MeView(APIView):
    class MeUpdate(serializers.Serializer):
        timezone = TimezoneField(required=False)
        therapy_started_on = serializers.DateField(required=False, allow_null=True)
        display_name = serializers.CharField(required=False, allow_blank=True, max_length=80)

    class MeDelete(serializers.Serializer):
        password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(operation_id="me_retrieve", responses={200: MeSerializer, **errors(401)})
    def get(self, request: Any) -> Response:
        """The signed-in person's profile."""
        return Response(me_data(request.user))

    @extend_schema(
        operation_id="me_update",
        request=MeUpdate,
        responses={200: MeSerializer, **errors(400, 401, 403, 413, 415)},
    )
    def patch(self, request: Any) -> Response:
        """Change the time zone, therapy start date or display name. A new zone re-dates stored check-ins."""
        serializer = self.MeUpdate(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.profile_update(
            user=request.user,
            timezone_name=data.get("timezone"),
            display_name=data.get("display_name"),
            therapy_started_on=data.get("therapy_started_on", services.UNCHANGED),
        )
        return Response(me_data(user))

    @extend_schema(
        operation_id="me_delete",
        request=MeDelete,
        responses={204: None, **errors(400, 401, 403, 413, 415, 429)},
    )
    def delete(self, request: Any) -> Response:
        """Erase the account and all of its diary. The password confirms it."""
        serializer = self.MeDelete(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        # Checked as a sign-in is: wrong passwords count toward the lockout, and a locked address
        # gets 429 with the sign-in's words (diary/lockout.py).
        if not lockout.password_confirms(request._request, user, serializer.validated_data["password"]):
            return Response({"password": ["That password is not right."]}, status=status.HTTP_400_BAD_REQUEST)
        # Recorded first: afterwards there is no account to name. What the audit keeps of an
        # erased patient is in SECURITY.md.
        audit.record(request._request, "account:delete", allowed=True, actor=user, patient_ids=[audit.own(user)])
        logout(request._request)
        services.account_delete(user=user)
        # As signing out: the phone keeps nothing of an erased diary (the offline outbox, the caches).
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"Clear-Site-Data": sessions.CLEAR_SITE_DATA})
