"""The images a printed document shows (store logos, product pictures), fetched safely before it renders.

Image URLs come from the store's data and the merchant's settings: they are user input that the server
fetches. So WeasyPrint never opens a URL itself. Before a document renders, `fetch_images` gets each
distinct URL once, in parallel, through the same guard as store requests (stores/connector/urlguard.py):

- http(s) only, no credentials in the URL, every address the name resolves to public (unless private
  hosts are allowed, as in tests), and the address each connection actually reached checked again
  (GuardedAdapter: DNS rebinding); plain http is allowed, as an image carries no secret;
- redirects followed by hand, at most `MAX_REDIRECTS`, each hop checked like the first URL;
- at most `MAX_IMAGE_BYTES` read, within `FETCH_SECONDS` for one image (however slowly a server drips its
  bytes) and `BATCH_SECONDS` for all of them; at most `MAX_IMAGES` distinct images per document;
- only raster images (PNG, JPEG, GIF, WebP) whose header Pillow reads and whose size is at most
  `MAX_PIXELS` (a small file can decode to gigabytes);
- an image larger than it prints (`PRINT_SIDE` pixels on its longer side: a logo is at most 70 mm wide,
  a product 13 mm, at ~220 dpi) is scaled down once, when it arrives: the cache keeps the small one, so
  no slip decodes a 25-megapixel picture again (WeasyPrint would, on every slip, inside the request).

What arrives is kept in Django's cache (`CACHE_SECONDS`; a failure for `FAILURE_CACHE_SECONDS`, so a
hostile or dead URL costs one try, not one per print). An image that fails is left out of the document:
the document still prints. The renderer reads images only through `ImageFetcher`, which serves what was
fetched under opaque keys and refuses every other URL.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache
from requests.adapters import HTTPAdapter

from stores.connector.errors import StoreError
from stores.connector.transport import read_at_most
from stores.connector.urlguard import GuardedAdapter, validate_store_url

logger = logging.getLogger("shipments.print")

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 25_000_000  # 5000 × 5000
PRINT_SIDE = 600  # pixels on the longer side, the most any printed document shows of an image
MAX_IMAGES = 300
MAX_REDIRECTS = 3
CONNECT_SECONDS = 3.0
FETCH_SECONDS = 5.0
BATCH_SECONDS = 10.0
WORKERS = 8
CACHE_SECONDS = 3600
FAILURE_CACHE_SECONDS = 600
ALLOWED_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
KEY_SCHEME = "outbound-image"
_FAILED = "failed"


@dataclass(frozen=True)
class FetchedImage:
    content_type: str
    data: bytes


class ImageRefused(Exception):
    """Why one image is left out (a short English reason, for the log)."""


def _cache_key(url: str) -> str:
    return "print-image:" + hashlib.sha256(url.encode("utf-8", "replace")).hexdigest()


def _check(url: str) -> str:
    try:
        return validate_store_url(url, allow_private=settings.ALLOW_PRIVATE_STORE_HOSTS, allow_http=True)
    except StoreError as exc:
        raise ImageRefused(exc.message) from None


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the guard checks the peer we reach
    adapter = HTTPAdapter() if settings.ALLOW_PRIVATE_STORE_HOSTS else GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _sniff(data: bytes) -> str:
    """The image's real type, read by Pillow from its header (without decoding its pixels)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
    except Exception:
        raise ImageRefused("not an image Pillow can read") from None
    types = {name: content_type for content_type, name in ALLOWED_TYPES.items()}
    if kind not in types:
        raise ImageRefused(f"an image of type {kind}, not one of PNG, JPEG, GIF or WebP")
    if width * height > MAX_PIXELS:
        raise ImageRefused(f"an image of {width} × {height} pixels, more than {MAX_PIXELS}")
    return types[kind]


