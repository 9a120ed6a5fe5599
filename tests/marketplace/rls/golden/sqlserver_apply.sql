DELETE FROM [loom_rls].[entitlement] WHERE [grant_id] = 42;
INSERT INTO [loom_rls].[entitlement] ([principal], [table_name], [column_name], [value], [grant_id]) VALUES
  (N'alice@contoso.example', N'sales.orders', N'*', N'2', 42),
  (N'alice@contoso.example', N'sales.orders', N'country', N'DE', 42),
  (N'alice@contoso.example', N'sales.orders', N'region', N'EMEA', 42),
  (N'alice@contoso.example', N'sales.orders', N'region', N'O''Brien', 42);
