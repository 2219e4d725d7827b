-- stage sr_channels
SELECT
  channel,
  CAST(ROW_NUMBER() OVER (ORDER BY channel NULLS FIRST) - 1 AS INT) AS bit
FROM (
  SELECT DISTINCT
    CAST(channel AS VARCHAR) AS channel
  FROM "analytics"."touchpoints"
) AS d;

-- stage sr_contacts
SELECT
  contact_id,
  ROW_NUMBER() OVER (ORDER BY contact_id NULLS FIRST) AS cid
FROM (
  SELECT DISTINCT
    CAST(contact_id AS VARCHAR) AS contact_id
  FROM "analytics"."touchpoints"
) AS d;

-- stage sr_conversions
SELECT
  c.conversion_id,
  c.contact_id,
  k.cid,
  conv_us,
  win_us,
  lead_us,
  deal_us,
  value,
  conv_month,
  ROW_NUMBER() OVER (
    PARTITION BY c.contact_id
    ORDER BY conv_us NULLS FIRST, c.conversion_id NULLS FIRST
  ) AS conv_rank,
  ROW_NUMBER() OVER (ORDER BY c.conversion_id NULLS FIRST) AS gid
FROM (
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
    CAST(DATE_TRUNC('MONTH', ts) AS DATE) AS conv_month
  FROM "analytics"."conversions"
) AS c
LEFT JOIN sr_contacts AS k
  ON c.contact_id = k.contact_id;

