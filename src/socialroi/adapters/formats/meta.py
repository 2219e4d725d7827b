"""Meta Business Suite exports: post exports (Facebook and Instagram) and page-level daily series.

``meta-posts``
    Insights › Content › Export, ``<Mon-DD-YYYY>_<Mon-DD-YYYY>_<id>.csv``: UTF-8 with a BOM, one
    row per post with its lifetime metrics (``Date`` holds the word ``Lifetime``). Facebook files
    have ``Page ID``/``Page name``, Instagram files ``Account ID``/``Account username``; headers
    come in the admin's language. Fills ``posts`` (platform facebook or instagram, the post id as
    the Graph API pull writes it: ``<page id>_<post id>`` on Facebook, the media id on Instagram;
    the account is the Page or Instagram user id; created_at from ``Publish time``, the text, the
    permalink as url; on Instagram the caption's first link as link_url, as the pull takes it)
    and one ``post_metrics`` snapshot per post: Views → impressions, Reach → reach, Reactions
    (Facebook) or Likes (Instagram) → likes, Comments, Shares, Saves, and Total clicks (else Link
    clicks) → clicks. The snapshot is taken at the end of the export's range when the file name
    tells it, else at the midnight after the latest post. Pre-2023 Page Insights post exports (a
    description row under the header, ``Lifetime Post Total Reach`` …) read too.
``meta-page``
    A page-level daily series (``Follows.csv``, ``Reach.csv``, ``Views.csv``, ``Visits.csv``):
    UTF-16 with a BOM, a ``sep=,`` line, the metric's name, then ``"Date","Primary"`` rows. Fills
    ``account_daily`` for the metric the file names: Follows → new_followers, Reach → reach,
    Views → impressions, Visits → page_views, Content interactions → engagements. The file names
    neither platform nor account: ``--set platform=facebook|instagram --set account_id=ID``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from socialroi.adapters._graph import first_url
from socialroi.adapters._raw import Book, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats import _social as s
from socialroi.adapters.formats._common import norm, pick, text, values
from socialroi.core.vocabulary import platform_of
from socialroi.errors import DataError

# -- meta-posts ---------------------------------------------------------------------------------
#: Logical column → the header in English, German, French, Spanish and Portuguese exports.
POST_HEADERS: dict[str, tuple[str, ...]] = {
    "post_id": (
        "Post ID",
        "Beitrags-ID",
        "ID de la publication",
        "ID de publication",
        "Identificador de la publicación",
        "ID de la publicación",
        "Identificação do post",
        "ID do post",
        "ID da publicação",
    ),
    "page_id": (
        "Page ID",
        "Seiten-ID",
        "ID de la Page",
        "Identifiant de la Page",
        "Identificador de la página",
        "ID de la página",
        "Identificação da Página",
        "ID da Página",
    ),
    "page_name": (
        "Page name",
        "Seitenname",
        "Nom de la Page",
        "Nombre de la página",
        "Nome da Página",
    ),
    "ig_id": (
        "Account ID",
        "Konto-ID",
        "ID du compte",
        "Identificador de la cuenta",
        "ID de la cuenta",
        "Identificação da conta",
        "ID da conta",
    ),
    "ig_username": (
        "Account username",
        "Benutzername des Kontos",
        "Nom d’utilisateur du compte",
        "Nom d'utilisateur du compte",
        "Nombre de usuario de la cuenta",
        "Nome de usuário da conta",
    ),
    "title": ("Title", "Titel", "Titre", "Título"),
    "description": ("Description", "Beschreibung", "Descripción", "Descrição", "Post Message"),
    "publish_time": (
        "Publish time",
        "Veröffentlichungszeitpunkt",
        "Veröffentlichungszeit",
        "Heure de publication",
        "Hora de publicación",
        "Horário de publicação",
        "Posted",
    ),
    "permalink": ("Permalink", "Lien permanent", "Enlace permanente", "Link permanente"),
    "is_share": (
        "Is share",
        "Ist geteilter Inhalt",
        "Est un partage",
        "Es contenido compartido",
        "É compartilhamento",
    ),
    "views": ("Views", "Aufrufe", "Vues", "Visualizaciones", "Visualizações"),
    "impressions": (
        "Impressions",
        "Impressionen",
        "Impresiones",
        "Impressões",
        "Lifetime Post Total Impressions",
    ),
    "reach": ("Reach", "Reichweite", "Couverture", "Alcance", "Lifetime Post Total Reach"),
    "reactions": ("Reactions", "Reaktionen", "Réactions", "Reacciones", "Reações"),
    "likes": (
        "Likes",
        "„Gefällt mir“-Angaben",
        "Gefällt mir",
        "J’aime",
        "J'aime",
        "Me gusta",
        "Curtidas",
    ),
    "comments": ("Comments", "Kommentare", "Commentaires", "Comentarios", "Comentários"),
    "shares": (
        "Shares",
        "Geteilte Inhalte",
        "Mal geteilt",
        "Partages",
        "Veces compartido",
        "Compartidos",
        "Compartilhamentos",
    ),
    "saves": ("Saves", "Gespeichert", "Enregistrements", "Guardados", "Salvamentos"),
    "total_clicks": (
        "Total clicks",
        "Klicks insgesamt",
        "Total des clics",
        "Clics totaux",
        "Clics totales",
        "Total de clics",
        "Total de cliques",
        "Cliques totais",
        "Lifetime Post Consumptions",
    ),
    "link_clicks": (
        "Link clicks",
        "Link-Klicks",
        "Clics sur un lien",
        "Clics sur le lien",
        "Clics en el enlace",
        "Cliques no link",
    ),
    # Pre-2023 Page Insights exports: "Lifetime Talking About This (Post) by action type - like".
    "legacy_likes": ("Lifetime Talking About This (Post) by action type - like",),
    "legacy_comments": ("Lifetime Talking About This (Post) by action type - comment",),
    "legacy_shares": ("Lifetime Talking About This (Post) by action type - share",),
}
#: "Yes" in the export languages (``Is share``).
YES = ("yes", "true", "1", "ja", "oui", "sí", "si", "sim")
_ANCHORS = ("post_id", "publish_time", "permalink", "page_id", "ig_id", "ig_username", "page_name")
#: ``Sep-01-2026_Sep-30-2026_104857600012345.csv``: the export's range and the page/account id.
RANGE_RE = re.compile(
    r"(?P<a>[A-Z][a-z]{2}-\d{1,2}-\d{4})_(?P<b>[A-Z][a-z]{2}-\d{1,2}-\d{4})_(?P<id>\d+)"
)
_ENGLISH = {norm(h) for h in ("Publish time", "Posted")}


def _names(*keys: str) -> list[str]:
    return [h for k in keys for h in POST_HEADERS[k]]


def _post_header(cells: Sequence[str]) -> bool:
    got = {norm(c) for c in cells if c}
    has = {k for k in _ANCHORS if any(norm(h) in got for h in POST_HEADERS[k])}
    return {"post_id", "permalink"} <= has and len(has) >= 3


def _header_index(rows: list[list[str]]) -> int | None:
    return next((i for i, row in enumerate(rows) if _post_header(row)), None)


def _described(rows: list[list[str]], at: int) -> bool:
    """Whether the row under the header at `at` describes the columns (pre-2023 exports)."""
    if at + 1 >= len(rows):
        return False
    header, below = rows[at], rows[at + 1]
    wanted = {norm(h) for h in POST_HEADERS["post_id"]}
    col = next((i for i, c in enumerate(header) if norm(c) in wanted), None)
    if col is None:
        return False
    cell = below[col] if col < len(below) else ""
    words = [c for c in below if c]
    return not re.fullmatch(r"[\d_]+", cell) and any(
        c.lower().startswith("lifetime") or len(c) > 30 for c in words
    )


class MetaPosts:
    """Meta Business Suite post export → posts and one post_metrics snapshot."""

    name = "meta-posts"
    title = "Meta Business Suite post export (Facebook and Instagram posts with lifetime metrics)"
    fills: tuple[str, ...] = ("posts", "post_metrics")

    def score(self, book: Book) -> int:
        if book.kind != "csv":
            return 0
        rows = book.peek()
        at = _header_index(rows)
        if at is None:
            return 0
        return 4

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        rows = book.peek()
        at = _header_index(rows)
        described = at is not None and _described(rows, at)
        raw = book.table(options.sheet, header=_post_header, two_header_rows=described)
        notes = list(raw.notes)
        if described:
            notes.append(
                "pre-2023 Page Insights export: the description row under the header skipped"
            )
        h = {k: pick(raw, *v) for k, v in POST_HEADERS.items()}
        instagram = h["ig_username"] is not None or (
            h["ig_id"] is not None and h["page_id"] is None
        )
        keep = text(raw, h["post_id"]).is_not_null()
        if not keep.all():
            notes.append(f"{int((~keep).sum())} row(s) without a post id skipped (totals)")
            raw = replace(raw, frame=raw.frame.filter(keep))
        file_id = _file_range(book.file)
        mapping: dict[str, str] = {}
        posts = _posts(
            raw,
            h,
            instagram=instagram,
            options=options,
            file_id=file_id,
            mapping=mapping,
            notes=notes,
        )
        as_of, when_note = _snapshot(book.file, file_id, posts.get_column("created_at"))
        notes.append(when_note)
        metrics, used = _metrics(raw, h, instagram)
        mapping.update(used)
        keys = pl.DataFrame(
            {
                "platform": posts.get_column("platform"),
                "post_id": posts.get_column("post_id"),
                "as_of": pl.Series([as_of] * posts.height, dtype=pl.Datetime("us", "UTC")),
            }
        )
        post_metrics = keys.with_columns(metrics.get_columns())
        warnings = [s.lifetime_warning(as_of)] if posts.height else []
        what = "Instagram" if instagram else "Facebook"
        return Loaded(
            format=self.name,
            tables={"posts": posts, "post_metrics": post_metrics},
            mapping=mapping,
            ignored=[c for c in raw.header if c not in mapping],
            notes=[f"{what} post export", *notes],
            warnings=warnings,
        )


def _ids(
    raw: RawTable,
    h: dict[str, str | None],
    *,
    instagram: bool,
    options: ReadOptions,
    file_id: tuple[datetime, datetime, str] | None,
    mapping: dict[str, str],
) -> tuple[pl.Series, pl.Series]:
    """(post id, account id) as the Graph API pull writes them.

    The account is the Page / Instagram user id column, else ``--set account_id``, else the id
    in the file name.
    """
    account_header = h["ig_id"] if instagram else h["page_id"]
    account = text(raw, account_header)
    if account_header is not None:
        mapping[account_header] = "posts.account_id"
    given = s.setting(options, "account_id") or (file_id[2] if file_id is not None else None)
    if given is not None:
        account = account.fill_null(given)
    post = text(raw, h["post_id"])
    mapping[str(h["post_id"])] = "posts.post_id, post_metrics.post_id"
    if instagram:
        return post, account
    # The Graph API names a Page post <page id>_<post id>; the export writes the second part
    # alone (pre-2023 exports wrote both).
    ids = pl.DataFrame({"p": post, "a": account}).select(
        pl.when(pl.col("p").str.contains("_") | pl.col("a").is_null())
        .then(pl.col("p"))
        .otherwise(pl.format("{}_{}", pl.col("a"), pl.col("p")))
        .alias("p"),
        pl.coalesce(pl.col("a"), pl.col("p").str.extract(r"^(\d+)_", 1)).alias("a"),
    )
    return ids.get_column("p"), ids.get_column("a")


def _posts(
    raw: RawTable,
    h: dict[str, str | None],
    *,
    instagram: bool,
    options: ReadOptions,
    file_id: tuple[datetime, datetime, str] | None,
    mapping: dict[str, str],
    notes: list[str],
) -> pl.DataFrame:
    post, account = _ids(
        raw, h, instagram=instagram, options=options, file_id=file_id, mapping=mapping
    )
    english = h["publish_time"] is not None and norm(h["publish_time"]) in _ENGLISH
    created, date_notes = s.when(
        raw,
        h["publish_time"],
        "datetime",
        options,
        default="mdy" if english else "dmy",
        export="Meta (month first in en-US exports, day first in other languages)",
    )
    notes += date_notes
    if h["publish_time"] is not None:
        mapping[h["publish_time"]] = "posts.created_at"
    body = text(raw, h["description"])
    if h["description"] is not None:
        mapping[h["description"]] = "posts.text"
    if h["title"] is not None:
        body = pl.select(pl.coalesce(body, text(raw, h["title"]))).to_series()
        mapping[h["title"]] = "posts.text (when the description is empty)"
    n = raw.frame.height
    kind = pl.Series(["broadcast"] * n, dtype=pl.String)
    if h["is_share"] is not None:
        share = text(raw, h["is_share"]).str.to_lowercase().is_in(YES).fill_null(False)
        kind = share.replace_strict({True: "share", False: "broadcast"}, return_dtype=pl.String)
        mapping[h["is_share"]] = "posts.kind"
    cols: dict[str, pl.Series] = {
        "platform": pl.Series(["instagram" if instagram else "facebook"] * n, dtype=pl.String),
        "post_id": post,
        "account_id": account,
        "created_at": created.cast(pl.Datetime("us", "UTC")),
        "text": body,
        "kind": kind,
    }
    if h["permalink"] is not None:
        cols["url"] = text(raw, h["permalink"])
        mapping[h["permalink"]] = "posts.url"
    posts = pl.DataFrame(cols)
    if instagram:
        # The Instagram pull takes a post's link from its caption: so does the import.
        links = pl.Series([first_url(t) for t in body.to_list()], dtype=pl.String)
        posts = posts.with_columns(s.link_frame(links).get_columns())
    if posts.get_column("account_id").is_null().all():
        posts = posts.drop("account_id")
        notes.append(
            "the file names no page or account id: posts keep the account the store has "
            "(give --set account_id=ID to set it)"
        )
    return posts


def _metrics(
    raw: RawTable, h: dict[str, str | None], instagram: bool
) -> tuple[pl.DataFrame, dict[str, str]]:
    """post_metrics counters from the export's columns; header → column used."""
    likes = (
        ("likes", "reactions", "legacy_likes")
        if instagram
        else ("reactions", "likes", "legacy_likes")
    )
    sources: dict[str, tuple[str, ...]] = {
        "impressions": ("views", "impressions"),
        "reach": ("reach",),
        "likes": likes,
        "comments": ("comments", "legacy_comments"),
        "shares": ("shares", "legacy_shares"),
        "saves": ("saves",),
        "clicks": ("total_clicks", "link_clicks"),
    }
    cols: list[pl.Series] = []
    used: dict[str, str] = {}
    for column, keys in sources.items():
        header = next((h[k] for k in keys if h[k] is not None), None)
        if header is None:
            continue
        cols.append(s.counts(raw, header).alias(column))
        used[header] = f"post_metrics.{column}"
    return pl.DataFrame(cols), used


