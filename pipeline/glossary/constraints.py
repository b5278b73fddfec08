"""The glossary in a run: which hits the engine must honour, in which forms.

A hit's constraint is its preferred target term plus, for an Armenian target,
the term's inflected forms (`Միրզոյան`, `Միրզոյանը`, `Միրզոյանին`, ...), so the
decoder may pick the case the sentence needs; the forms are written in the run's
Armenian spelling (`spelling.respell`), and the check after translation wants them
in it. A concept found twice must appear twice. Forbidden target terms of the
concepts in a segment are banned.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.config import GlossaryConfig
from pipeline.glossary import armenian
from pipeline.glossary.matcher import Matcher
from pipeline.glossary.model import Concept, Glossary
from pipeline.glossary.spelling import respell_all
from pipeline.glossary.stage import FORBIDDEN_TARGET_FLAG, VARIANT_FLAG, flag_note
from pipeline.segment import TEXT, Segment

CONSTRAINED_FLAG = "terms-constrained"  # the engine was made to produce the segment's terms
UNMET_FLAG = "terms-unmet"  # constrained search could not fit every term (hit max length)


@dataclass(frozen=True)
class TermConstraint:
    """One concept the output must contain `count` times, in any of `forms`."""

    concept: str
    forms: tuple[str, ...]
    count: int = 1
    sources: tuple[str, ...] = ()  # the source surfaces, to place it in a piece of a split sentence

    def within(self, piece: str) -> "TermConstraint | None":
        """This constraint for one piece of a split source: as often as its surfaces occur there."""
        found = sum(piece.count(surface) for surface in self.sources)
        return replace(self, count=min(found, self.count)) if found else None


def surface_forms(term: str, tgt: str, concept: Concept | None = None) -> tuple[str, ...]:
    """The forms a target term may take in running text (for Armenian, by the concept's
    type and the irregular forms its glossary row states, `hy_forms`)."""
    if tgt == "hy":
        if concept is None:
            return tuple(armenian.inflections(term))
        return tuple(armenian.inflections(term, concept.stated_forms(tgt, term), concept.type))
    return (term, f"{term}'s", f"{term}’s")


def constraints_for(segment: Segment, glossary: Glossary, tgt: str, policy: GlossaryConfig,
                    spelling: str = "keep") -> list[TermConstraint]:
    """Constraints for the hits whose concept type is in `constrain` mode."""
    counts: dict[tuple[str, str], int] = {}
    surfaces: dict[tuple[str, str], list[str]] = {}
    for hit in segment.terms:
        concept = glossary.concepts.get(hit.concept)
        if concept is None or policy.mode_for(concept.type) != "constrain":
            continue
        key = (hit.concept, hit.target)
        counts[key] = counts.get(key, 0) + 1
        surfaces.setdefault(key, [])
        if hit.source not in surfaces[key]:
            surfaces[key].append(hit.source)
    # `Trump` inside `Donald Trump`: the search may place the short form inside the full one,
    # where the check sees only the full name. Ask for the short form once more per full name.
    needed = dict(counts)
    for (concept_id, short), count in counts.items():
        for (other, full), full_count in counts.items():
            if other == concept_id and full != short and f" {short} " in f" {full} ":
                needed[(concept_id, short)] += full_count
    return [
        TermConstraint(concept, _spelled(surface_forms(target, tgt, glossary.concepts[concept]), tgt, spelling),
                       needed[(concept, target)], tuple(surfaces[(concept, target)]))
        for (concept, target) in counts
    ]


def banned_for(segment: Segment, glossary: Glossary, tgt: str, policy: GlossaryConfig,
               spelling: str = "keep") -> list[str]:
    """Forbidden target terms (with their forms) of the concepts found in the segment whose
    type is in `constrain` mode (in `check` mode the translation is free and only flagged)."""
    banned: list[str] = []
    for concept_id in dict.fromkeys(hit.concept for hit in segment.terms):
        concept = glossary.concepts.get(concept_id)
        if concept is None or policy.mode_for(concept.type) != "constrain":
            continue
        for term in concept.terms.get(tgt, ()):
            if term.status == "forbidden":
                banned.extend(_spelled(surface_forms(term.text, tgt, concept), tgt, spelling))
    return banned


def _spelled(forms: tuple[str, ...], tgt: str, spelling: str) -> tuple[str, ...]:
    """Armenian forms in the run's spelling of `և` (`Ալիև`, or `Ալիեւ` in classical)."""
    if tgt != "hy" or spelling == "keep":
        return forms
    return tuple(respell_all(forms, spelling))


