"""The governance notebook runs top to bottom (outputs are stripped in git)."""
from pathlib import Path

import nbformat
import pytest

NB = Path(__file__).resolve().parents[1] / "examples" / "governance_notebook.ipynb"


def test_notebook_has_no_stored_outputs():
    nb = nbformat.read(NB, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
def test_notebook_executes(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NB, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    html = [o for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert any("fairaudit" in o["data"]["text/html"] and "<svg" in o["data"]["text/html"] for o in html)  # rich repr + chart
