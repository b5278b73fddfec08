"""Lexically constrained beam search over a Hugging Face seq2seq model.

transformers 5 dropped its constrained beam search (it now lives in a hub repo
behind ``trust_remote_code``, which we never enable), so the project owns one.

Algorithm: dynamic beam allocation (Post & Vilar 2018) vectorised as in Hu et
al. 2019 / fairseq ``LexicallyConstrainedBeamSearch``: each step the candidate
list is the usual top ``2k`` over all beams, plus each beam's best token, plus
every token that advances an unmet constraint from that beam. Candidates are
grouped into "banks" by constraint progress and the beam is filled round-robin
from the most advanced bank down, so hypotheses that are forced to include a
term compete only with hypotheses equally far along.

Constraint state is a per-sentence Aho-Corasick automaton over all token
alternatives (a trie with failure links), so alternatives with shared prefixes,
terms whose tokens repeat (``[5, 5, 7]`` inside ``5 5 5 7``) and terms needed
several times are tracked exactly. Occurrences of one constraint are counted
without overlap.

Everything after the candidate list - which candidates finish, the length
penalty, the early-stopping rule - mirrors transformers 5's ``_beam_search``
line by line, in helpers named as its own (``_get_top_k_continuations``,
``_get_running_beams_for_next_iteration``, ``_update_finished_beams``,
``_check_early_stop_heuristic``) so that the two read side by side, and so
that with no constraints the result is *identical* to
``model.generate(num_beams=k, do_sample=False, ...)`` (see
``constrained_beam_search`` for the exact settings). That is what the tests
pin, and it means "the constrained engine" and "the plain engine" differ only
in the constraints.

The model runs through its own forward pass with its key/value cache: the
encoder once, then one decoder token per step with ``cache=`` (transformers
5.24's name for ``past_key_values``), reordering the self-attention cache by
beam index each step. Finished sentences are dropped from the batch.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from typing import Sequence

import torch

__all__ = ["Constraint", "Hypothesis", "constrained_beam_search", "count_occurrences"]

# transformers' "practically impossible" score offset; reused so the finished-beam
# bookkeeping below performs the same float operations as generate().
_NEG = -1.0e9
# Finished hypotheses that miss a constraint (only possible at the length limit)
# rank below every one that meets them, but above empty slots.
_UNMET_PENALTY = -1.0e6
_NEG_INF = float("-inf")


@dataclass(frozen=True)
class Constraint:
    """One glossary concept that must appear: any ONE of `alternatives` (token-id sequences) satisfies it once.
    E.g. the Armenian preferred form and its inflected forms (Միրզոյան, Միրզոյանը, Միրզոյանի ...)."""

    alternatives: tuple[tuple[int, ...], ...]
    count: int = 1  # the concept occurs `count` times in the source -> must be met that many times


@dataclass
class Hypothesis:
    tokens: list[int]  # generated ids, without decoder start / forced BOS / pad, ending before EOS
    score: float  # length-normalised log-probability, as transformers' sequences_scores
    met: bool  # all constraints met


def count_occurrences(constraint: Constraint, tokens: Sequence[int]) -> int:
    """How many times `tokens` meet `constraint`: occurrences of any alternative, without overlap.

    Scanning left to right, an occurrence counts if it starts after the end of the last
    counted one (so Միրզոյան + ը is one occurrence even when both forms are alternatives).
    This is the rule the search enforces; the verify stage can call it on final output.
    """
    tokens = list(tokens)
    found, last_end = 0, -1
    for end in range(len(tokens)):
        for alt in constraint.alternatives:
            start = end - len(alt) + 1
            if start > last_end and start >= 0 and tuple(tokens[start : end + 1]) == tuple(alt):
                found, last_end = found + 1, end
                break
    return found


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class _Settings:
    start: int
    eos: tuple[int, ...]
    pad: int
    forced_bos: int | None
    forced_eos: tuple[int, ...]
    bad_words: tuple[tuple[int, ...], ...]
    min_length: int
    min_new_tokens: int
    early_stopping: bool | str
    vocab_size: int


# generate() options that change the search but that this implementation does not apply.
_IGNORED_OPTIONS = {
    "no_repeat_ngram_size": 0,
    "encoder_no_repeat_ngram_size": 0,
    "repetition_penalty": 1.0,
    "encoder_repetition_penalty": 1.0,
    "suppress_tokens": None,
    "begin_suppress_tokens": None,
    "sequence_bias": None,
    "exponential_decay_length_penalty": None,
    "forced_decoder_ids": None,
    "diversity_penalty": 0.0,
}


FROM_CONFIG = "generation_config"  # an option left as the model's generation_config sets it


def _settings(model, forced_bos_token_id, min_new_tokens, early_stopping, forced_eos_token_id=FROM_CONFIG) -> _Settings:
    """Special tokens and defaults exactly where generate() takes them: generation_config, then config."""
    gc, cfg = model.generation_config, model.config

    def pick(name):
        value = getattr(gc, name, None)
        return value if value is not None else getattr(cfg, name, None)

    def as_tuple(value) -> tuple[int, ...]:
        if value is None:
            return ()
        return tuple(int(v) for v in (value if isinstance(value, (list, tuple)) else [value]))

    eos = as_tuple(pick("eos_token_id"))
    if not eos:
        raise ValueError("the model defines no eos_token_id (generation_config or config); set one to decode")
    start = pick("decoder_start_token_id")
    if start is None:
        start = pick("bos_token_id")
    if start is None:
        raise ValueError("the model defines no decoder_start_token_id or bos_token_id; set one to decode")
    pad = pick("pad_token_id")
    ignored = [
        name for name, neutral in _IGNORED_OPTIONS.items()
        if getattr(gc, name, None) not in (None, neutral)
    ]
    if ignored:
        warnings.warn(
            f"constrained_beam_search ignores these generation_config settings: {', '.join(ignored)}",
            stacklevel=3,
        )
    # generate() drops a banned sequence that is just an EOS token; do the same.
    bad_words = tuple(
        tuple(int(t) for t in seq) for seq in (gc.bad_words_ids or ()) if list(seq) not in [[e] for e in eos]
    )
    vocab = model.get_output_embeddings().weight.shape[0]
    return _Settings(
        start=int(start),
        eos=eos,
        pad=int(pad) if pad is not None else eos[0],
        forced_bos=forced_bos_token_id if forced_bos_token_id is not None else gc.forced_bos_token_id,
        forced_eos=as_tuple(gc.forced_eos_token_id if forced_eos_token_id == FROM_CONFIG else forced_eos_token_id),
        bad_words=bad_words,
        min_length=int(gc.min_length or 0),
        min_new_tokens=int(min_new_tokens if min_new_tokens is not None else (gc.min_new_tokens or 0)),
        early_stopping=early_stopping if early_stopping is not None else (gc.early_stopping or False),
        vocab_size=int(vocab),
    )


# --------------------------------------------------------------------------- automaton


def _merge_constraints(sentence: Sequence[Constraint], settings: _Settings, where: str):
    """Validate, and merge constraints with the same alternatives (two entries = needed twice)."""
    merged: dict[frozenset, int] = {}
    for c in sentence:
        if not isinstance(c, Constraint):
            raise TypeError(f"{where}: expected Constraint, got {type(c).__name__}")
        if c.count < 1:
            raise ValueError(f"{where}: Constraint.count must be >= 1, got {c.count}")
        if not c.alternatives:
            raise ValueError(f"{where}: a Constraint needs at least one alternative token sequence")
        alts = []
        for alt in c.alternatives:
            alt = tuple(int(t) for t in alt)
            if not alt:
                raise ValueError(f"{where}: empty alternative in {c!r}")
            bad = [t for t in alt if not 0 <= t < settings.vocab_size or t in settings.eos or t == settings.pad]
            if bad:
                raise ValueError(
                    f"{where}: alternative {alt} holds tokens {bad} that are EOS, padding or outside the "
                    f"vocabulary (size {settings.vocab_size}); tokenize terms with the target tokenizer "
                    "and add_special_tokens=False"
                )
            alts.append(alt)
        key = frozenset(alts)
        merged[key] = merged.get(key, 0) + c.count
    return [(sorted(alts), count) for alts, count in merged.items()]


class _Automaton:
    """All sentences' constraint automata, flattened into global tensors indexed by node id.

    Per node: goto/failure transitions on the sentence's constraint alphabet
    (`delta`), trie depth, which constraints' alternatives pass through it
    (`through`), the shortest alternative of each constraint that ends here,
    failure links included (`ends`), and the tokens worth forcing from it: its
    trie children plus the root's children (`force_*`).
    """

    def __init__(self, constraints: Sequence[Sequence[Constraint]], settings: _Settings, device):
        per_sentence = [
            _merge_constraints(sent, settings, f"constraints[{i}]") for i, sent in enumerate(constraints)
        ]
        self.any = any(per_sentence)
        n_cons = max([len(s) for s in per_sentence] + [1])
        roots, counts, ells, alphabets = [], [], [], []
        delta_rows, through, ends, f_tok, f_through, kids = [], [], [], [], [], []
        depth: list[int] = []  # of each node, over every sentence's automaton
        rest, prog = [], []
        for sent in per_sentence:
            offset = len(depth)
            children: list[dict[int, int]] = [{}]
            node_depth: list[int] = [0]
            node_through: list[set[int]] = [set()]  # the constraints whose alternatives pass through a node
            direct_end: list[dict[int, int]] = [{}]
            direct_rest: list[dict[int, int]] = [{}]  # tokens left to finish an alternative through the node
            for ci, (alts, _) in enumerate(sent):
                for alt in alts:
                    node = 0
                    for tok in alt:
                        nxt = children[node].get(tok)
                        if nxt is None:
                            nxt = len(children)
                            children[node][tok] = nxt
                            children.append({})
                            node_depth.append(node_depth[node] + 1)
                            node_through.append(set())
                            direct_end.append({})
                            direct_rest.append({})
                        node = nxt
                        node_through[node].add(ci)
                        left = len(alt) - node_depth[node]
                        direct_rest[node][ci] = min(direct_rest[node].get(ci, left), left)
                    direct_end[node][ci] = min(direct_end[node].get(ci, len(alt)), len(alt))
            alphabet = sorted({tok for ch in children for tok in ch})
            # Aho-Corasick: failure links in BFS order, then the full transition table.
            fail = [0] * len(children)
            order, queue = [], list(children[0].values())
            while queue:
                node = queue.pop(0)
                order.append(node)
                for tok, child in children[node].items():
                    f = fail[node]
                    while f and tok not in children[f]:
                        f = fail[f]
                    fail[child] = children[f][tok] if node and tok in children[f] else 0
                    queue.append(child)
            # Fewest tokens that complete constraint ci from a node, over the node and its
            # failure chain (every suffix the automaton still tracks), and how many tokens of
            # that partial occurrence are already out; from the root, a fresh shortest one.
            shortest = [min(len(a) for a in alts) for alts, _ in sent]
            node_rest = [[shortest[ci] for ci in range(len(sent))] for _ in children]
            node_prog = [[0] * len(sent) for _ in children]
            for node in order:
                for ci in range(len(sent)):
                    via_fail, prog_fail = node_rest[fail[node]][ci], node_prog[fail[node]][ci]
                    own = direct_rest[node].get(ci)
                    if own is not None and own <= via_fail:
                        node_rest[node][ci], node_prog[node][ci] = own, node_depth[node]
                    else:
                        node_rest[node][ci], node_prog[node][ci] = via_fail, prog_fail
            goto: list[dict[int, int]] = [{} for _ in children]
            node_ends = [dict(e) for e in direct_end]
            for node in [0] + order:
                for tok in alphabet:
                    if tok in children[node]:
                        goto[node][tok] = children[node][tok]
                    else:
                        goto[node][tok] = goto[fail[node]][tok] if node else 0
                if node:
                    for ci, length in node_ends[fail[node]].items():
                        node_ends[node][ci] = min(node_ends[node].get(ci, length), length)
            for node in range(len(children)):
                delta_rows.append([offset + goto[node][tok] for tok in alphabet])
                depth.append(node_depth[node])
                through.append([ci in node_through[node] for ci in range(n_cons)])
                ends.append([node_ends[node].get(ci, 0) for ci in range(n_cons)])
                rest.append(node_rest[node] + [0] * (n_cons - len(sent)))
                prog.append(node_prog[node] + [0] * (n_cons - len(sent)))
                force: dict[int, set[int]] = {}
                for source in (children[0], children[node]):
                    for tok, child in source.items():
                        force.setdefault(tok, set()).update(node_through[child])
                f_tok.append(sorted(force))
                kids.append(sorted(children[node]))
                f_through.append([[ci in force[tok] for ci in range(n_cons)] for tok in sorted(force)])
            roots.append(offset)
            counts.append([c for _, c in sent] + [0] * (n_cons - len(sent)))
            ells.append([min(len(a) for a in alts) for alts, _ in sent] + [0] * (n_cons - len(sent)))
            alphabets.append(alphabet)

        n_alpha = max([len(a) for a in alphabets] + [1])
        n_force = max([len(f) for f in f_tok] + [1])
        sentinel = settings.vocab_size  # larger than every token id: sorts last, never matches
        as_long = dict(dtype=torch.long, device=device)
        self.alpha = torch.tensor([a + [sentinel] * (n_alpha - len(a)) for a in alphabets], **as_long)
        # padded alphabet columns are never selected (their lookups fail), any node id will do
        self.delta = torch.tensor([r + [0] * (n_alpha - len(r)) for r in delta_rows], **as_long)
        self.depth = torch.tensor(depth, **as_long)
        self.through = torch.tensor(through, dtype=torch.bool, device=device)
        self.ends = torch.tensor(ends, **as_long)
        self.force_tok = torch.tensor([f + [0] * (n_force - len(f)) for f in f_tok], **as_long)
        # trie children of each node: the tokens that go on along some alternative (a longer,
        # inflected form) after an alternative has ended there
        n_kids = max([len(c) for c in kids] + [1])
        self.kid_tok = torch.tensor([c + [0] * (n_kids - len(c)) for c in kids], **as_long)
        self.kid_valid = torch.tensor(
            [[True] * len(c) + [False] * (n_kids - len(c)) for c in kids], dtype=torch.bool, device=device
        )
        self.force_valid = torch.tensor(
            [[True] * len(f) + [False] * (n_force - len(f)) for f in f_tok], dtype=torch.bool, device=device
        )
        self.force_through = torch.tensor(
            [ft + [[False] * n_cons] * (n_force - len(ft)) for ft in f_through], dtype=torch.bool, device=device
        )
        self.root = torch.tensor(roots, **as_long)
        self.count = torch.tensor(counts, **as_long)
        self.ell = torch.tensor(ells, **as_long)
        self.rest = torch.tensor(rest, **as_long)  # (nodes, constraints) tokens to finish one from here
        self.prog = torch.tensor(prog, **as_long)  # (nodes, constraints) tokens of it already out
        # bank of a hypothesis that meets everything: one step per constraint token
        self.total = (self.count * self.ell).sum(-1)
        self.stripe_width = int(self.total.max()) + 2  # banks 0..total, one stripe each
        self.n_cons = n_cons


@dataclass
class _Beams:
    """Per-sentence, per-beam search state; every tensor is (sentences, beams, ...)."""

    node: torch.Tensor  # automaton node
    met: torch.Tensor  # (…, constraints) occurrences found
    last_end: torch.Tensor  # (…, constraints) position where the last counted occurrence ended

    def take(self, beam: torch.Tensor) -> _Beams:
        """Rows `beam` (sentences, n) of each sentence's beams."""
        c = self.met.shape[-1]
        idx = beam[..., None].expand(-1, -1, c)
        return _Beams(self.node.gather(1, beam), self.met.gather(1, idx), self.last_end.gather(1, idx))

    def select(self, keep: torch.Tensor) -> _Beams:
        return _Beams(self.node[keep], self.met[keep], self.last_end[keep])


