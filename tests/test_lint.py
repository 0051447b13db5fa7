"""Tests for ``pastetrace.lint``: one small paste file per check, the real corpus, the CLI."""

from __future__ import annotations

import importlib.metadata
import json
import textwrap
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pastetrace import cli
from pastetrace.cli import app
from pastetrace.config import Deployment
from pastetrace.lint import SCHEMA, Diagnostic, Report, lint

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
_NO_CORPUS = f"the real paste files are not at {CORPUS} (clone the shared corpus next to main)"

CLEAN = """\
[pipeline:main]
pipeline = auth api

[filter:auth]
paste.filter_factory = m:auth

[app:api]
paste.app_factory = m:api
"""


def write(tmp_path: Path, text: str, name: str = "app.ini") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def lint_text(tmp_path: Path, text: str) -> Report:
    return lint(Deployment(write(tmp_path, text)))


def only(report: Report, code: str) -> Diagnostic:
    found = report.by_code(code)
    assert len(found) == 1, report
    return found[0]


def corpus_files() -> list[object]:
    if not CORPUS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=_NO_CORPUS), id="no-corpus")]
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    return [pytest.param(p, id=p.relative_to(CORPUS).as_posix()) for p in files]


def lint_corpus(relative: str) -> Report:
    if not CORPUS.is_dir():
        pytest.skip(_NO_CORPUS)
    return lint(Deployment(CORPUS / relative))


class TestMissingSection:
    """References to sections that do not exist are errors with a did-you-mean."""

    def test_pipeline_filter_did_you_mean(self, tmp_path: Path) -> None:
        """A misspelt pipeline filter names the closest filter and lists what exists."""
        report = lint_text(
            tmp_path,
            """\
            [pipeline:main]
            pipeline = authn gzip api

            [filter:auth]
            paste.filter_factory = m:auth

            [filter:gzip]
            paste.filter_factory = m:gzip

            [app:api]
            paste.app_factory = m:api
            """,
        )
        d = only(report, "missing-section")
        assert (d.severity, d.line, d.section) == ("error", 2, "pipeline:main")
        assert d.message == (
            "pipeline 'main' names filter 'authn', which has no [filter:authn] section "
            "(did you mean 'auth'? filters: auth, gzip)"
        )

    def test_pipeline_app_on_continuation_line(self, tmp_path: Path) -> None:
        """A missing app on a continuation line is reported on that line."""
        report = lint_text(
            tmp_path,
            """\
            [pipeline:main]
            pipeline = auth
                apii

            [filter:auth]
            paste.filter_factory = m:auth

            [app:api]
            paste.app_factory = m:api
            """,
        )
        d = only(report, "missing-section")
        assert d.line == 3
        assert d.message == (
            "pipeline 'main' names app 'apii', which has no [app:apii], [pipeline:apii] or "
            "[composite:apii] section (did you mean 'api'? apps: api, main)"
        )

    def test_urlmap_value(self, tmp_path: Path) -> None:
        """A urlmap prefix that points nowhere is reported on the prefix's line."""
        report = lint_text(
            tmp_path,
            """\
            [composite:main]
            use = call:paste.urlmap:urlmap_factory
            / = versions
            /v2 = public

            [app:versions]
            paste.app_factory = m:v
            """,
        )
        d = only(report, "missing-section")
        assert (d.line, d.section) == (4, "composite:main")
        assert d.message.startswith("composite 'main' key '/v2' names app 'public', which has no")

    def test_filter_app_next(self, tmp_path: Path) -> None:
        """``next`` naming no app is an error on its line."""
        report = lint_text(
            tmp_path,
            """\
            [filter-app:main]
            paste.filter_factory = m:f
            next = nowhere
            """,
        )
        d = only(report, "missing-section")
        assert (d.severity, d.line) == ("error", 3)
        assert "filter-app 'main' next names app 'nowhere'" in d.message

    def test_filter_with(self, tmp_path: Path) -> None:
        """``filter-with`` naming no filter is an error on its line."""
        report = lint_text(
            tmp_path,
            """\
            [app:main]
            paste.app_factory = m:a
            filter-with = gzipp

            [filter:gzip]
            paste.filter_factory = m:g
            """,
        )
        d = only(report, "missing-section")
        assert d.line == 3
        assert d.message == (
            "app 'main' filter-with names filter 'gzipp', which has no [filter:gzipp] section "
            "(did you mean 'gzip'? filters: gzip)"
        )

    def test_use_section(self, tmp_path: Path) -> None:
        """``use = name`` naming no section of the same kind is an error on the use line."""
        report = lint_text(
            tmp_path,
            """\
            [pipeline:main]
            pipeline = auth api

            [filter:auth]
            use = authbase

            [filter:auth_base]
            paste.filter_factory = m:auth

            [app:api]
            paste.app_factory = m:api
            """,
        )
        d = only(report, "missing-section")
        assert (d.line, d.section) == (5, "filter:auth")
        assert d.message == (
            "filter 'auth' uses filter 'authbase', which has no [filter:authbase] section "
            "(did you mean 'auth_base'? filters: auth, auth_base)"
        )


