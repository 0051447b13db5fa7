"""Tests for pastetrace.config: the static reader, checked against PasteDeploy's own loader."""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from paste.deploy import loadapp

from pastetrace.config import APP, FILTER, Deployment, Section
from pastetrace.errors import ConfigError
from tests import stubs
from tests.conftest import corpus_files

DATA = Path(__file__).parent / "data"
DIFFERENTIAL = DATA / "differential"


def make_dist(folder: Path, name: str, entry_points: str) -> Path:
    """A minimal installed distribution (a ``.dist-info`` folder) with these entry points."""
    info = folder / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    info.joinpath("entry_points.txt").write_text(entry_points, encoding="utf-8")
    return folder


@pytest.fixture
def fake_egg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``pastetrace-fake-egg``: installed (metadata only), its entry points in tests.stubs."""
    make_dist(
        tmp_path / "site",
        "pastetrace-fake-egg",
        "[paste.app_factory]\nmain = tests.stubs:app_factory\n\n"
        "[paste.filter_factory]\nwrap = tests.stubs:filter_factory\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return "pastetrace-fake-egg"


def line_of(path: Path, pattern: str, after: int = 0) -> int:
    """The 1-based line of the first line past ``after`` matching ``pattern`` (``grep -n``)."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number > after and re.search(pattern, text):
            return number
    raise AssertionError(f"{pattern!r} not in {path}")


# -- the differential walk ------------------------------------------------------------------


def compare(
    deployment: Deployment, section: Section, built: stubs.Built, parent: dict[str, str]
) -> Iterator[str]:
    """Walk pastetrace's reading and PasteDeploy's built objects in step; yield each checked id."""
    global_conf = {**parent, **section.global_additions}
    if section.filter_with is not None:
        outer = deployment.resolve(section.filter_with)
        assert outer is not None, section.filter_with
        yield from compare_leaf(outer, built, global_conf)
        assert built.next is not None
        built = built.next
    if section.kind == "pipeline":
        *filters, app = section.pipeline
        for ref in filters:
            target = deployment.resolve(ref)
            assert target is not None, ref
            assert target.namespace == FILTER
            yield from compare(deployment, target, built, global_conf)
            assert built.next is not None, f"{target.header} wraps nothing"
            built = built.next
        target = deployment.resolve(app)
        assert target is not None, app
        yield from compare(deployment, target, built, global_conf)
    elif section.kind == "filter-app":
        yield from compare_leaf(section, built, global_conf)
        assert section.next is not None and built.next is not None
        target = deployment.resolve(section.next)
        assert target is not None, section.next
        yield from compare(deployment, target, built.next, global_conf)
    elif section.kind == "composite":
        yield from compare_leaf(section, built, global_conf)
        refs = deployment.branch_refs(section)
        assert {ref.label for ref in refs} == set(built.branches)
        for ref in refs:
            target = deployment.resolve(ref)
            assert target is not None, ref
            yield from compare(deployment, target, built.branches[str(ref.label)], global_conf)
    else:
        yield from compare_leaf(section, built, global_conf)


def compare_leaf(
    section: Section, built: stubs.Built, global_conf: dict[str, str]
) -> Iterator[str]:
    assert section.factory.problem is None, section.factory.problem
    assert section.factory.target is not None
    assert section.factory.target.rsplit(":", 1)[1] == built.factory, section.header
    assert section.local_conf == built.local_conf, section.header
    expected_global = {**other_file_defaults(section), **global_conf}
    assert expected_global == built.global_conf, section.header
    yield section.header


def other_file_defaults(section: Section) -> dict[str, str]:
    """A ``use = config:`` section's global conf also gets the other file's [DEFAULT] keys."""
    use = section.options.get("use", "")
    if not use.startswith("config:"):
        return {}
    path = section.file.parent / use[len("config:") :].partition("#")[0]
    other = Deployment(path)
    return {k: v for k, v in other.defaults.items() if k not in ("here", "__file__")}


def differential(path: Path, name: str = "main") -> tuple[Deployment, list[str]]:
    deployment = Deployment(path)
    built = loadapp("config:" + str(path), name=name)
    checked = list(compare(deployment, deployment.get(name), built, deployment.defaults))
    return deployment, checked


