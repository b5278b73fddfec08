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


def offline_hint(model_id: str) -> str:
    return (
        f"On a machine with internet run `targman model fetch {model_id} DIR`, copy DIR to this "
        f"machine and pass `--model DIR` (or set [model] id = \"DIR\" in your config)."
    )


def resolve(model_id: str, revision: str | None = None) -> tuple[str, dict]:
    """Return (what to pass to from_pretrained, extra keyword arguments).

    Raises ModelError when the model is neither a local folder, nor cached, nor reachable.
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
    if model_id.count("/") != 1 or model_id.startswith((".", "/", "~")):
        raise ModelError(
            f"model {model_id!r} is not a folder here and not a hub id of the form OWNER/NAME. "
            + offline_hint("OWNER/NAME")
        )
    kwargs: dict = {"revision": revision} if revision else {}
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(model_id, local_files_only=True, **kwargs)
        return model_id, {**kwargs, "local_files_only": True}
    except Exception:
        pass
    if not hub_reachable():
        raise ModelError(
            f"model {model_id!r} is not a local folder, is not in the Hugging Face cache, and the hub "
            "cannot be reached from this machine. " + offline_hint(model_id)
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
