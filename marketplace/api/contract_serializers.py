"""OpenAPI description of an ODCS v3.0 data contract as the portal writes it (documentation only: the
import is checked by marketplace.contracts.parse_contract, whose errors name the contract's fields)."""

from rest_framework import serializers

from marketplace.api.serializers import ProductDetailSerializer


class _CustomPropertySerializer(serializers.Serializer):
    property = serializers.CharField()
    value = serializers.JSONField()


class _ContractPropertySerializer(serializers.Serializer):
    name = serializers.CharField()
    logicalType = serializers.CharField(required=False)  # noqa: N815 - ODCS field names
    physicalType = serializers.CharField(required=False)  # noqa: N815
    description = serializers.CharField(required=False, allow_blank=True)
    classification = serializers.CharField(required=False, allow_blank=True)
    required = serializers.BooleanField(required=False)
    customProperties = _CustomPropertySerializer(many=True, required=False)  # noqa: N815


class _ContractObjectSerializer(serializers.Serializer):
    name = serializers.CharField()
    logicalType = serializers.CharField(required=False)  # noqa: N815
    physicalType = serializers.CharField(required=False)  # noqa: N815
    physicalName = serializers.CharField(required=False)  # noqa: N815
    properties = _ContractPropertySerializer(many=True, required=False)


class _ContractDescriptionSerializer(serializers.Serializer):
    purpose = serializers.CharField(required=False, allow_blank=True)
    usage = serializers.CharField(required=False, allow_blank=True)
    limitations = serializers.CharField(required=False, allow_blank=True)


class _TeamMemberSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(required=False)


class _SlaPropertySerializer(serializers.Serializer):
    property = serializers.CharField()
    value = serializers.JSONField()
    unit = serializers.CharField(required=False)
    driver = serializers.CharField(required=False)


class DataContractSerializer(serializers.Serializer):
    """An Open Data Contract Standard (ODCS) v3.0 contract describing one data product."""

    apiVersion = serializers.CharField(help_text="v3.0.2 on export; v3.0.0 to v3.0.2 accepted.")  # noqa: N815
    kind = serializers.CharField(help_text="DataContract")
    id = serializers.CharField()
    name = serializers.CharField(required=False)
    version = serializers.CharField()
    status = serializers.CharField(help_text="draft, active, deprecated or retired.")
    tenant = serializers.CharField(required=False)
    domain = serializers.CharField(required=False, help_text="The domain's slug.")
    dataProduct = serializers.CharField(required=False, help_text="The product's slug (identifies it on import).")  # noqa: N815
    description = _ContractDescriptionSerializer(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    schema = _ContractObjectSerializer(many=True, required=False)
    team = _TeamMemberSerializer(many=True, required=False)
    slaProperties = _SlaPropertySerializer(many=True, required=False)  # noqa: N815
    customProperties = _CustomPropertySerializer(many=True, required=False)  # noqa: N815
    contractCreatedTs = serializers.CharField(required=False)  # noqa: N815


class ContractImportResultSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="False when an existing draft product was updated.")
    warnings = serializers.ListField(child=serializers.CharField())
    product = ProductDetailSerializer()
