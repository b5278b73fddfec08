"""The editing layer of the served review page: its script and styles (static; the run's data
comes in the page's JSON island, `#targman-data`, and every text is set with `textContent`)."""

EDIT_CSS = """
.edit-tools { display: flex; flex-wrap: wrap; gap: 3px; margin-bottom: 4px; }
.edit-tools button, .editor button, #term-dialog button { font: inherit; font-size: 12px; padding: 1px 7px; }
.state-badge { display: inline-block; font-size: 10px; text-transform: uppercase; letter-spacing: .04em;
  border-radius: 3px; padding: 0 4px; border: 1px solid #bbb; color: #555; }
tr.state-reviewed td.n { background: #e3f2e3; } tr.state-final td.n { background: #c8e6c9; }
tr.state-reviewed .state-badge { border-color: #2e7d32; color: #2e7d32; }
tr.state-final .state-badge { background: #2e7d32; border-color: #2e7d32; color: #fff; }
tr.pending td.tgt { box-shadow: inset 3px 0 0 #2e7d32; }
.editor textarea { width: 100%; font: inherit; padding: 4px; border: 1px solid #3f51b5; border-radius: 3px;
  white-space: pre-wrap; resize: vertical; }
.edit-terms { margin: 3px 0; } .edit-terms mark { margin-right: 6px; }
.edit-msg { color: #b00020; font-size: 12px; margin-left: 6px; }
.editor.conflict textarea { border-color: #b00020; }
.conflict-current, .conflict-theirs { display: block; color: #222; margin: 2px 0; padding: 2px 4px; border-radius: 3px; }
.conflict-current { background: #e3f2e3; } .conflict-theirs { background: #fde7e9; }
.chip-edit { min-height: 3em; font: inherit; padding: 4px; border: 1px solid #3f51b5; border-radius: 3px;
  white-space: pre-wrap; background: #fff; }
.chip { display: inline-block; max-width: 14em; overflow: hidden; text-overflow: ellipsis; vertical-align: baseline;
  font-size: 11px; line-height: 1.3; padding: 0 4px; margin: 0 1px; border-radius: 8px; background: #e8eaf6;
  border: 1px solid #7986cb; color: #283593; white-space: nowrap; cursor: default; user-select: none; }
.chip:focus { outline: 2px solid #3f51b5; }
.editor.conflict .chip-edit { border-color: #b00020; }
#edit-status { font-size: 13px; color: #2e7d32; }
#who { width: 9em; font: inherit; }
.edit-panel { margin: 10px 20px 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; }
.edit-panel h2 { font-size: 14px; margin-bottom: 4px; } .edit-panel ul { margin: 0; padding-left: 18px; }
.edit-panel code { font-size: 12px; white-space: pre-wrap; }
#term-dialog { position: fixed; right: 16px; top: 60px; z-index: 20; overflow: auto; width: 26em; max-width: 95vw; background: #fff;
  border: 1px solid #3f51b5; border-radius: 6px; padding: 10px 12px; box-shadow: 0 4px 18px rgba(0,0,0,.2); }
#term-dialog label { display: block; font-size: 13px; margin: 3px 0; }
#term-dialog input, #term-dialog select { font: inherit; width: 100%; }
#term-result { white-space: pre-wrap; font-size: 12px; margin: 6px 0 0; }
#term-result.bad { color: #b00020; } #term-result.good { color: #2e7d32; }
"""

