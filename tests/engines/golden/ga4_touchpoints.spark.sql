WITH raw AS (
  SELECT
    e.user_pseudo_id AS visitor_id,
    e.user_id AS user_id,
    e.event_timestamp AS t,
    ARRAY_MAX(
      TRANSFORM(FILTER(e.event_params, p -> p.key = 'ga_session_id'), p -> p.value.int_value)
    ) AS ga_session_id,
    COALESCE(
      e.collected_traffic_source.gclid,
      ARRAY_MAX(
        TRANSFORM(FILTER(e.event_params, p -> p.key = 'gclid'), p -> p.value.string_value)
      )
    ) AS gclid,
    e.session_traffic_source_last_click.manual_campaign.source AS r0_source,
    e.session_traffic_source_last_click.manual_campaign.medium AS r0_medium,
    e.session_traffic_source_last_click.manual_campaign.campaign_name AS r0_campaign,
    e.session_traffic_source_last_click.manual_campaign.content AS r0_content,
    e.session_traffic_source_last_click.manual_campaign.term AS r0_term,
    e.collected_traffic_source.manual_source AS r1_source,
    e.collected_traffic_source.manual_medium AS r1_medium,
    e.collected_traffic_source.manual_campaign_name AS r1_campaign,
    e.collected_traffic_source.manual_content AS r1_content,
    e.collected_traffic_source.manual_term AS r1_term,
    ARRAY_MAX(
      TRANSFORM(FILTER(e.event_params, p -> p.key = 'source'), p -> p.value.string_value)
    ) AS r2_source,
    ARRAY_MAX(
      TRANSFORM(FILTER(e.event_params, p -> p.key = 'medium'), p -> p.value.string_value)
    ) AS r2_medium,
    ARRAY_MAX(
      TRANSFORM(FILTER(e.event_params, p -> p.key = 'campaign'), p -> p.value.string_value)
    ) AS r2_campaign,
    ARRAY_MAX(
      TRANSFORM(FILTER(e.event_params, p -> p.key = 'content'), p -> p.value.string_value)
    ) AS r2_content,
    ARRAY_MAX(
      TRANSFORM(FILTER(e.event_params, p -> p.key = 'term'), p -> p.value.string_value)
    ) AS r2_term
  FROM `my-project`.`analytics_123`.`events_*` AS e
  WHERE
    NOT e.user_pseudo_id IS NULL
    AND e.event_date >= '20240101'
    AND e.event_date <= '20240131'
), ev AS (
  SELECT
    visitor_id,
    CASE
      WHEN REGEXP_REPLACE(user_id, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      THEN NULL
      ELSE REGEXP_REPLACE(user_id, '^\\s+|\\s+$', '')
    END AS user_id,
    t,
    ga_session_id,
    CASE
      WHEN REGEXP_REPLACE(gclid, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      THEN NULL
      ELSE REGEXP_REPLACE(gclid, '^\\s+|\\s+$', '')
    END AS click_id,
    CASE
      WHEN REGEXP_REPLACE(r0_source, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      THEN NULL
      ELSE REGEXP_REPLACE(r0_source, '^\\s+|\\s+$', '')
    END AS l0_source,
    CASE
      WHEN REGEXP_REPLACE(r0_medium, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      THEN NULL
      ELSE REGEXP_REPLACE(r0_medium, '^\\s+|\\s+$', '')
    END AS l0_medium,
    CASE
      WHEN REGEXP_REPLACE(r0_campaign, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r0_campaign, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r0_campaign, '^\\s+|\\s+$', '')
    END AS l0_campaign,
    CASE
      WHEN REGEXP_REPLACE(r0_content, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r0_content, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r0_content, '^\\s+|\\s+$', '')
    END AS l0_content,
    CASE
      WHEN REGEXP_REPLACE(r0_term, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r0_term, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r0_term, '^\\s+|\\s+$', '')
    END AS l0_term,
    CASE
      WHEN REGEXP_REPLACE(r1_source, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      THEN NULL
      ELSE REGEXP_REPLACE(r1_source, '^\\s+|\\s+$', '')
    END AS l1_source,
    CASE
      WHEN REGEXP_REPLACE(r1_medium, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      THEN NULL
      ELSE REGEXP_REPLACE(r1_medium, '^\\s+|\\s+$', '')
    END AS l1_medium,
    CASE
      WHEN REGEXP_REPLACE(r1_campaign, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r1_campaign, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r1_campaign, '^\\s+|\\s+$', '')
    END AS l1_campaign,
    CASE
      WHEN REGEXP_REPLACE(r1_content, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r1_content, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r1_content, '^\\s+|\\s+$', '')
    END AS l1_content,
    CASE
      WHEN REGEXP_REPLACE(r1_term, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r1_term, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r1_term, '^\\s+|\\s+$', '')
    END AS l1_term,
    CASE
      WHEN REGEXP_REPLACE(r2_source, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      THEN NULL
      ELSE REGEXP_REPLACE(r2_source, '^\\s+|\\s+$', '')
    END AS l2_source,
    CASE
      WHEN REGEXP_REPLACE(r2_medium, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      THEN NULL
      ELSE REGEXP_REPLACE(r2_medium, '^\\s+|\\s+$', '')
    END AS l2_medium,
    CASE
      WHEN REGEXP_REPLACE(r2_campaign, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r2_campaign, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r2_campaign, '^\\s+|\\s+$', '')
    END AS l2_campaign,
    CASE
      WHEN REGEXP_REPLACE(r2_content, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r2_content, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r2_content, '^\\s+|\\s+$', '')
    END AS l2_content,
    CASE
      WHEN REGEXP_REPLACE(r2_term, '^\\s+|\\s+$', '') IN ('', '(not set)', '(other)')
      OR REGEXP_REPLACE(r2_term, '^\\s+|\\s+$', '') RLIKE '^\\(.*\\)$'
      THEN NULL
      ELSE REGEXP_REPLACE(r2_term, '^\\s+|\\s+$', '')
    END AS l2_term
  FROM raw
), leveled AS (
  SELECT
    visitor_id,
    user_id,
    t,
    ga_session_id,
    click_id,
    lvl,
    CASE
      WHEN lvl = 0
      THEN l0_source
      WHEN lvl = 1
      THEN l1_source
      WHEN lvl = 2
      THEN l2_source
    END AS source,
    CASE
      WHEN lvl = 0
      THEN l0_medium
      WHEN lvl = 1
      THEN l1_medium
      WHEN lvl = 2
      THEN l2_medium
    END AS medium,
    CASE
      WHEN lvl = 0
      THEN l0_campaign
      WHEN lvl = 1
      THEN l1_campaign
      WHEN lvl = 2
      THEN l2_campaign
    END AS campaign,
    CASE
      WHEN lvl = 0
      THEN l0_content
      WHEN lvl = 1
      THEN l1_content
      WHEN lvl = 2
      THEN l2_content
    END AS content,
    CASE WHEN lvl = 0 THEN l0_term WHEN lvl = 1 THEN l1_term WHEN lvl = 2 THEN l2_term END AS term
  FROM (
    SELECT
      ev.*,
      CASE
        WHEN NOT l0_source IS NULL OR NOT l0_medium IS NULL
        THEN 0
        WHEN NOT l1_source IS NULL OR NOT l1_medium IS NULL
        THEN 1
        WHEN NOT l2_source IS NULL OR NOT l2_medium IS NULL
        THEN 2
        ELSE 3
      END AS lvl
    FROM ev
    WHERE
      NOT ga_session_id IS NULL
  ) AS x
), ranked AS (
  SELECT
    leveled.*,
    ROW_NUMBER() OVER (
      PARTITION BY visitor_id, ga_session_id
      ORDER BY lvl, t, COALESCE(source, ''), COALESCE(medium, ''), COALESCE(campaign, ''), COALESCE(content, ''), COALESCE(term, '')
    ) AS pick
  FROM leveled
), grouped AS (
  SELECT
    visitor_id,
    ga_session_id,
    MIN(t) AS started_us,
    MIN(user_id) AS user_id,
    MIN(click_id) AS click_id,
    MAX(IF(pick = 1, source, NULL)) AS source,
    MAX(IF(pick = 1, medium, NULL)) AS medium,
    MAX(IF(pick = 1, campaign, NULL)) AS campaign,
    MAX(IF(pick = 1, content, NULL)) AS content,
    MAX(IF(pick = 1, term, NULL)) AS term
  FROM ranked
  GROUP BY
    visitor_id,
    ga_session_id
), counted AS (
  SELECT
    grouped.*,
    COUNT(*) OVER (PARTITION BY visitor_id) AS visitor_sessions
  FROM grouped
), sessions AS (
  SELECT
    CONCAT('ga4x:', visitor_id, ':', CAST(ga_session_id AS STRING)) AS session_id,
    started_us,
    source,
    medium,
    campaign,
    content,
    term,
    click_id,
    visitor_id,
    user_id AS contact_id
  FROM counted
  WHERE
    visitor_sessions <= 2000
), by_visitor AS (
  SELECT
    visitor_id AS v_visitor,
    MIN(contact_id) AS v_contact
  FROM `my-project`.`crm`.`contacts`
  WHERE
    NOT visitor_id IS NULL
  GROUP BY
    visitor_id
), matched AS (
  SELECT
    sessions.*,
    COALESCE(sessions.contact_id, b.v_contact) AS _contact
  FROM sessions
  LEFT JOIN by_visitor AS b
    ON sessions.visitor_id = b.v_visitor
  WHERE
    NOT COALESCE(sessions.contact_id, b.v_contact) IS NULL
), k1 AS (
  SELECT
    s.*,
    CASE
      WHEN STARTSWITH(LOWER(REGEXP_REPLACE(source, '^\\s+|\\s+$', '')), 'www.')
      THEN SUBSTRING(LOWER(REGEXP_REPLACE(source, '^\\s+|\\s+$', '')), 5)
      ELSE LOWER(REGEXP_REPLACE(source, '^\\s+|\\s+$', ''))
    END AS _src,
    COALESCE(LOWER(REGEXP_REPLACE(medium, '^\\s+|\\s+$', '')), '') AS _med,
    REGEXP_REPLACE(content, '^\\s+|\\s+$', '') AS _content
  FROM matched AS s
), k2 AS (
  SELECT
    k1.*,
    REGEXP_REPLACE(REGEXP_REPLACE(_src, '^\\s+|\\s+$', ''), '\\s+', ' ') AS _low
  FROM k1
), k3 AS (
  SELECT
    k2.*,
    CASE
      WHEN _low RLIKE '^[a-z][a-z0-9+.\\-]*://'
      THEN COALESCE(
        CASE
          WHEN _low RLIKE '^[a-z][a-z0-9+.\\-]*://(?:[^@/?#]*@)?([^/?#:]*)'
          THEN REGEXP_EXTRACT(_low, '^[a-z][a-z0-9+.\\-]*://(?:[^@/?#]*@)?([^/?#:]*)')
        END,
        ''
      )
      WHEN LOCATE('/', _low) > 0 AND LOCATE(' ', _low) = 0
      THEN CASE WHEN _low RLIKE '^([^/]*)' THEN REGEXP_EXTRACT(_low, '^([^/]*)') END
      ELSE _low
    END AS _host
  FROM k2
), k4 AS (
  SELECT
    k3.*,
    REGEXP_REPLACE(
      CASE WHEN STARTSWITH(_host, 'www.') THEN SUBSTRING(_host, 5) ELSE _host END,
      '\\.$',
      ''
    ) AS _key,
    LOWER(
      CASE
        WHEN _content RLIKE '^sr~([^~]+)~[^~]+~[^~]*$'
        THEN REGEXP_EXTRACT(_content, '^sr~([^~]+)~[^~]+~[^~]*$')
      END
    ) AS _code_platform,
    CASE
      WHEN _content RLIKE '^sr~[^~]+~([^~]+)~[^~]*$'
      THEN REGEXP_EXTRACT(_content, '^sr~[^~]+~([^~]+)~[^~]*$')
    END AS post_id,
    CASE
      WHEN _content RLIKE '^sr~[^~]+~[^~]+~([^~]*)$'
      THEN REGEXP_EXTRACT(_content, '^sr~[^~]+~[^~]+~([^~]*)$')
    END AS _code_employee
  FROM k3
), k5 AS (
  SELECT
    k4.*,
    CASE _key
      WHEN 'bluesky'
      THEN 'bluesky'
      WHEN 'bsky'
      THEN 'bluesky'
      WHEN 'bsky.app'
      THEN 'bluesky'
      WHEN 'facebook'
      THEN 'facebook'
      WHEN 'facebook ads'
      THEN 'facebook'
      WHEN 'facebook.com'
      THEN 'facebook'
      WHEN 'fb'
      THEN 'facebook'
      WHEN 'fb.me'
      THEN 'facebook'
      WHEN 'ig'
      THEN 'instagram'
      WHEN 'instagram'
      THEN 'instagram'
      WHEN 'instagram.com'
      THEN 'instagram'
      WHEN 'l.facebook.com'
      THEN 'facebook'
      WHEN 'l.instagram.com'
      THEN 'instagram'
      WHEN 'linked in'
      THEN 'linkedin'
      WHEN 'linkedin'
      THEN 'linkedin'
      WHEN 'linkedin ads'
      THEN 'linkedin'
      WHEN 'linkedin.com'
      THEN 'linkedin'
      WHEN 'lm.facebook.com'
      THEN 'facebook'
      WHEN 'lnkd.in'
      THEN 'linkedin'
      WHEN 'm.facebook.com'
      THEN 'facebook'
      WHEN 'mastodon'
      THEN 'mastodon'
      WHEN 'mastodon.social'
      THEN 'mastodon'
      WHEN 'mobile.twitter.com'
      THEN 'x'
      WHEN 'mobile.x.com'
      THEN 'x'
      WHEN 't.co'
      THEN 'x'
      WHEN 'twitter'
      THEN 'x'
      WHEN 'twitter.com'
      THEN 'x'
      WHEN 'x'
      THEN 'x'
      WHEN 'x (twitter)'
      THEN 'x'
      WHEN 'x.com'
      THEN 'x'
      ELSE NULL
    END AS _src_platform
  FROM k4
), k6 AS (
  SELECT
    k5.*,
    COALESCE(_code_platform, _src_platform) AS platform,
    CASE WHEN _code_employee IN ('', 'brand') THEN NULL ELSE _code_employee END AS employee_id
  FROM k5
), k7 AS (
  SELECT
    k6.*,
    CASE
      WHEN NOT _src_platform IS NULL AND _med RLIKE '^(.*cp.*|ppc|retargeting|paid.*)$'
      THEN 'paid_social'
      WHEN NOT _src_platform IS NULL
      OR _med IN (
        'social',
        'social-network',
        'social-media',
        'sm',
        'social network',
        'social media'
      )
      THEN COALESCE(platform, 'social_other')
      WHEN COALESCE(_src, '') IN ('(direct)', '') AND _med IN ('(none)', '(not set)', '')
      THEN 'direct'
      WHEN _med = 'organic'
      THEN 'organic_search'
      WHEN _med IN ('cpc', 'ppc', 'paid')
      THEN 'paid_search'
      WHEN _med IN ('email', 'e-mail', 'newsletter')
      THEN 'email'
      WHEN _med = 'referral'
      THEN 'referral'
      ELSE 'other'
    END AS channel
  FROM k6
), classified AS (
  SELECT
    k7.*,
    CASE
      WHEN NOT _code_platform IS NULL
      THEN 'post_click'
      WHEN channel IN ('paid_social', 'paid_search')
      THEN 'paid'
      WHEN channel = 'direct'
      THEN 'direct'
      WHEN channel = 'organic_search'
      THEN 'search'
      WHEN channel IN ('email', 'referral')
      THEN channel
      ELSE 'web'
    END AS kind
  FROM k7
)
SELECT
  _contact AS contact_id,
  started_us AS ts_us,
  channel,
  session_id AS ref,
  platform,
  kind,
  post_id,
  employee_id,
  campaign
FROM classified
