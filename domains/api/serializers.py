from rest_framework import serializers

from domains.models import Domain, Workspace


class DomainSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    workspace_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Domain
        fields = ["id", "slug", "name", "description", "parent", "default_sensitivity", "workspace_count"]


class WorkspaceSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.SerializerMethodField()

    class Meta:
        model = Workspace
        fields = ["id", "workspace_id", "name", "domain", "cost_centre", "owner"]

    def get_owner(self, obj) -> str | None:
        return obj.owner.email if obj.owner else None
