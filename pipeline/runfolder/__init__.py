"""The run folder: its file names and formats, and the editors' work kept in it (see `folder.RunFolder`)."""
