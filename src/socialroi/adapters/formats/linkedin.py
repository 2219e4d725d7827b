"""LinkedIn Page analytics exports (Page admin › Analytics › Export), ``.xls`` or ``.xlsx``.

One format, ``linkedin-page``, reads every file the Page analytics export gives; each sheet is
recognised by its header cells (in English, German, French, Spanish or Portuguese), which sit
under one note row in the content files and on row 1 in the followers and visitors files:

content (``<page>_content_<ms>.xls``; before 2023 ``<page>_updates_<ms>.xls``)
    ``Metrics`` (``Update metrics (aggregated)``): one row per day → ``account_daily``:
    impressions and engagements (reactions + comments + reposts + clicks) organic, as the
    LinkedIn pull counts them (the organization share statistics are organic only; the total is
    used when a file has no organic columns), and reach from ``Unique impressions (organic)``.
    ``All posts`` (``Update engagement``): one row per post → ``posts`` and one
    ``post_metrics`` snapshot (impressions, clicks, likes = reactions, comments, shares =
    reposts, ``Shares`` in older files). A post's id is the URN in its ``Post link``
    (``urn:li:activity:N``; a ``urn:li:share:``/``urn:li:ugcPost:`` link is used as it is) and
    its url is the link. The snapshot is taken at the midnight after the Metrics sheet's last day
    (else after the newest post).
followers (``<page>_followers_<ms>.xls``)
    ``New followers``: ``Total followers`` is the number of NEW followers that day (sponsored +
    organic + auto-invited), loaded as ``account_daily.new_followers``, never as the follower
    total. A day whose net change is negative (more unfollows) is left empty. The demographic
    sheets (location, job function, seniority, industry, company size) have no table.
visitors (``<page>_visitors_<ms>.xls``)
    ``Visitor metrics``: ``Total page views (total)`` → page_views and ``Total unique visitors
    (total)`` → visitors per day.

The files do not name the page's organization: ``--set account_id=urn:li:organization:N`` (or
the number alone), unless the file name starts with the organization number.

Why the activity URN: the export names a post by its activity (``/feed/update/urn:li:activity:N``)
while the API's ``/rest/posts`` names it ``urn:li:share:M`` or ``urn:li:ugcPost:M``; only the
Data Portability API's Activities resolver maps one to the other, so the import keeps the URN
the file gives and the post's web address in ``url``; ``adapters/linkedin_ids.py`` then makes it
one post with the pulled share/ugcPost, matched by the creation time both ids carry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import polars as pl

from socialroi.adapters._raw import Book, HeaderRule, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats import _social as s
from socialroi.adapters.formats._common import norm, pick, text, values
from socialroi.errors import DataError

DATE = ("Date", "Datum", "Fecha", "Data")


def _variants(en: str, de: str, fr: str, es: Sequence[str], pt: Sequence[str]) -> tuple[str, ...]:
    return (en, de, fr, *es, *pt)


#: Daily content metrics (the Metrics / Update metrics sheet).
METRICS: dict[str, tuple[str, ...]] = {
    "date": DATE,
    "impressions_organic": _variants(
        "Impressions (organic)",
        "Impressionen (organisch)",
        "Impressions (organiques)",
        ["Impresiones (orgánicas)"],
        ["Impressões (orgânicas)"],
    ),
    "impressions_total": _variants(
        "Impressions (total)",
        "Impressionen (gesamt)",
        "Impressions (total)",
        ["Impresiones totales", "Impresiones (total)"],
        ["Impressões (total)"],
    ),
    "unique_organic": _variants(
        "Unique impressions (organic)",
        "Eindeutige Impressionen (organisch)",
        "Impressions uniques (organiques)",
        ["Impresiones únicas (orgánicas)"],
        ["Impressões únicas (orgânicas)"],
    ),
    "clicks_organic": _variants(
        "Clicks (organic)",
        "Klicks (organisch)",
        "Clics (organiques)",
        ["Clics (orgánicos)"],
        ["Cliques (orgânicos)"],
    ),
    "clicks_total": _variants(
        "Clicks (total)",
        "Klicks (gesamt)",
        "Clics (total)",
        ["Clics (Totales)", "Clics (total)"],
        ["Cliques (total)"],
    ),
    "reactions_organic": _variants(
        "Reactions (organic)",
        "Reaktionen (organisch)",
        "Réactions (organiques)",
        ["Reacciones (generales)", "Reacciones (orgánicas)"],
        ["Reações (orgânicas)"],
    ),
    "reactions_total": _variants(
        "Reactions (total)",
        "Reaktionen (gesamt)",
        "Réactions (total)",
        ["Reacciones (total)"],
        ["Reações (total)"],
    ),
    "comments_organic": _variants(
        "Comments (organic)",
        "Kommentare (organisch)",
        "Commentaires (organiques)",
        ["Comentarios (orgánicos)"],
        ["Comentários (orgânicos)"],
    ),
    "comments_total": _variants(
        "Comments (total)",
        "Kommentare (gesamt)",
        "Commentaires (total)",
        ["Comentarios (totales)", "Comentarios (total)"],
        ["Comentários (total)"],
    ),
    "reposts_organic": (
        *_variants(
            "Reposts (organic)",
            "Reposts (organisch)",
            "Republications (organiques)",
            ["Veces compartido (orgánico)"],
            ["Compartilhamentos (orgânicos)", "Republicações (orgânicas)"],
        ),
        "Shares (organic)",
        "Geteilte Inhalte (organisch)",
        "Partages (organiques)",
    ),
    "reposts_total": (
        *_variants(
            "Reposts (total)",
            "Reposts (gesamt)",
            "Republications (total)",
            ["Veces compartido (total)"],
            ["Compartilhamentos (total)", "Republicações (total)"],
        ),
        "Shares (total)",
        "Geteilte Inhalte (gesamt)",
        "Partages (total)",
    ),
}
#: One row per post (the All posts / Update engagement sheet).
POSTS: dict[str, tuple[str, ...]] = {
    "title": (
        "Post title",
        "Update title",
        "Beitragstitel",
        "Titel des Beitrags",
        "Titre du post",
        "Titre de la publication",
        "Título de la publicación",
        "Título da publicação",
    ),
    "link": (
        "Post link",
        "Update link",
        "Beitragslink",
        "Link zum Beitrag",
        "Lien du post",
        "Lien de la publication",
        "Enlace de la publicación",
        "Link da publicação",
    ),
    "created": (
        "Created date",
        "Erstellungsdatum",
        "Date de création",
        "Fecha de creación",
        "Criação",
        "Data de criação",
    ),
    "impressions": ("Impressions", "Impressionen", "Impresiones", "Impressões"),
    "clicks": ("Clicks", "Klicks", "Clics", "Cliques"),
    "likes": (
        "Likes",
        "Reactions",
        "Reaktionen",
        "Gefällt mir",
        "Réactions",
        "J’aime",
        "J'aime",
        "Recomendaciones",
        "Reacciones",
        "Gostaram",
        "Reações",
    ),
    "comments": ("Comments", "Kommentare", "Commentaires", "Comentarios", "Comentários"),
    "shares": (
        "Reposts",
        "Shares",
        "Geteilte Inhalte",
        "Republications",
        "Partages",
        "Veces compartido",
        "Compartilhamentos",
        "Republicações",
    ),
}
FOLLOWERS: dict[str, tuple[str, ...]] = {
    "date": DATE,
    "total": (
        "Total followers",
        "Follower insgesamt",
        "Abonnés au total",
        "Total des abonnés",
        "Total de seguidores",
    ),
    "organic": (
        "Organic followers",
        "Organische Follower",
        "Abonnés naturels",
        "Abonnés organiques",
        "Seguidores orgánicos",
        "Seguidores orgânicos",
    ),
    "sponsored": (
        "Sponsored followers",
        "Gesponserte Follower",
        "Abonnés sponsorisés",
        "Seguidores patrocinados",
    ),
}
VISITORS: dict[str, tuple[str, ...]] = {
    "date": DATE,
    "views": (
        "Total page views (total)",
        "All page views (total)",
        "Page views (total)",
        "Seitenaufrufe insgesamt (gesamt)",
        "Nombre total de vues de la page (total)",
        "Total de vistas de la página (total)",
        "Total de visualizaciones de la página (total)",
        "Total de visualizações da página (total)",
    ),
    "visitors": (
        "Total unique visitors (total)",
        "All unique visitors (total)",
        "Unique visitors (total)",
        "Einzelne Besucher insgesamt (gesamt)",
        "Nombre total de visiteurs uniques (total)",
        "Total de visitantes únicos (total)",
    ),
}

#: Sheet kind → (headers, the ones a header row must hold at least 3 of, sheet names).
SHEETS: dict[str, tuple[dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...]]] = {
    "metrics": (
        METRICS,
        ("date", "impressions_organic", "impressions_total", "unique_organic", "clicks_total"),
        (
            "Metrics",
            "Update metrics (aggregated)",
            "Kennzahlen",
            "Indicateurs",
            "Indicadores",
            "Métricas",
        ),
    ),
    "posts": (
        POSTS,
        ("title", "link", "created", "impressions"),
        (
            "All posts",
            "Update engagement",
            "Alle Beiträge",
            "Tous les posts",
            "Toutes les publications",
            "Todas las publicaciones",
            "Todas as publicações",
        ),
    ),
    "followers": (
        FOLLOWERS,
        ("date", "total", "organic", "sponsored"),
        (
            "New followers",
            "Neue Follower",
            "Nouveaux abonnés",
            "Nuevos seguidores",
            "Novos seguidores",
        ),
    ),
    "visitors": (
        VISITORS,
        ("date", "views", "visitors"),
        (
            "Visitor metrics",
            "Besucherkennzahlen",
            "Indicateurs de visiteurs",
            "Métricas de visitantes",
        ),
    ),
}
#: The number in ``12345678_content_1727740800000.xls`` (pages exported under their id).
FILE_ORG_RE = re.compile(r"^(\d+)_(?:content|updates|followers|visitors)_", re.IGNORECASE)
URN_RE = re.compile(r"urn:li:(?:activity|share|ugcPost):\d+", re.IGNORECASE)
EXPORT = "LinkedIn (month first in every language)"


def _is(kind: str, cells: Sequence[str]) -> bool:
    heads, anchors, _ = SHEETS[kind]
    got = {norm(c) for c in cells if c}
    hits = sum(any(norm(h) in got for h in heads[a]) for a in anchors)
    return hits >= min(3, len(anchors))


def _rule(kind: str) -> HeaderRule:
    def rule(cells: Sequence[str]) -> bool:
        return _is(kind, cells)

    return rule


def _kinds(book: Book) -> dict[str, str]:
    """Sheet name → kind, for the sheets whose header (in the first rows) this format knows."""
    found: dict[str, str] = {}
    for name in book.sheet_names:
        rows = book.peek(name, rows=6)
        for kind in SHEETS:
            if kind not in found.values() and any(_is(kind, r) for r in rows):
                found[name] = kind
                break
    return found


class LinkedInPage:
    """LinkedIn Page content, followers and visitors exports → posts, metrics, account_daily."""

    name = "linkedin-page"
    title = "LinkedIn Page analytics export (content / updates, followers, visitors; .xls, .xlsx)"
    fills: tuple[str, ...] = ("posts", "post_metrics", "account_daily")

    def score(self, book: Book) -> int:
        if book.kind != "excel":
            return 0
        kinds = _kinds(book)
        if not kinds:
            return 0
        known = {norm(n) for _, _, names in SHEETS.values() for n in names}
        return 5 if any(norm(n) in known for n in kinds) else 3

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        kinds = _kinds(book)
        if options.sheet is not None:
            kinds = {n: k for n, k in kinds.items() if n == options.sheet}
        if not kinds:
            raise DataError(
                "no sheet of this workbook is a LinkedIn Page export sheet (Metrics, All posts, "
                "New followers, Visitor metrics)",
                file=book.file,
            )
        account = _account(book, options)
        tables: dict[str, pl.DataFrame] = {}
        mapping: dict[str, str] = {}
        ignored: list[str] = []
        notes: list[str] = []
        warnings: list[str] = []
        daily: list[pl.DataFrame] = []
        raws = {kind: book.table(name, header=_rule(kind)) for name, kind in kinds.items()}
        last_day: datetime | None = None
        for kind, raw in raws.items():
            notes += [f"sheet '{raw.sheet}': {n}" for n in raw.notes]
            used: dict[str, str]
            if kind == "metrics":
                frame, used, more = _metrics(raw, account, options)
                daily.append(frame)
                if frame.height:
                    last_day = s.next_midnight(frame.get_column("date").max())  # type: ignore[arg-type]
            elif kind == "followers":
                frame, used, more = _followers(raw, account, options)
                daily.append(frame)
            elif kind == "visitors":
                frame, used, more = _visitors(raw, account, options)
                daily.append(frame)
            else:
                continue
            notes += more
            mapping.update({f"{raw.sheet} › {h}": c for h, c in used.items()})
            ignored += [f"{raw.sheet} › {h}" for h in raw.header if h not in used]
        if "posts" in raws:
            raw = raws["posts"]
            posts, metrics, used, more, as_of = _posts(raw, account, options, last_day)
            tables["posts"], tables["post_metrics"] = posts, metrics
            notes += more
            mapping.update({f"{raw.sheet} › {h}": c for h, c in used.items()})
            ignored += [f"{raw.sheet} › {h}" for h in raw.header if h not in used]
            if posts.height:
                warnings.append(s.lifetime_warning(as_of))
        if daily:
            tables["account_daily"] = _merge_daily(daily)
        other = [n for n in book.sheet_names if n not in kinds]
        if other:
            notes.append(f"sheets with no table skipped: {', '.join(other)}")
        what = ", ".join(f"{n} ({k})" for n, k in kinds.items())
        return Loaded(
            format=self.name,
            tables=tables,
            mapping=mapping,
            ignored=ignored,
            notes=[f"LinkedIn Page export, sheets {what}; organization {account}", *notes],
            warnings=warnings,
        )


def _account(book: Book, options: ReadOptions) -> str:
    given = s.setting(options, "account_id")
    m = FILE_ORG_RE.match(Path(book.file).name)
    if given is None and m is not None:
        given = m.group(1)
    if given is not None:
        org = given.rsplit(":", 1)[-1] if given.startswith("urn:li:organization:") else given
        if org.isdigit():
            return f"urn:li:organization:{org}"
        raise DataError(
            "account_id must be the page's organization, urn:li:organization:NUMBER, "
            f"got {given!r}",
            file=book.file,
        )
    raise DataError(
        "a LinkedIn Page export does not name its organization: add "
        "--set account_id=urn:li:organization:NUMBER (the number in the page admin's address, "
        "linkedin.com/company/NUMBER/admin, as the pull's organization_id)",
        file=book.file,
    )


def _constant(n: int, value: str) -> pl.Series:
    return pl.Series([value] * n, dtype=pl.String)


def _days(raw: RawTable, header: str, options: ReadOptions) -> tuple[pl.Series, list[str]]:
    day, notes = s.when(raw, header, "date", options, default="mdy", export=EXPORT)
    if day.is_null().any():
        values(raw, header, "date", dates=options.dates or "mdy", required=True)
    return day.cast(pl.Date), notes


def _ints(raw: RawTable, header: str | None) -> pl.Series | None:
    return None if header is None else s.counts(raw, header)


def _metrics(
    raw: RawTable, account: str, options: ReadOptions
) -> tuple[pl.DataFrame, dict[str, str], list[str]]:
    h = {k: pick(raw, *v) for k, v in METRICS.items()}
    date_h = h["date"] or raw.header[0]
    day, notes = _days(raw, date_h, options)
    used = {date_h: "account_daily.date"}
    organic = h["impressions_organic"] is not None
    tag = "organic" if organic else "total"
    if not organic:
        notes.append("no organic columns: impressions and engagements are the totals")
    cols: dict[str, pl.Series] = {}
    imp = h[f"impressions_{tag}"]
    if imp is not None:
        cols["impressions"] = s.counts(raw, imp)
        used[imp] = "account_daily.impressions"
    parts = [h[f"{p}_{tag}"] for p in ("reactions", "comments", "reposts", "clicks")]
    present = [p for p in parts if p is not None]
    if present:
        got = [s.counts(raw, p) for p in present]
        frame = pl.DataFrame(got)
        total = frame.select(
            pl.when(pl.any_horizontal(pl.all().is_not_null()))
            .then(pl.sum_horizontal(pl.all()))
            .cast(pl.Int64)
        ).to_series()
        cols["engagements"] = total
        for p in present:
            used[p] = "account_daily.engagements"
    if h["unique_organic"] is not None:
        cols["reach"] = s.counts(raw, h["unique_organic"])
        used[h["unique_organic"]] = "account_daily.reach"
    n = raw.frame.height
    out = pl.DataFrame(
        {
            "platform": _constant(n, "linkedin"),
            "account_id": _constant(n, account),
            "date": day,
            **{k: v.alias(k) for k, v in cols.items()},
        }
    )
    return out, used, notes


def _followers(
    raw: RawTable, account: str, options: ReadOptions
) -> tuple[pl.DataFrame, dict[str, str], list[str]]:
    h = {k: pick(raw, *v) for k, v in FOLLOWERS.items()}
    date_h = h["date"] or raw.header[0]
    day, notes = _days(raw, date_h, options)
    total_h = h["total"]
    if total_h is None:
        raise DataError("no 'Total followers' column", file=raw.file, row=raw.header_row)
    got = s.counts(raw, total_h)
    negative = (got < 0).fill_null(False)
    if negative.any():
        notes.append(
            f"{int(negative.sum())} day(s) with a negative net change (more unfollows than new "
            f"followers) left empty in new_followers"
        )
    new = pl.select(pl.when(~negative).then(got)).to_series()
    n = raw.frame.height
    out = pl.DataFrame(
        {
            "platform": _constant(n, "linkedin"),
            "account_id": _constant(n, account),
            "date": day,
            "new_followers": new,
        }
    )
    notes.append(
        f"'{total_h}' is the number of new followers each day (not the follower total): "
        "loaded as new_followers"
    )
    return out, {date_h: "account_daily.date", total_h: "account_daily.new_followers"}, notes


def _visitors(
    raw: RawTable, account: str, options: ReadOptions
) -> tuple[pl.DataFrame, dict[str, str], list[str]]:
    h = {k: pick(raw, *v) for k, v in VISITORS.items()}
    date_h = h["date"] or raw.header[0]
    day, notes = _days(raw, date_h, options)
    n = raw.frame.height
    cols: dict[str, pl.Series] = {
        "platform": _constant(n, "linkedin"),
        "account_id": _constant(n, account),
        "date": day,
    }
    used = {date_h: "account_daily.date"}
    for key, column in (("views", "page_views"), ("visitors", "visitors")):
        header = h[key]
        if header is not None:
            cols[column] = s.counts(raw, header)
            used[header] = f"account_daily.{column}"
    return pl.DataFrame(cols), used, notes


def _merge_daily(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """One account_daily frame: several sheets' columns for the same day side by side."""
    key = ["platform", "account_id", "date"]
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f, on=key, how="full", coalesce=True)
    return out.sort("date")


