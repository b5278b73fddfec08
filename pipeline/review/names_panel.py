"""The review page's "New names" panel: the run's names the glossary lacks, to accept or ignore.

Each row is a suggestion (`names.suggest.suggestions`): the lemma, a spelling field holding
the run's chosen spelling (or an editor's), Accept and Ignore. Accept adds the concept through
the page's existing add-concept path (`POST /api/concept`, lint first), then remembers the
spelling; Ignore remembers that the desk does not want the name. Both are lines of
`review-log.jsonl` (`{"event": "name", "lemma", "tgt", "action", "spelling", "who", "when"}`),
read back by `names suggest` and by later runs (an accepted spelling is the desk's decision).

    POST /api/names   {"lemma", "tgt", "action": "accept"|"spell"|"ignore", "spelling"?, "who"?}
"""

from __future__ import annotations

from pipeline.evaluation.report import esc

ACTIONS = ("accept", "spell", "ignore")


def panel_html(session) -> str:
    """The panel's HTML (every text escaped); empty suggestions say so."""
    from pipeline.errors import TargmanError
    from pipeline.names.suggest import suggestions

    try:
        found = suggestions(session.out_dir)
    except TargmanError:
        found = []  # a run without names (consistency off): nothing to suggest
    tgt = session.tgt
    parts = ['<section id="names-panel" class="edit-panel"><h2>New names</h2>',
             '<p class="note">Names of this run the glossary does not have. Accept adds one '
             '(with the spelling in the field); Ignore hides it from now on.</p>']
    if not found:
        parts.append('<p class="note" id="no-new-names">No new names.</p>')
    parts.append('<table id="new-names"><tbody>')
    for s in found:
        lemma, spelling = (s.hy, s.en) if tgt == "en" else (s.en, s.hy)
        parts.append(
            f'<tr class="new-name" data-lemma="{esc(lemma)}" data-tgt="{esc(tgt)}" data-type="{esc(s.type)}" '
            f'data-note="{esc(s.note)}"><td>{esc(s.type)}</td><td class="name-lemma">{esc(lemma)}</td>'
            f'<td><input class="name-spelling" aria-label="spelling of {esc(lemma)}" value="{esc(spelling)}"></td>'
            f'<td class="name-count">{s.count}</td>'
            '<td><button type="button" class="name-accept">Accept</button> '
            '<button type="button" class="name-ignore">Ignore</button></td></tr>')
    parts.append("</tbody></table></section>")
    return "".join(parts)


def names_action(session, data: dict, who: str | None = None) -> dict:
    """`POST /api/names`: remember an accepted, respelled or ignored name in review-log.jsonl."""
    from pipeline.names.suggest import panel_event
    from pipeline.review.session import ReviewError, clean_who

    lemma, tgt, action, spelling = data.get("lemma"), data.get("tgt"), data.get("action"), data.get("spelling")
    if not isinstance(lemma, str) or not lemma.strip() or len(lemma) > 200:
        raise ReviewError('give "lemma": the name as the source writes it', 400)
    if tgt != session.tgt:
        raise ReviewError(f'"tgt" must be {session.tgt!r}, the run\'s target language', 400)
    if action not in ACTIONS:
        raise ReviewError(f'"action" must be one of {", ".join(ACTIONS)}', 400)
    if spelling is not None and (not isinstance(spelling, str) or len(spelling) > 200 or "\t" in spelling
                                 or "\n" in spelling):
        raise ReviewError('"spelling" must be one short line', 400)
    if action in ("accept", "spell") and not (spelling or "").strip():
        raise ReviewError('give the "spelling" to keep', 400)
    return panel_event(session.out_dir, lemma.strip(), tgt, action, (spelling or "").strip() or None,
                       clean_who(data.get("who") or who))


NAMES_JS = r"""
(function () {
  "use strict";
  var island = document.getElementById("targman-data");
  var panel = document.getElementById("names-panel");
  if (!island || !panel) { return; }
  var data = JSON.parse(island.textContent);
  var post = window.targmanPost;  // assets.EDIT_JS's: the token header, JSON both ways, errors as {ok, body}
  if (!post) { return; }
  function say(tr, text) {
    var cell = tr.querySelector(".name-status");
    if (!cell) { cell = document.createElement("td"); cell.className = "name-status"; tr.appendChild(cell); }
    cell.textContent = text;
  }
  function who() { var field = document.getElementById("who"); return field ? field.value : data.who; }
  panel.addEventListener("click", function (event) {
    var button = event.target;
    var tr = button.closest ? button.closest("tr.new-name") : null;
    if (!tr) { return; }
    var lemma = tr.getAttribute("data-lemma"), tgt = tr.getAttribute("data-tgt");
    var spelling = tr.querySelector(".name-spelling").value.trim();
    if (button.classList.contains("name-ignore")) {
      post("/api/names", { lemma: lemma, tgt: tgt, action: "ignore", who: who() }).then(function (res) {
        if (res.ok) { tr.remove(); } else { say(tr, res.body.error); }
      });
    } else if (button.classList.contains("name-accept")) {
      var concept = { type: tr.getAttribute("data-type"), note: tr.getAttribute("data-note") };
      concept[tgt] = spelling;
      concept[tgt === "en" ? "hy" : "en"] = lemma;
      post("/api/concept", { concept: concept, who: who() }).then(function (res) {
        if (!res.ok) { say(tr, res.body.error + (res.body.problems ? ": " + res.body.problems.join("; ") : "")); return; }
        post("/api/names", { lemma: lemma, tgt: tgt, action: "accept", spelling: spelling, who: who() }).then(function (r2) {
          if (r2.ok) { tr.remove(); } else { say(tr, r2.body.error); }
        });
      });
    }
  });
})();
"""
