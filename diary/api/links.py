"""Care links: a patient shares their diary with a therapist by invite code."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from diary import audit, consent, selectors, services, throttles
from diary.api.common import IsPatient, IsPatientOrReadOnly, errors
from diary.models import CareLink, User


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField(source="name")


class LinkOutput(serializers.Serializer):
    """A patient sees the therapist; a therapist sees the patient."""

    id = serializers.IntegerField()
    # Only the other side is shown, so each is absent in one of the two views.
    therapist = PersonSerializer(required=False)
    patient = PersonSerializer(required=False)
    created_at = serializers.DateTimeField()


def link_data(link: CareLink, viewer: User) -> dict[str, Any]:
    data = dict(LinkOutput(link).data)
    # Each side is told about the other, not about itself.
    data.pop("patient" if viewer.is_patient else "therapist")
    return data


OUTDATED_CONSENT = "Show the patient the current words of GET consent and send their version."


class ConsentView(APIView):
    permission_classes = [IsPatient]

    class ConsentOutput(serializers.Serializer):
        version = serializers.CharField()
        text = serializers.CharField()

    @extend_schema(operation_id="consent_retrieve", responses={200: ConsentOutput, **errors(401, 403)})
    def get(self, request: Any) -> Response:
        """What a therapist will see and do once the patient shares: show it before POST links."""
        return Response({"version": consent.VERSION, "text": consent.text()})


class LinkListCreateView(APIView):
    # Both sides list their links; only a patient shares. Only sharing is throttled: it is
    # where invite codes could be guessed.
    permission_classes = [IsPatientOrReadOnly]
    # Per account and per address: several accounts from one address share its limit.
    throttle_classes = [throttles.AccountWritesThrottle, throttles.AddressWritesThrottle]
    throttle_scope = throttles.INVITE_CODE_SCOPE

    class LinkCreate(serializers.Serializer):
        invite_code = serializers.CharField(max_length=32)
        consent_version = serializers.CharField(
            max_length=32, help_text="The version of GET consent's words, which the patient was shown and agreed to."
        )

        def validate_consent_version(self, value: str) -> str:
            # Sharing records the wording the patient agreed to: a client that did not show the
            # current words (or none) shares nothing.
            if value != consent.VERSION:
                raise serializers.ValidationError(OUTDATED_CONSENT)
            return value

    @extend_schema(operation_id="links_list", responses={200: LinkOutput(many=True), **errors(401)})
    def get(self, request: Any) -> Response:
        """The caller's active links (a patient's therapists, or a therapist's patients)."""
        links = selectors.active_links(request.user)
        if request.user.is_therapist:
            # A therapist's list names their patients: recorded like GET patients, one row each.
            audit.shown(request, [link.patient_id for link in links])
        return Response([link_data(link, request.user) for link in links])

    @extend_schema(
        operation_id="links_create",
        request=LinkCreate,
        responses={201: LinkOutput, 200: LinkOutput, **errors(400, 401, 403, 404, 413, 415, 429)},
        description=(
            "201 with a new link; 200 with the existing one if already linked; 404 for an unknown code; "
            "400 without the current consent_version (GET consent)."
        ),
    )
    def post(self, request: Any) -> Response:
        """Share the caller's diary with the therapist who gave this invite code."""
        serializer = self.LinkCreate(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = services.link_create(
                patient=request.user,
                invite_code=serializer.validated_data["invite_code"],
                consent_version=serializer.validated_data["consent_version"],
            )
        except services.ConsentOutdated:
            return Response({"consent_version": [OUTDATED_CONSENT]}, status=status.HTTP_400_BAD_REQUEST)
        except services.InviteCodeNotFound:
            return Response(
                {"detail": "No therapist has this code. Check it with your therapist."},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(
            link_data(result.link, request.user),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class LinkDetailView(APIView):
    @extend_schema(operation_id="links_delete", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Any, link_id: int) -> Response:
        """End a link. Either side may; the therapist loses access at once."""
        link = selectors.active_link_for(request.user, link_id)
        services.link_end(link=link, by=request.user)
        audit.shown(request, [link.patient_id])
        return Response(status=status.HTTP_204_NO_CONTENT)
