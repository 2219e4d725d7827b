-- stage sr_conversions
SELECT
  CAST(conversion_id AS VARCHAR) AS conversion_id,
  CAST(contact_id AS VARCHAR) AS contact_id,
  DATE_PART(EPOCH_MICROSECOND, ts) AS conv_us,
  LEAST_IGNORE_NULLS(
    DATE_PART(EPOCH_MICROSECOND, ts),
    COALESCE(DATE_PART(EPOCH_MICROSECOND, lead_created_at), DATE_PART(EPOCH_MICROSECOND, ts)),
    COALESCE(DATE_PART(EPOCH_MICROSECOND, deal_created_at), DATE_PART(EPOCH_MICROSECOND, ts))
  ) - CAST(7776000000000 AS BIGINT) AS win_us,
  DATE_PART(EPOCH_MICROSECOND, lead_created_at) AS lead_us,
  DATE_PART(EPOCH_MICROSECOND, deal_created_at) AS deal_us,
  COALESCE(CAST(value AS DOUBLE), CAST(0 AS DOUBLE)) AS value,
  CAST(DATE_TRUNC('MONTH', ts) AS DATE) AS conv_month,
  ROW_NUMBER() OVER (
    PARTITION BY contact_id
    ORDER BY DATE_PART(EPOCH_MICROSECOND, ts) NULLS FIRST, conversion_id NULLS FIRST
  ) AS conv_rank
FROM "analytics"."conversions";

-- stage sr_assigned
WITH t AS (
  SELECT
    CAST(contact_id AS VARCHAR) AS contact_id,
    DATE_PART(EPOCH_MICROSECOND, ts) AS ts_us,
    CAST(channel AS VARCHAR) AS channel,
    CAST(ref AS VARCHAR) AS ref,
    "platform"
  FROM "analytics"."touchpoints"
), e AS (
  SELECT
    contact_id,
    ts_us,
    0 AS is_conv,
    CAST(NULL AS BIGINT) AS conv_rank,
    channel,
    ref,
    "platform"
  FROM t
  UNION ALL
  SELECT
    contact_id,
    conv_us AS ts_us,
    1 AS is_conv,
    conv_rank,
    CAST(NULL AS VARCHAR) AS channel,
    CAST(NULL AS VARCHAR) AS ref,
    CAST(NULL AS VARCHAR) AS "platform"
  FROM sr_conversions
), n AS (
  SELECT
    e.*,
    MIN(conv_rank) OVER (
      PARTITION BY contact_id
      ORDER BY ts_us NULLS FIRST, is_conv NULLS FIRST
      ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
    ) AS next_rank
  FROM e
)
SELECT
  e.contact_id,
  e.ts_us,
  e.channel,
  e.ref,
  e."platform",
  c.conversion_id,
  c.conv_us,
  c.lead_us,
  c.deal_us,
  COALESCE(c.value, CAST(0 AS DOUBLE)) AS value,
  c.conv_month
FROM n AS e
LEFT JOIN sr_conversions AS c
  ON c.contact_id = e.contact_id AND c.conv_rank = e.next_rank AND e.ts_us >= c.win_us
WHERE
  e.is_conv = 0;

-- stage sr_channels
SELECT
  channel,
  CAST(ROW_NUMBER() OVER (ORDER BY channel NULLS FIRST) - 1 AS INT) AS bit
FROM (
  SELECT DISTINCT
    channel
  FROM sr_assigned
) AS d;

-- output channels
SELECT
  channel,
  bit
FROM sr_channels;

