"""Names the glossary does not know yet: find them, spell them the desk's way, one spelling
per run, and grow the glossary from the run and from the editors (docs/names.md).

- `find.find_names(lines, lang, glossary)` / `find.NameFinder`: names with lemma, spellings, type;
- `romanize.romanize(text, style)`, `romanize.to_armenian(name)`, `romanize.same_name(a, b)`;
- `consistency.NameBook`: the stage after the engine that keeps one spelling per name;
- `run_names.RunNames`: a batch run's names, kept with its state and listed in run.json;
- `suggest.suggest_tsv(out_dir)`, `suggest.merge(glossary, files)`.
"""
