"""Where a model comes from: a local folder, the Hugging Face cache, or the hub.

Newsroom machines are often offline. A hub id is looked up in the local cache
first; the hub is asked only when it can be reached, and when it cannot the
error says how to bring the model over as a folder (`targman model fetch`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from pipeline.errors import ModelError


def hub_reachable(timeout: float = 3.0) -> bool:
    """Can we open a connection to the hub? Checked once, quickly, instead of minutes of retries."""
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def offline_hint(model_id: str, use: str = "run") -> str:
    """How to bring a hub model over; `use`: what the folder is for then (`run`, or `convert`)."""
    then = ("run `targman model convert DIR OUT_DIR`" if use == "convert"
            else "pass `--model DIR` (or set [model] id = \"DIR\" in your config)")
    return f"On a machine with internet run `targman model fetch {model_id} DIR`, copy DIR to this machine and {then}."


def looks_like_path(model_id: str) -> bool:
    """A model id that can only be a folder: not of the hub's OWNER/NAME form, or one whose
    first part is a folder here (`models/opus-mt-hy-en` when `models/` exists)."""
    if model_id.startswith((".", "/", "~")) or model_id.count("/") != 1 or "\\" in model_id:
        return True
    return Path(model_id.split("/", 1)[0]).expanduser().is_dir()


def missing_folder(model_id: str, use: str = "run") -> ModelError:
    path = Path(model_id).expanduser()
    where = path.resolve()
    nearest = next((p for p in where.parents if p.is_dir()), None)
    found = ""
    if nearest is not None and nearest != Path(where.anchor):
        names = sorted(p.name for p in nearest.iterdir() if p.is_dir() and not p.name.startswith("."))[:8]
        found = f"; {nearest} holds " + (", ".join(names) if names else "no folders")
    named = f"--model {model_id}" if use == "run" else model_id
    return ModelError(
        f"{named}: no such model folder ({where} does not exist{found}). Check the path "
        "(a relative one starts from the current folder, or in a config file from the config's folder); "
        "a model folder is made by `targman model fetch OWNER/NAME DIR` on a machine with internet"
    )


def check_model_path(model_id: str) -> None:
    """Raise ModelError at once for a model named by a path that is not there (no imports, no
    network): one that starts with `.`, `/` or `~`, or whose first part is a folder here. Other
    names are left to the engine (a hub id; a served model's name for an API engine)."""
    if not model_id or Path(model_id).expanduser().exists():
        return
    first = model_id.split("/", 1)[0]
    if model_id.startswith((".", "/", "~")) or ("/" in model_id and Path(first).expanduser().is_dir()):
        raise missing_folder(model_id)


def resolve(model_id: str, revision: str | None = None, *, use: str = "run") -> tuple[str, dict]:
    """Return (what to pass to from_pretrained, extra keyword arguments).

    Raises ModelError when the model is neither a local folder, nor cached, nor reachable;
    the message says what to do for `use` (`run`: pass --model DIR; `convert`).
    """
    path = Path(model_id).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ModelError(
                f"model folder {path} has no config.json: point --model at a folder saved with "
                "`targman model fetch` (or transformers' save_pretrained)"
            )
        return str(path), {"local_files_only": True}
    if path.exists():
        raise ModelError(f"--model {model_id}: is a file; give the model's folder")
    if looks_like_path(model_id):
        raise missing_folder(model_id, use)
    kwargs: dict = {"revision": revision} if revision else {}
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(model_id, local_files_only=True, **kwargs)
        return model_id, {**kwargs, "local_files_only": True}
    except Exception:
        pass
    if not hub_reachable():
        raise ModelError(
            f"model {model_id!r}: there is no folder {path.resolve()}, and no hub model {model_id} in the "
            "Hugging Face cache (the hub cannot be reached from this machine). If it is a folder, check the path "
            "(a relative one starts from the current folder). If it is a hub id: " + offline_hint(model_id, use)
        )
    return model_id, kwargs


def local_folder(where: str, kwargs: dict | None = None) -> Path | None:
    """The folder on this machine that holds a resolved model (its snapshot for a hub id)."""
    path = Path(where).expanduser()
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download

        revision = (kwargs or {}).get("revision")
        return Path(snapshot_download(where, revision=revision, local_files_only=True))
    except Exception:
        return None


MODEL_FILES = ["*.json", "*.safetensors", "*.model", "*.spm", "*.txt", "*.bpe", "*.vocab", "*.py.txt"]


def download(model_id: str, kwargs: dict | None = None) -> Path:
    """Download a hub model (what `resolve` found reachable) into the Hugging Face cache; its folder."""
    from huggingface_hub import snapshot_download

    revision = (kwargs or {}).get("revision")
    try:
        return Path(snapshot_download(model_id, revision=revision, allow_patterns=MODEL_FILES))
    except Exception as error:
        raise ModelError(f"downloading {model_id!r} failed: {error}. " + offline_hint(model_id)) from None


def fetch(model_id: str, out_dir: str | Path, revision: str | None = None) -> Path:
    """Save a hub model (weights, tokenizer, configs) as a self-contained folder for offline use."""
    out = Path(out_dir)
    if not hub_reachable():
        raise ModelError(
            f"cannot reach the Hugging Face hub to fetch {model_id!r}; run this on a machine with internet"
        )
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(
            model_id,
            revision=revision,
            local_dir=str(out),
            allow_patterns=MODEL_FILES,
        )
    except Exception as error:
        raise ModelError(f"fetching {model_id!r} failed: {error}") from None
    if not any(out.glob("*.safetensors")):
        raise ModelError(
            f"{model_id!r} has no safetensors weights; targman does not load pickled weights by default. "
            "Convert them on a trusted machine or pass --allow-pickle if you trust the source."
        )
    return out


def quiet_transformers() -> None:
    """Keep transformers' progress bars and advisory warnings out of our output."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging

        logging.set_verbosity_error()
        logging.disable_progress_bar()
    except Exception:  # pragma: no cover - transformers missing is reported elsewhere
        pass
