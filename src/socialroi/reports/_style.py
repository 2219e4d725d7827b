"""The report's stylesheet and its one small script.

Screen: one column up to 1120 px; under NARROW px every table marked ``reflow`` turns each row
into a card (cells labelled by their column), the deals and policy options tables (``wide``)
already under WIDE_REFLOW px; a
table still wider than its box scrolls inside it, with shadows at the edges and a line saying
so; the contents line becomes one strip that scrolls sideways.

Print (A4 or Letter, 12 mm margins): no navigation, sections one after the other with headings
kept with what follows, no chart, card or table row split across pages, charts redrawn at the
page's width (at most PRINT_WIDTH × PRINT_HEIGHT px) when printing starts and back after.
"""

from __future__ import annotations

NARROW = 680
WIDE_REFLOW = 900
PRINT_WIDTH = 700
PRINT_HEIGHT = 600


def _reflow(sel: str) -> str:
    """Rules that show each row of tables `sel` as a card of label/value lines."""
    return (
        f"{sel},{sel} tbody,{sel} tr,{sel} td{{display:block;width:auto}}"
        f"{sel} thead{{display:none}}"
        f"{sel} tr{{border:1px solid var(--line);border-radius:8px;padding:6px 10px;"
        "margin:0 0 8px}"
        f"{sel} td{{border:0;padding:2px 0;text-align:right;white-space:normal;min-width:0;"
        "overflow-wrap:anywhere}"
        f"{sel} td::before{{content:attr(data-label);float:left;color:var(--mute);"
        "font-weight:600;text-align:left;margin-right:12px;max-width:55%}"
        f"{sel} td:first-child{{text-align:left;font-weight:600;padding-bottom:4px}}"
        f"{sel} td:first-child::before{{display:none}}"
        f"{sel} td.wide,{sel} td.text{{text-align:left}}"
        f"{sel} td.wide::before,{sel} td.text::before{{float:none;display:block}}"
        f".scroll:has(> {sel}){{overflow:visible;background:none}}"
    )


