DELETE FROM `main`.`loom_rls`.`entitlement` WHERE `grant_id` = 42;
INSERT INTO `main`.`loom_rls`.`entitlement` (`principal`, `table_name`, `column_name`, `value`, `grant_id`) VALUES
  ('alice@contoso.example', 'sales.orders', '*', '2', 42),
  ('alice@contoso.example', 'sales.orders', 'country', 'DE', 42),
  ('alice@contoso.example', 'sales.orders', 'region', 'EMEA', 42),
  ('alice@contoso.example', 'sales.orders', 'region', 'O\'Brien', 42);
