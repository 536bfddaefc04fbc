"""The built book in a real browser, with every outside host blocked.

Readers meet the book as a website, sometimes without a network (a train, a
classroom behind a firewall, a dead CDN). Only a browser can say whether a page
really renders, so this test serves the built HTML on 127.0.0.1, opens every page
in Debian's Chromium through Playwright, aborts every request to another host, and
fails on:

* a request to an outside host (the page would need the network),
* a console error or an uncaught page error, a local file that did not load,
* an image that did not load, a local link to a missing file or anchor,
* math left untypeset, a TeX error, raw TeX or an unparsed MyST role in the text, MathJax fonts that failed,
* a solution that is not hidden in a dropdown (or does not open on a click),
* missing launch (Binder) or repository links on a chapter page,
* a search for "LSTM" that finds nothing.

Which book: ``$BOOK_HTML_DIR`` if set, else ``_build_quick/_build/html`` (``make
test`` builds it in quick mode), else ``_build/html`` (``make book``). Against the
full book: ``BOOK_HTML_DIR=_build/html .venv/bin/pytest tests/test_browser.py``.

Which browser: ``$CHROMIUM``, else ``chromium`` on the PATH (Debian: ``apt-get
install chromium``; Playwright's own browser download is not used). Without a
browser or a built book the tests are skipped, unless ``BOOK_REQUIRE_BROWSER=1``
(set by ``.ci/run``), which turns the skip into a failure. ``BOOK_SCREENSHOTS=dir``
saves a screenshot of every page, to look at what the test saw.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = os.environ.get("BOOK_REQUIRE_BROWSER", "").strip() == "1"
HOST = "127.0.0.1"
PAGE_TIMEOUT_MS = 90_000  # generous: the CI machine has 2 cores and MathJax typesets on the CPU
HOW_TO_ENABLE = (
    "install Debian's Chromium (`sudo apt-get install chromium`) or set CHROMIUM=/path/to/chromium, "
    "build the book (`make test` builds the quick one), then run `make browser`"
)

# Chromium without the background services that phone home (they would be blocked anyway).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--metrics-recording-only",
]


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"{reason}; BOOK_REQUIRE_BROWSER=1 makes the browser test mandatory ({HOW_TO_ENABLE})")
    pytest.skip(f"browser test skipped: {reason}. To enable it: {HOW_TO_ENABLE}")


def _html_dir() -> Path | None:
    explicit = os.environ.get("BOOK_HTML_DIR")
    if explicit:
        path = Path(explicit)
        return path if path.is_absolute() else ROOT / path
    for candidate in (ROOT / "_build_quick" / "_build" / "html", ROOT / "_build" / "html"):
        if (candidate / "index.html").is_file():
            return candidate
    return None


def _chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


HTML_DIR = _html_dir()


def _pages() -> list[str]:
    """Every page of the book: all .html files outside the asset folders (_static, _sources, _images)."""
    if HTML_DIR is None or not (HTML_DIR / "index.html").is_file():
        return []
    pages = []
    for path in sorted(HTML_DIR.rglob("*.html")):
        rel = path.relative_to(HTML_DIR)
        if rel.parts[0].startswith("_") or rel.as_posix() == "index.html":  # index.html only redirects
            continue
        pages.append(rel.as_posix())
    return pages


PAGES = _pages()
NO_BOOK = "<no built book>"


def _toc_docs() -> list[str]:
    """Every document of the table of contents (``$BOOK_TOC`` for a book built with another toc)."""
    toc = yaml.safe_load(Path(os.environ.get("BOOK_TOC", ROOT / "_toc.yml")).read_text(encoding="utf8"))
    docs = [toc["root"]]
    for part in toc.get("parts", []):
        docs += [entry["file"] for entry in part.get("chapters", [])]
    return docs


def _repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
    return config["repository"]["url"]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def base_url(serve_directory):
    """The built book served on 127.0.0.1 (``serve_directory``: conftest.py) for this module's tests."""
    if HTML_DIR is None or not (HTML_DIR / "index.html").is_file():
        _unavailable(f"no built book (looked in {HTML_DIR or '_build_quick/_build/html and _build/html'})")
    with serve_directory(HTML_DIR) as url:
        assert urlparse(url).hostname == HOST  # the route handler lets exactly this host through
        yield url + "/"


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _unavailable("no Chromium found (CHROMIUM unset or wrong, no `chromium` on the PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # headless=True: Playwright adds --headless; launch() always uses a fresh temporary profile
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """What happened while a page loaded."""

    page: object
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        out = [f"needed an outside host (blocked): {url}" for url in self.blocked]
        return out + self.errors


def _watched_page(browser, local, **context_options):
    """A new page whose requests to anything but ``local(url)`` are aborted, and whose errors are recorded."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    record = Visit(page)

    def route(intercepted):
        url = intercepted.request.url
        if local(url):
            intercepted.continue_()
        else:
            record.blocked.append(url)
            intercepted.abort("blockedbyclient")

    def on_console(message):
        if message.type == "error":
            record.errors.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_response(response):
        if response.status >= 400:
            record.errors.append(f"HTTP {response.status}: {response.url}")

    def on_failed(request):
        if local(request.url):
            record.errors.append(f"local request failed ({request.failure}): {request.url}")

    context.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: record.errors.append(f"uncaught page error: {exc}"))
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    return context, record


@pytest.fixture
def visit(browser, base_url):
    """``visit(path)`` opens a page with every non-local request aborted and every error recorded."""
    contexts = []

    def _visit(path: str, wait_until: str = "load") -> Visit:
        context, record = _watched_page(browser, lambda url: urlparse(url).hostname == HOST,
                                        service_workers="block", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        record.page.goto(base_url + path, wait_until=wait_until)
        return record

    yield _visit
    for context in contexts:
        context.close()


# ----------------------------------------------------------------------------- in-page checks (JavaScript)

WAIT_FOR_MATHJAX = """
async () => {
  const mj = window.MathJax;
  if (!mj || !mj.startup || !mj.startup.promise) return 'absent';
  const done = (async () => {
    await mj.startup.promise;                                   // typeset (and any autoloaded TeX packages)
    await new Promise(r => requestAnimationFrame(() => r()));   // laid out, so the fonts it needs are requested
    await document.fonts.ready;
    return 'done';
  })();
  return Promise.race([done, new Promise(r => setTimeout(() => r('timeout'), 60000))]);
}
"""

MATH_REPORT = r"""
() => {
  const math = [...document.querySelectorAll('.math')];   // Sphinx: span.math (inline), div.math (display)
  const untypeset = math.filter(el => !el.querySelector('mjx-container'))
                        .map(el => el.textContent.trim().slice(0, 80));
  const texErrors = [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
                        .map(el => el.getAttribute('data-mjx-error') || el.textContent.slice(0, 80));
  // raw TeX left in the prose: $$, \( \[ \begin{, $...\command...$ or $...$ with _ ^ = { } inside, outside code and
  // typeset math; and MyST roles left unparsed, e.g. "{numref}" (a glued `glue:md` value is CommonMark unless its
  // key ends in ":myst"). Cell outputs are data (IMDb reviews may well say "$$$"), not the book's prose.
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .cell_output, .output';
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT,
      {acceptNode: n => n.parentElement && n.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT
                                                                          : NodeFilter.FILTER_ACCEPT});
  const pattern = new RegExp([/\$\$|\\\(|\\\[|\\begin\{|\$[^$\s][^$]*\\[A-Za-z]+[^$]*\$/.source,
                               /\$[^$\s][^$]{0,60}[_^={}][^$]{0,60}\$/.source,
                               /\{(?:numref|eq|ref|doc|cite(?::[a-z]+)?|glue(?::[a-z]+)?)\}/.source].join('|'));
  const rawTex = [];
  while (walker.nextNode()) {
    const text = walker.currentNode.nodeValue;
    if (pattern.test(text)) rawTex.push(text.trim().slice(0, 120));
  }
  const fonts = [...document.fonts].filter(f => f.family.startsWith('MJX'));
  return {
    nMath: math.length,
    nContainers: document.querySelectorAll('mjx-container').length,
    untypeset, texErrors, rawTex,
    fontsLoaded: fonts.filter(f => f.status === 'loaded').map(f => f.family),
    fontsFailed: fonts.filter(f => f.status === 'error').map(f => f.family),
  };
}
"""

BROKEN_IMAGES = """
async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(resolve => {
    img.addEventListener('load', resolve); img.addEventListener('error', resolve); setTimeout(resolve, 20000);
  })));
  return images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.getAttribute('src'));
}
"""

SOLUTIONS = """
() => [...document.querySelectorAll('.solution')].map(el => ({
  id: el.id,
  dropdown: el.classList.contains('dropdown'),
  hidden: [...el.children].filter(c => !c.classList.contains('admonition-title'))
                          .every(c => !c.checkVisibility({visibilityProperty: true, opacityProperty: true})),
}))
"""


LOCAL_LINKS = (
    "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
    ".filter(h => h.startsWith(location.origin))"
)


@functools.cache
def _anchors(target: Path) -> frozenset[str]:
    return frozenset(re.findall(r'\bid="([^"]+)"', target.read_text("utf8", errors="replace")))


def _dead_links(page) -> list[str]:
    """Local links to a missing file, or to an anchor (cross-reference, citation) missing from its page."""
    dead = set()
    for url in page.evaluate(LOCAL_LINKS):
        parts = urlparse(url)
        rel = unquote(parts.path).lstrip("/")
        target = HTML_DIR / rel
        if rel == "" or rel.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            dead.add(rel)
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _anchors(target):
            dead.add(f"{rel}#{parts.fragment}")
    return sorted(dead)


def _math_problems(page) -> list[str]:
    mathjax = page.evaluate(WAIT_FOR_MATHJAX)
    report = page.evaluate(MATH_REPORT)
    problems = []
    if mathjax == "timeout":
        problems.append("MathJax did not finish typesetting within 60 s")
    if report["nMath"] and mathjax == "absent":
        problems.append(f"{report['nMath']} math elements but MathJax did not load")
    problems += [f"math left untypeset: {text!r}" for text in report["untypeset"]]
    problems += [f"TeX error: {text!r}" for text in report["texErrors"]]
    problems += [f"raw TeX in the text: {text!r}" for text in report["rawTex"]]
    if report["nMath"] and report["nContainers"] < report["nMath"]:
        problems.append(f"{report['nMath']} math elements but only {report['nContainers']} typeset")
    if report["fontsFailed"]:
        problems.append(f"MathJax fonts failed to load: {report['fontsFailed']}")
    if report["nContainers"] and not report["fontsLoaded"]:
        problems.append("math typeset but no MathJax font loaded")
    return problems


def _solution_problems(page) -> list[str]:
    problems = []
    for solution in page.evaluate(SOLUTIONS):
        if not solution["dropdown"]:
            problems.append(f"solution {solution['id']} is not a dropdown (add `:class: dropdown`)")
        elif not solution["hidden"]:
            problems.append(f"solution {solution['id']} is visible before the reader opens it")
    return problems


# ----------------------------------------------------------------------------- tests


def test_the_book_has_pages():
    if not PAGES:
        _unavailable(f"no built book (looked in {HTML_DIR or '_build_quick/_build/html and _build/html'})")
    built = set(PAGES)
    missing = [doc for doc in _toc_docs() if f"{doc}.html" not in built]
    assert not missing, f"pages of _toc.yml missing from {HTML_DIR}: {missing}"
    assert "search.html" in built


@pytest.mark.parametrize("path", PAGES or [NO_BOOK])
def test_page_renders_offline(visit, path):
    if path == NO_BOOK:
        _unavailable("no built book")
    seen = visit(path)
    page = seen.page
    problems = _math_problems(page)
    problems += [f"image did not load: {src}" for src in page.evaluate(BROKEN_IMAGES)]
    problems += _solution_problems(page)
    problems += [f"dead link: {rel}" for rel in _dead_links(page)]
    if os.environ.get("BOOK_SCREENSHOTS"):
        shots = Path(os.environ["BOOK_SCREENSHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / (path.replace("/", "__") + ".png"), full_page=True)
    problems = seen.problems() + problems
    assert not problems, f"{path} (served from {HTML_DIR}):\n  " + "\n  ".join(problems)


def test_index_redirects_to_the_landing_page(visit):
    seen = visit("index.html")
    seen.page.wait_for_url("**/intro.html")
    assert not seen.problems(), "\n".join(seen.problems())


def test_search_finds_lstm(visit):
    seen = visit("search.html?q=LSTM")
    page = seen.page
    page.wait_for_function("document.querySelectorAll('#search-results ul.search li').length > 0")
    hits = page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert hits, "search for LSTM returned no links"
    assert not seen.problems(), "\n".join(seen.problems())


CHAPTER_PAGES = [p for p in PAGES if p.startswith("chapters/")]


@pytest.mark.parametrize("path", CHAPTER_PAGES or [NO_BOOK])
def test_chapter_launch_and_repository_buttons(visit, path):
    """Binder and the repository are links (nothing loads from them); they must be there, offline too."""
    if path == NO_BOOK:
        _unavailable("no built chapter pages")
    seen = visit(path)
    page = seen.page
    notebook = path.removesuffix(".html") + ".ipynb"
    for name, selector in {
        "Binder": f'a[href*="mybinder.org/v2/gh/"][href*="{notebook}"]',
        "repository": f'a[href="{_repository_url()}"]',
    }.items():
        assert page.locator(selector).count() >= 1, f"{path}: no {name} button ({selector})"
    # the launch menu opens and shows the launcher
    page.locator(".dropdown-launch-buttons button").first.click()
    assert page.locator(".dropdown-launch-buttons a", has_text="Binder").first.is_visible()
    assert not seen.problems(), "\n".join(seen.problems())


SOLUTION_PAGES = [p for p in CHAPTER_PAGES if HTML_DIR and 'class="solution' in (HTML_DIR / p).read_text("utf8")]


@pytest.mark.parametrize("path", SOLUTION_PAGES or [NO_BOOK])
def test_solutions_open_on_click(visit, path):
    if path == NO_BOOK:
        pytest.skip("no page with a solution in this build")
    seen = visit(path)
    page = seen.page
    solutions = page.locator(".solution")
    assert solutions.count() > 0, f"{path}: no solution on the page"
    solution = solutions.first  # every solution is a hidden dropdown: visit() checks it (_solution_problems)
    body = solution.locator(":scope > :not(.admonition-title)").first
    assert not body.is_visible(), f"{path}: the first solution is shown before it is opened"
    solution.locator(".admonition-title").click()
    body.wait_for(state="visible")
    assert not seen.problems(), "\n".join(seen.problems())


MATH_PAGES = sorted(
    (p for p in PAGES if HTML_DIR and 'class="math' in (HTML_DIR / p).read_text("utf8")),
    key=lambda p: -(HTML_DIR / p).read_text("utf8").count('class="math'),
)


def test_reading_from_disk(browser):
    """README: open _build/html/index.html directly. From file://, math (with its fonts) and search still work."""
    if not PAGES:
        _unavailable("no built book")
    context, record = _watched_page(browser, lambda url: urlparse(url).scheme == "file")
    page = record.page
    try:
        page.goto((HTML_DIR / "index.html").as_uri())
        page.wait_for_url("**/intro.html")
        problems = []
        if MATH_PAGES:  # the page with the most math
            page.goto((HTML_DIR / MATH_PAGES[0]).as_uri())
            problems += [f"{MATH_PAGES[0]}: {p}" for p in _math_problems(page)]
        problems += record.problems()
        # Search lists its results from file:// too. (Sphinx then fetch()es each hit for its summary snippet,
        # which browsers refuse on file:// URLs; that console noise is expected there and not checked.)
        page.goto((HTML_DIR / "search.html").as_uri() + "?q=LSTM")
        page.wait_for_function("document.querySelectorAll('#search-results ul.search li').length > 0")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
