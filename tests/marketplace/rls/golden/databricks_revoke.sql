DELETE FROM `main`.`loom_rls`.`entitlement` WHERE `grant_id` = 42;
