"""WorldBankClient replays recorded responses through an injected transport (no network)."""

from __future__ import annotations

import io
import urllib.error
import urllib.parse

import pytest

from innolab.errors import IncompleteDataError, NetworkError, ParameterError
from innolab.sources import WorldBankClient, read_api_json
from innolab.sources.worldbank_api import WorldBankAPIError

BASE = "https://api.example.test/v2/"


class Replay:
    """A transport answering from recorded files by (path, page); records every call."""

    def __init__(self, test_data, failures=None):
        d = test_data / "sources" / "api"
        self.pages = {
            ("country/all/indicator/IT.NET.USER.ZS", "1"): (
                d / "indicator_page1.json"
            ).read_bytes(),
            ("country/all/indicator/IT.NET.USER.ZS", "2"): (
                d / "indicator_page2.json"
            ).read_bytes(),
            ("country", "1"): (d / "country.json").read_bytes(),
        }
        self.failures = dict(failures or {})  # (path, page) -> list of exceptions/bodies first
        self.calls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        parts = urllib.parse.urlsplit(url)
        assert url.startswith(BASE), url
        path = parts.path[len("/v2/") :]
        query = dict(urllib.parse.parse_qsl(parts.query))
        assert query["format"] == "json"
        key = (path, query.get("page", "1"))
        queue = self.failures.get(key)
        if queue:
            item = queue.pop(0)
            if isinstance(item, BaseException):
                raise item
            return item
        if key not in self.pages:
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, io.BytesIO(b""))
        return self.pages[key]


def _client(tmp_path, transport, **kw):
    sleeps: list[float] = []
    client = WorldBankClient(
        BASE,
        transport=transport,
        cache_dir=tmp_path / "cache",
        sleep=sleeps.append,
        per_page=3,
        **kw,
    )
    return client, sleeps


def test_paging_combines_pages_and_flags_aggregates(tmp_path, test_data):
    replay = Replay(test_data)
    client, sleeps = _client(tmp_path, replay)
    result = client.indicators(["IT.NET.USER.ZS"])
    assert result.data[["iso3", "year", "value"]].to_dict("records") == [
        {"iso3": "HIC", "year": 2021, "value": 91.4},
        {"iso3": "KOR", "year": 2021, "value": 97.6},
        {"iso3": "NAM", "year": 2021, "value": 62.5},
        {"iso3": "WLD", "year": 2021, "value": 62.6},
    ]
    assert result.aggregate_codes() == frozenset({"HIC", "WLD"})
    assert [
        urllib.parse.parse_qs(urllib.parse.urlsplit(u).query).get("page") for u in replay.calls
    ] == [["1"], ["2"], ["1"]]
    assert sleeps == []
    # the cache holds the validated raw responses; they read back offline as files
    cached = sorted((tmp_path / "cache").glob("*.json"))
    assert len(cached) == 3
    indicator_pages = [p for p in cached if "indicator" in p.name]
    offline = read_api_json(
        indicator_pages, country_list=next(p for p in cached if "indicator" not in p.name)
    )
    assert offline.data.equals(result.data)


def test_cache_is_reused(tmp_path, test_data):
    replay = Replay(test_data)
    client, _ = _client(tmp_path, replay)
    first = client.indicators(["IT.NET.USER.ZS"])
    n = len(replay.calls)
    again, _ = _client(tmp_path, replay)
    second = again.indicators(["IT.NET.USER.ZS"])
    assert len(replay.calls) == n  # nothing fetched the second time
    assert second.data.equals(first.data)
    fresh, _ = _client(tmp_path, replay, use_cache=False)
    fresh.indicators(["IT.NET.USER.ZS"])
    assert len(replay.calls) == 2 * n