class TestAgainstPasteDeploy:
    """pastetrace reads each file as PasteDeploy 3.1 builds it, section by section."""

    def test_basic_file_matches_section_by_section(self) -> None:
        """Delimiters, continuations, here/__file__, DEFAULT drops, set/get all match."""
        deployment, checked = differential(DIFFERENTIAL / "basic.ini")
        assert checked == [
            "composite:main",
            "filter:first",
            "filter:second",
            "filter:third",
            "app:app1",
            "application:root",
            "app:App1",
        ]

    def test_basic_file_values(self) -> None:
        """The values PasteDeploy passed are the ones pastetrace reports, spelled out."""
        deployment = Deployment(DIFFERENTIAL / "basic.ini")
        here = str(DIFFERENTIAL)
        first = deployment.get("first", FILTER)
        assert first.local_conf == {
            "colon_key": "colon value",
            "equals_key": "a = b : c",
            "multi": "line one\nline two",
            "file": str(DIFFERENTIAL / "basic.ini"),
            "here_too": here + "/x",
        }
        assert deployment.defaults["where"] == here + "/data"
        assert deployment.get("second", FILTER).dropped == ("dropped_key",)
        assert deployment.get("third", FILTER).local_conf == {"inline": "value # not a comment"}
        app1 = deployment.get("app1")
        assert app1.global_additions == {"shared": "from-set"}
        assert app1.local_conf == {"copied": "from-set", "local": "1"}
        assert deployment.get("App1").local_conf == {"local": "upper"}
        assert deployment.get("root").local_conf == {"Case": "Upper", "case": "lower"}

    def test_non_paste_section_is_ignored_but_default_counts(self) -> None:
        """``[sql]`` is no section of the deployment; ``[DEFAULT]`` is still the global conf."""
        deployment = Deployment(DIFFERENTIAL / "basic.ini")
        assert deployment.ignored_sections == [
            ("sql", line_of(DIFFERENTIAL / "basic.ini", r"^\[sql\]"))
        ]
        assert "sql" not in {s.header for s in deployment.sections}
        assert deployment.defaults["shared"] == "from-default"

    def test_pipeline_order_and_entry_lines(self) -> None:
        """A pipeline over three lines (spaces and a tab) keeps its order and each entry's line."""
        path = DIFFERENTIAL / "basic.ini"
        pipeline = Deployment(path).get("api_v1")
        assert [(r.name, r.namespace, r.order) for r in pipeline.pipeline] == [
            ("first", FILTER, 0),
            ("second", FILTER, 1),
            ("third", FILTER, 2),
            ("app1", APP, 3),
        ]
        assert [r.line for r in pipeline.pipeline] == [
            line_of(path, r"^pipeline = first"),
            line_of(path, r"second\tthird"),
            line_of(path, r"second\tthird"),
            line_of(path, r"^  app1$"),
        ]

    def test_use_file_matches_section_by_section(self) -> None:
        """use = section, use = config:, filter-with, filter-app and composit: all match."""
        _, checked = differential(DIFFERENTIAL / "use.ini")
        assert checked == [
            "composit:main",
            "app:derived",
            "filter:outer",
            "app:wrapped_app",
            "filter-app:filtered",
            "app:derived",
            "app:remote_app",
        ]

    def test_use_section_merges_local_keys_over_the_used_one(self) -> None:
        """``use = base_app`` inherits the factory and keys; the using section's keys win."""
        derived = Deployment(DIFFERENTIAL / "use.ini").get("derived")
        assert derived.factory.scheme == "section"
        assert derived.factory.via == ("app:base_app",)
        assert derived.factory.target == "tests.stubs:app_factory"
        assert derived.local_conf == {"a": "base", "b": "derived", "c": "derived"}

    def test_use_config_is_relative_to_the_file(self) -> None:
        """``use = config:sub/remote.ini#remote`` reads the other file, interpolated there."""
        deployment = Deployment(DIFFERENTIAL / "use.ini")
        remote = deployment.get("remote_app")
        assert remote.factory.scheme == "config"
        assert remote.factory.target == "tests.stubs:app_factory"
        assert remote.local_conf["where"] == str(DIFFERENTIAL / "sub")
        assert (DIFFERENTIAL / "sub" / "remote.ini").resolve() in deployment.files

    def test_filter_with_and_next_are_references(self) -> None:
        """``filter-with`` and ``next`` become references and leave the local conf."""
        deployment = Deployment(DIFFERENTIAL / "use.ini")
        wrapped = deployment.get("wrapped_app")
        assert wrapped.filter_with is not None and wrapped.filter_with.name == "outer"
        assert "filter-with" not in wrapped.local_conf
        filtered = deployment.get("filtered")
        assert filtered.next is not None and filtered.next.name == "derived"
        assert [r.role for r in deployment.references(filtered)] == ["next"]
        assert [r.role for r in deployment.references(wrapped)] == ["filter-with"]

    def test_egg_resolves_through_installed_metadata(self, fake_egg: str) -> None:
        """``egg:`` names resolve through entry_points.txt, in a section and inside a pipeline."""
        deployment, checked = differential(DIFFERENTIAL / "egg.ini")
        assert checked == ["filter:egged", "egg:pastetrace-fake-egg#wrap", "app:app"]
        app = deployment.get("app")
        assert (app.factory.source, app.factory.protocol) == ("installed", "paste.app_factory")
        assert app.factory.target == "tests.stubs:app_factory"

    def test_call_in_filter_app_fails_in_pastedeploy_and_says_so(self, tmp_path: Path) -> None:
        """PasteDeploy asks for protocol 'paste.filter-app_factory' there: reported as a problem."""
        path = tmp_path / "fa.ini"
        path.write_text(
            "[filter-app:main]\nuse = call:tests.stubs:filter_factory\nnext = app\n\n"
            "[app:app]\npaste.app_factory = tests.stubs:app_factory\n",
            encoding="utf-8",
        )
        with pytest.raises(AssertionError, match="filter-app_factory"):
            loadapp("config:" + str(path))
        problem = Deployment(path).get().factory.problem
        assert problem is not None and "paste.filter_factory" in problem

    def test_call_with_dotted_attribute_fails_in_pastedeploy_and_says_so(
        self, tmp_path: Path
    ) -> None:
        """``call:m:Cls.meth`` is one getattr in PasteDeploy 3.1: reported as a problem."""
        path = tmp_path / "dotted.ini"
        path.write_text("[app:main]\nuse = call:tests.stubs:Holder.factory\n", encoding="utf-8")
        with pytest.raises(AttributeError):
            loadapp("config:" + str(path))
        problem = Deployment(path).get().factory.problem
        assert problem is not None and "Holder.factory" in problem

    def test_bare_app_section_is_not_main(self, tmp_path: Path) -> None:
        """A bare ``[app]`` is not found by ``loadapp`` (it asks for 'main'), nor by get()."""
        path = tmp_path / "bare.ini"
        path.write_text("[app]\npaste.app_factory = tests.stubs:app_factory\n", encoding="utf-8")
        with pytest.raises(LookupError, match="No section 'main'"):
            loadapp("config:" + str(path))
        deployment = Deployment(path)
        with pytest.raises(ConfigError, match=r"\[app:main\]"):
            deployment.get("main")
        assert [n.code for n in deployment.notes] == ["bare-section"]

    def test_names_are_case_sensitive(self) -> None:
        """``app1`` and ``App1`` are two sections, and ``APP1`` is neither."""
        deployment = Deployment(DIFFERENTIAL / "basic.ini")
        assert deployment.get("app1") is not deployment.get("App1")
        with pytest.raises(ConfigError, match="did you mean"):
            deployment.get("APP1")