def _advance(auto: _Automaton, sent: torch.Tensor, state: _Beams, beam, token, t: int):
    """New automaton state, met flag and bank for candidates (beam, token) emitted at position `t`."""
    alpha = auto.alpha[sent]
    prev = state.take(beam)
    li = torch.searchsorted(alpha, token).clamp_(max=alpha.shape[1] - 1)
    found = alpha.gather(1, li) == token
    nxt = torch.where(found, auto.delta[prev.node, li], auto.root[sent][:, None])
    ends = auto.ends[nxt]  # (S, M, C) shortest alternative of each constraint ending here
    hit = (ends > 0) & (t - ends + 1 > prev.last_end)  # starts after the previous counted occurrence
    met = prev.met + hit
    last_end = torch.where(hit, t, prev.last_end)
    count, ell, total = auto.count[sent][:, None], auto.ell[sent][:, None], auto.total[sent][:, None]
    unmet = met < count
    all_met = ~unmet.any(-1)
    # bank: constraint tokens produced so far (Post & Vilar's "number of constraint tokens met"),
    # plus the trie prefix in progress when it leads to a constraint still needed; only tokens
    # after the last counted occurrence are in progress, or a term just met would count twice
    in_progress = torch.minimum(auto.depth[nxt], t - last_end.max(-1).values)
    partial = torch.where((auto.through[nxt] & unmet).any(-1), in_progress, 0)
    bank = (torch.minimum(met, count) * ell).sum(-1) + partial
    bank = torch.where(all_met, total, torch.minimum(bank, total - 1))
    return _Beams(nxt, met, last_end), all_met, bank