class TestWrongNamespace:
    """A filter where an app must go, or an app where a filter must go, is an error."""

    TEXT = """\
        [pipeline:main]
        pipeline = api auth

        [filter:auth]
        paste.filter_factory = m:auth

        [app:api]
        paste.app_factory = m:api
        """

    def test_filter_in_last_position(self, tmp_path: Path) -> None:
        """A pipeline ending with a filter says it must end with an app."""
        d = only(lint_text(tmp_path, self.TEXT), "filter-as-app")
        assert (d.severity, d.line) == ("error", 2)
        assert d.message == (
            "pipeline 'main' names 'auth' where an app must go, but [filter:auth] is a filter "
            "(a filter goes before the app in a pipeline; end with an app, composite or pipeline)"
        )

    def test_app_in_filter_position(self, tmp_path: Path) -> None:
        """An app before the last pipeline name says what it is and where it must go."""
        d = only(lint_text(tmp_path, self.TEXT), "app-as-filter")
        assert d.message == (
            "pipeline 'main' names 'api' where a filter must go, but [app:api] is an app "
            "(only [filter:] sections can come before the app; move it to the end)"
        )


class TestSectionShape:
    """Sections that PasteDeploy refuses because of their keys."""

    def test_ambiguous_name(self, tmp_path: Path) -> None:
        """Two sections answering to one name are one error, on the second one."""
        report = lint_text(
            tmp_path,
            """\
            [app:x]
            paste.app_factory = m:a

            [pipeline:x]
            pipeline = y

            [app:y]
            paste.app_factory = m:a
            """,
        )
        d = only(report, "ambiguous-name")
        assert (d.severity, d.line, d.section) == ("error", 4, "pipeline:x")
        assert d.message == (
            "'x' is ambiguous: [app:x] (line 1) and [pipeline:x] (line 4) both answer to it "
            "(PasteDeploy refuses to load it; rename one)"
        )

    def test_pipeline_extra_key(self, tmp_path: Path) -> None:
        """A pipeline with another key than ``pipeline`` is an error on that key."""
        report = lint_text(
            tmp_path, CLEAN.replace("pipeline = auth api", "pipeline = auth api\nx = 1")
        )
        d = only(report, "pipeline-extra-key")
        assert (d.severity, d.line) == ("error", 3)
        assert "has key 'x'" in d.message

    def test_pipeline_without_pipeline_key(self, tmp_path: Path) -> None:
        """A pipeline section without ``pipeline`` is an error on its header."""
        report = lint_text(tmp_path, "[pipeline:main]\n\n[app:a]\npaste.app_factory = m:a\n")
        d = only(report, "missing-pipeline-key")
        assert (d.severity, d.line) == ("error", 1)

    def test_filter_app_without_next(self, tmp_path: Path) -> None:
        """A filter-app without ``next`` is an error that says to add it."""
        d = only(
            lint_text(tmp_path, "[filter-app:main]\npaste.filter_factory = m:f\n"), "missing-next"
        )
        assert (d.severity, d.line) == ("error", 1)
        assert "add 'next = <app>'" in d.message

    def test_dropped_by_default(self, tmp_path: Path) -> None:
        """A key that [DEFAULT] also defines is a warning suggesting ``set``."""
        report = lint_text(
            tmp_path,
            """\
            [DEFAULT]
            log_name = swift

            [app:main]
            paste.app_factory = m:a
            log_name = proxy
            """,
        )
        d = only(report, "dropped-by-default")
        assert (d.severity, d.line, d.section) == ("warning", 6, "app:main")
        assert "write 'set log_name = ...'" in d.message