def post_urn(link: str | None) -> str | None:
    """The post URN written in a LinkedIn post link (``…/feed/update/urn:li:activity:N/``)."""
    if not link:
        return None
    m = URN_RE.search(unquote(link))
    if m is None:
        return None
    kind, number = m.group(0).split(":")[2:]
    spelled = {"activity": "activity", "share": "share", "ugcpost": "ugcPost"}[kind.lower()]
    return f"urn:li:{spelled}:{number}"


def _posts(
    raw: RawTable, account: str, options: ReadOptions, last_day: datetime | None
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str], list[str], datetime]:
    h = {k: pick(raw, *v) for k, v in POSTS.items()}
    link_h = h["link"]
    if link_h is None:
        raise DataError("no post link column", file=raw.file, row=raw.header_row)
    links = text(raw, link_h)
    urns = pl.Series([post_urn(x) for x in links.to_list()], dtype=pl.String)
    missing = urns.is_null() & links.is_not_null()
    if missing.any():
        i = int(missing.arg_true()[0])
        raise DataError(
            f"the post link {links[i]!r} holds no urn:li:activity/share/ugcPost id",
            file=raw.file,
            row=int(raw.frame.get_column("_row")[i]),
            column=link_h,
        )
    notes: list[str] = []
    keep = urns.is_not_null()
    if not keep.all():
        notes.append(f"{int((~keep).sum())} row(s) without a post link skipped")
    created, more = (
        s.when(raw, h["created"], "datetime", options, default="mdy", export=EXPORT)
        if h["created"] is not None
        else (text(raw, None), [])
    )
    notes += more
    n = raw.frame.height
    used: dict[str, str] = {link_h: "posts.post_id, posts.url, post_metrics.post_id"}
    posts = pl.DataFrame(
        {
            "platform": _constant(n, "linkedin"),
            "post_id": urns,
            "account_id": _constant(n, account),
            "created_at": created.cast(pl.Datetime("us", "UTC")),
            "text": text(raw, h["title"]),
            "kind": _constant(n, "broadcast"),
            "url": links,
        }
    )
    if h["created"] is not None:
        used[h["created"]] = "posts.created_at"
    if h["title"] is not None:
        used[h["title"]] = "posts.text"
    if last_day is not None:
        as_of = last_day
        notes.append(
            f"post metrics as of {as_of:%Y-%m-%d %H:%M} UTC: the end of the Metrics sheet's "
            "last day"
        )
    else:
        newest = posts.get_column("created_at").max()
        if not isinstance(newest, datetime):
            raise DataError(
                "no post has a created date, so the metrics' date is unknown", file=raw.file
            )
        as_of = s.next_midnight(newest)
        notes.append(
            f"post metrics as of {as_of:%Y-%m-%d %H:%M} UTC: the midnight after the newest post"
        )
    cols: dict[str, pl.Series] = {
        "platform": posts.get_column("platform"),
        "post_id": urns,
        "as_of": pl.Series([as_of] * n, dtype=pl.Datetime("us", "UTC")),
    }
    for key in ("impressions", "clicks", "likes", "comments", "shares"):
        header = h[key]
        if header is not None:
            cols[key] = s.counts(raw, header)
            used[header] = f"post_metrics.{key}"
    metrics = pl.DataFrame(cols)
    return posts.filter(keep), metrics.filter(keep), used, notes, as_of


FORMATS = (LinkedInPage(),)