class TestKnownEntryPoints:
    """Without the distribution installed, well-known eggs resolve from pastetrace's table."""

    @pytest.mark.parametrize(
        ("uri", "namespace", "target", "protocol"),
        [
            ("egg:Paste#urlmap", APP, "paste.urlmap:urlmap_factory", "paste.composite_factory"),
            (
                "egg:Paste#cgitb",
                FILTER,
                "paste.cgitb_catcher:make_cgitb_middleware",
                "paste.filter_app_factory",
            ),
            (
                "egg:oslo.middleware#cors",
                FILTER,
                "oslo_middleware:CORS.factory",
                "paste.filter_factory",
            ),
            ("egg:swift#proxy", APP, "swift.proxy.server:app_factory", "paste.app_factory"),
        ],
    )
    def test_known_target_and_protocol(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        uri: str,
        namespace: str,
        target: str,
        protocol: str,
    ) -> None:
        """The known table gives the target and the protocol Paste's setup.py declares."""

        import pastetrace.config

        monkeypatch.setattr(pastetrace.config, "_installed_entry_points", lambda name: None)
        kind = "app" if namespace == APP else "filter"
        path = tmp_path / "known.ini"
        path.write_text(f"[{kind}:main]\nuse = {uri}\n", encoding="utf-8")
        factory = Deployment(path).get("main", namespace).factory
        assert (factory.target, factory.protocol, factory.source) == (target, protocol, "known")
        assert factory.missing_dist == uri[4:].partition("#")[0]