-- output grams
WITH m AS (
  SELECT
    contact_id,
    conversion_id,
    channel,
    ts_us,
    ref,
    value,
    LAG(channel) OVER (
      PARTITION BY contact_id, conversion_id
      ORDER BY ts_us NULLS FIRST, channel NULLS FIRST, ref NULLS FIRST
    ) AS prev
  FROM sr_assigned
), k AS (
  SELECT
    CASE WHEN conversion_id IS NULL THEN 2 ELSE 1 END AS end_kind,
    value,
    channel AS c0,
    LAG(channel, 1) OVER (
      PARTITION BY contact_id, conversion_id
      ORDER BY ts_us NULLS FIRST, channel NULLS FIRST, ref NULLS FIRST
    ) AS c1,
    LAG(channel, 2) OVER (
      PARTITION BY contact_id, conversion_id
      ORDER BY ts_us NULLS FIRST, channel NULLS FIRST, ref NULLS FIRST
    ) AS c2,
    LAG(channel, 3) OVER (
      PARTITION BY contact_id, conversion_id
      ORDER BY ts_us NULLS FIRST, channel NULLS FIRST, ref NULLS FIRST
    ) AS c3,
    LAG(channel, 4) OVER (
      PARTITION BY contact_id, conversion_id
      ORDER BY ts_us NULLS FIRST, channel NULLS FIRST, ref NULLS FIRST
    ) AS c4,
    LEAD(ts_us, 1) OVER (
      PARTITION BY contact_id, conversion_id
      ORDER BY ts_us NULLS FIRST, channel NULLS FIRST, ref NULLS FIRST
    ) AS next_us
  FROM m
  WHERE
    prev IS NULL OR prev <> channel
)
SELECT
  0 AS kind,
  c0,
  c1,
  c2,
  c3,
  c4,
  COUNT(*) AS n,
  CAST(0 AS DOUBLE) AS value
FROM k
GROUP BY
  c0,
  c1,
  c2,
  c3,
  c4
UNION ALL
SELECT
  end_kind AS kind,
  c0,
  c1,
  c2,
  c3,
  CAST(NULL AS VARCHAR) AS c4,
  COUNT(*) AS n,
  SUM(value) AS value
FROM k
WHERE
  next_us IS NULL
GROUP BY
  end_kind,
  c0,
  c1,
  c2,
  c3;

-- output sets
WITH jc AS (
  SELECT
    a.contact_id,
    a.conversion_id,
    MAX(a.value) AS value,
    MAX(ch.bit) AS bit
  FROM sr_assigned AS a
  JOIN sr_channels AS ch
    ON a.channel = ch.channel
  GROUP BY
    a.contact_id,
    a.conversion_id,
    a.channel
), j AS (
  SELECT
    CASE WHEN conversion_id IS NULL THEN 0 ELSE 1 END AS converted,
    MAX(value) AS value,
    CAST(SUM(CAST(POWER(2, bit) AS BIGINT)) AS BIGINT) AS mask
  FROM jc
  GROUP BY
    contact_id,
    conversion_id
)
SELECT
  mask,
  converted,
  COUNT(*) AS journeys,
  SUM(value) AS value
FROM j
GROUP BY
  mask,
  converted;

-- output unattributed
SELECT
  c.conv_month,
  COUNT(*) AS conversions,
  SUM(c.value) AS value
FROM sr_conversions AS c
LEFT JOIN (
  SELECT DISTINCT
    conversion_id
  FROM sr_assigned
  WHERE
    NOT conversion_id IS NULL
) AS d
  ON c.conversion_id = d.conversion_id
WHERE
  d.conversion_id IS NULL
GROUP BY
  c.conv_month;

-- output placement
WITH cc AS (
  SELECT
    conversion_id,
    channel,
    COUNT(*) AS n_c
  FROM sr_assigned
  WHERE
    NOT conversion_id IS NULL
  GROUP BY
    conversion_id,
    channel
), cm AS (
  SELECT
    cc.conversion_id,
    CAST(SUM(CAST(POWER(2, ch.bit) AS BIGINT)) AS BIGINT) AS mask
  FROM cc
  JOIN sr_channels AS ch
    ON cc.channel = ch.channel
  GROUP BY
    cc.conversion_id
)
SELECT
  cm.mask,
  a.channel,
  a."channel" AS g0,
  a.conv_month AS g1,
  a."platform" AS g2,
  SUM(CAST(1 AS DOUBLE) / NULLIF(cc.n_c, 0)) AS conversions,
  SUM(a.value / NULLIF(cc.n_c, 0)) AS value
FROM sr_assigned AS a
JOIN cc
  ON a.conversion_id = cc.conversion_id AND a.channel = cc.channel
JOIN cm
  ON a.conversion_id = cm.conversion_id
GROUP BY
  cm.mask,
  a.channel,
  a."channel",
  a.conv_month,
  a."platform";

