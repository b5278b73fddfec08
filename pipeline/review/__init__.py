"""The editor's loop: post-edit a finished run, and give it back to the run.

    targman review OUT_DIR --serve     the review page, editable (`server`, over `session`)
    targman export / import            the run as XLIFF 2.1 or 1.2 for a CAT tool (`xliff`)
    targman apply OUT_DIR              the post-edits written into the output articles (`apply`)

Every post-edit, from any of them, is a line of `OUT_DIR/edits.jsonl` (`runfolder.edits`) and an
entry of the translation memory's human table, so every later run over the folder, and every
run of the same sentence elsewhere, takes the editor's text. Marks (a segment reviewed) and
glossary concepts added from the review go to `OUT_DIR/review-log.jsonl` (`runfolder.log`).
"""
