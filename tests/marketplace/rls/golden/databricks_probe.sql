SELECT COUNT(*) FROM `main`.`sales`.`orders`;
SELECT COUNT(*) FROM `main`.`sales`.`orders` WHERE (CAST(`country` AS STRING) IN ('DE') AND CAST(`region` AS STRING) IN ('EMEA', 'O\'Brien'));
SELECT COUNT(*) FROM `main`.`sales`.`orders` WHERE CASE WHEN (CAST(`country` AS STRING) IN ('DE') AND CAST(`region` AS STRING) IN ('EMEA', 'O\'Brien')) OR (CAST(`country` AS STRING) IN ('US')) THEN 1 ELSE 0 END = 0;