def _file_range(file: str) -> tuple[datetime, datetime, str] | None:
    """(first day, last day, page or account id) from a ``Sep-01-2026_Sep-30-2026_ID`` name."""
    m = RANGE_RE.search(Path(file).name)
    if m is None:
        return None
    try:
        a = datetime.strptime(m.group("a"), "%b-%d-%Y").replace(tzinfo=UTC)
        b = datetime.strptime(m.group("b"), "%b-%d-%Y").replace(tzinfo=UTC)
    except ValueError:
        return None
    return a, b, m.group("id")


def _snapshot(
    file: str, found: tuple[datetime, datetime, str] | None, created: pl.Series
) -> tuple[datetime, str]:
    """When the lifetime metrics were taken, and a note saying how that was decided."""
    if found is not None:
        end = found[1].date()
        at = s.next_midnight(end)
        return at, (
            f"metrics as of {at:%Y-%m-%d %H:%M} UTC: the end of the export's range "
            f"({found[0]:%Y-%m-%d} to {end:%Y-%m-%d}, from the file name)"
        )
    latest = created.max()
    if isinstance(latest, datetime):
        at = s.next_midnight(latest)
        return at, (
            f"metrics as of {at:%Y-%m-%d %H:%M} UTC: the midnight after the latest post (the "
            "file name does not give the export's range)"
        )
    raise DataError("no post has a publish time, so the metrics' date is unknown", file=file)


