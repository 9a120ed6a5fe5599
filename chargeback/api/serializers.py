from rest_framework import serializers


class CostRowSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM-DD for granularity=day, YYYY-MM for granularity=month.")
    domain = serializers.CharField(allow_null=True, help_text="The domain's slug; null for Unallocated cost.")
    domain_name = serializers.CharField()
    workspace = serializers.CharField(required=False, allow_null=True, help_text="loomWorkspaceId (group_by=workspace).")
    workspace_name = serializers.CharField(required=False)
    product = serializers.CharField(required=False, help_text="The product's slug (group_by=product).")
    consumer = serializers.CharField(required=False, help_text="The consumer's e-mail (group_by=product).")
    calls = serializers.IntegerField(required=False, help_text="The consumer's data-API calls (group_by=product).")
    share = serializers.DecimalField(max_digits=6, decimal_places=4, required=False,
                                     help_text="The consumer's share of the workspace's calls (group_by=product).")
    cost = serializers.DecimalField(max_digits=24, decimal_places=10)
    currency = serializers.CharField()


class CostReportSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=["domain", "workspace", "product"])
    granularity = serializers.ChoiceField(choices=["day", "month"])
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    results = CostRowSerializer(many=True)


class ThresholdSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Actual", "Forecasted"])
    percent = serializers.IntegerField(min_value=1, max_value=1000)


class BudgetSerializer(serializers.Serializer):
    """A budget as finance writes it; references are the cost scope's id, the domain's slug, the loomWorkspaceId."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=63)
    cost_scope = serializers.IntegerField(source="cost_scope_id")
    domain = serializers.CharField(source="domain.slug", required=False, allow_null=True, default=None)
    workspace = serializers.CharField(source="workspace.workspace_id", required=False, allow_null=True, default=None)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField(max_length=8, default="USD")
    time_grain = serializers.CharField(read_only=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    thresholds = ThresholdSerializer(many=True)
    contact_emails = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    contact_groups = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    push_state = serializers.CharField(read_only=True)
    etag = serializers.CharField(read_only=True)
    last_pushed_at = serializers.DateTimeField(read_only=True)
    last_push_error = serializers.CharField(read_only=True)