def _need(auto: _Automaton, sent: torch.Tensor, state: _Beams, t_pos: int) -> torch.Tensor:
    """(S, M) the fewest tokens each hypothesis still has to produce to meet every constraint.

    Each occurrence still missing costs its constraint's shortest alternative, less what
    the partial occurrence in progress already has out (only one can be in progress, and
    only tokens after that constraint's last counted occurrence count: `t_pos` is the
    position of the last token produced)."""
    count, ell = auto.count[sent][:, None], auto.ell[sent][:, None]
    missing = (count - state.met).clamp(min=0)
    base = (missing * ell).sum(-1)
    rest, prog = auto.rest[state.node], auto.prog[state.node]
    usable = (missing > 0) & (prog <= t_pos - state.last_end) & (rest < ell)
    saved = torch.where(usable, ell - rest, 0).max(-1).values
    return base - saved


def _reserve(logp: torch.Tensor, auto: _Automaton, sent: torch.Tensor, state: _Beams, t: int,
             room: torch.Tensor) -> None:
    """Keep the steps the unmet constraints need: a hypothesis with no more room left
    (`room`: (S,) content positions from `t` on) than its terms take may only produce
    tokens that bring them nearer, so a term is never lost to the length limit."""
    need = _need(auto, sent, state, t - 1)  # (S, k)
    tight = (need > 0) & (need >= room[:, None]) & (room[:, None] > 0)
    if not bool(tight.any()):
        return
    n_sent, k, vocab = logp.shape
    alpha = auto.alpha[sent]  # (S, A) this sentence's constraint tokens (padded with vocab)
    n_alpha = alpha.shape[1]
    cand_b = torch.arange(k, device=logp.device).repeat_interleave(n_alpha).expand(n_sent, -1)
    cand_t = alpha.repeat(1, k)
    after, _, _ = _advance(auto, sent, state, cand_b, cand_t, t)
    nearer = (_need(auto, sent, after, t) < need.gather(1, cand_b)) & (cand_t < vocab)
    allowed = torch.zeros((n_sent, k, vocab + 1), dtype=torch.bool, device=logp.device)
    allowed.view(n_sent, -1).scatter_(1, cand_b * (vocab + 1) + cand_t.clamp(max=vocab), nearer)
    logp.masked_fill_(tight[:, :, None] & ~allowed[:, :, :vocab], _NEG_INF)


