CREATE SCHEMA IF NOT EXISTS `main`.`loom_rls`;
CREATE TABLE IF NOT EXISTS `main`.`loom_rls`.`entitlement` (`principal` STRING NOT NULL, `table_name` STRING NOT NULL, `column_name` STRING NOT NULL, `value` STRING NOT NULL, `grant_id` BIGINT NOT NULL);
CREATE OR REPLACE FUNCTION `main`.`loom_rls`.`rf_sales_orders_9070a83f`(`p_region` STRING, `p_country` STRING)
RETURNS BOOLEAN
RETURN EXISTS (SELECT 1 FROM `main`.`loom_rls`.`entitlement` AS e
  WHERE (e.`principal` = current_user() OR is_account_group_member(e.`principal`))
    AND e.`table_name` = 'sales.orders'
    AND (e.`column_name` = '*' OR (e.`column_name` = 'region' AND e.`value` = `p_region`) OR (e.`column_name` = 'country' AND e.`value` = `p_country`))
  GROUP BY e.`grant_id`
  HAVING CAST(SUM(CASE WHEN e.`column_name` <> '*' THEN 1 ELSE 0 END) AS STRING)
    = MAX(CASE WHEN e.`column_name` = '*' THEN e.`value` END));
ALTER TABLE `main`.`sales`.`orders` SET ROW FILTER `main`.`loom_rls`.`rf_sales_orders_9070a83f` ON (`region`, `country`);
