"""What the browser tests measure in a drawn report, as one JavaScript expression that returns
JSON-able values:

* ``width``, ``scroll_width``: the viewport and the page's widths;
* ``overflow``: elements that reach past the screen's edges without being inside a box that
  scrolls (or clips) sideways within the screen;
* ``first_screen``: the bottoms of the summary's first card and of the recommendation, from the
  top of the page;
* ``axes``: for each chart's date x-axis, its range and the data's first and last date (ms);
* ``tick_overlaps``: for each chart, how many of its x tick labels overlap the next one;
* ``charts``: each chart's box (left, right, top, bottom, height) and its CSS break-inside;
* ``models``: whether the models heatmap and its ranked table are shown;
* ``scrolling``: the tables wider than their box ("section:table classes"), which scroll.
"""

from __future__ import annotations

MEASURE = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') {
        const r = p.getBoundingClientRect();
        return r.left >= -1 && r.right <= vw + 1;
      }
    }
    return false;
  };
  const overflow = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest('#js-plotly-tester')) continue;
    if (r.right > vw + 1 || r.left < -1) {
      if (scrolls(el)) continue;
      overflow.push(`${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''}#${el.id}`
        + ` ${Math.round(r.left)}..${Math.round(r.right)}`);
      if (overflow.length > 12) break;
    }
  }
  const bottom = (sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    return el.getBoundingClientRect().bottom + window.scrollY;
  };
  const axes = [];
  const overlaps = {};
  const charts = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const fl = gd._fullLayout;
    const svg = gd.querySelector('.main-svg');
    const r = (svg || gd).getBoundingClientRect();
    const fig = gd.closest('.fig') || gd;
    charts.push({id: gd.id, left: r.left, right: r.right, top: r.top + window.scrollY,
                 bottom: r.bottom + window.scrollY, height: r.height,
                 hidden: r.width === 0,
                 breakInside: getComputedStyle(fig).breakInside});
    if (!fl || r.width === 0) continue;
    for (const key of Object.keys(fl)) {
      if (!/^xaxis\d*$/.test(key)) continue;
      const ax = fl[key];
      if (ax.type !== 'date') continue;
      const id = ax._id;
      let lo = Infinity, hi = -Infinity;
      for (const tr of gd._fullData) {
        if ((tr.xaxis || 'x') !== id || !tr.x) continue;
        for (const x of tr.x) {
          if (x === null || x === undefined) continue;
          const t = ax.d2l(x);
          if (isFinite(t)) { lo = Math.min(lo, t); hi = Math.max(hi, t); }
        }
      }
      if (lo === Infinity) continue;
      axes.push({chart: gd.id, axis: key, range: ax.range.map((v) => ax.d2l(v)), lo, hi});
    }
    if (!fl.xaxis || fl.xaxis.type !== 'date') continue;
    const ticks = [...gd.querySelectorAll('.xtick text')].map((t) => t.getBoundingClientRect())
      .filter((b) => b.width > 0).sort((a, b) => a.left - b.left);
    let n = 0;
    for (let i = 1; i < ticks.length; i++) {
      const sameLine = Math.abs(ticks[i].top - ticks[i - 1].top) < 4;
      if (sameLine && ticks[i].left < ticks[i - 1].right - 1) n++;
    }
    overlaps[gd.id] = n;
  }
  const shown = (sel) => {
    const el = document.querySelector(sel);
    return !!el && el.getBoundingClientRect().height > 0;
  };
  const scrolling = [...document.querySelectorAll('.scroll')]
    .filter((b) => b.scrollWidth > b.clientWidth + 1)
    .map((b) => (b.closest('section') || {}).id + ':' + (b.firstElementChild.className || ''));
  return {
    width: vw,
    scrolling,
    models: {heatmap: shown('#models .wide-only'), ranked: shown('#models .narrow-only')},
    scroll_width: document.documentElement.scrollWidth,
    overflow,
    first_screen: {card: bottom('#summary .card'), recommendation: bottom('#recommendation')},
    axes,
    tick_overlaps: overlaps,
    charts,
  };
})()
"""
