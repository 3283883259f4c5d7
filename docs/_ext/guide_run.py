"""One run of the compliance guide's commands at build time: its transcripts and pictures.

At ``builder-inited`` the commands that ``guide/compliance-pdf.md`` and
``guide/ll144-summary.md`` show (:data:`STEPS`) run in order, in a fresh temporary
folder, each through the ``fairaudit`` command's entry point, the audit with ``--recommender bm25``
(the lexical recommender: no model to load, so the run takes seconds). From that one
run it writes into ``docs/_generated/guide-run/``:

- ``<step>.txt``: ``$ <command>`` and what the command printed (its standard output
  and its one-line warnings, not its progress messages), included by the guide pages;
- ``report-page-1.png``, ``report-page-2.png``: the first two pages of the run's
  ``report.pdf``, rendered by poppler's ``pdftoppm``;
- ``ll144-summary.png``: the run's ``summary.html`` in headless Chromium;
- ``summary-json.txt``: the start of the run's ``summary.json``.

So the pages' sample output, pictures and numbers come from the same run of the
current code, and nothing is cached between builds. Both tools are needed (``.ci/run``
installs them: Debian ``poppler-utils`` and ``chromium``); without one the build
stops with a message saying so, rather than showing pictures of another run. The
README's picture is a committed copy made by the same code (``docs/snapshots.py``).
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: Added to the guide's ``fairaudit audit`` line: the lexical recommender needs no model.
RECOMMENDER = "--recommender bm25"


@dataclass(frozen=True)
class Step:
    """One command of the guide, run as written (the audit with :data:`RECOMMENDER` added).

    Parameters
    ----------
    name : str
        The transcript's file name, ``<name>.txt``.
    line : str
        The command exactly as the guide page shows it.
    """

    name: str
    line: str

    @property
    def run_line(self) -> str:
        """The command that runs: the guide's, with the recommender added to an audit."""
        return f"{self.line} {RECOMMENDER}" if self.line.startswith("fairaudit audit ") else self.line


#: The guide's commands in the order the pages give them (``tests/test_docs_guide_run.py``
#: checks each is on its page verbatim).
STEPS = (
    Step("datasets", "fairaudit datasets write data --jobs 50 --candidates 1000"),
    Step("audit", "fairaudit audit --jobs data/jobs.csv --candidates data/candidates.csv --out audit.json --k 10 50"),
    Step("keys", "fairaudit keys init --dir keys"),
    Step("report", "fairaudit report --audit audit.json --out report.pdf --key-dir keys"),
    Step("verify", "fairaudit verify report.pdf --trust keys/signing-cert.pem"),
    Step("summary", 'fairaudit summary --audit audit.json --out summary.html --distribution-date 2027-01-15 '
                    '--org "Example Corp"'),
    Step("summary-draft", "fairaudit summary --audit audit.json --out draft.html"),
)

#: Which page shows which steps (the test that keeps STEPS and the pages in step reads it).
PAGES = {"guide/compliance-pdf.md": ("datasets", "audit", "keys", "report", "verify"),
         "guide/ll144-summary.md": ("datasets", "audit", "summary")}


class GuideRunError(RuntimeError):
    """A tool is missing or a command of the guide failed: the pages cannot show this run."""


def tools() -> tuple[str, str]:
    """``pdftoppm`` and Chromium, or a :class:`GuideRunError` naming what to install."""
    pdftoppm = shutil.which("pdftoppm")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = [what for what, found in (("pdftoppm (Debian package poppler-utils)", pdftoppm),
                                        ("chromium (Debian package chromium)", chromium)) if not found]
    if missing:
        raise GuideRunError(f"the docs build renders the guide's report and summary pictures from its own run and "
                            f"needs {' and '.join(missing)} on PATH; install it (.ci/run does) and build again")
    return pdftoppm, chromium


#: Runs in one child process: each command goes through ``fairaudit.cli.main``, the function the
#: ``fairaudit`` console script calls; they share one import of the package (one Python start
#: instead of seven: about 8 s of CPU less) and leave the Sphinx process none of their state.
RUNNER = """
import contextlib, io, json, shlex, sys
from fairaudit.cli import main
done = []
for line in json.loads(sys.argv[2]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(shlex.split(line)[1:])
        except SystemExit as exc:  # argparse rejects the command line
            code = exc.code if isinstance(exc.code, int) else 1
    done.append({"line": line, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
    if code:
        break
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump(done, fh)
"""


def transcript(line: str, stdout: str, stderr: str) -> str:
    """``$ line``, then the standard output and the one-line warnings (progress messages left out).

    Parameters
    ----------
    line : str
        The command.
    stdout, stderr : str
        What it printed.
    """
    warnings = [w for w in stderr.splitlines() if w.startswith("fairaudit ") and ": warning: " in w]
    # rich pads a wrapped line with spaces to the console's width
    body = "\n".join(row.rstrip() for row in [*stdout.rstrip().splitlines(), *warnings])
    return f"$ {line}\n{body}\n"