# -- meta-page ----------------------------------------------------------------------------------
SERIES_HEADERS = {
    "date": ("Date", "Datum", "Fecha", "Data"),
    "value": ("Primary", "Primär", "Principal", "Principale", "Primario", "Primária"),
}
#: A series' metric name (any case) → account_daily column.
SERIES_METRICS: dict[str, str] = {
    **dict.fromkeys(
        (
            "follows",
            "new follows",
            "facebook follows",
            "instagram follows",
            "new followers",
            "neue follower",
            "abonnements",
            "nouveaux abonnés",
            "seguimientos",
            "nuevos seguidores",
            "seguidores",
            "novos seguidores",
        ),
        "new_followers",
    ),
    **dict.fromkeys(
        (
            "reach",
            "facebook reach",
            "instagram reach",
            "reichweite",
            "couverture",
            "alcance",
        ),
        "reach",
    ),
    **dict.fromkeys(
        (
            "views",
            "facebook views",
            "instagram views",
            "aufrufe",
            "vues",
            "visualizaciones",
            "visualizações",
        ),
        "impressions",
    ),
    **dict.fromkeys(
        (
            "visits",
            "page visits",
            "facebook page visits",
            "facebook visits",
            "instagram profile visits",
            "profile visits",
            "besuche",
            "visites",
            "visitas",
        ),
        "page_views",
    ),
    **dict.fromkeys(
        (
            "content interactions",
            "interactions",
            "interaktionen mit inhalten",
            "interactions avec le contenu",
            "interacciones con el contenido",
            "interações com o conteúdo",
        ),
        "engagements",
    ),
}


