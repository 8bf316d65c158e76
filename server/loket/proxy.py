"""Who a request comes from, and whether over TLS: read through the proxy in front of Loket
when `server.trust_proxy` says there is one.

A proxy adds the address it got the request from at the end of X-Forwarded-For, after
whatever the client put there itself. So only the last entry is the proxy's word: the ones
before it are the client's to choose, and counting attempts by them would let a client pick
a fresh address for every try. The same holds for X-Forwarded-Proto.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp.web import BaseRequest


def from_own_pages(*, fetch_site: str | None, origin: str | None, host: str) -> bool:
    """Whether a request comes from the server's own pages (the console), not from a page
    of another site, nor of another port of the same machine (which a SameSite cookie
    does not keep out). A browser says where the page that sent it is in `Sec-Fetch-Site`,
    which page scripts cannot set and proxies pass on as it is; a browser too old to send
    it is judged by whether its `Origin` names the request's `Host`. A client that is no
    browser sends neither, and has no one's cookie to misuse."""
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    return origin is None or urlsplit(origin).netloc == host


def _last_entry(request: BaseRequest, header: str) -> str | None:
    """The last comma-separated entry of `header` (over all its lines), or None."""
    for line in reversed(request.headers.getall(header, [])):
        for entry in reversed(line.split(",")):
            entry = entry.strip()
            if entry:
                return entry
    return None


def client_address(request: BaseRequest, *, trust_proxy: bool) -> str:
    """The client's address: the one the proxy reports when it is trusted, else the peer's."""
    if trust_proxy:
        forwarded = _last_entry(request, "X-Forwarded-For")
        if forwarded:
            return forwarded
    return request.remote or "unknown"


def over_tls(request: BaseRequest, *, trust_proxy: bool) -> bool:
    """Whether the client reached us over HTTPS: directly, or through a trusted proxy that
    says so in X-Forwarded-Proto."""
    if request.secure:
        return True
    return trust_proxy and (_last_entry(request, "X-Forwarded-Proto") or "").lower() == "https"