def run_steps(work: Path, steps: tuple[Step, ...] = STEPS) -> dict[str, str]:
    """Run ``steps`` in ``work``, in order; return each step's transcript by name.

    Parameters
    ----------
    work : Path
        An empty folder: the commands' working directory (and their cache, so no
        build reuses another's).
    steps : tuple of Step
        The commands, in order.

    Raises
    ------
    GuideRunError
        A command exited with a non-zero code (its standard error is in the message).
    """
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               FAIRAUDIT_CACHE=str(work / ".cache"), NO_COLOR="1", TERM="dumb")
    result = work / ".guide-run.json"
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(result), json.dumps([s.run_line for s in steps])],
                          cwd=work, env=env, capture_output=True, text=True, timeout=900)
    done = json.loads(result.read_text(encoding="utf-8")) if result.is_file() else []
    if proc.returncode != 0 or len(done) < len(steps) or done[-1]["code"]:
        last = done[-1] if done else {"line": steps[0].run_line, "code": proc.returncode, "stderr": proc.stderr}
        raise GuideRunError(f"the guide's command `{last['line']}` exited {last['code']}:\n{last['stderr'][-3000:]}")
    return {s.name: transcript(d["line"], d["stdout"], d["stderr"]) for s, d in zip(steps, done)}


def _tool(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise GuideRunError(f"{Path(argv[0]).name} exited {proc.returncode}: {proc.stderr[-2000:]}")


def pictures(work: Path, out: Path) -> list[Path]:
    """The report's first two pages (``pdftoppm``) and the LL144 page (headless Chromium) into ``out``.

    Parameters
    ----------
    work : Path
        The folder the steps ran in (``report.pdf``, ``summary.html``).
    out : Path
        Where the PNG files go.
    """
    pdftoppm, chromium = tools()
    _tool([pdftoppm, "-png", "-r", "70", "-f", "1", "-l", "2", str(work / "report.pdf"), str(work / "page")])
    made = []
    for i, page in enumerate(sorted(work.glob("page*.png")), start=1):  # page-1 or page-01: digits vary
        made.append(out / f"report-page-{i}.png")
        shutil.copyfile(page, made[-1])
    made.append(out / "ll144-summary.png")
    _tool([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--disable-background-networking", "--no-first-run", f"--user-data-dir={work / 'profile'}",
           f"--screenshot={made[-1]}", "--window-size=1000,1400", (work / "summary.html").as_uri()])
    if len(made) != 3 or not all(p.is_file() for p in made):
        raise GuideRunError(f"rendering the pictures made {[p.name for p in made if p.is_file()]}, not 3 pictures")
    return made


def summary_excerpt(path: Path) -> str:
    """The start of ``summary.json``: its header fields and the first row of its first table."""
    data = json.loads(path.read_text(encoding="utf-8"))
    first = data["tables"][0]
    head = {key: value for key, value in data.items() if not isinstance(value, (list, dict))}
    head["unknown"] = data.get("unknown")
    head["tables"] = [{**{key: value for key, value in first.items() if key != "rows"}, "rows": first["rows"][:1]}]
    return json.dumps(head, indent=2, ensure_ascii=False) + "\n"


def _write_if_changed(path: Path, text: str) -> None:
    # an unchanged transcript keeps its mtime, so Sphinx does not re-read the pages including it
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate(out: Path) -> list[Path]:
    """Run the guide's commands once and write their transcripts and pictures into ``out``.

    Parameters
    ----------
    out : Path
        The folder to fill (created; files of an earlier build that this run did not
        make are removed).

    Returns
    -------
    list of Path
        The files written.
    """
    tools()  # before any work: a missing tool is the likeliest failure
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fairaudit-guide-run-") as tmp:
        work = Path(tmp)
        texts = run_steps(work)
        texts["summary-json"] = summary_excerpt(work / "summary.json")
        made = pictures(work, out)
    for name, text in texts.items():
        made.append(out / f"{name}.txt")
        _write_if_changed(made[-1], text)
    for stale in set(out.iterdir()) - set(made):
        stale.unlink()
    return made


def builder_inited(app) -> None:
    from sphinx.errors import ExtensionError
    from sphinx.util import logging

    start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        generate(Path(app.srcdir) / "_generated" / "guide-run")
    except (GuideRunError, subprocess.TimeoutExpired, OSError) as exc:
        raise ExtensionError(f"guide_run: {exc}") from None
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    logging.getLogger(__name__).info(
        f"guide_run: the guide's commands and pictures in {time.perf_counter() - start:.1f} s "
        f"({used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.1f} s of CPU)")


def setup(app):
    app.connect("builder-inited", builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":  # python docs/_ext/guide_run.py OUT: the same run without Sphinx
    print("\n".join(str(p) for p in generate(Path(sys.argv[1]))))