def test_transient_error_is_retried_with_backoff(tmp_path, test_data):
    key = ("country/all/indicator/IT.NET.USER.ZS", "2")
    replay = Replay(
        test_data,
        failures={
            key: [
                urllib.error.HTTPError("u", 503, "Unavailable", {}, io.BytesIO(b"")),
                TimeoutError("timed out"),
            ]
        },
    )
    client, sleeps = _client(tmp_path, replay, backoff=0.5)
    result = client.indicators(["IT.NET.USER.ZS"])
    assert len(result.data) == 4
    assert sleeps == [0.5, 1.0]  # exponential backoff before the 2nd and 3rd attempts


def test_retries_are_bounded(tmp_path, test_data):
    key = ("country/all/indicator/IT.NET.USER.ZS", "1")
    replay = Replay(test_data, failures={key: [ConnectionResetError("reset")] * 10})
    client, sleeps = _client(tmp_path, replay, max_retries=2, backoff=1.0)
    with pytest.raises(NetworkError, match="no valid response after 3 attempts"):
        client.indicators(["IT.NET.USER.ZS"], with_country_list=False)
    assert len(replay.calls) == 3 and sleeps == [1.0, 2.0]


def test_client_error_is_not_retried(tmp_path, test_data):
    replay = Replay(test_data)
    client, sleeps = _client(tmp_path, replay)
    with pytest.raises(NetworkError, match="HTTP 404"):
        client.get("country/XXX/indicator/NOPE")
    assert len(replay.calls) == 1 and sleeps == []


def test_missing_page_is_incomplete_data(tmp_path, test_data):
    key = ("country/all/indicator/IT.NET.USER.ZS", "2")
    replay = Replay(test_data, failures={key: [OSError("down")] * 5})
    client, _ = _client(tmp_path, replay, max_retries=1)
    with pytest.raises(IncompleteDataError, match="page 2 of 2 could not be fetched") as err:
        client.indicators(["IT.NET.USER.ZS"], with_country_list=False)
    assert "page=2" in err.value.path


def test_invalid_json_is_retried_and_never_cached(tmp_path, test_data):
    key = ("country/all/indicator/IT.NET.USER.ZS", "1")
    replay = Replay(test_data, failures={key: [b'[{"page":1,"pages":2', b"<html>oops</html>"]})
    client, sleeps = _client(tmp_path, replay, max_retries=1)
    with pytest.raises(NetworkError, match="invalid JSON"):
        client.get("country/all/indicator/IT.NET.USER.ZS", {"per_page": 3, "page": 1})
    assert not list((tmp_path / "cache").glob("*.json"))
    # the next good answer is validated and cached
    page = client.get("country/all/indicator/IT.NET.USER.ZS", {"per_page": 3, "page": 1})
    assert page.total == 5
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1


def test_api_error_message_is_not_retried_or_cached(tmp_path, test_data):
    body = (test_data / "sources" / "broken" / "api_error.json").read_bytes()
    replay = Replay(test_data, failures={("country/all/indicator/BAD", "1"): [body]})
    client, sleeps = _client(tmp_path, replay)
    with pytest.raises(WorldBankAPIError, match="Invalid value"):
        client.get("country/all/indicator/BAD")
    assert len(replay.calls) == 1 and not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.test/v2/country",
        "http://api.example.test/v2/country",
        "https://api.example.test/v3/country",
        "../v3/country",
        "/etc/passwd",
        "https://api.example.test/v2/../secret",
    ],
)
def test_urls_outside_the_base_are_refused(tmp_path, test_data, target):
    replay = Replay(test_data)
    client, _ = _client(tmp_path, replay)
    with pytest.raises(ParameterError):
        client.get(target)
    assert replay.calls == []


def test_bad_arguments(tmp_path, test_data):
    with pytest.raises(ParameterError, match="base_url"):
        WorldBankClient("ftp://x/", transport=Replay(test_data))
    client, _ = _client(tmp_path, Replay(test_data))
    with pytest.raises(ParameterError, match="codes"):
        client.indicators(["NY.GDP/../x"])
    with pytest.raises(ParameterError, match="countries"):
        client.indicators(["NY.GDP.PCAP.CD"], countries="FRA/../x")