class TestFactories:
    """Factory problems: none, several, bad ``use``, missing distributions, indirect keys."""

    def test_no_factory(self, tmp_path: Path) -> None:
        """An app without any factory key is an error."""
        d = only(lint_text(tmp_path, "[app:main]\nx = 1\n"), "no-factory")
        assert (d.severity, d.line) == ("error", 1)
        assert "add 'use = ...'" in d.message

    def test_several_factories(self, tmp_path: Path) -> None:
        """Two factory protocols in one section are an error."""
        text = "[app:main]\npaste.app_factory = m:a\npaste.composite_factory = m:c\n"
        d = only(lint_text(tmp_path, text), "several-factories")
        assert (d.severity, d.line) == ("error", 2)
        assert "paste.app_factory, paste.composite_factory" in d.message

    def test_use_cycle_reported_once(self, tmp_path: Path) -> None:
        """A ``use`` cycle is one error with the cycle written out."""
        text = "[app:main]\nuse = b\n\n[app:b]\nuse = main\n"
        d = only(lint_text(tmp_path, text), "use-cycle")
        assert d.severity == "error"
        assert "main → b → main" in d.message or "b → main → b" in d.message

    def test_config_missing_file(self, tmp_path: Path) -> None:
        """``use = config:`` naming a missing file is an error."""
        d = only(lint_text(tmp_path, "[app:main]\nuse = config:other.ini\n"), "bad-use")
        assert (d.severity, d.line) == ("error", 2)
        assert "cannot read 'other.ini'" in d.message

    def test_config_points_to_itself(self, tmp_path: Path) -> None:
        """``use = config:`` naming the section itself is an error."""
        d = only(lint_text(tmp_path, "[app:main]\nuse = config:app.ini#main\n"), "bad-use")
        assert "points back to itself" in d.message

    def test_unknown_scheme(self, tmp_path: Path) -> None:
        """``use = foo:bar`` is an error that lists the schemes."""
        d = only(lint_text(tmp_path, "[app:main]\nuse = foo:bar\n"), "bad-use")
        assert "unknown URI scheme 'foo'" in d.message

    def test_missing_distribution(self, tmp_path: Path) -> None:
        """An ``egg:`` distribution that is not installed is a warning with the pip command."""
        text = "[app:main]\nuse = egg:NoSuchDistPastetrace#main\n"
        d = only(lint_text(tmp_path, text), "missing-dist")
        assert (d.severity, d.line) == ("warning", 2)
        assert d.message.endswith("(pip install NoSuchDistPastetrace)")

    def test_missing_distribution_of_pipeline_uri(self, tmp_path: Path) -> None:
        """A URI written in a pipeline is checked too, on the pipeline's line."""
        text = CLEAN.replace("auth api", "auth egg:NoSuchDistPastetrace#x api")
        d = only(lint_text(tmp_path, text), "missing-dist")
        assert (d.line, d.section) == (2, "pipeline:main")
        assert d.message.startswith("pipeline 'main' names 'egg:NoSuchDistPastetrace#x', but")

    def test_missing_entry_point(self, tmp_path: Path) -> None:
        """An installed distribution without the entry point is a warning."""
        d = only(lint_text(tmp_path, "[app:main]\nuse = egg:rich#nothing\n"), "missing-entry-point")
        assert d.severity == "warning"
        assert "'nothing'" in d.message

    INDIRECT = """\
        [pipeline:main]
        pipeline = {filter} api

        [filter:versions]
        paste.filter_factory = heat.common.wsgi:filter_factory

        [filter:ok]
        paste.filter_factory = m:f

        [app:api]
        paste.app_factory = m:api
        """

    def test_indirect_key_missing_reached(self, tmp_path: Path) -> None:
        """A reachable heat/glance indirect factory without its key is an error."""
        d = only(
            lint_text(tmp_path, self.INDIRECT.format(filter="versions")), "missing-indirect-key"
        )
        assert (d.severity, d.line, d.section) == ("error", 5, "filter:versions")
        assert "'heat.filter_factory'" in d.message

    def test_indirect_key_missing_unreached(self, tmp_path: Path) -> None:
        """An unreached indirect factory without its key is only a warning."""
        d = only(lint_text(tmp_path, self.INDIRECT.format(filter="ok")), "missing-indirect-key")
        assert d.severity == "warning"

    def test_indirect_key_present(self, tmp_path: Path) -> None:
        """An indirect factory with its key is fine."""
        text = self.INDIRECT.format(filter="versions").replace(
            "wsgi:filter_factory\n", "wsgi:filter_factory\nheat.filter_factory = m:V\n"
        )
        assert lint_text(tmp_path, text).by_code("missing-indirect-key") == []