def _allocate(scores, top_s, top_b, top_t, auto, sent, state: _Beams, t: int, n_keep: int):
    """Dynamic beam allocation: widen the candidate list, then stripe it across banks.

    Returns the `n_keep` chosen candidates as (score, beam, token, new state, all_met), in
    allocation order; with no constraints that is exactly score order, i.e. generate()'s.
    """
    n_sent, k, vocab = scores.shape
    dev = scores.device
    best_s, best_t = scores.max(-1)  # each beam's own best continuation
    unmet = state.met < auto.count[sent][:, None]
    f_tok = auto.force_tok[state.node]  # (S, k, F)
    useful = auto.force_valid[state.node] & (auto.force_through[state.node] & unmet[:, :, None, :]).any(-1)
    f_s = scores.gather(2, f_tok).masked_fill_(~useful, _NEG_INF)
    beams = torch.arange(k, device=dev).expand(n_sent, k)
    f_beam = beams[:, :, None].expand_as(f_tok)
    cand_b = torch.cat([top_b, beams, f_beam.reshape(n_sent, -1)], 1)
    cand_t = torch.cat([top_t, best_t, f_tok.reshape(n_sent, -1)], 1)
    cand_s = torch.cat([top_s, best_s, f_s.reshape(n_sent, -1)], 1)
    # drop duplicate (beam, token) pairs, keeping the first (top-k) copy
    key = cand_b * vocab + cand_t
    sorted_key, perm = torch.sort(key, dim=1, stable=True)
    dup_sorted = torch.zeros_like(sorted_key, dtype=torch.bool)
    dup_sorted[:, 1:] = sorted_key[:, 1:] == sorted_key[:, :-1]
    dup = torch.zeros_like(dup_sorted).scatter_(1, perm, dup_sorted)
    valid = (cand_s > _NEG_INF) & ~dup
    new_state, all_met, bank = _advance(auto, sent, state, cand_b, cand_t, t)
    bank = torch.where(valid, bank, -1)
    # order by (bank desc, score desc); stable, so equal scores keep top-k order
    o1 = torch.sort(torch.where(valid, cand_s, _NEG_INF), dim=1, descending=True, stable=True)[1]
    o2 = torch.sort(bank.gather(1, o1), dim=1, descending=True, stable=True)[1]
    order = o1.gather(1, o2)
    bk = bank.gather(1, order)
    pos = torch.arange(bk.shape[1], device=dev).expand_as(bk)
    first = torch.ones_like(bk, dtype=torch.bool)
    first[:, 1:] = bk[:, 1:] != bk[:, :-1]
    rank = pos - torch.cummax(torch.where(first, pos, 0), dim=1).values
    # round robin: best of each bank (most advanced first), then the second best of each, ...
    total = auto.total[sent][:, None]
    stripe = torch.where(bk >= 0, rank * auto.stripe_width + (total - bk), (1 << 40) + pos)
    chosen = order.gather(1, torch.sort(stripe, dim=1, stable=True)[1][:, :n_keep])
    return (
        cand_s.gather(1, chosen).masked_fill(~valid.gather(1, chosen), _NEG_INF),
        cand_b.gather(1, chosen),
        cand_t.gather(1, chosen),
        new_state.take(chosen),
        all_met.gather(1, chosen),
    )


# --------------------------------------------------------------------------- banned sequences


class _Banned:
    """Negative constraints: block a sequence's last token right after its other tokens.

    As generate()'s bad_words_ids, the history includes the decoder start token.
    """

    def __init__(self, banned, settings: _Settings, n_sent: int, device):
        rows = []
        for b in range(n_sent):
            seqs = list(banned[b]) if banned is not None else []
            for seq in seqs + list(settings.bad_words):
                seq = tuple(int(t) for t in seq)
                if not seq:
                    raise ValueError(f"banned[{b}]: empty banned sequence")
                if not all(0 <= t < settings.vocab_size for t in seq):
                    raise ValueError(f"banned[{b}]: {seq} has tokens outside the vocabulary")
                rows.append((b, seq))
        self.n = len(rows)
        self.n_sent = n_sent
        if not rows:
            return
        width = max(len(s) for _, s in rows) - 1
        self.width = width
        self.sent = torch.tensor([b for b, _ in rows], dtype=torch.long, device=device)
        self.last = torch.tensor([s[-1] for _, s in rows], dtype=torch.long, device=device)
        # prefixes right-aligned; -1 marks "no constraint at this position"
        self.prefix = torch.tensor(
            [[-1] * (width - len(s) + 1) + list(s[:-1]) for _, s in rows], dtype=torch.long, device=device
        ).reshape(len(rows), width)
        self.free = self.prefix < 0

    def apply(self, logp: torch.Tensor, history: torch.Tensor, active: torch.Tensor) -> None:
        """logp (S, k, V) in place; history (S, k, len) with the decoder start; active: original ids."""
        if not self.n:
            return
        row_of = torch.full((self.n_sent,), -1, dtype=torch.long, device=logp.device)
        row_of[active] = torch.arange(active.shape[0], device=logp.device)
        rows = row_of[self.sent]
        live = rows >= 0
        if not live.any():
            return
        rows, last, prefix, free = rows[live], self.last[live], self.prefix[live], self.free[live]
        if self.width:
            tail = history[rows, :, -self.width:]
            if tail.shape[-1] < self.width:  # history shorter than the prefix: pad with no-token
                tail = torch.nn.functional.pad(tail, (self.width - tail.shape[-1], 0), value=-2)
            match = ((tail == prefix[:, None, :]) | free[:, None, :]).all(-1)
        else:
            match = torch.ones((rows.shape[0], logp.shape[1]), dtype=torch.bool, device=logp.device)
        which, beam = torch.nonzero(match, as_tuple=True)
        logp[rows[which], beam, last[which]] = _NEG_INF


