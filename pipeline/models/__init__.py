"""Model folders: finding them offline, fetching, converting to CTranslate2, fingerprints."""