-- output rules
WITH r AS (
  SELECT
    a.*,
    ROW_NUMBER() OVER (
      PARTITION BY conversion_id
      ORDER BY ts_us NULLS FIRST, channel NULLS FIRST, ref NULLS FIRST
    ) - 1 AS rk,
    COUNT(*) OVER (PARTITION BY conversion_id) AS n
  FROM sr_assigned AS a
  WHERE
    NOT conversion_id IS NULL
), p AS (
  SELECT
    r.*,
    MAX(CASE WHEN ts_us <= lead_us THEN rk END) OVER (PARTITION BY conversion_id) AS at_lead,
    MAX(CASE WHEN ts_us <= deal_us THEN rk END) OVER (PARTITION BY conversion_id) AS at_deal,
    COALESCE(
      MAX(CASE WHEN COALESCE(channel, '') <> 'direct' THEN rk END) OVER (PARTITION BY conversion_id),
      n - 1
    ) AS at_lnd,
    POWER(
      CAST(2 AS DOUBLE),
      -(
        (
          CAST(MAX(ts_us) OVER (PARTITION BY conversion_id) - ts_us AS DOUBLE)
        ) / NULLIF(CAST(86400000000.0 AS DOUBLE), 0)
      ) / NULLIF(CAST(7.0 AS DOUBLE), 0)
    ) AS tw
  FROM r
), x AS (
  SELECT
    p.*,
    SUM(tw) OVER (PARTITION BY conversion_id) AS tw_sum
  FROM p
), y AS (
  SELECT
    x."channel" AS g0,
    x.conv_month AS g1,
    x."platform" AS g2,
    value,
    (
      CASE
        WHEN COALESCE(rk = CAST(0 AS BIGINT), FALSE)
        THEN CAST(1.0 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE
          WHEN NOT CAST(0 AS BIGINT) IS NULL
          THEN CAST(1.0 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END
      ),
      0
    ) AS cr_first_touch,
    (
      CASE
        WHEN COALESCE(rk = n - 1, FALSE)
        THEN CAST(1.0 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE WHEN NOT n - 1 IS NULL THEN CAST(1.0 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END
      ),
      0
    ) AS cr_last_touch,
    (
      CASE
        WHEN COALESCE(rk = at_lnd, FALSE)
        THEN CAST(1.0 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE WHEN NOT at_lnd IS NULL THEN CAST(1.0 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END
      ),
      0
    ) AS cr_last_non_direct,
    (
      CASE
        WHEN TRUE
        THEN CAST(1.0 AS DOUBLE) / NULLIF(NULLIF(n, 0), 0)
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF((
      CASE WHEN n > 0 THEN CAST(1.0 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END
    ), 0) AS cr_linear,
    tw / NULLIF(tw_sum, 0) AS cr_time_decay,
    (
      CASE
        WHEN COALESCE(rk = CAST(0 AS BIGINT), FALSE)
        THEN CAST(0.4 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = n - 1, FALSE)
        THEN CAST(0.4 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN NOT (
          COALESCE(rk = CAST(0 AS BIGINT), FALSE) OR COALESCE(rk = n - 1, FALSE)
        )
        THEN CAST(0.2 AS DOUBLE) / NULLIF(
          NULLIF(
            (
              n - (
                CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                  WHEN NOT n - 1 IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> n - 1
                  )
                  THEN 1
                  ELSE 0
                END
              )
            ),
            0
          ),
          0
        )
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE
          WHEN NOT CAST(0 AS BIGINT) IS NULL
          THEN CAST(0.4 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END + CASE WHEN NOT n - 1 IS NULL THEN CAST(0.4 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END + CASE
          WHEN (
            n - (
              CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                WHEN NOT n - 1 IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> n - 1
                )
                THEN 1
                ELSE 0
              END
            )
          ) > 0
          THEN CAST(0.2 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END
      ),
      0
    ) AS cr_position_based,
    (
      CASE
        WHEN COALESCE(rk = CAST(0 AS BIGINT), FALSE)
        THEN CAST(0.4 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = at_lead, FALSE)
        THEN CAST(0.4 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN NOT (
          COALESCE(rk = CAST(0 AS BIGINT), FALSE) OR COALESCE(rk = at_lead, FALSE)
        )
        THEN CAST(0.2 AS DOUBLE) / NULLIF(
          NULLIF(
            (
              n - (
                CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                  WHEN NOT at_lead IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_lead
                  )
                  THEN 1
                  ELSE 0
                END
              )
            ),
            0
          ),
          0
        )
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE
          WHEN NOT CAST(0 AS BIGINT) IS NULL
          THEN CAST(0.4 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END + CASE WHEN NOT at_lead IS NULL THEN CAST(0.4 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END + CASE
          WHEN (
            n - (
              CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                WHEN NOT at_lead IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_lead
                )
                THEN 1
                ELSE 0
              END
            )
          ) > 0
          THEN CAST(0.2 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END
      ),
      0
    ) AS cr_u_shaped,
    (
      CASE
        WHEN COALESCE(rk = CAST(0 AS BIGINT), FALSE)
        THEN CAST(0.3 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = at_lead, FALSE)
        THEN CAST(0.3 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = at_deal, FALSE)
        THEN CAST(0.3 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN NOT (
          COALESCE(rk = CAST(0 AS BIGINT), FALSE)
          OR COALESCE(rk = at_lead, FALSE)
          OR COALESCE(rk = at_deal, FALSE)
        )
        THEN CAST(0.1 AS DOUBLE) / NULLIF(
          NULLIF(
            (
              n - (
                CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                  WHEN NOT at_lead IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_lead
                  )
                  THEN 1
                  ELSE 0
                END + CASE
                  WHEN NOT at_deal IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_deal
                  )
                  AND (
                    at_lead IS NULL OR at_lead <> at_deal
                  )
                  THEN 1
                  ELSE 0
                END
              )
            ),
            0
          ),
          0
        )
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE
          WHEN NOT CAST(0 AS BIGINT) IS NULL
          THEN CAST(0.3 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END + CASE WHEN NOT at_lead IS NULL THEN CAST(0.3 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END + CASE WHEN NOT at_deal IS NULL THEN CAST(0.3 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END + CASE
          WHEN (
            n - (
              CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                WHEN NOT at_lead IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_lead
                )
                THEN 1
                ELSE 0
              END + CASE
                WHEN NOT at_deal IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_deal
                )
                AND (
                  at_lead IS NULL OR at_lead <> at_deal
                )
                THEN 1
                ELSE 0
              END
            )
          ) > 0
          THEN CAST(0.1 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END
      ),
      0
    ) AS cr_w_shaped,
    (
      CASE
        WHEN COALESCE(rk = CAST(0 AS BIGINT), FALSE)
        THEN CAST(0.225 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = at_lead, FALSE)
        THEN CAST(0.225 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = at_deal, FALSE)
        THEN CAST(0.225 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = n - 1, FALSE)
        THEN CAST(0.225 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN NOT (
          COALESCE(rk = CAST(0 AS BIGINT), FALSE)
          OR COALESCE(rk = at_lead, FALSE)
          OR COALESCE(rk = at_deal, FALSE)
          OR COALESCE(rk = n - 1, FALSE)
        )
        THEN CAST(0.1 AS DOUBLE) / NULLIF(
          NULLIF(
            (
              n - (
                CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                  WHEN NOT at_lead IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_lead
                  )
                  THEN 1
                  ELSE 0
                END + CASE
                  WHEN NOT at_deal IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_deal
                  )
                  AND (
                    at_lead IS NULL OR at_lead <> at_deal
                  )
                  THEN 1
                  ELSE 0
                END + CASE
                  WHEN NOT n - 1 IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> n - 1
                  )
                  AND (
                    at_lead IS NULL OR at_lead <> n - 1
                  )
                  AND (
                    at_deal IS NULL OR at_deal <> n - 1
                  )
                  THEN 1
                  ELSE 0
                END
              )
            ),
            0
          ),
          0
        )
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE
          WHEN NOT CAST(0 AS BIGINT) IS NULL
          THEN CAST(0.225 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END + CASE
          WHEN NOT at_lead IS NULL
          THEN CAST(0.225 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END + CASE
          WHEN NOT at_deal IS NULL
          THEN CAST(0.225 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END + CASE WHEN NOT n - 1 IS NULL THEN CAST(0.225 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END + CASE
          WHEN (
            n - (
              CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                WHEN NOT at_lead IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_lead
                )
                THEN 1
                ELSE 0
              END + CASE
                WHEN NOT at_deal IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> at_deal
                )
                AND (
                  at_lead IS NULL OR at_lead <> at_deal
                )
                THEN 1
                ELSE 0
              END + CASE
                WHEN NOT n - 1 IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> n - 1
                )
                AND (
                  at_lead IS NULL OR at_lead <> n - 1
                )
                AND (
                  at_deal IS NULL OR at_deal <> n - 1
                )
                THEN 1
                ELSE 0
              END
            )
          ) > 0
          THEN CAST(0.1 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END
      ),
      0
    ) AS cr_full_path,
    (
      CASE
        WHEN COALESCE(rk = CAST(0 AS BIGINT), FALSE)
        THEN CAST(0.2 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = n - 1, FALSE)
        THEN CAST(0.6 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN NOT (
          COALESCE(rk = CAST(0 AS BIGINT), FALSE) OR COALESCE(rk = n - 1, FALSE)
        )
        THEN CAST(0.2 AS DOUBLE) / NULLIF(
          NULLIF(
            (
              n - (
                CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                  WHEN NOT n - 1 IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> n - 1
                  )
                  THEN 1
                  ELSE 0
                END
              )
            ),
            0
          ),
          0
        )
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE
          WHEN NOT CAST(0 AS BIGINT) IS NULL
          THEN CAST(0.2 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END + CASE WHEN NOT n - 1 IS NULL THEN CAST(0.6 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END + CASE
          WHEN (
            n - (
              CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                WHEN NOT n - 1 IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> n - 1
                )
                THEN 1
                ELSE 0
              END
            )
          ) > 0
          THEN CAST(0.2 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END
      ),
      0
    ) AS cr_j_shaped,
    (
      CASE
        WHEN COALESCE(rk = CAST(0 AS BIGINT), FALSE)
        THEN CAST(0.6 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN COALESCE(rk = n - 1, FALSE)
        THEN CAST(0.2 AS DOUBLE)
        ELSE CAST(0.0 AS DOUBLE)
      END + CASE
        WHEN NOT (
          COALESCE(rk = CAST(0 AS BIGINT), FALSE) OR COALESCE(rk = n - 1, FALSE)
        )
        THEN CAST(0.2 AS DOUBLE) / NULLIF(
          NULLIF(
            (
              n - (
                CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                  WHEN NOT n - 1 IS NULL
                  AND (
                    CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> n - 1
                  )
                  THEN 1
                  ELSE 0
                END
              )
            ),
            0
          ),
          0
        )
        ELSE CAST(0.0 AS DOUBLE)
      END
    ) / NULLIF(
      (
        CASE
          WHEN NOT CAST(0 AS BIGINT) IS NULL
          THEN CAST(0.6 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END + CASE WHEN NOT n - 1 IS NULL THEN CAST(0.2 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END + CASE
          WHEN (
            n - (
              CASE WHEN NOT CAST(0 AS BIGINT) IS NULL THEN 1 ELSE 0 END + CASE
                WHEN NOT n - 1 IS NULL
                AND (
                  CAST(0 AS BIGINT) IS NULL OR CAST(0 AS BIGINT) <> n - 1
                )
                THEN 1
                ELSE 0
              END
            )
          ) > 0
          THEN CAST(0.2 AS DOUBLE)
          ELSE CAST(0.0 AS DOUBLE)
        END
      ),
      0
    ) AS cr_inverse_j
  FROM x
)
SELECT
  g0,
  g1,
  g2,
  SUM(cr_first_touch) AS first_touch_conversions,
  SUM(cr_first_touch * value) AS first_touch_value,
  SUM(cr_last_touch) AS last_touch_conversions,
  SUM(cr_last_touch * value) AS last_touch_value,
  SUM(cr_last_non_direct) AS last_non_direct_conversions,
  SUM(cr_last_non_direct * value) AS last_non_direct_value,
  SUM(cr_linear) AS linear_conversions,
  SUM(cr_linear * value) AS linear_value,
  SUM(cr_time_decay) AS time_decay_conversions,
  SUM(cr_time_decay * value) AS time_decay_value,
  SUM(cr_position_based) AS position_based_conversions,
  SUM(cr_position_based * value) AS position_based_value,
  SUM(cr_u_shaped) AS u_shaped_conversions,
  SUM(cr_u_shaped * value) AS u_shaped_value,
  SUM(cr_w_shaped) AS w_shaped_conversions,
  SUM(cr_w_shaped * value) AS w_shaped_value,
  SUM(cr_full_path) AS full_path_conversions,
  SUM(cr_full_path * value) AS full_path_value,
  SUM(cr_j_shaped) AS j_shaped_conversions,
  SUM(cr_j_shaped * value) AS j_shaped_value,
  SUM(cr_inverse_j) AS inverse_j_conversions,
  SUM(cr_inverse_j * value) AS inverse_j_value
FROM y
GROUP BY
  g0,
  g1,
  g2;