-- stage sr_assigned
WITH t AS (
  SELECT
    k.cid,
    DATE_PART(EPOCH_MICROSECOND, x.ts) AS ts_us,
    ch.bit AS ch,
    CAST(x.ref AS VARCHAR) AS ref,
    x."platform"
  FROM "analytics"."touchpoints" AS x
  JOIN sr_channels AS ch
    ON CAST(x.channel AS VARCHAR) = ch.channel
  JOIN sr_contacts AS k
    ON CAST(x.contact_id AS VARCHAR) = k.contact_id
), e AS (
  SELECT
    cid,
    ts_us,
    CAST(ch AS SMALLINT) AS ch,
    ref,
    "platform"
  FROM t
  UNION ALL
  SELECT
    cid,
    conv_us AS ts_us,
    CAST(32767 AS SMALLINT) AS ch,
    CAST(NULL AS VARCHAR) AS ref,
    CAST(NULL AS VARCHAR) AS "platform"
  FROM sr_conversions
  WHERE
    NOT cid IS NULL
), n AS (
  SELECT
    e.*,
    COUNT(CASE WHEN ch = CAST(32767 AS SMALLINT) THEN 1 END) OVER (
      PARTITION BY cid
      ORDER BY ts_us NULLS FIRST, ch NULLS FIRST, ref NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS n_before,
    ROW_NUMBER() OVER (PARTITION BY cid ORDER BY ts_us NULLS FIRST, ch NULLS FIRST, ref NULLS FIRST) AS pos,
    LAG(ch) OVER (PARTITION BY cid ORDER BY ts_us NULLS FIRST, ch NULLS FIRST, ref NULLS FIRST) AS p_ch,
    LAG(ts_us) OVER (PARTITION BY cid ORDER BY ts_us NULLS FIRST, ch NULLS FIRST, ref NULLS FIRST) AS p_us
  FROM e
), w AS (
  SELECT
    e.*,
    c.gid,
    COALESCE(e.ts_us >= c.win_us, FALSE) AS in_w,
    COALESCE(e.p_us >= c.win_us, FALSE) AS p_in
  FROM n AS e
  LEFT JOIN sr_conversions AS c
    ON c.cid = e.cid AND c.conv_rank = e.n_before + 1
  WHERE
    e.ch < CAST(32767 AS SMALLINT)
)
SELECT
  CASE WHEN e.in_w THEN e.gid ELSE -e.cid END AS jid,
  e.pos,
  e.ts_us,
  e.ch,
  e."platform",
  CAST(CASE
    WHEN e.p_ch < CAST(32767 AS SMALLINT) AND e.p_in = e.in_w
    THEN CASE WHEN e.p_ch = e.ch THEN 0 ELSE 1 END
    WHEN e.in_w OR e.pos = 1
    THEN 1
    ELSE 2
  END AS TINYINT) AS run,
  CAST(CASE WHEN NOT e.in_w AND NOT e.gid IS NULL THEN 1 ELSE 0 END AS TINYINT) AS cut
FROM w AS e;

-- stage sr_grams
WITH f AS (
  SELECT
    jid,
    pos,
    ch,
    run,
    LAG(ch) OVER (PARTITION BY jid ORDER BY pos NULLS FIRST) AS prev
  FROM sr_assigned
  WHERE
    run = 2 OR cut = 1
), s AS (
  SELECT
    jid,
    pos,
    ch
  FROM sr_assigned
  WHERE
    run = 1
  UNION ALL
  SELECT
    jid,
    pos,
    ch
  FROM f
  WHERE
    run = 2 AND (
      prev IS NULL OR prev <> ch
    )
), k AS (
  SELECT
    jid,
    ch AS c0,
    LAG(ch, 1) OVER (PARTITION BY jid ORDER BY pos NULLS FIRST) AS c1,
    LAG(ch, 2) OVER (PARTITION BY jid ORDER BY pos NULLS FIRST) AS c2,
    LAG(ch, 3) OVER (PARTITION BY jid ORDER BY pos NULLS FIRST) AS c3,
    LAG(ch, 4) OVER (PARTITION BY jid ORDER BY pos NULLS FIRST) AS c4,
    LEAD(ch, 1) OVER (PARTITION BY jid ORDER BY pos NULLS FIRST) AS next_ch
  FROM s
), x AS (
  SELECT
    c0,
    c1,
    c2,
    c3,
    c4,
    CASE WHEN NOT next_ch IS NULL THEN 0 WHEN jid > 0 THEN 1 ELSE 2 END AS e,
    CASE WHEN next_ch IS NULL AND jid > 0 THEN jid END AS end_gid
  FROM k
)
SELECT
  x.c0,
  x.c1,
  x.c2,
  x.c3,
  x.c4,
  x.e,
  COUNT(*) AS n,
  SUM(COALESCE(c.value, CAST(0 AS DOUBLE))) AS value
FROM x
LEFT JOIN sr_conversions AS c
  ON x.end_gid = c.gid
GROUP BY
  x.c0,
  x.c1,
  x.c2,
  x.c3,
  x.c4,
  x.e;

-- output channels
SELECT
  channel,
  bit
FROM sr_channels;

-- output grams
SELECT
  0 AS kind,
  c0,
  c1,
  c2,
  c3,
  c4,
  SUM(n) AS n,
  CAST(0 AS DOUBLE) AS value
FROM sr_grams
GROUP BY
  c0,
  c1,
  c2,
  c3,
  c4
UNION ALL
SELECT
  e AS kind,
  c0,
  c1,
  c2,
  c3,
  CAST(NULL AS INT) AS c4,
  SUM(n) AS n,
  SUM(value) AS value
FROM sr_grams
WHERE
  e > 0
GROUP BY
  e,
  c0,
  c1,
  c2,
  c3;

-- output sets
WITH j AS (
  SELECT
    jid,
    BITORAGG(CAST(POWER(2, ch) AS BIGINT)) AS mask
  FROM sr_assigned
  GROUP BY
    jid
)
SELECT
  j.mask,
  CASE WHEN j.jid > 0 THEN 1 ELSE 0 END AS converted,
  COUNT(*) AS journeys,
  SUM(COALESCE(c.value, CAST(0 AS DOUBLE))) AS value
FROM j
LEFT JOIN sr_conversions AS c
  ON j.jid = c.gid
GROUP BY
  j.mask,
  CASE WHEN j.jid > 0 THEN 1 ELSE 0 END;

-- output unattributed
SELECT
  c.conv_month,
  COUNT(*) AS conversions,
  SUM(c.value) AS value
FROM sr_conversions AS c
LEFT JOIN (
  SELECT DISTINCT
    jid AS gid
  FROM sr_assigned
  WHERE
    jid > 0
) AS d
  ON c.gid = d.gid
WHERE
  d.gid IS NULL
GROUP BY
  c.conv_month;

-- output placement
WITH a AS (
  SELECT
    a.*,
    c.gid,
    c.lead_us,
    c.deal_us,
    c.value,
    c.conv_month,
    ch.channel
  FROM sr_assigned AS a
  JOIN sr_conversions AS c
    ON a.jid = c.gid
  JOIN sr_channels AS ch
    ON a.ch = ch.bit
), cc AS (
  SELECT
    jid AS gid,
    ch,
    COUNT(*) AS n_c
  FROM sr_assigned
  WHERE
    jid > 0
  GROUP BY
    jid,
    ch
), cm AS (
  SELECT
    gid,
    CAST(SUM(CAST(POWER(2, ch) AS BIGINT)) AS BIGINT) AS mask
  FROM cc
  GROUP BY
    gid
)
SELECT
  cm.mask,
  a.channel,
  a.channel AS g0,
  a.conv_month AS g1,
  a."platform" AS g2,
  SUM(CAST(1 AS DOUBLE) / NULLIF(cc.n_c, 0)) AS conversions,
  SUM(a.value / NULLIF(cc.n_c, 0)) AS value
FROM a
JOIN cc
  ON a.gid = cc.gid AND a.ch = cc.ch
JOIN cm
  ON a.gid = cm.gid
GROUP BY
  cm.mask,
  a.channel,
  a.channel,
  a.conv_month,
  a."platform";

-- output rules
WITH a AS (
  SELECT
    a.*,
    c.gid,
    c.lead_us,
    c.deal_us,
    c.value,
    c.conv_month,
    ch.channel
  FROM sr_assigned AS a
  JOIN sr_conversions AS c
    ON a.jid = c.gid
  JOIN sr_channels AS ch
    ON a.ch = ch.bit
), r AS (
  SELECT
    a.*,
    ROW_NUMBER() OVER (PARTITION BY gid ORDER BY pos NULLS FIRST) - 1 AS rk,
    COUNT(*) OVER (PARTITION BY gid) AS n
  FROM a
), p AS (
  SELECT
    r.*,
    MAX(CASE WHEN ts_us <= lead_us THEN rk END) OVER (PARTITION BY gid) AS at_lead,
    MAX(CASE WHEN ts_us <= deal_us THEN rk END) OVER (PARTITION BY gid) AS at_deal,
    COALESCE(MAX(CASE WHEN channel <> 'direct' THEN rk END) OVER (PARTITION BY gid), n - 1) AS at_lnd,
    POWER(
      CAST(2 AS DOUBLE),
      -(
        (
          CAST(MAX(ts_us) OVER (PARTITION BY gid) - ts_us AS DOUBLE)
        ) / NULLIF(CAST(86400000000.0 AS DOUBLE), 0)
      ) / NULLIF(CAST(7.0 AS DOUBLE), 0)
    ) AS tw
  FROM r
), x AS (
  SELECT
    p.*,
    SUM(tw) OVER (PARTITION BY gid) AS tw_sum
  FROM p
), y AS (
  SELECT
    x.channel AS g0,
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