def check_passthrough(segment: Segment, matcher: Matcher | None, glossary: Glossary | None = None) -> None:
    """Text already in the target language passes untouched, but its variants are flagged,
    with a note naming the word (it has no term hits that would show it)."""
    if matcher is None or segment.kind != TEXT:
        return
    for match in matcher.find(segment.source):
        note = flag_note(glossary, match, segment.src_lang) if glossary is not None else None
        if match.status == "variant":
            segment.flag(VARIANT_FLAG, note)
        elif match.status == "forbidden":
            segment.flag(FORBIDDEN_TARGET_FLAG, note)


class RunTerms:
    """The glossary's two steps in a run: before translation (find, constrain), after (verify).

    `mode` is what really happens: `constrain` falls back to `check` when the
    engine cannot constrain its search.
    """

    def __init__(self, glossary: Glossary, policy: GlossaryConfig, tgt: str, engine_constrains: bool,
                 engine_reranks: bool = False, spelling: str = "keep"):
        self.glossary = glossary
        self.spelling = spelling  # the run's Armenian spelling of `և` ([output] armenian_spelling)
        self.policy = policy
        self.tgt = tgt
        self.constrains = engine_constrains
        self.reranks = engine_reranks  # cannot force terms, but can prefer hypotheses that have them
        self.matchers = glossary.matchers  # one per language, built on first use, shared
        self.target_matcher = self.matchers[tgt]

    def before(self, segments: list[Segment]) -> None:
        """Find each segment's concepts; attach constraints and bans for the engine."""
        from pipeline.glossary.stage import annotate

        for segment in annotate(segments, self.glossary, self.tgt, matchers=self.matchers):
            if segment.kind == TEXT and segment.src_lang == self.tgt:
                check_passthrough(segment, self.target_matcher, self.glossary)
            hits = [h for h in segment.terms if self.policy.mode_for(self._type(h.concept)) != "off"]
            segment.terms = hits
            if (self.constrains or self.reranks) and hits:
                constraints = constraints_for(segment, self.glossary, self.tgt, self.policy, self.spelling)
                if constraints:
                    segment.meta["constraints"] = constraints
                banned = banned_for(segment, self.glossary, self.tgt, self.policy, self.spelling)
                if banned:
                    segment.meta["banned"] = banned

    def after(self, segments: list[Segment]) -> None:
        """Record, per hit, whether the output honours it; flag forbidden terms."""
        from pipeline.glossary.stage import verify

        for segment in segments:
            if segment.kind != TEXT or segment.target is None:
                continue
            if segment.terms or segment.src_lang != self.tgt:  # a translation is checked for forbidden terms too
                verify(segment, self.glossary, self.tgt, self.target_matcher, self.spelling)
            if segment.meta.pop("constraints", None) is not None:
                segment.flag(CONSTRAINED_FLAG)
            segment.meta.pop("banned", None)

    def _type(self, concept_id: str) -> str:
        concept = self.glossary.concepts.get(concept_id)
        return concept.type if concept else "term"

    @property
    def mode(self) -> str:
        return effective_mode(self.policy, self.constrains)


def effective_mode(policy: GlossaryConfig, constrains: bool) -> str:
    """`constrain` becomes `check` on an engine that cannot constrain its search."""
    return "check" if policy.mode == "constrain" and not constrains else policy.mode


def glossary_info(glossary: Glossary, policy: GlossaryConfig, tgt: str, constrains: bool, seen: set[str],
                  method: str | None = None) -> dict:
    """What run.json records: the file, its digest, the modes, and the concepts the run met.
    `method`: how the engine honours terms, in its words (its info's `terms`)."""
    concepts = {}
    for concept_id in sorted(seen):
        concept = glossary.concepts.get(concept_id)
        if concept is None:
            continue
        concepts[concept_id] = {
            "type": concept.type,
            "note": concept.note,
            "forbidden": [t.text for t in concept.terms.get(tgt, ()) if t.status == "forbidden"],
        }
    return {
        "path": str(glossary.path),
        "digest": glossary.digest,
        "concepts_total": len(glossary.concepts),
        "mode": effective_mode(policy, constrains),
        "repair": None if constrains or policy.mode != "constrain" else (method or "n-best re-ranking, forbidden terms suppressed"),
        "method": method if policy.mode != "off" else None,
        "requested_mode": policy.mode,
        "per_type": {t: policy.mode_for(t) for t in ("person", "org", "place", "term")},
        "concepts": concepts,
    }
