"""Team repositories made by tests: commits with the dates a test needs."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="Team", GIT_AUTHOR_EMAIL="team@example.org",
               GIT_COMMITTER_NAME="Team", GIT_COMMITTER_EMAIL="team@example.org",
               GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    if date is not None:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def commit(repo: Path, date: str, files: dict[str, str | bytes]) -> str:
    """Write `files` into `repo` (made when new) and commit them at `date`; the commit's sha."""
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "-q", "-b", "main")
    for name, content in files.items():
        path = repo / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"work of {date}", date=date)
    return git(repo, "rev-parse", "HEAD")