CSS = (
    """
:root { --ink:#1f2937; --mute:#6b7280; --line:#e5e7eb; --blue:#2563eb; --bg:#f8fafc; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
header, main, footer { max-width:1120px; margin:0 auto; padding:0 20px; }
header { padding-top:24px; }
h1 { font-size:1.6rem; margin:0 0 4px; line-height:1.25; }
h2 { font-size:1.2rem; margin:0 0 12px; }
h3 { font-size:1.02rem; margin:18px 0 6px; }
.sub, .note { color:var(--mute); margin:0 0 8px; }
.note { font-size:.88rem; }
section { background:#fff; border:1px solid var(--line); border-radius:10px;
  padding:18px 20px; margin:18px 0; min-width:0; }
nav.toc { margin:10px 0 0; font-size:.9rem; }
nav.toc a { color:var(--blue); margin-right:14px; text-decoration:none; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(180px,1fr)); gap:12px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
.card .label { color:var(--mute); font-size:.85rem; }
.card .value { font-size:1.6rem; font-weight:650; overflow-wrap:anywhere; }
.card .detail { color:var(--mute); font-size:.82rem; }
.card.rec { grid-column:1/-1; border-color:#93c5fd; background:#eff6ff; }
.card.rec .value { font-size:1.05rem; font-weight:600; }
.card.rec .detail { color:var(--ink); font-size:.9rem; }
.card.rec.unsure { border-color:#fcd34d; background:#fffbeb; }
.good { color:#15803d; } .bad { color:#b91c1c; }
.flag { border-left:3px solid #f59e0b; padding:4px 10px; background:#fffbeb; margin:8px 0;
  font-size:.9rem; }
.scroll { overflow-x:auto; max-width:100%;
  background:
    linear-gradient(to right,#fff 30%,rgba(255,255,255,0)) left/24px 100% no-repeat local,
    linear-gradient(to left,#fff 30%,rgba(255,255,255,0)) right/24px 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%,rgba(0,0,0,.2),transparent)
      left/10px 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.2),transparent)
      right/10px 100% no-repeat scroll; }
.scroll.more::before { content:"Scroll sideways for more columns →"; display:block; position:sticky;
  left:0; color:var(--mute); font-size:.78rem; }
table { border-collapse:collapse; width:100%; font-size:.88rem; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--mute); font-weight:600; }
td.date { white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.num { white-space:nowrap; }
td.text { min-width:220px; }
td.wide { min-width:260px; }
table.options td.num { white-space:normal; }
.path { display:flex; flex-wrap:wrap; gap:4px; align-items:center; }
.step { border:1px solid var(--line); border-radius:6px; padding:1px 6px; font-size:.8rem;
  background:#f9fafb; }
.step.social { border-color:#93c5fd; background:#eff6ff; }
.step small { color:var(--mute); }
.arrow { color:var(--mute); }
.post { color:var(--mute); font-size:.82rem; }
.term { text-decoration:underline dotted #9ca3af; text-underline-offset:3px; cursor:help; }
.figtitle { font-weight:600; font-size:.95rem; margin:14px 0 2px; }
.fig { width:100%; }
.narrow-only, .print-only { display:none; }
.banner { border:1px solid #fcd34d; background:#fffbeb; border-radius:8px; padding:8px 12px;
  margin:10px 0 0; font-size:.9rem; }
dl.glossary dt { font-weight:600; margin-top:8px; }
dl.glossary dd { margin:0 0 0 0; color:var(--mute); font-size:.9rem; }
footer { color:var(--mute); font-size:.82rem; padding-bottom:30px; }
@media screen and (min-width:1000px) { .card { order:0; } .card.rec { order:1; } }
@media screen and (max-width:800px) {
  nav.toc { display:flex; gap:16px; overflow-x:auto; white-space:nowrap; padding-bottom:6px;
    -webkit-mask-image:linear-gradient(to right,#000 85%,transparent);
    mask-image:linear-gradient(to right,#000 85%,transparent); }
  nav.toc a { margin:0; }
}
"""
    + f"@media screen and (max-width:{NARROW}px) {{"
    + """
  body { font-size:14px; }
  header, main, footer { padding:0 10px; }
  header { padding-top:14px; }
  section { padding:12px 10px; margin:12px 0; border-radius:8px; }
  h1 { font-size:1.25rem; }
  .cards { grid-template-columns:1fr 1fr; gap:8px; }
  .card { padding:8px 10px; }
  .card .value { font-size:1.2rem; }
  .card .detail { font-size:.78rem; }
  table { font-size:.82rem; }
  th, td { padding:4px 5px; }
  td.text, td.wide { min-width:0; }
  .wide-only { display:none; }
  .narrow-only { display:block; }
"""
    + _reflow("table.reflow")
    + "}"
    + f"@media screen and (max-width:{WIDE_REFLOW}px) {{"
    + _reflow("table.reflow.wide")
    + "}"
    + """
@page { margin:12mm; }
@media print {
  body { background:#fff; font-size:10.5pt; }
  header, main, footer { max-width:none; padding:0; }
  nav.toc, .modebar-container, .scroll.more::before { display:none !important; }
  section { border:0; border-radius:0; padding:0; margin:0 0 7mm; }
  h2 { border-bottom:1px solid #d1d5db; padding-bottom:1mm; }
  h2, h3, .figtitle, .sub { break-after:avoid; }
  .card, tr, li, dt, dd, .flag, .js-plotly-plot, .plotly-graph-div, .fig { break-inside:avoid; }
  .scroll { overflow:visible; background:none; }
  .js-plotly-plot, .plotly-graph-div { max-width:100% !important; overflow:hidden; }
  .wide-only, .print-only { display:block; } .narrow-only, .screen-only { display:none; }
  dl.glossary { column-count:2; column-gap:8mm; }
  #figure-fig-policy_best { display:none; }
  table { font-size:8.5pt; } th, td { padding:3px 5px; }
  td.text, td.wide { min-width:0; }
  a { color:inherit; text-decoration:none; }
  .card.rec, .banner, .flag { -webkit-print-color-adjust:exact; print-color-adjust:exact; }
}
"""
)

#: Labels each reflowing table's cells with their column's heading, marks tables wider than
#: their box (for the "scroll sideways" line) and redraws every chart at the page's width while
#: printing.
SCRIPT = (
    "(function(){"
    "document.querySelectorAll('table.reflow').forEach(function(t){"
    "var h=[].map.call(t.querySelectorAll('thead th'),function(th){return th.textContent});"
    "t.querySelectorAll('tbody tr').forEach(function(tr){[].forEach.call(tr.children,"
    "function(td,i){if(h[i])td.setAttribute('data-label',h[i])})})});"
    "function cue(){document.querySelectorAll('.scroll').forEach(function(b){"
    "b.classList.toggle('more',b.scrollWidth>b.clientWidth+1)})}"
    "addEventListener('load',cue);addEventListener('resize',cue);"
    "function plots(){return Array.prototype.slice.call("
    "document.querySelectorAll('.js-plotly-plot'))}"
    "var printing=false;"
    "function toPrint(){if(printing||!window.Plotly)return;printing=true;"
    "plots().forEach(function(gd){var h=gd._fullLayout?gd._fullLayout.height:400;"
    "gd.dataset.h=h;var w=Math.min(gd.parentElement.clientWidth||"
    f"{PRINT_WIDTH},{PRINT_WIDTH});"
    f"Plotly.relayout(gd,{{width:w,height:Math.min(h,{PRINT_HEIGHT})}})}})}}"
    "function toScreen(){if(!printing)return;printing=false;plots().forEach(function(gd){"
    "Plotly.relayout(gd,{width:null,autosize:true,height:+gd.dataset.h||400})})}"
    "var mq=matchMedia('print');"
    "mq.addEventListener('change',function(e){if(e.matches){toPrint()}else{toScreen()}});"
    "addEventListener('beforeprint',toPrint);addEventListener('afterprint',toScreen);"
    "})();"
)
