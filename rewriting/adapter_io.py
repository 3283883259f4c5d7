"""Reading an AutoRefine adapter folder's run metadata (written by :meth:`AutoRefine.save`)."""
from __future__ import annotations

import json
from pathlib import Path

from fairaudit.errors import ModelError

#: The run metadata file inside an adapter folder.
META_FILE = "autorefine.json"


def read_metadata(folder: Path) -> dict:
    """The run metadata of an adapter folder, or a :class:`ModelError` saying what is wrong."""
    meta_file = folder / META_FILE
    if not meta_file.is_file() or not (folder / "adapter_config.json").is_file():
        raise ModelError(f"{folder} is not an AutoRefine adapter folder (no {META_FILE} / adapter_config.json); "
                         "create one with `fairaudit rewrite --train --adapter DIR`")
    try:
        return json.loads(meta_file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read {meta_file}: {exc}") from None
