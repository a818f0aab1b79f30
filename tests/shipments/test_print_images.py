"""The images of printed documents: fetched over real HTTP on loopback, through the URL guard, capped.

What they prove: a logo and product pictures reach the PDF; a private address is never even requested
when private hosts are not allowed; an image too big, too many pixels, not an image, too slow or behind
too many redirects is left out and the document still prints; what was fetched (or failed) is cached;
the renderer itself opens no URL it was not handed.
"""

from __future__ import annotations

import functools
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from PIL import Image

from shipments import print_images, printing
from tests.factories import make_line, make_order

pypdf = pytest.importorskip("pypdf")
try:
    import weasyprint  # noqa: F401
except OSError:
    pytest.skip("WeasyPrint's system libraries are not installed", allow_module_level=True)


def png(width=40, height=20, colour=(200, 40, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


@functools.cache
def huge_png() -> bytes:
    return png(5000, 5000, (20, 120, 60))  # 25 megapixels, the most a document accepts


@functools.cache
def huge_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 120, 60)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


class ImageServer:
    """A small HTTP server on 127.0.0.1 with one path per behaviour; it records every request it gets."""

    def __init__(self):
        self.requests: list[str] = []
        self.dripped = 0  # bytes of /slow.png sent before the client hung up (hung_up is then set)
        self.hung_up = threading.Event()
        routes = {
            "/logo.png": lambda h: h.send(png(), "image/png"),
            "/mug.png": lambda h: h.send(png(30, 30, (0, 90, 200)), "image/png"),
            "/big.png": lambda h: h.send(b"\x89PNG" + b"0" * (print_images.MAX_IMAGE_BYTES + 10), "image/png"),
            "/bomb.png": lambda h: h.send(png(6000, 6000, (0, 0, 0)), "image/png"),
            "/huge.png": lambda h: h.send(huge_png(), "image/png"),
            "/huge.jpg": lambda h: h.send(huge_jpeg(), "image/jpeg"),
            "/page.html": lambda h: h.send(b"<html>not an image</html>", "text/html"),
            "/redirect": lambda h: h.redirect("/logo.png"),
            "/loop": lambda h: h.redirect("/loop"),
            "/slow.png": lambda h: h.drip(png()),
        }
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server_self.requests.append(self.path)
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404)
                else:
                    route(self)

            def send(self, body, content_type):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def redirect(self, to):
                self.send_response(302)
                self.send_header("Location", to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def drip(self, body):
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        server_self.dripped = i + 1
                        time.sleep(0.05)
                except OSError:
                    server_self.hung_up.set()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    cache.clear()
    srv = ImageServer()
    yield srv
    srv.close()
    cache.clear()


def order_with_images(store, server, *, logo="/logo.png", image="/mug.png"):
    store.settings.logo_url = server.url(logo)
    store.settings.company_name = "Acme Goods Co"
    store.settings.save()
    order = make_order(store, lines=0, number="IMG-1")
    make_line(
        order, line_key="1", position=0, sku="MUG", name="Mug", image_url=server.url(image), warehouse_location="A-1"
    )
    return order


def images_in(pdf: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_the_logo_and_product_pictures_reach_the_documents(store_a, server):
    order = order_with_images(store_a, server)
    assert images_in(printing.packing_slips_pdf([order])) == 2
    assert images_in(printing.pick_list_pdf([order])) == 1
    # Each image was fetched once: the pick list read them from the cache.
    assert sorted(server.requests) == ["/logo.png", "/mug.png"]


def test_a_private_address_is_never_requested_when_private_hosts_are_not_allowed(store_a, server, settings):
    settings.ALLOW_PRIVATE_STORE_HOSTS = False
    order = order_with_images(store_a, server)
    text_pdf = printing.packing_slips_pdf([order])
    assert images_in(text_pdf) == 0
    assert server.requests == []
    # The document still prints, with the store's name where the logo would be.
    assert "Acme Goods Co" in pypdf.PdfReader(io.BytesIO(text_pdf)).pages[0].extract_text()


@pytest.mark.parametrize(
    "path,reason",
    [
        ("/big.png", "bytes"),
        ("/bomb.png", "pixels"),
        ("/page.html", "not an image"),
        ("/loop", "redirects"),
        ("/missing.png", "HTTP 404"),
    ],
)
def test_what_is_not_a_reasonable_image_is_refused(server, path, reason):
    with pytest.raises(print_images.ImageRefused, match=reason):
        print_images.fetch_image(server.url(path))


def test_a_server_that_drips_its_bytes_is_cut_off(server, monkeypatch):
    monkeypatch.setattr(print_images, "FETCH_SECONDS", 0.3)
    with pytest.raises(print_images.ImageRefused, match="too long"):
        print_images.fetch_image(server.url("/slow.png"))
    # Bounded by the deadline, not by the server's pace: the client hung up with most of the image unsent.
    assert server.hung_up.wait(30)
    assert server.dripped < len(png()) // 2


def test_a_redirect_is_followed_and_checked(server):
    image = print_images.fetch_image(server.url("/redirect"))
    assert image.content_type == "image/png"
    assert server.requests == ["/redirect", "/logo.png"]


def test_a_refused_image_is_left_out_and_remembered(store_a, server):
    order = order_with_images(store_a, server, logo="/page.html", image="/big.png")
    for _ in range(2):
        assert images_in(printing.packing_slips_pdf([order])) == 0
    assert sorted(server.requests) == ["/big.png", "/page.html"]  # one try each, then the cached failure


def test_only_http_urls_are_fetched_and_the_renderer_opens_nothing_else(store_a, server):
    assert print_images.fetch_images(["file:///etc/passwd", "data:image/png;base64,AAAA", "ftp://x/y.png"]) == {}
    fetcher = print_images.image_fetcher({})
    for url in ("file:///etc/passwd", server.url("/logo.png"), f"{print_images.KEY_SCHEME}:0"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert server.requests == []


@pytest.mark.parametrize("path", ["/huge.png", "/huge.jpg"])
def test_a_large_picture_is_scaled_down_once_when_it_arrives(store_a, server, monkeypatch, path):
    """Issue 25 item 32: the renderer is handed the picture at its printed size, and a second slip neither
    fetches nor decodes the large one again (the cache holds the small one)."""
    handed, decoded = [], []
    real_fetcher, real_downscale = printing.image_fetcher, print_images.downscale

    def spy_fetcher(images):
        handed.extend(images.values())
        return real_fetcher(images)

    def spy_downscale(image):
        decoded.append(len(image.data))
        return real_downscale(image)

    monkeypatch.setattr(printing, "image_fetcher", spy_fetcher)
    monkeypatch.setattr(print_images, "downscale", spy_downscale)
    # Made before the fetch's clock starts: drawing 25 megapixels inside the server's answer took longer than
    # the fetch's 5 s on a loaded machine (a ReadTimeout, the picture left out).
    (huge_png if path.endswith(".png") else huge_jpeg)()
    order = order_with_images(store_a, server, image=path)
    for _ in range(2):
        assert images_in(printing.packing_slips_pdf([order])) == 2
    assert server.requests.count(path) == 1 and len(decoded) == 2  # the logo and the picture, once each
    pictures = [Image.open(io.BytesIO(image.data)) for image in handed]
    assert len(pictures) == 4
    assert max(max(p.size) for p in pictures) == print_images.PRINT_SIDE
    assert {p.format for p in pictures} == {"PNG", "JPEG" if path.endswith(".jpg") else "PNG"}