class TestInterpolation:
    """Interpolation notes from the reader become diagnostics with their own severity."""

    def test_placeholder_warning(self, tmp_path: Path) -> None:
        """``%VAR%`` is a warning on its line, naming its section."""
        text = CLEAN + "admin_user = %SERVICE_USER%\n"
        d = only(lint_text(tmp_path, text), "interpolation-placeholder")
        assert (d.severity, d.line, d.section) == ("warning", 9, "app:api")

    def test_missing_reference_error(self, tmp_path: Path) -> None:
        """``%(nope)s`` is an error."""
        d = only(lint_text(tmp_path, CLEAN + "x = %(nope)s\n"), "interpolation-missing")
        assert d.severity == "error"


class TestGraph:
    """Reachability, reference cycles and selector keys nobody reads."""

    def test_unreached_filter_with_main(self, tmp_path: Path) -> None:
        """A filter nothing reaches from main is an info."""
        text = CLEAN + "\n[filter:gzip]\npaste.filter_factory = m:g\n"
        d = only(lint_text(tmp_path, text), "unreached")
        assert (d.severity, d.line) == ("info", 10)
        assert "nothing reaches it from pipeline 'main'" in d.message

    def test_other_entry_folded(self, tmp_path: Path) -> None:
        """A second entry is one info that counts what only it uses."""
        text = (
            CLEAN
            + "\n[pipeline:admin]\npipeline = adm api\n\n[filter:adm]\npaste.filter_factory = m:x\n"
        )
        d = only(lint_text(tmp_path, text), "unreached")
        assert d.line == 10
        assert d.message == (
            "pipeline 'admin' is not reached from pipeline 'main': it is an entry of its own, "
            "with 1 section only it uses (load it with 'app.ini#admin')"
        )

    def test_no_main_unused_filter(self, tmp_path: Path) -> None:
        """Without main every unreferenced app is an entry; an unused filter is unreached."""
        text = (
            CLEAN.replace("pipeline:main", "pipeline:one")
            + "[filter:gzip]\npaste.filter_factory = m\n"
        )
        d = only(lint_text(tmp_path, text), "unreached")
        assert d.section == "filter:gzip"
        assert "no pipeline uses it" in d.message

    def test_use_counts_as_reached(self, tmp_path: Path) -> None:
        """A section another one inherits with ``use =`` is not unreached."""
        text = CLEAN.replace("paste.filter_factory = m:auth", "use = base") + (
            "\n[filter:base]\npaste.filter_factory = m:auth\n"
        )
        assert lint_text(tmp_path, text).by_code("unreached") == []

    def test_reference_cycle(self, tmp_path: Path) -> None:
        """composite → pipeline → composite is one error with the loop written out."""
        report = lint_text(
            tmp_path,
            """\
            [composite:main]
            use = call:paste.urlmap:urlmap_factory
            / = api

            [pipeline:api]
            pipeline = auth main

            [filter:auth]
            paste.filter_factory = m:auth
            """,
        )
        d = only(report, "reference-cycle")
        assert (d.severity, d.line, d.section) == ("error", 6, "pipeline:api")
        assert d.message == (
            "reference cycle: main → api → main (PasteDeploy would recurse forever; break the loop)"
        )

    def test_unread_selector_key(self, tmp_path: Path) -> None:
        """nova's pipeline_factory_v21 reads only ``keystone``: other keys are an info."""
        report = lint_text(
            tmp_path,
            """\
            [composite:main]
            use = call:nova.api.auth:pipeline_factory_v21
            noauth2 = auth api
            keystone = auth api

            [filter:auth]
            paste.filter_factory = m:auth

            [app:api]
            paste.app_factory = m:api
            """,
        )
        d = only(report, "unread-selector-key")
        assert (d.severity, d.line) == ("info", 3)
        assert "reads only 'keystone'" in d.message

    def test_relative_path(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A file given by a relative path finds its main entry all the same."""
        write(tmp_path, CLEAN + "\n[app:admin]\npaste.app_factory = m:adm\n")
        monkeypatch.chdir(tmp_path)
        d = only(lint(Deployment(Path("app.ini"))), "unreached")
        assert d.message.startswith("app 'admin' is not reached from pipeline 'main'")

    def test_config_uri_in_pipeline(self, tmp_path: Path) -> None:
        """A ``config:`` URI in a pipeline reaches the other file's app; a bad one is an error."""
        write(tmp_path, "[app:main]\npaste.app_factory = m:a\n", "other.ini")
        text = CLEAN.replace("auth api", "auth config:other.ini") + (
            "\n[pipeline:second]\npipeline = auth config:missing.ini\n"
        )
        report = lint_text(tmp_path, text)
        d = only(report, "bad-uri")
        assert (d.severity, d.line, d.section) == ("error", 11, "pipeline:second")
        assert [u.section for u in report.by_code("unreached")] == ["app:api", "pipeline:second"]

    def test_linear_on_a_long_chain(self, tmp_path: Path) -> None:
        """A 3,000-deep chain of composites is walked without recursion."""
        parts = [f"[composite:c{i}]\nuse = call:x:y\nk = c{i + 1}\n" for i in range(3000)] + [
            "[app:c3000]\npaste.app_factory = m:a\n"
        ]
        text = "[composite:main]\nuse = call:x:y\nk = c0\n" + "\n".join(parts)
        report = lint_text(tmp_path, text)
        assert report.errors == 0


class TestReport:
    """The report: sorting, counts, JSON, rendering."""

    def test_clean(self, tmp_path: Path) -> None:
        """A clean file renders as 'no problems found'."""
        report = lint_text(tmp_path, CLEAN)
        assert (report.errors, report.warnings, report.diagnostics) == (0, 0, [])
        assert str(report) == "no problems found"

    def test_render_exact(self, tmp_path: Path) -> None:
        """One line per diagnostic, then the summary, at a fixed width without colour."""
        path = write(tmp_path, CLEAN.replace("auth api", "authn api"))
        console = Console(color_system=None, width=400)
        console.begin_capture()
        console.print(lint(Deployment(path)))
        assert console.end_capture() == (
            f"{path}:2: error missing-section: pipeline 'main' names filter 'authn', which has no "
            "[filter:authn] section (did you mean 'auth'? filters: auth)\n"
            f"{path}:4: info unreached: filter 'auth' is never loaded: nothing reaches it from "
            "pipeline 'main' (remove it, or use it somewhere)\n"
            "1 error, 0 warnings, 1 info\n"
        )

    def test_sorted_by_line(self, tmp_path: Path) -> None:
        """Diagnostics come in file and line order."""
        report = lint_text(tmp_path, "[app:main]\nx = %Y%\n\n[app:b]\nuse = nothing\n")
        lines = [d.line or 0 for d in report.diagnostics]
        assert lines == sorted(lines)

    def test_to_dict(self, tmp_path: Path) -> None:
        """The JSON form carries the schema, counts and every field."""
        data = lint_text(tmp_path, "[app:main]\nx = 1\n").to_dict()
        assert json.loads(json.dumps(data)) == data
        assert (data["schema"], data["errors"], data["warnings"]) == (SCHEMA, 1, 0)
        assert data["diagnostics"][0]["code"] == "no-factory"
        assert set(data["diagnostics"][0]) == {
            "severity",
            "code",
            "message",
            "file",
            "line",
            "section",
        }


@pytest.mark.corpus
class TestCorpus:
    """Every real file lints without a crash; known findings are there."""

    @pytest.mark.parametrize("path", corpus_files())
    def test_lints(self, path: Path) -> None:
        """The file lints, and every diagnostic has a known severity and a place."""
        report = lint(Deployment(path))
        for d in report.diagnostics:
            assert d.severity in ("error", "warning", "info")
            assert d.code and "\n" not in d.message

    def test_heat_unreached_indirect_filter(self) -> None:
        """heat HEAD's cwversionnegotiation lacks heat.filter_factory: a warning, unreached."""
        report = lint_corpus("heat/api-paste.ini")
        d = only(report, "missing-indirect-key")
        assert (d.severity, d.line, d.section) == ("warning", 53, "filter:cwversionnegotiation")
        assert "'heat.filter_factory'" in d.message
        assert [u.section for u in report.by_code("unreached")] == ["filter:cwversionnegotiation"]

    def test_nova_essex_placeholders(self) -> None:
        """nova Essex's %SERVICE_*% placeholders are warnings on their lines."""
        found = lint_corpus("nova/essex-2012.1-api-paste.ini").by_code("interpolation-placeholder")
        assert [(d.severity, d.line) for d in found] == [
            ("warning", 153),
            ("warning", 154),
            ("warning", 155),
        ]
        assert "%SERVICE_TENANT_NAME%" in found[0].message

    def test_keystone_rocky_dist_not_installed(self) -> None:
        """keystone Rocky's egg:keystone references warn that keystone is not installed."""
        try:
            importlib.metadata.distribution("keystone")
        except importlib.metadata.PackageNotFoundError:
            pass
        else:
            pytest.skip("keystone is installed here")
        found = lint_corpus("keystone/rocky-14.0.0-keystone-paste.ini").by_code("missing-dist")
        keystone = [d for d in found if "'keystone' distribution" in d.message]
        assert keystone and all(d.severity == "warning" for d in keystone)
        assert keystone[0].message.endswith("(pip install keystone)")

    def test_swift_proxy_has_no_errors(self) -> None:
        """The swift proxy sample has no errors."""
        assert lint_corpus("swift/proxy-server.conf-sample").errors == 0


class TestCli:
    """``pastetrace lint``: exit 1 with errors, 0 when clean, 2 when unreadable."""

    @pytest.fixture(autouse=True)
    def wide(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A wide console without colour, so each diagnostic stays on one line."""
        console = Console(width=400, color_system=None)
        monkeypatch.setattr(cli, "env", cli.Environment(console, Console(stderr=True, width=400)))

    def test_errors_exit_1(self, tmp_path: Path) -> None:
        """Errors are printed and the exit status is 1."""
        path = write(tmp_path, CLEAN.replace("auth api", "authn api"))
        result = CliRunner().invoke(app, ["lint", str(path)])
        assert result.exit_code == 1, result.output
        assert "error missing-section" in result.output

    def test_clean_exit_0(self, tmp_path: Path) -> None:
        """A clean file says so and exits 0."""
        result = CliRunner().invoke(app, ["lint", str(write(tmp_path, CLEAN))])
        assert result.exit_code == 0, result.output
        assert "no problems found" in result.output

    def test_unreadable_exit_2(self, tmp_path: Path) -> None:
        """A missing file is one line on stderr and exit 2."""
        result = CliRunner().invoke(app, ["lint", str(tmp_path / "nope.ini")])
        assert result.exit_code == 2
        assert "no such file" in result.output
