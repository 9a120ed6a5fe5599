IF SCHEMA_ID(N'loom_rls') IS NULL EXEC(N'CREATE SCHEMA [loom_rls]')
GO
IF OBJECT_ID(N'[loom_rls].[entitlement]', N'U') IS NULL CREATE TABLE [loom_rls].[entitlement] ([principal] NVARCHAR(128) NOT NULL, [table_name] NVARCHAR(260) NOT NULL, [column_name] NVARCHAR(128) NOT NULL, [value] NVARCHAR(256) NOT NULL, [grant_id] BIGINT NOT NULL, CONSTRAINT [pk_loom_rls_entitlement] PRIMARY KEY NONCLUSTERED ([principal], [table_name], [column_name], [value], [grant_id]))
GO
DROP SECURITY POLICY IF EXISTS [loom_rls].[policy_sales_orders_9070a83f]
GO
CREATE OR ALTER FUNCTION [loom_rls].[fn_sales_orders_9070a83f](@region NVARCHAR(4000), @country NVARCHAR(4000))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN SELECT 1 AS [fn_result]
FROM [loom_rls].[entitlement] AS e
WHERE e.[principal] = USER_NAME() AND e.[table_name] = N'sales.orders'
  AND (e.[column_name] = N'*' OR (e.[column_name] = N'region' AND e.[value] = @region) OR (e.[column_name] = N'country' AND e.[value] = @country))
GROUP BY e.[grant_id]
HAVING CAST(SUM(CASE WHEN e.[column_name] <> N'*' THEN 1 ELSE 0 END) AS NVARCHAR(20))
  = MAX(CASE WHEN e.[column_name] = N'*' THEN e.[value] END)
GO
CREATE SECURITY POLICY [loom_rls].[policy_sales_orders_9070a83f]
ADD FILTER PREDICATE [loom_rls].[fn_sales_orders_9070a83f]([region], [country]) ON [sales].[orders]
WITH (STATE = ON, SCHEMABINDING = ON)
GO