# --------------------------------------------------------------------------- search


def _block_glued(logp: torch.Tensor, auto: _Automaton, node: torch.Tensor, word_continuation: torch.Tensor) -> None:
    """After a term, no letters glued on: only a new word, punctuation, EOS or a longer form."""
    ended = (auto.ends[node] > 0).any(-1)  # (sentences, beams): an alternative ends at this node
    if not bool(ended.any()):
        return
    vocab = logp.shape[-1]
    cont = word_continuation[:vocab]
    if cont.shape[0] < vocab:
        cont = torch.cat((cont, cont.new_zeros(vocab - cont.shape[0])))
    block = cont.expand(*ended.shape, vocab) & ended[..., None]
    kids, valid = auto.kid_tok[node], auto.kid_valid[node]
    block = block.scatter(-1, kids, block.gather(-1, kids) & ~valid)
    logp.masked_fill_(block, _NEG_INF)


def _forward_kwargs(model):
    """The cache keyword: `cache` since transformers 5.x (past_key_values deprecated until 5.40)."""
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _reorder(cache, beam_idx: torch.Tensor, shrink: bool) -> None:
    """Reorder the key/value cache to the chosen beams.

    Cross-attention keys/values are identical for every beam of a sentence (one
    encoder output, repeated), so they only need selecting when the batch shrinks.
    """
    self_cache = getattr(cache, "self_attention_cache", None)
    if self_cache is not None and not shrink:
        self_cache.reorder_cache(beam_idx)
    elif hasattr(cache, "reorder_cache"):
        cache.reorder_cache(beam_idx)
    else:
        raise TypeError(f"{type(cache).__name__} cannot be reordered for beam search")


# --------------------------------------------------------------------------- beam search steps
# Named as transformers 5's `_beam_search` names its helpers (generation/utils.py), so that
# the two read side by side; each says where it differs.


def _flatten_beam_dim(tensor: torch.Tensor) -> torch.Tensor:
    """[sentences, beams, ...] -> [sentences * beams, ...] (transformers' own)."""
    shape = list(tensor.shape)
    return torch.reshape(tensor, [shape[0] * shape[1]] + shape[2:])


def _unflatten_beam_dim(tensor: torch.Tensor, batch_size: int, num_beams: int) -> torch.Tensor:
    """[sentences * beams, ...] -> [sentences, beams, ...] (transformers' own)."""
    shape = list(tensor.shape)
    return torch.reshape(tensor, [batch_size, num_beams] + shape[1:])


def _gather_beams(tensor: torch.Tensor, beam_indices: torch.Tensor) -> torch.Tensor:
    """The beams `beam_indices` (sentences, n) of each sentence (transformers' own)."""
    while len(beam_indices.shape) < len(tensor.shape):
        beam_indices = beam_indices.unsqueeze(-1)
    return torch.take_along_dim(input=tensor, indices=beam_indices, dim=1)


@dataclass
class _Running:
    """The beams that go on: transformers' `running_sequences` / `running_beam_scores`, plus
    each beam's constraint state."""

    sequences: torch.Tensor  # (sentences, beams, 1 + steps): decoder start, tokens so far, padding
    beam_scores: torch.Tensor  # (sentences, beams) summed log-probabilities; -inf: no beam
    state: _Beams

    def select(self, keep: torch.Tensor) -> _Running:
        return _Running(self.sequences[keep], self.beam_scores[keep], self.state.select(keep))


@dataclass
class _Finished:
    """The best finished hypotheses so far, `num_beams` per sentence: transformers' `sequences`,
    `beam_scores` and `is_sent_finished`, plus what a Hypothesis needs besides."""

    sequences: torch.Tensor  # (sentences, beams, 1 + steps)
    beam_scores: torch.Tensor  # (sentences, beams) the ranking key: normalised score plus penalties
    is_sent_finished: torch.Tensor  # (sentences, beams) a real hypothesis holds the slot
    scores: torch.Tensor  # (sentences, beams) normalised score, without the ranking penalties
    met: torch.Tensor  # (sentences, beams) it meets every constraint
    lengths: torch.Tensor  # (sentences, beams) tokens, EOS included

    @classmethod
    def empty(cls, sequences: torch.Tensor) -> _Finished:
        n_sent, k = sequences.shape[:2]
        dev = sequences.device
        return cls(
            sequences.clone(),
            torch.full((n_sent, k), _NEG, device=dev),  # generate()'s beam_scores (with penalties)
            torch.zeros((n_sent, k), dtype=torch.bool, device=dev),
            torch.full((n_sent, k), _NEG_INF, device=dev),
            torch.zeros((n_sent, k), dtype=torch.bool, device=dev),
            torch.zeros((n_sent, k), dtype=torch.long, device=dev),
        )

    def select(self, keep: torch.Tensor) -> _Finished:
        return _Finished(self.sequences[keep], self.beam_scores[keep], self.is_sent_finished[keep],
                         self.scores[keep], self.met[keep], self.lengths[keep])


