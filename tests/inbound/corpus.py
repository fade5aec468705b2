"""Where the shared email corpus is: `../shared/email-corpus` beside the repository (CI, the main checkout), one
level further up for a worktree under wt/, or EMAIL_CORPUS. Tests using it skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def corpus_folder() -> Path | None:
    candidates = [Path(os.environ["EMAIL_CORPUS"])] if os.environ.get("EMAIL_CORPUS") else []
    candidates += [ROOT.parent / "shared" / "email-corpus", ROOT.parent.parent / "shared" / "email-corpus"]
    return next((folder for folder in candidates if (folder / "README.md").exists()), None)
