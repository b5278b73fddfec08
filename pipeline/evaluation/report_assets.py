"""The review page's inline stylesheet and script (static: no data from a run goes in here).

The script reads its state from the page and from the URL hash, so a link or a headless
browser can open the page filtered and sorted: `review.html#only-flagged&sort=chrf`.
"""

CSS = """
:root { --ok: #d9f2d9; --ok-line: #2e7d32; --miss: #ffd6d6; --miss-line: #c62828;
  --forbid: #ffe0b2; --forbid-line: #e65100; --unk: #e8eaf6; --grey: #8a8a8a; --flag: #fff3cd; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif;
  color: #1d1d1d; background: #fafafa; }
:lang(hy) { font-family: "Noto Sans Armenian", "Noto Serif Armenian", "Arial AMU", "GHEA Grapalat", "Sylfaen",
  "Mshtakan", "DejaVu Sans", sans-serif; }
header { padding: 12px 20px; background: #fff; border-bottom: 1px solid #ddd; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0; word-break: break-all; }
.meta, .sig, .note { color: #555; font-size: 13px; }
.sig { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; }
#controls { position: sticky; top: 0; z-index: 5; background: #fff; padding: 8px 20px;
  border-bottom: 1px solid #ddd; display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
#controls button { font: inherit; padding: 2px 10px; }
/* A jump (Next flagged, a link to a row) stops below the sticky toolbar; the script sets --toolbar to its height. */
tr.seg, section.doc { scroll-margin-top: calc(var(--toolbar, 110px) + 8px); }
table { border-collapse: collapse; }
.scores td, .scores th, .index td, .index th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #eee; }
.index { margin-top: 10px; font-size: 13px; }
.index td:nth-child(n+3), .index th:nth-child(n+3) { text-align: right; }
/* Fixed layout: column widths from the header, not from measuring 10,000 rows. */
.index { table-layout: fixed; width: 100%; }
.index th:first-child { width: 40%; }
.index td { overflow-wrap: anywhere; }
.index tbody tr:hover { background: #f3f6ff; }
details.docs-index { margin-top: 8px; }
.index-scroll { max-height: 38vh; overflow: auto; border: 1px solid #eee; }
.index thead th { position: sticky; top: 0; background: #fff; }
main { padding: 10px 20px 60px; }
section.doc { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 14px 0; padding: 10px 12px; }
.doc-head { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; margin-bottom: 6px; }
.status-failed { color: #b00020; font-weight: 600; }
.status-skipped { color: #777; font-weight: 600; }
table.segs { width: 100%; table-layout: fixed; }
table.segs th { text-align: left; font-size: 12px; color: #555; border-bottom: 2px solid #ccc; padding: 2px 6px; }
table.segs td { vertical-align: top; padding: 4px 6px; border-top: 1px solid #eee; white-space: pre-wrap;
  overflow-wrap: anywhere; }
table.segs col.n { width: 3.2em; } table.segs col.f { width: 9.5em; }
tr.para-start td { border-top: 2px solid #9aa7c7; }
td.n { color: #888; font-size: 11px; white-space: nowrap; }
tr.grey td.src, tr.grey td.tgt, tr.grey td.ref { color: var(--grey); background: #f4f4f4; }
tr.flagged td.n { background: var(--flag); }
tr.current td { outline: 2px solid #3f51b5; outline-offset: -2px; }
.kind { display: inline-block; font-size: 10px; text-transform: uppercase; letter-spacing: .04em; color: #666;
  border: 1px solid #bbb; border-radius: 3px; padding: 0 3px; margin-right: 4px; }
.flag { display: inline-block; font-size: 11px; background: var(--flag); border: 1px solid #e0c36a;
  border-radius: 3px; padding: 0 4px; margin: 0 3px 3px 0; white-space: nowrap; }
.flag-note { display: block; font-size: 11px; color: #555; margin: 0 0 3px 0; }
.chrf, .lp { display: block; font-size: 11px; color: #555; white-space: nowrap; }
.dropped { color: var(--grey); font-style: italic; }
mark.term { border-radius: 3px; padding: 0 1px; border-bottom: 2px solid; cursor: help; color: inherit; }
mark.ok { background: var(--ok); border-color: var(--ok-line); }
mark.miss { background: var(--miss); border-color: var(--miss-line); }
mark.unk { background: var(--unk); border-color: #5c6bc0; }
mark.forbidden { background: var(--forbid); border-color: var(--forbid-line); text-decoration: line-through; }
.missing { display: block; font-size: 12px; color: var(--miss-line); }
.legend mark { margin-right: 8px; }
@media print { #controls { display: none; } }
"""