@dataclass
class _Candidates:
    """A step's chosen continuations, in allocation order: transformers' `topk_log_probs`,
    `topk_running_sequences` and the beam / token each came from, with its constraint state."""

    log_probs: torch.Tensor  # (sentences, beams_to_keep) accumulated; -inf: no candidate
    beam: torch.Tensor
    token: torch.Tensor
    state: _Beams
    met: torch.Tensor  # it meets every constraint
    sequences: torch.Tensor  # (sentences, beams_to_keep, 1 + steps) with the token at its step


def _process_logits(log_probs: torch.Tensor, t: int, running: _Running, auto: _Automaton, active: torch.Tensor,
                    ban: _Banned, st: _Settings, eos_t: torch.Tensor, room: torch.Tensor, at_cap: torch.Tensor,
                    word_continuation: torch.Tensor | None) -> torch.Tensor:
    """generate()'s `logits_processor(...)`: its processors in its order (blocking first, forcing
    last), with the constraints' own between: no letters glued to a term, no EOS before every
    term is met, and the steps the unmet terms need kept (`_reserve`). `room`: (S,) content
    positions left from this step on."""
    ban.apply(log_probs, running.sequences[:, :, : t + 1], active)
    if auto.any and word_continuation is not None:
        _block_glued(log_probs, auto, running.state.node, word_continuation)
    if 1 + t < st.min_length or t < st.min_new_tokens:
        log_probs[:, :, eos_t] = _NEG_INF
    if auto.any:
        unmet_beam = (running.state.met < auto.count[active][:, None]).any(-1)
        log_probs[:, :, eos_t] = log_probs[:, :, eos_t].masked_fill(unmet_beam[:, :, None], _NEG_INF)
        if not (t == 0 and st.forced_bos is not None):
            _reserve(log_probs, auto, active, running.state, t, room)
    if t == 0 and st.forced_bos is not None:
        log_probs.fill_(_NEG_INF)
        log_probs[:, :, st.forced_bos] = 0.0
    if st.forced_eos and bool(at_cap.any()):
        only_eos = torch.full_like(log_probs[:1], _NEG_INF)
        only_eos[:, :, list(st.forced_eos)] = 0.0
        log_probs = torch.where(at_cap[:, None, None], only_eos, log_probs)
    return log_probs


def _get_top_k_continuations(accumulated_log_probs: torch.Tensor, running: _Running, auto: _Automaton,
                             active: torch.Tensor, t: int, beams_to_keep: int) -> _Candidates:
    """The top `beams_to_keep` over all beams, as generate() takes them; with constraints, the
    list is widened and striped across banks instead (`_allocate`)."""
    n_live, k, vocab = accumulated_log_probs.shape
    top_s, top_i = torch.topk(accumulated_log_probs.view(n_live, k * vocab), beams_to_keep)
    top_b, top_t = top_i // vocab, top_i % vocab
    if auto.any:
        log_probs, beam, token, state, met = _allocate(
            accumulated_log_probs, top_s, top_b, top_t, auto, active, running.state, t, beams_to_keep
        )
    else:
        log_probs, beam, token = top_s, top_b, top_t
        state = running.state.take(beam)
        met = torch.ones_like(beam, dtype=torch.bool)
    sequences = _gather_beams(running.sequences, beam).clone()
    sequences[:, :, t + 1] = token
    return _Candidates(log_probs, beam, token, state, met, sequences)


def _get_running_beams_for_next_iteration(candidates: _Candidates, stop: torch.Tensor, valid: torch.Tensor,
                                          num_beams: int) -> tuple[_Running, torch.Tensor, torch.Tensor]:
    """The first `num_beams` candidates that go on, in allocation order (generate() takes the
    best by score, which with no constraints is the same order); their source beams and tokens."""
    cls = torch.where(valid, stop.long(), 2)
    go_on = torch.sort(cls, dim=1, stable=True)[1][:, :num_beams]
    beam = candidates.beam.gather(1, go_on)
    token = candidates.token.gather(1, go_on)
    beam_scores = torch.where(cls.gather(1, go_on) == 0, candidates.log_probs.gather(1, go_on), _NEG_INF)
    sequences = _gather_beams(candidates.sequences, go_on)
    return _Running(sequences, beam_scores, candidates.state.take(go_on)), beam, token