def _series_header(cells: Sequence[str]) -> bool:
    got = [norm(c) for c in cells if c]
    dates = {norm(x) for x in SERIES_HEADERS["date"]}
    prim = {norm(x) for x in SERIES_HEADERS["value"]}
    return len(got) == 2 and got[0] in dates and got[1] in prim


def _metric_name(rows: list[list[str]]) -> str | None:
    """The one-cell line above the ``Date,Primary`` header: the series' metric."""
    for i, row in enumerate(rows):
        if _series_header(row):
            above = [r for r in rows[:i] if r and any(r)]
            for r in reversed(above):
                cells = [c for c in r if c]
                if len(cells) == 1 and not cells[0].lower().startswith("sep="):
                    return cells[0].strip().strip('"')
            return None
    return None


class MetaPage:
    """A Meta page-level daily series (UTF-16, ``sep=,``) → account_daily."""

    name = "meta-page"
    title = "Meta Business Suite page daily series (Follows, Reach, Views, Visits)"
    fills: tuple[str, ...] = ("account_daily",)

    def score(self, book: Book) -> int:
        if book.kind != "csv":
            return 0
        rows = book.peek(rows=10)
        if not any(_series_header(r) for r in rows):
            return 0
        return 4 if _metric_name(rows) is not None else 2

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        metric = _metric_name(book.peek(rows=10))
        column = SERIES_METRICS.get((metric or "").strip().lower())
        if column is None:
            known = "Follows, Reach, Views, Visits, Content interactions"
            raise DataError(
                f"the series '{metric or '?'}' has no column in account_daily; series that load: "
                f"{known}",
                file=book.file,
            )
        platform_given = s.setting(options, "platform")
        platform = platform_of(platform_given) if platform_given else None
        account = s.setting(options, "account_id")
        if platform not in ("facebook", "instagram") or account is None:
            raise DataError(
                "a Meta daily series names neither its platform nor its account: add "
                "--set platform=facebook (or instagram) --set account_id=ID (the Page id or the "
                "Instagram account id, as the pull's page_id / ig_user_id)",
                file=book.file,
            )
        raw = book.table(options.sheet, header=_series_header)
        date_h, value_h = raw.header[0], raw.header[1]
        day = values(raw, date_h, "date", required=True)
        count = s.counts(raw, value_h)
        n = raw.frame.height
        daily = pl.DataFrame(
            {
                "platform": pl.Series([platform] * n, dtype=pl.String),
                "account_id": pl.Series([account] * n, dtype=pl.String),
                "date": day,
                column: count,
            }
        )
        return Loaded(
            format=self.name,
            tables={"account_daily": daily},
            mapping={date_h: "account_daily.date", value_h: f"account_daily.{column}"},
            ignored=[c for c in raw.header if c not in (date_h, value_h)],
            notes=[
                f"{metric} daily series for {platform} account {account} → {column}",
                *raw.notes,
            ],
        )


FORMATS = (MetaPosts(), MetaPage())
