SELECT COUNT(*) FROM [sales].[orders];
SELECT COUNT(*) FROM [sales].[orders] WHERE (CAST([country] AS NVARCHAR(4000)) IN (N'DE') AND CAST([region] AS NVARCHAR(4000)) IN (N'EMEA', N'O''Brien'));
SELECT COUNT(*) FROM [sales].[orders] WHERE CASE WHEN (CAST([country] AS NVARCHAR(4000)) IN (N'DE') AND CAST([region] AS NVARCHAR(4000)) IN (N'EMEA', N'O''Brien')) OR (CAST([country] AS NVARCHAR(4000)) IN (N'US')) THEN 1 ELSE 0 END = 0;
