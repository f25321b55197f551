"""Documents applicants upload (the materials a notice still asks for): checked by content,
sealed with the data key ring, stored content-addressed behind a small store interface, and
referenced by id from forms, supplements, workflows and activities (never their bytes).
docs/documents.md tells the whole story."""
