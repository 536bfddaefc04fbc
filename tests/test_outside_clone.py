"""A learner outside the clone: the built wheel, one chapter copied into an empty folder, run in quick mode.

What a Colab or ``pip install`` user does, checked end to end:

1. build the wheel of this repository (``pip wheel``) and check its metadata: Python >= 3.11 and the runtime
   dependencies declared;
2. install the wheel (not editable) into a fresh virtual environment;
3. copy one chapter notebook into an empty temporary folder and execute it there with nbclient, in quick mode
   (``IMDB_ARCHIVE`` set: no network);
4. check that it ran the installed package, wrote its data and models into that folder, and wrote nothing
   into the package's installation folder or the repository.

The lighter variant: the fresh environment gets the *dependencies* (TensorFlow and the rest, about 2.5 GB)
from the project's ``.venv`` through a ``.pth`` line instead of installing them again, which would cost
minutes of CI time and as much disk again. The wheel itself, the part this test is about, is installed for
real (``pip install --no-deps``), and its declared dependencies are checked from its metadata.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "02_rnn_from_scratch.ipynb"  # the chapter to run outside the clone (quick mode)
RUNTIME_DEPENDENCIES = {"tensorflow", "keras", "numpy", "pandas", "matplotlib", "seaborn", "ipython"}
ARCHIVE = os.environ.get("IMDB_ARCHIVE") or str(ROOT.parent / "shared" / "data" / "aclImdb_v1.tar.gz")

pytestmark = pytest.mark.skipif(not Path(ARCHIVE).is_file(),
                                reason="needs IMDB_ARCHIVE (a local aclImdb_v1.tar.gz): the chapter reads IMDb")


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of the package's sources, as `pip install git+...` builds from a fresh clone: setuptools
    # writes build/ and *.egg-info/ next to the sources, and the repository must stay untouched.
    out = tmp_path_factory.mktemp("dist")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "utils", src / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                             "-q", "-w", str(out), str(src)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (path,) = out.glob("lstm_sentiment_book-*.whl")
    return path


def test_wheel_declares_python_and_dependencies(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Requires-Python: >=3.11" in metadata
    declared = {line.split(":", 1)[1].split(";")[0].strip().split(">")[0].split("=")[0].split("<")[0].strip().lower()
                for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert RUNTIME_DEPENDENCIES <= declared, f"missing runtime dependencies: {RUNTIME_DEPENDENCIES - declared}"
    assert any(n.startswith("utils/") for n in names) and not any(n.startswith(("tests/", "chapters/")) for n in names)


def test_a_chapter_runs_from_the_installed_wheel_in_an_empty_folder(wheel, tmp_path):
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies from the project's environment; its editable `utils` is not visible this way (see docstring)
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()] or [sysconfig.get_paths()["purelib"]]
    (purelib / "book_dependencies.pth").write_text("\n".join(deps) + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--disable-pip-version-check", "-q", str(wheel)], capture_output=True, text=True,
                             timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    installed = purelib / "utils"
    assert (installed / "__init__.py").is_file()

    work = tmp_path / "learner"
    work.mkdir()
    shutil.copy(ROOT / "chapters" / CHAPTER, work / CHAPTER)
    nb = nbformat.read(work / CHAPTER, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import utils\nprint('BOOK_PACKAGE', utils.__file__)\nprint('BOOK_CWD', __import__('os').getcwd())"))
    before_package, before_repo = _snapshot(installed), _snapshot(ROOT / "utils")
    repo_status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True,
                                 text=True).stdout
    env = {k: v for k, v in os.environ.items() if k not in ("IMDB_DATA_DIR", "BOOK_MODELS_DIR", "PYTHONPATH")}
    env.update({"BOOK_QUICK": "1", "IMDB_ARCHIVE": ARCHIVE, "MPLBACKEND": "Agg"})
    kernels = tmp_path / "kernels" / "learner"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({"argv": [str(python), "-m", "ipykernel_launcher", "-f",
                                                               "{connection_file}"],
                                                      "display_name": "learner", "language": "python"}))
    km = KernelManager(kernel_name="learner", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels.parent)]))
    client = NotebookClient(nb, km=km, timeout=1800, resources={"metadata": {"path": str(work)}})
    old_env = os.environ.copy()
    try:
        os.environ.clear()
        os.environ.update(env)
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    assert f"BOOK_PACKAGE {installed / '__init__.py'}" in printed, printed
    assert f"BOOK_CWD {work}" in printed
    assert (work / "data" / "aclImdb").is_dir(), "the data should be extracted next to the notebook"
    assert _snapshot(installed) == before_package, "the run wrote into the installed package"
    assert _snapshot(ROOT / "utils") == before_repo
    assert subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True,
                          text=True).stdout == repo_status, "the run changed files in the repository"
