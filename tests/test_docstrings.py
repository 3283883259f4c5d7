"""Every public name of the API reference is documented.

The public names are those in ``__all__`` of the modules the API reference covers
(``docs/_ext/apipages.py``, which generates the reference from the same lists): a class or
function needs its own docstring, a constant a ``#:`` comment above its assignment (or a
string literal below it), which is where Sphinx reads a constant's documentation.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _apipages():
    spec = importlib.util.spec_from_file_location("fairaudit_docs_apipages", ROOT / "docs" / "_ext" / "apipages.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


API = _apipages()


@pytest.mark.parametrize("modname", API.PUBLIC_MODULES)
def test_every_public_name_has_a_docstring(modname):
    module = importlib.import_module(modname)
    assert module.__doc__ and module.__doc__.strip(), f"{modname} has no module docstring"
    missing = []
    for name, obj, kind in API.public_names(modname):
        doc = API.data_doc(modname, name) if kind == "data" else API.object_doc(obj)
        if not doc:
            missing.append(f"{modname}.{name} ({kind})")
    assert not missing, "public names without documentation: " + ", ".join(missing)


def test_the_check_finds_an_undocumented_name(tmp_path, monkeypatch):
    # the checks above can fail: a module with an undocumented function and constant
    pkg = tmp_path / "fa_docstring_probe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""Probe."""\nfrom .impl import f, g, LIMIT, DOCUMENTED\n'
                                     '__all__ = ["f", "g", "LIMIT", "DOCUMENTED"]\n')
    (pkg / "impl.py").write_text('def f():\n    pass\n\n\ndef g():\n    """Documented."""\n\n\n'
                                 'LIMIT = 3\n\n#: The documented constant.\nDOCUMENTED = 4\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    names = {n: (o, k) for n, o, k in API.public_names("fa_docstring_probe")}
    assert API.object_doc(names["f"][0]) is None
    assert API.object_doc(names["g"][0]) == "Documented."
    assert names["LIMIT"][1] == "data" and API.data_doc("fa_docstring_probe", "LIMIT") is None
    assert API.data_doc("fa_docstring_probe", "DOCUMENTED") == "The documented constant."


def test_a_class_does_not_inherit_its_docstring():
    class Undocumented(ValueError):
        pass

    assert API.object_doc(Undocumented) is None