def _update_finished_beams(finished: _Finished, candidates: _Candidates, just_finished: torch.Tensor,
                           is_early_stop_heuristic_unsatisfied: torch.Tensor, t: int, length_penalty: float,
                           early_stopping: bool | str) -> _Finished:
    """generate()'s, with one key more: a hypothesis that misses a constraint (only possible
    at the length limit) ranks below every one that meets them."""
    norm = candidates.log_probs / ((t + 1) ** length_penalty)
    key = norm + (finished.is_sent_finished.all(-1, keepdim=True) & (early_stopping is True)).to(torch.float32) * _NEG
    key = key + (~is_early_stop_heuristic_unsatisfied).to(torch.float32) * _NEG
    key = key + (~just_finished) * _NEG
    key = key + (~candidates.met) * _UNMET_PENALTY
    merged_scores = torch.cat((finished.beam_scores, key), 1)
    best = torch.topk(merged_scores, k=finished.beam_scores.shape[1])[1]

    def merged(old: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
        return _gather_beams(torch.cat((old, new), 1), best)

    return _Finished(
        merged(finished.sequences, candidates.sequences),
        merged_scores.gather(1, best),
        merged(finished.is_sent_finished, just_finished),
        merged(finished.scores, norm),
        merged(finished.met, candidates.met),
        merged(finished.lengths, torch.full_like(candidates.beam, t + 1)),
    )


def _check_early_stop_heuristic(is_early_stop_heuristic_unsatisfied: torch.Tensor, running_beam_scores: torch.Tensor,
                                finished: _Finished, t: int, caps: torch.Tensor, early_stopping: bool | str,
                                length_penalty: float) -> torch.Tensor:
    """generate()'s, per sentence: can a running beam still beat the worst finished one? The
    best running beam is the highest score, not the first (allocation order is not score
    order); "never" estimates with each sentence's own cap."""
    if early_stopping == "never" and length_penalty > 0.0:
        # as generate()'s Python float n_new ** length_penalty, then float32
        best_hypothetical_length = (caps[:, None].double() ** length_penalty).float()
    else:
        best_hypothetical_length = (t + 1) ** length_penalty
    best_possible_running_score = running_beam_scores.max(1, keepdim=True).values / best_hypothetical_length
    worst_finished_score = torch.where(finished.is_sent_finished, finished.beam_scores.min(1, keepdim=True).values, _NEG)
    return is_early_stop_heuristic_unsatisfied & (best_possible_running_score > worst_finished_score).any(-1, keepdim=True)


def _beam_search_is_done(is_early_stop_heuristic_unsatisfied: torch.Tensor, finished: _Finished,
                         at_cap: torch.Tensor, early_stopping: bool | str) -> torch.Tensor:
    """(S,) generate()'s `_beam_search_has_unfinished_sequences`, negated and per sentence (a done
    one leaves the batch): no improvement possible, every slot finished with early stopping,
    or its cap reached."""
    return (~is_early_stop_heuristic_unsatisfied[:, 0] | (finished.is_sent_finished.all(-1) & (early_stopping is True))
            | at_cap)


def _best_hypotheses(rows: torch.Tensor, finished: _Finished, running: _Running, auto: _Automaton,
                     active: torch.Tensor, cur_len: int, length_penalty: float, st: _Settings) -> dict[int, Hypothesis]:
    """The best finished hypothesis of each of `rows` (by original sentence index); a sentence
    with none (every continuation blocked) gets its best running beam as it stands."""
    found = {}
    for r in rows.tolist():
        if bool(finished.is_sent_finished[r, 0]):
            seq, length = finished.sequences[r, 0], int(finished.lengths[r, 0])
            score, met = float(finished.scores[r, 0]), bool(finished.met[r, 0])
        else:
            j = int(running.beam_scores[r].argmax())
            seq, length = running.sequences[r, j], cur_len
            score = float(running.beam_scores[r, j]) / (cur_len**length_penalty)
            met = bool((running.state.met[r, j] >= auto.count[active[r]]).all())
        found[int(active[r])] = Hypothesis(_clean(seq[1 : 1 + length].tolist(), st), score, met)
    return found


def _decoder_step(model, cache_kw: str, hidden: torch.Tensor, enc_mask: torch.Tensor, last: torch.Tensor, cache,
                  n_live: int, num_beams: int):
    """One decoder token per beam on the cached keys/values: log-probabilities (S, beams, vocab)
    and the cache (generate()'s model forward and log_softmax)."""
    from transformers.modeling_outputs import BaseModelOutput

    out = model(
        encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
        attention_mask=enc_mask,
        decoder_input_ids=last,
        use_cache=True,
        return_dict=True,
        **{cache_kw: cache},
    )
    cache = out.cache if hasattr(out, "cache") else out.past_key_values
    logits = out.logits[:, -1, :].to(dtype=torch.float32)
    del out
    log_probs = _unflatten_beam_dim(torch.nn.functional.log_softmax(logits, dim=-1), n_live, num_beams)
    return log_probs, cache


def _checked_caps(input_ids: torch.Tensor, constraints: Sequence, banned: Sequence | None, num_beams: int,
                  max_new_tokens: int | Sequence[int]) -> list[int]:
    """Each sentence's `max_new_tokens`, the arguments checked: one entry per sentence each."""
    if input_ids.dim() != 2:
        raise ValueError(f"input_ids must be (batch, length), got shape {tuple(input_ids.shape)}")
    n_sent = input_ids.shape[0]
    if len(constraints) != n_sent:
        raise ValueError(f"constraints has {len(constraints)} entries for {n_sent} sentences; give one list each")
    if banned is not None and len(banned) != n_sent:
        raise ValueError(f"banned has {len(banned)} entries for {n_sent} sentences; give one list each")
    caps = [max_new_tokens] * n_sent if isinstance(max_new_tokens, int) else [int(c) for c in max_new_tokens]
    if len(caps) != n_sent:
        raise ValueError(f"max_new_tokens has {len(caps)} entries for {n_sent} sentences; give one each, or one int")
    if num_beams < 1 or min(caps, default=1) < 1:
        raise ValueError("num_beams and max_new_tokens must be >= 1")
    return caps


@torch.inference_mode()
def constrained_beam_search(
    model,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    constraints: list[list[Constraint]],
    banned: list[list[tuple[int, ...]]] | None = None,
    num_beams: int = 4,
    max_new_tokens: int | Sequence[int] = 256,
    length_penalty: float = 1.0,
    forced_bos_token_id: int | None = None,
    min_new_tokens: int | None = None,
    early_stopping: bool | str | None = None,
    word_continuation: torch.Tensor | None = None,
    forced_eos_token_id: int | Sequence[int] | None | str = FROM_CONFIG,
) -> list[Hypothesis]:
    """Best hypothesis per input sentence, in input order, meeting every constraint when possible.

    With no constraints, tokens and scores equal
    ``model.generate(input_ids, attention_mask=attention_mask, num_beams=num_beams,
    max_new_tokens=max_new_tokens, do_sample=False, length_penalty=length_penalty,
    early_stopping=early_stopping, min_new_tokens=min_new_tokens,
    forced_bos_token_id=forced_bos_token_id, bad_words_ids=banned)`` with
    ``num_return_sequences=1``, for each of early_stopping True / False / "never" and
    num_beams >= 2 (at 1, generate() switches to greedy search, which finishes differently).
    Unset options default as generate() defaults them,
    from ``model.generation_config``: early_stopping, min_new_tokens, forced_bos_token_id;
    its bad_words_ids, min_length and forced_eos_token_id (at the length limit) apply too
    (`forced_eos_token_id`: another one, or None for none, as generate() takes it).
    Sequence scores are generate()'s: summed log-probabilities divided by
    (generated tokens, EOS and forced BOS included) ** length_penalty.

    Constraints: EOS is blocked until every constraint is met, so finished
    hypotheses meet them all; at ``max_new_tokens`` the best hypothesis is returned
    even if it misses one (``met=False``; met ones always rank first).
    `banned`: token sequences never produced, per sentence (checked against the
    generated history, decoder start included).

    `word_continuation`: a bool per vocabulary id, True for pieces that go on the
    word before them (SentencePiece pieces without the `▁` word start that begin
    with a letter). Right after a constraint alternative ends, such tokens are
    blocked unless they go on along a longer alternative (an inflected form), so a
    term is never glued to letters that would make it another word
    (`ՄիրզոյանK`). Alternatives should start with a word-start piece.

    The loop is transformers' `_beam_search` step by step (model forward, logits processors,
    `_get_top_k_continuations`, `_get_running_beams_for_next_iteration`,
    `_update_finished_beams`, `_check_early_stop_heuristic`), with sentences that are done
    leaving the batch.
    """
    caps = _checked_caps(input_ids, constraints, banned, num_beams, max_new_tokens)
    n_sent = input_ids.shape[0]
    if n_sent == 0:
        return []
    st = _settings(model, forced_bos_token_id, min_new_tokens, early_stopping, forced_eos_token_id)
    dev = input_ids.device
    auto = _Automaton(constraints, st, dev)
    # Room for the terms: a cap below what a sentence's constraints take (plus a forced
    # language token and the end of sentence) is raised to it.
    frame = (st.forced_bos is not None) + 1
    caps = [max(cap, int(total) + frame) if int(total) else cap for cap, total in zip(caps, auto.total.tolist())]
    cap_of = torch.tensor(caps, dtype=torch.long, device=dev)
    # the last position a term may take: before a forced end of sentence at the cap
    last_content = cap_of - (2 if st.forced_eos else 1)
    k, n_new = num_beams, max(caps)
    ban = _Banned(banned, st, n_sent, dev)
    eos_t = torch.tensor(st.eos, device=dev)
    beams_to_keep = max(2, 1 + len(st.eos)) * k
    top_num_beam_mask = torch.arange(beams_to_keep, device=dev) < k  # only these may finish (as generate())
    cache_kw = _forward_kwargs(model)
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)

    enc = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
    hidden = enc.last_hidden_state.repeat_interleave(k, dim=0)
    enc_mask = attention_mask.repeat_interleave(k, dim=0)
    del enc

    active = torch.arange(n_sent, device=dev)  # original index of each live sentence
    sequences = torch.full((n_sent, k, 1 + n_new), st.pad, dtype=torch.long, device=dev)
    sequences[:, :, 0] = st.start
    beam_scores = torch.full((n_sent, k), _NEG_INF, device=dev)
    beam_scores[:, 0] = 0.0  # all beams start equal: expand only the first
    state = _Beams(
        auto.root[:, None].expand(n_sent, k).clone(),
        torch.zeros((n_sent, k, auto.n_cons), dtype=torch.long, device=dev),
        torch.full((n_sent, k, auto.n_cons), -1, dtype=torch.long, device=dev),
    )
    running = _Running(sequences, beam_scores, state)
    finished = _Finished.empty(sequences)
    is_early_stop_heuristic_unsatisfied = torch.ones((n_sent, 1), dtype=torch.bool, device=dev)
    results: dict[int, Hypothesis] = {}
    cache = None
    last = torch.full((n_sent * k, 1), st.start, dtype=torch.long, device=dev)

    for t in range(n_new):
        n_live = active.shape[0]
        log_probs, cache = _decoder_step(model, cache_kw, hidden, enc_mask, last, cache, n_live, k)
        at_cap = cap_of[active] - 1 == t  # (S,) sentences at their last step
        log_probs = _process_logits(log_probs, t, running, auto, active, ban, st, eos_t,
                                    last_content[active] - t + 1, at_cap, word_continuation)
        candidates = _get_top_k_continuations(log_probs + running.beam_scores[:, :, None], running, auto, active, t,
                                              beams_to_keep)
        del log_probs
        next_token_hits_stopping_criteria = torch.isin(candidates.token, eos_t) | at_cap[:, None]
        valid = candidates.log_probs > _NEG_INF
        running, beam, token = _get_running_beams_for_next_iteration(
            candidates, next_token_hits_stopping_criteria, valid, k)
        finished = _update_finished_beams(
            finished, candidates, next_token_hits_stopping_criteria & valid & top_num_beam_mask[None, :],
            is_early_stop_heuristic_unsatisfied, t, length_penalty, st.early_stopping)
        is_early_stop_heuristic_unsatisfied = _check_early_stop_heuristic(
            is_early_stop_heuristic_unsatisfied, running.beam_scores, finished, t, cap_of[active],
            st.early_stopping, length_penalty)
        done = _beam_search_is_done(is_early_stop_heuristic_unsatisfied, finished, at_cap, st.early_stopping)
        if t == n_new - 1 or bool(next_token_hits_stopping_criteria.all()) or bool(done.all()):
            results.update(_best_hypotheses(torch.arange(n_live, device=dev), finished, running, auto, active, t + 1,
                                            length_penalty, st))
            break

        beam_idx = _flatten_beam_dim(torch.arange(n_live, device=dev)[:, None] * k + beam)
        if bool(done.any()):  # done sentences leave the batch
            results.update(_best_hypotheses(torch.nonzero(done)[:, 0], finished, running, auto, active, t + 1,
                                            length_penalty, st))
            keep = torch.nonzero(~done)[:, 0]
            beam_idx = _flatten_beam_dim(_unflatten_beam_dim(beam_idx, n_live, k)[keep])
            _reorder(cache, beam_idx, shrink=True)
            hidden, enc_mask = hidden.index_select(0, beam_idx), enc_mask.index_select(0, beam_idx)
            active, running, token = active[keep], running.select(keep), token[keep]
            finished = finished.select(keep)
            is_early_stop_heuristic_unsatisfied = is_early_stop_heuristic_unsatisfied[keep]
        else:
            _reorder(cache, beam_idx, shrink=False)
        last = _flatten_beam_dim(token[:, :, None])
    return [results[i] for i in range(n_sent)]


def _clean(tokens: list[int], st: _Settings) -> list[int]:
    """Drop the forced BOS, a final EOS and padding."""
    if st.forced_bos is not None and tokens and tokens[0] == st.forced_bos:
        tokens = tokens[1:]
    if tokens and tokens[-1] in st.eos:
        tokens = tokens[:-1]
    return [t for t in tokens if t != st.pad]
