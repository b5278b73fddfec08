"""Articles as text: reading input files, cutting them into segments, writing them back."""
