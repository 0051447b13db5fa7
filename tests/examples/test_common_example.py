"""The shared pieces of the examples: the urlmap composite, SERVICES and config_path."""

from __future__ import annotations

from typing import Any

import pytest
from pastetrace_examples import SERVICES, config_path
from pastetrace_examples.common.urlmap import URLMap, normalize_prefix
from webob import Request, Response


def echo(name: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        body = f"{name} {environ['SCRIPT_NAME']!r} {environ['PATH_INFO']!r}"
        return Response(body)(environ, start_response)

    return app


class TestURLMap:
    @pytest.fixture
    def urlmap(self) -> URLMap:
        prefixes = ["/", "/v2", "/v2.0", "/v2.0/admin/"]
        return URLMap({normalize_prefix(p): echo(p) for p in prefixes})

    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            pytest.param("/v2.0/tokens", "/v2.0 '/v2.0' '/tokens'", id="prefix"),
            pytest.param("/v2.0", "/v2.0 '/v2.0' ''", id="exact-leaves-empty-path"),
            pytest.param("/v2.0/admin/x", "/v2.0/admin/ '/v2.0/admin' '/x'", id="longest-first"),
            pytest.param("/v2.1/x", "/ '' '/v2.1/x'", id="v2-does-not-match-v2.1"),
            pytest.param("/", "/ '' '/'", id="root"),
        ],
    )
    def test_routes_like_paste(self, urlmap: URLMap, path: str, expected: str) -> None:
        assert Request.blank(path).get_response(urlmap).text == expected

    def test_no_match_is_404(self) -> None:
        urlmap = URLMap({"/v1": echo("/v1")})
        assert Request.blank("/v2/x").get_response(urlmap).status_int == 404


class TestConfigPath:
    @pytest.mark.parametrize("example", sorted(SERVICES))
    def test_every_entry_points_at_a_bundled_paste_file(self, example: str) -> None:
        for which, (relative, name, address) in SERVICES[example].items():
            path = config_path(example, which)
            assert path.is_file()
            assert path.as_posix().endswith(relative)
            assert f"{name}]" in path.read_text() or f":{name}]" in path.read_text()
            host, _, port = address.partition(":")
            assert host == "127.0.0.1" and port.isdigit()

    def test_default_entry_is_the_first(self) -> None:
        assert config_path("glance").name == "glance-api-paste.ini"

    def test_unknown_example_says_which_exist(self) -> None:
        with pytest.raises(ValueError, match=r"must be one of \['glance', 'keystone', 'nova'\]"):
            config_path("swift")
