from rest_framework import serializers


class CostRowSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM-DD for granularity=day, YYYY-MM for granularity=month.")
    domain = serializers.CharField(allow_null=True, help_text="The domain's slug; null for Unallocated cost.")
    domain_name = serializers.CharField()
    workspace = serializers.CharField(required=False, allow_null=True, help_text="loomWorkspaceId (group_by=workspace).")
    workspace_name = serializers.CharField(required=False)
    cost = serializers.DecimalField(max_digits=24, decimal_places=10)
    currency = serializers.CharField()


class CostReportSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=["domain", "workspace"])
    granularity = serializers.ChoiceField(choices=["day", "month"])
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    results = CostRowSerializer(many=True)