EDIT_JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("targman-data").textContent);
  var controls = document.getElementById("controls");
  var TYPES = ["person", "org", "place", "term"];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function quiet(node) {  // the page's n/p keys must not fire while typing here
    node.addEventListener("keydown", function (event) { event.stopPropagation(); });
    return node;
  }

  var who = quiet(el("input", { id: "who", type: "text", placeholder: "your name", "aria-label": "Editor" }));
  try { who.value = window.localStorage.getItem("targman-who") || data.who || ""; } catch (e) { who.value = data.who || ""; }
  who.addEventListener("change", function () { try { window.localStorage.setItem("targman-who", who.value); } catch (e) {} });
  var whoLabel = el("label", {}, "Editor: ");
  whoLabel.appendChild(who);
  var addButton = el("button", { type: "button", id: "add-term", disabled: "disabled",
    title: "select a term in a source cell (and its translation in the target cell), then add it to the glossary" },
    "Add term from selection");
  var status = el("span", { id: "edit-status", role: "status" });
  controls.appendChild(whoLabel);
  controls.appendChild(addButton);
  controls.appendChild(status);

  function say(text) { status.textContent = text; }

  function post(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-Targman-Token": data.token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, status: response.status, body: json }; },
        function () { return { ok: false, status: response.status, body: { error: "HTTP " + response.status } }; });
    }, function (error) { return { ok: false, status: 0, body: { error: "the server is not answering (" + error + ")" } }; });
  }
  window.targmanPost = post;  // the page's other panels (names_panel.NAMES_JS) post the same way

  function showState(tr, info) {
    ["translated", "reviewed", "final"].forEach(function (s) { tr.classList.remove("state-" + s); });
    tr.classList.add("state-" + info.state);
    tr.classList.toggle("pending", info.pending === true);
    tr.setAttribute("data-state", info.state);
    var badge = tr.querySelector(".state-badge");
    // "reviewed" is the server's state for an edit too; the badge says which, as the button does
    if (badge) { badge.textContent = info.state === "reviewed" && !info.reviewed ? "edited" : info.state; }
    var button = tr.querySelector(".review-btn");
    if (button) {
      button.textContent = info.reviewed ? "Reviewed \\u2713" : "Mark reviewed";
      button.setAttribute("aria-pressed", info.reviewed ? "true" : "false");
    }
  }

  // -- a sentence with inline markup: its tags are chips in the text, not typed ----------------
  // The field is the text with a chip per tag (`info.codes[n]`: the markup, shown only) where
  // `info.markup` ([offset, tag, "open"|"close"|"point"]) puts it; Alt+Left/Right moves a chip
  // by a word. Saving sends the text and where the chips stand; the server checks them.
  function chip(info, n, kind) {
    var code = info.codes[n] || {};
    var node = el("span", { "class": "chip chip-" + kind, contenteditable: "false", tabindex: "0", "data-n": String(n),
      "data-kind": kind, title: "tag: Alt+\\u2190 / Alt+\\u2192 moves it by a word" }, kind === "close" ? code.close : code.open);
    node.addEventListener("keydown", function (event) {
      if (event.altKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
        event.preventDefault();
        moveChip(node, event.key === "ArrowRight" ? 1 : -1);
      }
    });
    node.targmanInfo = info;
    return node;
  }
  function fillChips(box, info, text, markup) {
    box.textContent = "";
    var last = 0;
    markup.forEach(function (event) {
      box.appendChild(document.createTextNode(text.slice(last, event[0])));
      last = event[0];
      box.appendChild(chip(info, event[1], event[2]));
    });
    box.appendChild(document.createTextNode(text.slice(last)));
  }
  function readChips(box) {
    var out = { text: "", markup: [] };
    (function walk(node) {
      Array.prototype.forEach.call(node.childNodes, function (child) {
        if (child.nodeType === 3) { out.text += child.data; }
        else if (child.nodeType === 1 && child.classList.contains("chip")) {
          out.markup.push([out.text.length, Number(child.getAttribute("data-n")), child.getAttribute("data-kind")]);
        } else if (child.nodeType === 1) { walk(child); }
      });
    })(box);
    return out;
  }
  function nested(markup) {
    var stack = [];
    return markup.every(function (event) {
      if (event[2] === "open") { stack.push(event[1]); return true; }
      return event[2] !== "close" || stack.pop() === event[1];
    }) && stack.length === 0;
  }
  function moveChip(node, dir) {
    var box = node.closest(".chip-edit");
    var state = readChips(box);
    var chips = Array.prototype.slice.call(box.querySelectorAll(".chip"));
    var i = chips.indexOf(node);
    var event = state.markup[i], text = state.text, p = event[0];
    var space = function (c) { return /\\s/.test(c); };
    var toEnd = event[2] === "close";  // a close goes to a word's end, an open or a point to a word's start
    if (dir > 0 && toEnd) { while (p < text.length && space(text[p])) { p++; } while (p < text.length && !space(text[p])) { p++; } }
    if (dir > 0 && !toEnd) { while (p < text.length && !space(text[p])) { p++; } while (p < text.length && space(text[p])) { p++; } }
    if (dir < 0 && toEnd) { while (p > 0 && !space(text[p - 1])) { p--; } while (p > 0 && space(text[p - 1])) { p--; } }
    if (dir < 0 && !toEnd) { while (p > 0 && space(text[p - 1])) { p--; } while (p > 0 && !space(text[p - 1])) { p--; } }
    var rest = state.markup.slice(0, i).concat(state.markup.slice(i + 1));
    var at = 0;
    while (at < rest.length && (dir > 0 ? rest[at][0] <= p : rest[at][0] < p)) { at++; }
    var moved = rest.slice(0, at).concat([[p, event[1], event[2]]], rest.slice(at));
    if (p === event[0] || !nested(moved)) { say("That tag cannot go further that way (tags must stay nested)"); return; }
    fillChips(box, node.targmanInfo, text, moved);
    box.querySelectorAll(".chip")[at].focus();
    box.dispatchEvent(new Event("input"));
  }
  function chipField(info) {
    var box = el("div", { "class": "chip-edit", contenteditable: "true", role: "textbox", spellcheck: "true",
      "aria-label": "translation of segment " + info.index + " (its tags are chips)" });
    fillChips(box, info, info.text, info.markup);
    box.addEventListener("paste", function (event) {  // text only: pasted markup must not become chips or tags
      event.preventDefault();
      document.execCommand("insertText", false, (event.clipboardData || window.clipboardData).getData("text/plain"));
    });
    box.addEventListener("drop", function (event) { event.preventDefault(); });
    box.addEventListener("keydown", function (event) {  // one sentence: no line breaks (Ctrl+Enter saves)
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) { event.preventDefault(); }
    });
    Object.defineProperty(box, "value", { get: function () { return readChips(box).text; } });
    return box;
  }

  function openEditor(tr, info) {
    var cell = tr.querySelector("td.tgt");
    if (cell.querySelector("textarea, .chip-edit")) { return; }
    var before = Array.prototype.slice.call(cell.childNodes);
    var box = el("div", { "class": "editor" });
    // chips need the tags' places in the current text; without them (changed in another tab) the
    // text is edited alone and the writer places the tags
    var chips = Boolean(info.codes && info.markup);
    var area = quiet(chips ? chipField(info) :
      el("textarea", { rows: "3", "aria-label": "translation of segment " + info.index, spellcheck: "true" }));
    if (!chips) { area.value = info.text; }
    var terms = el("div", { "class": "edit-terms" });
    var marks = info.terms.map(function (term) {
      var mark = el("mark", { "class": "term", title: term.concept + ": " + term.source + " \\u2192 " + term.target }, term.target);
      terms.appendChild(mark);
      return mark;
    });
    function check() {
      var value = area.value.toLowerCase();
      info.terms.forEach(function (term, i) {
        var ok = term.forms.some(function (form) { return value.indexOf(form.toLowerCase()) >= 0; });
        marks[i].className = "term " + (ok ? "ok" : "miss");
        marks[i].setAttribute("data-present", ok ? "yes" : "no");
      });
    }
    area.addEventListener("input", check);
    check();
    var save = el("button", { type: "button", "class": "save-btn" }, "Save");
    var cancel = el("button", { type: "button", "class": "cancel-btn" }, "Cancel");
    var message = el("span", { "class": "edit-msg", role: "alert" });
    function close(text) {
      cell.textContent = "";
      if (text === undefined) { before.forEach(function (node) { cell.appendChild(node); }); }
      else { cell.textContent = text; }
    }
    save.addEventListener("click", function () {
      save.disabled = true;
      var body = { doc: info.doc, index: info.index, text: area.value, base: info.text, who: who.value };
      if (chips) { body.markup = readChips(area).markup; }
      post("/api/edit", body).then(function (res) {
        save.disabled = false;
        if (res.status === 409 && res.body.conflict) {
          // Someone saved this segment since this page showed it: show both texts; saving again
          // keeps this editor's text over the newer one, knowingly.
          info.text = res.body.conflict.current;
          info.markup = null;  // its tags' places in the newer text are not known here
          message.textContent = "";
          message.appendChild(el("span", {}, (res.body.error || "changed since you opened it") + " "));
          var now = el("div", { "class": "conflict-current" }, "Now: " + res.body.conflict.current);
          var mine = el("div", { "class": "conflict-theirs" }, "Yours (not saved): " + res.body.conflict.theirs);
          message.appendChild(now); message.appendChild(mine);
          box.classList.add("conflict");
          say("Not saved: segment " + info.index + " of " + info.doc + " was changed by someone else");
          return;
        }
        if (!res.ok) { message.textContent = res.body.error || ("error " + res.status); return; }
        info.text = res.body.text; info.state = res.body.state; info.reviewed = res.body.reviewed; info.pending = res.body.pending;
        var whole = chips && nested(body.markup) && body.markup.length ===
          info.codes.reduce(function (n, code) { return n + (code.close === null ? 1 : 2); }, 0);
        info.markup = whole ? body.markup : null;  // a chip deleted: the writer placed the tags
        close(res.body.text);
        showState(tr, info);
        say("Saved segment " + info.index + " of " + info.doc);
      });
    });
    cancel.addEventListener("click", function () { close(); });
    area.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save.click(); }
      if (event.key === "Escape") { close(); }
    });
    box.appendChild(area);
    if (info.terms.length) { box.appendChild(terms); }
    box.appendChild(save); box.appendChild(cancel); box.appendChild(message);
    cell.textContent = "";
    cell.appendChild(box);
    area.focus();
  }

  Object.keys(data.rows).forEach(function (id) {
    var tr = document.getElementById(id);
    if (!tr) { return; }
    var info = data.rows[id];
    tr.classList.add("editable");
    var tools = el("div", { "class": "edit-tools" });
    var edit = el("button", { type: "button", "class": "edit-btn" }, "Edit");
    var review = el("button", { type: "button", "class": "review-btn" });
    tools.appendChild(edit); tools.appendChild(review); tools.appendChild(el("span", { "class": "state-badge" }));
    var side = tr.querySelector("td.flags");
    side.insertBefore(tools, side.firstChild);
    edit.addEventListener("click", function () { openEditor(tr, info); });
    tr.querySelector("td.tgt").addEventListener("dblclick", function () {
      var selection = window.getSelection();
      if (selection) { selection.removeAllRanges(); }  // the word a double-click selects is no term to add
      openEditor(tr, info);
    });
    review.addEventListener("click", function () {
      post("/api/review", { doc: info.doc, index: info.index, reviewed: !info.reviewed, who: who.value }).then(function (res) {
        if (!res.ok) { say(res.body.error || ("error " + res.status)); return; }
        info.state = res.body.state; info.reviewed = res.body.reviewed;
        showState(tr, info);
        say((info.reviewed ? "Marked reviewed: " : "Review mark taken back: ") + info.doc + " #" + info.index);
      });
    });
    showState(tr, info);
  });

  // -- what others saved since this page was loaded (another tab, an import, apply) -------------
  function refresh() {
    return fetch("/api/segments", { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (body) {
      if (!body) { return; }
      body.segments.forEach(function (seg) {
        var info = data.rows[seg.dom_id], tr = document.getElementById(seg.dom_id);
        if (!info || !tr || tr.querySelector("td.tgt textarea, td.tgt .chip-edit")) { return; }  // not while it is being edited
        if (seg.text !== info.text) { tr.querySelector("td.tgt").textContent = seg.text; info.markup = seg.markup || null; }
        info.text = seg.text; info.state = seg.state; info.reviewed = seg.reviewed; info.pending = seg.pending;
        showState(tr, info);
      });
    }, function () {});
  }
  window.targmanRefresh = refresh;
  window.setInterval(function () { if (!document.hidden) { refresh(); } }, 15000);
  window.addEventListener("focus", refresh);

  // -- a glossary concept from a selection ------------------------------------------------------
  var picked = { row: null, src: "", tgt: "" };
  function capture(event) {
    // the second click of a double-click in a translation opens the editor: what it selected is no pick
    if (event && event.type === "mouseup" && event.detail > 1 && event.target.closest &&
        event.target.closest("tr.editable td.tgt")) { return; }
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed) { return; }
    var text = selection.toString().replace(/\\s+/g, " ").trim();
    var node = selection.anchorNode;
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    var cell = element && element.closest ? element.closest("td.src, td.tgt") : null;
    var tr = cell ? cell.closest("tr.seg") : null;
    if (!text || !tr || !data.rows[tr.id] || cell.querySelector("textarea")) { return; }
    if (picked.row !== tr.id) { picked = { row: tr.id, src: "", tgt: "" }; }
    picked[cell.classList.contains("src") ? "src" : "tgt"] = text;
    if (data.glossary) { addButton.disabled = false; }
    addButton.textContent = "Add term: " + (picked.src || "\\u2026") + " \\u2192 " + (picked.tgt || "\\u2026");
  }
  document.addEventListener("mouseup", capture);
  document.addEventListener("keyup", capture);

  var dialog = null;
  var lastName = null;  // the type last chosen for a name (person, org, place)
  try { lastName = window.localStorage.getItem("targman-name-type"); } catch (e) {}
  function guessType(text) {
    // a lower-case selection is a common noun (a term); a name is a person until the editor picks
    // another type for one, and then that type
    var first = (text || "").charAt(0);
    if (first && first === first.toLowerCase() && first !== first.toUpperCase()) { return "term"; }
    return TYPES.indexOf(lastName) >= 0 && lastName !== "term" ? lastName : "person";
  }
  function rememberType(value) {
    if (value === "term") { return; }
    lastName = value;
    try { window.localStorage.setItem("targman-name-type", value); } catch (e) {}
  }
  function field(form, name, label, value) {
    var wrap = el("label", {}, label);
    var input = quiet(el("input", { type: "text", name: name }));
    input.value = value || "";
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }
  function openDialog() {
    if (dialog) { dialog.remove(); }
    var info = data.rows[picked.row] || {};
    dialog = el("div", { id: "term-dialog", role: "dialog", "aria-label": "Add a glossary concept" });
    dialog.appendChild(el("h2", {}, "Add a glossary concept"));
    var typeLabel = el("label", {}, "Type");
    var type = quiet(el("select", { name: "type" }));
    TYPES.forEach(function (t) { type.appendChild(el("option", { value: t }, t)); });
    type.value = guessType(picked.src || picked.tgt);
    type.addEventListener("change", function () { rememberType(type.value); });
    typeLabel.appendChild(type);
    dialog.appendChild(typeLabel);
    var inputs = {};
    data.languages.forEach(function (lang) {
      var value = lang === info.src_lang ? picked.src : (lang === data.tgt ? picked.tgt : "");
      inputs[lang] = field(dialog, lang, lang + " (preferred|variant|!forbidden)", value);
      inputs[lang + "_short"] = field(dialog, lang + "_short", lang + " short form", "");
    });
    var note = field(dialog, "note", "Note", "");
    var id = field(dialog, "id", "Id (empty: made from the English term)", "");
    var result = el("pre", { id: "term-result", role: "status" });
    var check = el("button", { type: "button", id: "term-check" }, "Check");
    var save = el("button", { type: "button", id: "term-save" }, "Save to glossary");
    var close = el("button", { type: "button", id: "term-close" }, "Close");
    function values() {
      var concept = { type: type.value, note: note.value };
      Object.keys(inputs).forEach(function (key) { if (inputs[key].value) { concept[key] = inputs[key].value; } });
      return concept;
    }
    function show(res, good) {
      result.className = res.ok ? "good" : "bad";
      result.textContent = res.ok ? good(res.body) : [res.body.error || ("error " + res.status)].concat(res.body.problems || []).join("\\n");
    }
    check.addEventListener("click", function () {
      post("/api/concept/check", { concept: values(), id: id.value || null }).then(function (res) {
        show(res, function (body) { return "lint passed; this line would be added:\\n" + body.line; });
      });
    });
    save.addEventListener("click", function () {
      post("/api/concept", { concept: values(), id: id.value || null, doc: info.doc, index: info.index, who: who.value })
        .then(function (res) {
          show(res, function (body) { return "added " + body.id + " to " + body.glossary; });
          if (res.ok) {
            var item = el("li", { "data-concept": res.body.id });
            item.appendChild(el("code", {}, res.body.line));
            document.getElementById("concepts-added").appendChild(item);
            say("Added " + res.body.id + " to the glossary");
          }
        });
    });
    close.addEventListener("click", function () { dialog.remove(); dialog = null; });
    dialog.appendChild(check); dialog.appendChild(save); dialog.appendChild(close); dialog.appendChild(result);
    // below the toolbar (the Editor field stays in sight and usable), as high as the window allows
    var top = controls.getBoundingClientRect().bottom + 8;
    dialog.style.top = Math.max(8, top) + "px";
    dialog.style.maxHeight = "calc(100vh - " + (Math.max(8, top) + 8) + "px)";
    document.body.appendChild(dialog);
    type.focus();
  }
  addButton.addEventListener("click", openDialog);
  document.body.setAttribute("data-edit-ready", "yes");
})();
"""
