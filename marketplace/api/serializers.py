from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.models import DataProduct, LineageEdge, ProductColumn


class ProductColumnSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductColumn
        fields = ["position", "name", "data_type", "description", "classification", "is_nullable", "is_scopable"]


class ProductSerializer(serializers.ModelSerializer):
    """A product as listed in the catalog."""

    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    workspace = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    freshness = serializers.CharField(read_only=True)
    location = serializers.CharField(read_only=True)

    class Meta:
        model = DataProduct
        fields = [
            "slug", "name", "kind", "status", "domain", "workspace", "sensitivity", "discoverability", "tags",
            "glossary_terms", "source_engine", "location", "freshness_sla_hours", "last_refreshed_at", "freshness",
            "version", "published_at", "created_at", "updated_at",
        ]

    def get_workspace(self, obj) -> str | None:
        return obj.workspace.workspace_id if obj.workspace_id else None

    def get_tags(self, obj) -> list[str]:
        return [t.name for t in obj.tags.all()]


class LineageEndSerializer(serializers.Serializer):
    product = serializers.CharField(allow_null=True, help_text="Slug of the product, when the end is a product.")
    external_source = serializers.CharField(allow_blank=True)


class ProductDetailSerializer(ProductSerializer):
    """A product's page: details (description, schema, lineage) are empty when ``details_restricted``."""

    details_restricted = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    columns = serializers.SerializerMethodField()
    upstream = serializers.SerializerMethodField()
    downstream = serializers.SerializerMethodField()
    owners = serializers.SerializerMethodField()
    stewards = serializers.SerializerMethodField()

    class Meta(ProductSerializer.Meta):
        fields = ProductSerializer.Meta.fields + [
            "details_restricted", "description", "columns", "upstream", "downstream", "owners", "stewards",
            "source_database", "source_schema", "source_table", "source_path",
        ]

    def _restricted(self, obj) -> bool:
        return not self.context.get("details", False)

    def get_details_restricted(self, obj) -> bool:
        return self._restricted(obj)

    def get_description(self, obj) -> str:
        return "" if self._restricted(obj) else obj.description

    @extend_schema_field(ProductColumnSerializer(many=True))
    def get_columns(self, obj):
        return [] if self._restricted(obj) else ProductColumnSerializer(obj.columns.all(), many=True).data

    def _edge(self, edge: LineageEdge, end: str) -> dict:
        other = getattr(edge, end)
        return {"product": other.slug if other else None, "external_source": edge.external_source}

    @extend_schema_field(LineageEndSerializer(many=True))
    def get_upstream(self, obj):
        return [] if self._restricted(obj) else [self._edge(e, "upstream") for e in obj.upstream_edges.all()]

    @extend_schema_field(LineageEndSerializer(many=True))
    def get_downstream(self, obj):
        return [] if self._restricted(obj) else [self._edge(e, "downstream") for e in obj.downstream_edges.all()]

    def get_owners(self, obj) -> list[str]:
        return [u.email for u in self.context["people"]["owners"]]

    def get_stewards(self, obj) -> list[str]:
        return [u.email for u in self.context["people"]["stewards"]]
