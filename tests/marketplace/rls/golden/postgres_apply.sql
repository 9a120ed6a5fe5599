DELETE FROM "loom_rls"."entitlement" WHERE grant_id = 42;
INSERT INTO "loom_rls"."entitlement" ("principal", "table_name", "column_name", "value", "grant_id") VALUES
  ('alice', 'sales.orders', '*', '2', 42),
  ('alice', 'sales.orders', 'country', 'DE', 42),
  ('alice', 'sales.orders', 'region', 'EMEA', 42),
  ('alice', 'sales.orders', 'region', 'O''Brien', 42)
ON CONFLICT DO NOTHING;
