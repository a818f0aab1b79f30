"""Issue 25 item 26: the sandbox store serves its product pictures (real small PNGs) at its own address,
so the demo's packing slips print them instead of trying an unresolvable host for each; the log line
of an image left out reads as a sentence."""

from __future__ import annotations

import io
import logging

import pytest
import requests
from django.core.cache import cache
from PIL import Image

from shipments import print_images

from .conftest import export_all


def image_urls(server) -> set[str]:
    return {url for order in export_all(server) for url in (i.findtext("ImageUrl") for i in order.iter("Item")) if url}


def test_the_sandboxs_pictures_are_its_own_and_real_pngs(sandbox):
    urls = image_urls(sandbox)
    assert urls and all(url.startswith(f"{sandbox.base_url}/images/products/") for url in urls)
    answer = requests.get(sorted(urls)[0], timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(answer.content)) as picture:
        assert picture.format == "PNG" and picture.size == (64, 64)
        picture.load()
    rest = requests.get(
        f"{sandbox.rest_base_url}/products",
        params={"expand": "pictures"},
        headers={"X-AC-Auth-Token": sandbox.rest_token},
        timeout=10,
    )
    assert rest.status_code == 200 and f"{sandbox.base_url}/images/products/" in rest.text
    assert "harborandpine.example/images" not in rest.text


@pytest.mark.django_db
def test_outbound_fetches_every_picture_of_the_sandbox(sandbox):
    cache.clear()
    urls = sorted(image_urls(sandbox))[:20]
    fetched = print_images.fetch_images(urls)
    assert set(fetched) == set(urls)


def test_a_picture_left_out_is_logged_in_a_sentence(caplog):
    caplog.set_level(logging.INFO, logger="shipments.print")
    cache.clear()
    assert print_images.fetch_images(["http://127.0.0.1:9/nothing-listens-here.png"]) == {}
    line = caplog.messages[-1]
    assert line.startswith("Image left out of a printed document (http://127.0.0.1:9/nothing-listens-here.png): ")
    assert "could not be fetched" in line and " is could" not in line