class TestNeverImports:
    """Reading a file, its entries, references and branches imports nothing it names."""

    def test_poison_is_never_imported(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """call:, paste.*_factory and egg: (metadata pointing at the poison) stay unimported."""
        marker = tmp_path / "imported"
        monkeypatch.setenv("PASTETRACE_POISON_MARKER", str(marker))
        site = make_dist(
            tmp_path / "site",
            "pastetrace-poison-egg",
            "[paste.app_factory]\nmain = tests.poison_pkg.poison:factory\n\n"
            "[paste.filter_factory]\npf = tests.poison_pkg.poison:factory\n",
        )
        monkeypatch.syspath_prepend(str(site))
        deployment = Deployment(DATA / "poison.ini")
        seen = []
        for section in [*deployment.entries(), *deployment.sections]:
            for ref in deployment.references(section):
                target = deployment.resolve(ref)
                seen.append(target.factory.target if target else None)
            if section.kind == "composite":
                deployment.branches(section)
        assert "tests.poison_pkg.poison:factory" in seen
        assert deployment.get("egg_app").factory.source == "installed"
        assert "tests.poison_pkg" not in sys.modules
        assert "tests.poison_pkg.poison" not in sys.modules
        assert not marker.exists()


class TestErrors:
    """A file that cannot be read is a ConfigError with file:line and what to do."""

    @pytest.mark.parametrize(
        ("text", "line", "says"),
        [
            pytest.param(b"key = value\n", 1, "[section] header", id="no-section-header"),
            pytest.param(b"[app:a]\nx = 1\n\n[app:a]\n", 4, "merge or rename", id="dup-section"),
            pytest.param(b"[app:a]\nx = 1\nx = 2\n", 3, "keep one", id="dup-key"),
            pytest.param(b"[app:a]\nx = 1\n\xff\xfe\n", 3, "UTF-8", id="not-utf8"),
            pytest.param(b"\x00\x01\x02binary", 1, "binary", id="binary"),
            pytest.param(b"[app:a]\njust words\n", 2, "key = value", id="no-delimiter"),
        ],
    )
    def test_bad_content(self, tmp_path: Path, text: bytes, line: int, says: str) -> None:
        """Bad content names the file and line."""
        path = tmp_path / "bad.ini"
        path.write_bytes(text)
        with pytest.raises(ConfigError) as info:
            Deployment(path)
        assert str(info.value).startswith(f"{path}:{line}: ")
        assert says in str(info.value)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file says to check the path."""
        with pytest.raises(ConfigError, match="no such file.*check the path"):
            Deployment(tmp_path / "nope.ini")

    def test_folder(self, tmp_path: Path) -> None:
        """A folder says to give the file inside it."""
        with pytest.raises(ConfigError, match="folder.*give the .ini file"):
            Deployment(tmp_path)

    @pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX, non-root")
    def test_unreadable(self, tmp_path: Path) -> None:
        """A file without read permission says to check it."""
        path = tmp_path / "secret.ini"
        path.write_text("[app:main]\n", encoding="utf-8")
        path.chmod(0)
        try:
            with pytest.raises(ConfigError, match="permission denied.*read permission"):
                Deployment(path)
        finally:
            path.chmod(0o600)

    def test_missing_name(self) -> None:
        """Asking for a name no section has lists the names there are."""
        with pytest.raises(ConfigError, match="no app, composite or pipeline section named"):
            Deployment(DIFFERENTIAL / "basic.ini").get("nope")


class TestLineNumbers:
    """Sections and keys carry the 1-based line ``grep -n`` gives."""

    def test_sections_and_keys(self) -> None:
        """Headers and keys (both delimiters) point at their own lines."""
        path = DIFFERENTIAL / "basic.ini"
        deployment = Deployment(path)
        first = deployment.get("first", FILTER)
        assert first.line == line_of(path, r"^\[filter:first\]")
        assert first.line_of("colon_key") == line_of(path, r"^colon_key:")
        assert first.line_of("multi") == line_of(path, r"^multi =")
        assert deployment.get().line_of("/") == line_of(path, r"^/: root")
        assert deployment.get("app1").line_of("set shared") == line_of(path, r"^set shared")


@pytest.mark.corpus
class TestCorpus:
    """Every real file loads, and the unusual ones read as NOTES.md says."""

    @pytest.mark.parametrize("path", corpus_files())
    def test_every_file_loads(self, path: Path) -> None:
        """Reading a real file, its entries, references and branches raises nothing."""
        deployment = Deployment(path)
        assert deployment.sections
        for section in deployment.sections:
            for ref in deployment.references(section):
                deployment.resolve(ref)
        assert deployment.entries()

    def test_keystone_essex(self, corpus: Path) -> None:
        """Non-paste sections are ignored; main maps /v2.0 and /; public_api keeps its order."""
        path = corpus / "keystone" / "essex-2012.1-keystone.conf"
        deployment = Deployment(path)
        ignored = [name for name, _ in deployment.ignored_sections]
        assert ignored[:3] == ["sql", "ldap", "identity"]
        assert ("sql", line_of(path, r"^\[sql\]")) in deployment.ignored_sections
        main = deployment.get("main")
        assert [(b.key, b.path, b.names) for b in deployment.branches(main)] == [
            ("/v2.0", "/v2.0", ("public_api",)),
            ("/", "", ("public_version_api",)),
        ]
        assert [r.name for r in deployment.get("public_api").pipeline] == [
            "token_auth",
            "admin_token_auth",
            "xml_body",
            "json_body",
            "debug",
            "ec2_extension",
            "public_service",
        ]

    def test_glance_head(self, corpus: Path) -> None:
        """composite:api is a flavor selector with six keys; rootapp tries /v2 before /."""
        deployment = Deployment(corpus / "glance" / "glance-api-paste.ini")
        api = deployment.get("api")
        assert deployment.composite(api).kind == "selector"
        branches = deployment.branches(api)
        assert len(branches) == 6
        assert [b.key for b in branches if b.default] == ["default"]
        assert branches[0].names[-1] == "rootapp"
        rootapp = deployment.get("rootapp")
        assert [b.path for b in deployment.branches(rootapp)] == ["/v2", ""]

    def test_nova_head(self, corpus: Path) -> None:
        """osapi_compute's branches come in Paste's order and the note explains '/+'."""
        deployment = Deployment(corpus / "nova" / "api-paste.ini")
        osapi = deployment.get("osapi_compute")
        classified = deployment.composite(osapi)
        assert classified.kind == "urlmap"
        assert classified.urlmap is not None and classified.urlmap.wildcard_plus
        assert "'/+'" in str(classified.urlmap.note)
        assert [b.path for b in deployment.branches(osapi)] == [
            "/v2.1/+",
            "/v2.1",
            "/v2/+",
            "/v2",
            "",
        ]

    def test_cinder_head(self, corpus: Path) -> None:
        """cinder's root app branches; /v1 and /v2 are marked dropped when present."""
        path = corpus / "cinder" / "api-paste.ini"
        deployment = Deployment(path)
        root = deployment.get("osapi_volume")
        branches = deployment.branches(root)
        assert [b.path for b in branches] == ["/healthcheck", "/v3", ""]
        assert not any(b.dropped for b in branches)
        old = Deployment(corpus / "cinder" / "queens-12.0.0-api-paste.ini")
        dropped = {b.path: b.dropped for b in old.branches(old.get("osapi_volume"))}
        assert {p for p, d in dropped.items() if d} == {"/v1", "/v2"} & set(dropped)

    def test_swift_proxy(self, corpus: Path, tmp_path: Path) -> None:
        """proxy-logging twice in one pipeline; a [DEFAULT]-shadowed key lands in dropped."""
        path = corpus / "swift" / "proxy-server.conf-sample"
        pipeline = [r.name for r in Deployment(path).get("main").pipeline]
        assert pipeline.count("proxy-logging") == 2
        assert pipeline[-1] == "proxy-server"
        copy = tmp_path / "proxy.conf"
        copy.write_text(
            path.read_text(encoding="utf-8").replace(
                "[app:proxy-server]\n", "[app:proxy-server]\nbind_port = 9999\n"
            ),
            encoding="utf-8",
        )
        proxy = Deployment(copy).get("proxy-server")
        assert proxy.dropped == ("bind_port",)
        assert "bind_port" not in proxy.local_conf

    def test_barbican_kilo_uris_in_pipeline(self, corpus: Path) -> None:
        """egg:Paste#cgitb inside a pipeline is a synthetic filter with Paste's known target."""
        deployment = Deployment(corpus / "barbican" / "kilo-2015.1.0-barbican-api-paste.ini")
        pipeline = deployment.get("barbican-profile").pipeline
        uris = {r.name: deployment.resolve(r) for r in pipeline if r.is_uri}
        cgitb = uris["egg:Paste#cgitb"]
        assert cgitb is not None and cgitb.synthetic and cgitb.kind == "filter"
        assert cgitb.factory.target == "paste.cgitb_catcher:make_cgitb_middleware"
        assert cgitb.factory.protocol == "paste.filter_app_factory"
        assert cgitb.factory.source in ("installed", "known")  # Paste may be in the venv
        httpexc = uris["egg:Paste#httpexceptions"]
        assert httpexc is not None
        assert httpexc.factory.target == "paste.httpexceptions:make_middleware"

    @pytest.mark.parametrize(
        "name",
        ["nova/essex-2012.1-api-paste.ini", "glance/essex-2012.1-glance-api-paste.ini"],
    )
    def test_percent_placeholders_kept_raw(self, corpus: Path, name: str) -> None:
        """``%SERVICE_TENANT_NAME%`` stays as written, with a note on its line."""
        path = corpus / name
        deployment = Deployment(path)
        authtoken = deployment.get("authtoken", FILTER)
        assert authtoken.local_conf["admin_tenant_name"] == "%SERVICE_TENANT_NAME%"
        notes = [n for n in deployment.notes if "admin_tenant_name" in n.message]
        assert [(n.code, n.line) for n in notes] == [
            ("interpolation-placeholder", line_of(path, r"^admin_tenant_name"))
        ]

    def test_keystone_diablo_multiline_pipeline(self, corpus: Path) -> None:
        """A pipeline over lines indented with tabs gives each entry its own line."""
        path = corpus / "keystone" / "diablo-2011.3-keystone.conf"
        section = Deployment(path).get("keystone-legacy-auth")
        assert [(r.name, r.line) for r in section.pipeline] == [
            (name, line_of(path, rf"^\s+{re.escape(name)}\s*$", after=section.line))
            for name in ("urlrewritefilter", "legacy_auth", "RAX-KEY-extension", "service_api")
        ]

    def test_glance_essex_indirect_factory(self, corpus: Path) -> None:
        """glance.common.wsgi:app_factory's real class comes from the glance.app_factory key."""
        deployment = Deployment(corpus / "glance" / "essex-2012.1-glance-api-paste.ini")
        app = deployment.get("apiv1app")
        assert app.factory.target == "glance.common.wsgi:app_factory"
        assert app.factory.indirect == "glance.api.v1.router:API"

    def test_heat_head_broken_unused_section(self, corpus: Path) -> None:
        """heat HEAD loads though [filter:cwversionnegotiation] lacks its heat.filter_factory."""
        deployment = Deployment(corpus / "heat" / "api-paste.ini")
        broken = deployment.get("cwversionnegotiation", FILTER)
        assert broken.factory.target == "heat.common.wsgi:filter_factory"
        assert broken.factory.indirect is None
        assert broken.id not in deployment.referenced


class TestEntryPointMetadata:
    def test_same_as_importlib_metadata_for_every_installed_distribution(self):
        """The dist-info reader finds what importlib.metadata finds, for every installed dist."""

        from pastetrace.config import _installed_entry_points

        checked = 0
        for dist in importlib.metadata.distributions():
            name = dist.metadata["Name"]
            expected = importlib.metadata.distribution(name)  # the first on sys.path wins
            points = sorted(
                (ep.group, ep.name, ep.value.split("[", 1)[0].strip())
                for ep in expected.entry_points
            )
            found = _installed_entry_points(name)
            assert found is not None, name
            assert (found[0], sorted(found[1])) == (str(expected.version), points), name
            checked += 1
        assert checked > 10
        assert _installed_entry_points("no-such-distribution-here") is None