JS = """
(function () {
  "use strict";
  var body = document.body;
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.seg"));
  var docs = Array.prototype.slice.call(document.querySelectorAll("section.doc"));
  var indexRows = Array.prototype.slice.call(document.querySelectorAll("#docs-index tbody tr"));
  // A large run's index carries every document as [keys, row HTML] and shows a page of them.
  var data = document.getElementById("docs-data");
  var entries = data ? JSON.parse(data.textContent) : null;
  var listed = entries, indexPage = 0;
  var INDEX_PAGE = entries ? parseInt(document.getElementById("docs-index").getAttribute("data-page-size"), 10) : 0;
  var main = document.getElementById("docs");
  var indexBody = document.querySelector("#docs-index tbody");
  var box = document.getElementById("only-flagged");
  var sortSelect = document.getElementById("sort");
  var status = document.getElementById("status");
  var controls = document.getElementById("controls");
  // Worst first: low chrF/BLEU/term rate, high TER/flag count; documents without a value last.
  var DESCENDING = { ter: true, flags: true };

  function setFilter(on) {
    box.checked = on;
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var visible = !on || rows[i].classList.contains("flagged");
      if (rows[i].hidden === visible) { rows[i].hidden = !visible; }  // touch only what changes
      if (visible) { shown++; }
    }
    function show(element) {
      var hide = on && quiet(element);
      if (element.hidden !== hide) { element.hidden = hide; }
    }
    docs.forEach(show);
    body.setAttribute("data-only-flagged", on ? "yes" : "no");
    body.setAttribute("data-visible-rows", String(shown));
    if (entries) {  // the index page of a large run: documents, each on its page
      listed = entries.filter(function (entry) { return !on || !quiet(entry); });
      indexPage = 0;
      renderIndex();
      status.textContent = "Showing " + listed.length + " of " + entries.length + " documents";
    } else if (rows.length || !indexRows.length) {
      indexRows.forEach(show);
      status.textContent = "Showing " + shown + " of " + rows.length + " segments";
    } else {
      indexRows.forEach(show);
      var count = indexRows.filter(function (row) { return !row.hidden; }).length;
      status.textContent = "Showing " + count + " of " + indexRows.length + " documents";
    }
  }

  // A document's key: a data- attribute of its section or index row, or from a large run's JSON.
  function attr(item, key) {
    if (Array.isArray(item)) { return item[0][key] === undefined ? null : String(item[0][key]); }
    return item.getAttribute("data-" + key);
  }

  // A document with nothing flagged goes, unless its file failed, was skipped or is partial.
  function quiet(item) {
    return attr(item, "flags") === "0" && attr(item, "status") === null;
  }

  function value(item, key) {
    var raw = attr(item, key);
    if (raw === null || raw === "") { return null; }
    return parseFloat(raw);
  }

  function renderIndex() {
    var start = indexPage * INDEX_PAGE, slice = listed.slice(start, start + INDEX_PAGE);
    indexBody.innerHTML = slice.map(function (entry) { return entry[1]; }).join("");
    document.getElementById("index-range").textContent = listed.length
      ? "documents " + (start + 1) + "–" + (start + slice.length) + " of " + listed.length
      : "no documents";
    document.getElementById("index-prev").hidden = indexPage === 0;
    document.getElementById("index-next").hidden = start + INDEX_PAGE >= listed.length;
  }

  function sortBy(key) {
    if (!sortSelect.querySelector('option[value="' + key + '"]')) { key = "order"; }
    sortSelect.value = key;
    if (key === (body.getAttribute("data-sort") || "order")) { body.setAttribute("data-sort", key); return; }  // as written: nothing to move
    function compare(a, b) {
      if (key !== "order") {
        var x = value(a, key), y = value(b, key);
        if (x === null && y !== null) { return 1; }
        if (y === null && x !== null) { return -1; }
        if (x !== null && y !== null && x !== y) { return DESCENDING[key] ? y - x : x - y; }
      }
      return value(a, "order") - value(b, "order");
    }
    docs.slice().sort(compare).forEach(function (doc) { main.appendChild(doc); });
    body.setAttribute("data-sort", key);
    if (entries) {
      entries.sort(compare);
      setFilter(box.checked);
    } else {
      indexRows.slice().sort(compare).forEach(function (row) { indexBody.appendChild(row); });
    }
  }

  function writeHash() {
    var parts = [];
    if (box.checked) { parts.push("only-flagged"); }
    if (sortSelect.value !== "order") { parts.push("sort=" + sortSelect.value); }
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname); } catch (e) {}
  }

  function readHash() {
    var parts = location.hash.replace(/^#/, "").split("&");
    var state = false, sort = null;
    for (var i = 0; i < parts.length; i++) {
      if (parts[i] === "only-flagged") { state = true; }
      else if (parts[i].indexOf("sort=") === 0) { sort = parts[i].slice(5); }
      else if (parts[i] !== "") { return false; }  // a jump to an anchor: leave the view as it is
    }
    setFilter(state);
    sortBy(sort || "order");
    return true;
  }

  var current = null;
  function jump(step) {
    var flagged = rows.filter(function (r) { return r.classList.contains("flagged") && !r.hidden && !r.closest("section").hidden; });
    if (!flagged.length) { return; }
    var target = null;
    if (current && flagged.indexOf(current) >= 0) {
      target = flagged[(flagged.indexOf(current) + step + flagged.length) % flagged.length];
    } else {
      var top = controls.getBoundingClientRect().bottom;
      for (var i = 0; i < flagged.length && target === null; i++) {
        if (flagged[i].getBoundingClientRect().top > top) { target = flagged[i]; }
      }
      if (target === null) { target = flagged[0]; }
    }
    if (current) { current.classList.remove("current"); }
    current = target;
    current.classList.add("current");
    current.scrollIntoView({ block: "center" });
  }

  if (entries) {
    document.getElementById("index-prev").addEventListener("click", function () { indexPage--; renderIndex(); });
    document.getElementById("index-next").addEventListener("click", function () { indexPage++; renderIndex(); });
  }
  box.addEventListener("change", function () { setFilter(box.checked); writeHash(); });
  sortSelect.addEventListener("change", function () { sortBy(sortSelect.value); writeHash(); });
  document.getElementById("next-flag").addEventListener("click", function () { jump(1); });
  document.getElementById("prev-flag").addEventListener("click", function () { jump(-1); });
  document.addEventListener("keydown", function (event) {
    if (event.target.tagName === "INPUT" || event.target.tagName === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "n" || event.key === "j") { jump(1); }
    if (event.key === "p" || event.key === "k") { jump(-1); }
  });
  // The toolbar's height (it wraps on a narrow window, the editing page adds to it), for the
  // scroll margin that keeps a jumped-to row out from under it.
  function fitToolbar() {
    document.documentElement.style.setProperty("--toolbar", controls.offsetHeight + "px");
  }
  fitToolbar();
  if (window.ResizeObserver) { new ResizeObserver(fitToolbar).observe(controls); }
  else { window.addEventListener("resize", fitToolbar); }
  window.addEventListener("hashchange", readHash);
  if (!readHash()) { setFilter(false); }
  body.setAttribute("data-ready", "yes");
})();
"""
