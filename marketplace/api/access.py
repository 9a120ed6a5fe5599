"""REST for access: requests (ask, list, approve, deny, withdraw), grants (list, revoke, renew) and API keys.

Thin: serializers validate the shape, the services decide. Querysets come from selectors (so other people's
requests are 404); a denied call changes nothing because the service refuses before writing.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from marketplace import selectors
from marketplace.choices import AccessRequestStatus, GrantStatus
from marketplace.models import AccessRequest, ApiKey, Grant
from marketplace.services import access, grants

ERRORS = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="The field named is wrong; nothing changed."),
          403: OpenApiResponse(OpenApiTypes.OBJECT), 404: OpenApiResponse(OpenApiTypes.OBJECT)}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()


class ApprovalSerializer(serializers.Serializer):
    step = serializers.CharField()
    approver = PersonSerializer()
    created_at = serializers.DateTimeField()


class AccessRequestSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requester = PersonSerializer(read_only=True)
    scope = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    approvals = ApprovalSerializer(many=True, read_only=True)
    grant_id = serializers.SerializerMethodField()

    class Meta:
        model = AccessRequest
        fields = ["id", "product", "requester", "purpose", "scope", "duration_days", "status", "approvals_required",
                  "approvals", "decision_reason", "decided_at", "created_at", "grant_id"]
        read_only_fields = fields

    def get_grant_id(self, obj) -> int | None:
        grant = getattr(obj, "grant", None) if obj.status == AccessRequestStatus.APPROVED else None
        return grant.pk if grant else None


class AccessRequestCreateSerializer(serializers.Serializer):
    product = serializers.SlugField(max_length=120, help_text="The product's slug.")
    purpose = serializers.CharField(max_length=2000)
    scope = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=256), max_length=100),
        required=False, default=dict,
        help_text="Scopable column → allowed values; {} asks for all rows (where the product allows it).",
    )
    duration_days = serializers.IntegerField(min_value=1, max_value=365)


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApiKeyListSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


class GrantSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    grantee = PersonSerializer(read_only=True)
    scope = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    request_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Grant
        fields = ["id", "product", "grantee", "request_id", "scope", "status", "status_reason", "engine",
                  "expires_at", "activated_at", "ended_at", "verified_at", "last_used_at", "created_at"]
        read_only_fields = fields


class RenewSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=365)


class KeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class IssuedKeySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key.pk")
    name = serializers.CharField(source="key.name")
    prefix = serializers.CharField(source="key.prefix")
    key = serializers.CharField(source="plaintext", help_text="Shown once: only a hash is stored.")


STATUS_PARAM = OpenApiParameter("status", str, enum=AccessRequestStatus.values)
ROLE_PARAM = OpenApiParameter("role", str, enum=["mine", "to_review"],
                              description="mine: asked by me; to_review: mine to decide.")


def _status_filter(request, allowed) -> str:
    value = request.query_params.get("status", "")
    if value and value not in allowed:
        raise serializers.ValidationError({"status": [f"Choose one of: {', '.join(allowed)}."]})
    return value


class AccessRequestViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AccessRequestSerializer
    policy = {
        "list": "marketplace.view_accessrequest", "retrieve": "marketplace.view_accessrequest",
        "create": "marketplace.view_accessrequest", "approve": "marketplace.view_accessrequest",
        "deny": "marketplace.view_accessrequest", "withdraw": "marketplace.view_accessrequest",
    }

    def get_queryset(self):
        if self.action != "list":
            return selectors.access_request_list(actor=self.request.user)
        role = self.request.query_params.get("role", "")
        if role not in ("", "mine", "to_review"):
            raise serializers.ValidationError({"role": ["Choose mine or to_review."]})
        status_value = _status_filter(self.request, AccessRequestStatus.values)
        return selectors.access_request_list(actor=self.request.user, mine=role == "mine",
                                             to_review=role == "to_review", status=status_value)

    @extend_schema(parameters=[ROLE_PARAM, STATUS_PARAM], responses={200: AccessRequestSerializer(many=True),
                                                                     400: ERRORS[400]})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AccessRequestCreateSerializer, responses={201: AccessRequestSerializer, **ERRORS})
    def create(self, request):
        data = AccessRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = selectors.product_get(actor=request.user, slug=data.validated_data["product"])
        created = access.access_request_create(
            actor=request.user, product=product, purpose=data.validated_data["purpose"],
            scope=data.validated_data["scope"], duration_days=data.validated_data["duration_days"],
        )
        return Response(AccessRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    def _reason(self, request) -> str:
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["reason"]

    def _fresh(self, request, item):
        return Response(AccessRequestSerializer(selectors.access_request_get(actor=request.user, pk=item.pk)).data)

    @extend_schema(request=DecisionSerializer, responses={200: AccessRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Give the next approval (steward, then domain owner for Highly Confidential); the last creates a grant."""
        item = self.get_object()
        access.access_request_approve(actor=request.user, request=item, note=self._reason(request))
        return self._fresh(request, item)

    @extend_schema(request=DecisionSerializer, responses={200: AccessRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def deny(self, request, pk=None):
        """Deny with a reason (required)."""
        item = self.get_object()
        access.access_request_deny(actor=request.user, request=item, reason=self._reason(request))
        return self._fresh(request, item)

    @extend_schema(request=None, responses={200: AccessRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        item = self.get_object()
        access.access_request_withdraw(actor=request.user, request=item)
        return self._fresh(request, item)


class GrantViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = GrantSerializer
    policy = {"list": "marketplace.view_grant", "retrieve": "marketplace.view_grant",
              "revoke": "marketplace.view_grant", "renew": "marketplace.view_grant", "keys": "marketplace.view_grant"}

    def get_queryset(self):
        status_value = _status_filter(self.request, GrantStatus.values) if self.action == "list" else ""
        mine = self.action == "list" and self.request.query_params.get("role") == "mine"
        return selectors.grant_list(actor=self.request.user, mine=mine, status=status_value)

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=GrantStatus.values),
                               OpenApiParameter("role", str, enum=["mine"])],
                   responses={200: GrantSerializer(many=True), 400: ERRORS[400]})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DecisionSerializer, responses={200: GrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Stewards revoke (reason required); the consumer may give up their own grant."""
        grant = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = grants.grant_revoke(actor=request.user, grant=grant, reason=data.validated_data["reason"])
        return Response(GrantSerializer(grant).data)

    @extend_schema(request=RenewSerializer, responses={200: GrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        grant = self.get_object()
        data = RenewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = grants.grant_renew(actor=request.user, grant=grant, days=data.validated_data["days"])
        return Response(GrantSerializer(grant).data)

    @extend_schema(request=KeyCreateSerializer, responses={201: IssuedKeySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def keys(self, request, pk=None):
        """Create a data-API key for my active grant; the key is in this response only."""
        grant = self.get_object()
        data = KeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = grants.api_key_create(actor=request.user, grant=grant, name=data.validated_data["name"])
        return Response(IssuedKeySerializer(issued).data, status=status.HTTP_201_CREATED)