def downscale(image: FetchedImage) -> FetchedImage:
    """The image at most PRINT_SIDE pixels on its longer side (as it was when it is not larger): a JPEG
    stays a JPEG, anything else becomes a PNG (an animated GIF prints its first frame anyway)."""
    from PIL import Image

    with Image.open(io.BytesIO(image.data)) as source:
        if max(source.size) <= PRINT_SIDE:
            return image
        if source.format == "JPEG":
            source.draft("RGB", (PRINT_SIDE, PRINT_SIDE))  # decode at 1/2, 1/4 or 1/8 scale: far less work
        small = source.copy() if source.mode in ("RGB", "RGBA", "L", "LA") else source.convert("RGBA")
        small.thumbnail((PRINT_SIDE, PRINT_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if source.format == "JPEG":
            small.convert("RGB").save(out, "JPEG", quality=88)
            return FetchedImage(content_type="image/jpeg", data=out.getvalue())
        small.save(out, "PNG", optimize=False)
        return FetchedImage(content_type="image/png", data=out.getvalue())


def fetch_image(url: str, *, deadline: float | None = None) -> FetchedImage:
    """One image, through the guard; raises ImageRefused with the reason."""
    give_up_at = time.monotonic() + FETCH_SECONDS
    if deadline is not None:
        give_up_at = min(give_up_at, deadline)
    current = _check(url)
    with _session() as session:
        for _hop in range(MAX_REDIRECTS + 1):
            left = give_up_at - time.monotonic()
            if left <= 0:
                raise ImageRefused("took too long")
            try:
                response = session.get(
                    current,
                    stream=True,
                    allow_redirects=False,
                    timeout=(min(CONNECT_SECONDS, left), left),
                    headers={"Accept": ", ".join(ALLOWED_TYPES), "User-Agent": "Outbound/1.0"},
                )
            except StoreError as exc:  # GuardedAdapter: the connection reached a private address
                raise ImageRefused(exc.message) from None
            except requests.RequestException as exc:
                raise ImageRefused(f"could not be fetched ({type(exc).__name__})") from None
            with response:
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    current = _check(requests.compat.urljoin(current, location))
                    continue
                if response.status_code != 200:
                    raise ImageRefused(f"HTTP {response.status_code}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
                    raise ImageRefused(f"{declared} bytes, more than {MAX_IMAGE_BYTES}")
                data = read_at_most(response, MAX_IMAGE_BYTES + 1, give_up_at=give_up_at)
                if len(data) > MAX_IMAGE_BYTES:
                    raise ImageRefused(f"more than {MAX_IMAGE_BYTES} bytes")
                if time.monotonic() >= give_up_at:
                    raise ImageRefused("took too long")
                if declared.isdigit() and len(data) != int(declared):
                    raise ImageRefused("arrived incomplete")
                fetched = FetchedImage(content_type=_sniff(data), data=data)
                try:
                    return downscale(fetched)
                except Exception:  # a header Pillow reads over pixels it cannot (a truncated file)
                    raise ImageRefused("an image whose pixels cannot be read") from None
    raise ImageRefused(f"more than {MAX_REDIRECTS} redirects")


def _fetch_or_none(url: str, deadline: float) -> FetchedImage | None:
    try:
        return fetch_image(url, deadline=deadline)
    except ImageRefused as exc:
        logger.info("Image left out of a printed document (%s): %s", url[:200], exc)
    except Exception:  # an image never stops a document from printing
        logger.exception("Image left out of a printed document: %s", url[:200])
    return None


def fetch_images(urls) -> dict[str, FetchedImage]:
    """The images at `urls` that could be had (cached, or fetched now in parallel within BATCH_SECONDS),
    by URL. Anything not an http(s) URL, and the URLs beyond MAX_IMAGES, are left out."""
    wanted = list(dict.fromkeys(u.strip() for u in urls if u and u.strip().lower().startswith(("http://", "https://"))))
    wanted = wanted[:MAX_IMAGES]
    if not wanted:
        return {}
    keys = {url: _cache_key(url) for url in wanted}
    cached = cache.get_many(list(keys.values()))
    found: dict[str, FetchedImage] = {}
    missing = []
    for url in wanted:
        hit = cached.get(keys[url])
        if hit == _FAILED:
            continue
        if hit is not None:
            found[url] = FetchedImage(*hit)
        else:
            missing.append(url)
    if not missing:
        return found
    deadline = time.monotonic() + BATCH_SECONDS
    pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(missing)), thread_name_prefix="print-image")
    futures = {pool.submit(_fetch_or_none, url, deadline): url for url in missing}
    done, _late = wait(futures, timeout=BATCH_SECONDS + 1)
    # Stragglers end at their own deadline (the batch's); nobody waits for them.
    pool.shutdown(wait=False, cancel_futures=True)
    store = {}
    for future in done:
        url = futures[future]
        image = future.result()
        if image is None:
            store[keys[url]] = _FAILED
            continue
        found[url] = image
        store[keys[url]] = (image.content_type, image.data)
    failed = {k: v for k, v in store.items() if v == _FAILED}
    if failed:
        cache.set_many(failed, FAILURE_CACHE_SECONDS)
    if fetched := {k: v for k, v in store.items() if v != _FAILED}:
        cache.set_many(fetched, CACHE_SECONDS)
    return found


def image_key(number: int) -> str:
    """The opaque URL a document uses for the `number`th image (ImageFetcher serves it)."""
    return f"{KEY_SCHEME}:{number}"


def image_fetcher(images: dict[str, FetchedImage]):
    """A WeasyPrint URL fetcher that serves `images` (by their keys) and nothing else: no file, no
    network, no data: URL it was not given."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ImageFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            image = images.get(url)
            if image is None:
                raise ValueError("Printed documents only show the images fetched for them.")
            return URLFetcherResponse(url, image.data, {"Content-Type": image.content_type})

    return ImageFetcher(allowed_protocols=[KEY_SCHEME])
