"""Reading a Code 128 barcode back from a rendered label page (a PIL image): scan rows of pixels, measure
the bars and spaces, decode the symbols (code sets B and C), check the check symbol. Tests use it to show
that the barcode on a printed label is the tracking number."""

from __future__ import annotations

from barcode.charsets import code128 as charset

PATTERNS = {pattern: value for value, pattern in enumerate(charset.CODES)}
START_B, START_C, CODE_B, CODE_C, STOP = 104, 105, 100, 99, "1100011101011"


def _runs(row: list[int]) -> list[int]:
    dark = [v < 128 for v in row]
    if True not in dark:
        return []
    first, last = dark.index(True), len(dark) - 1 - dark[::-1].index(True)
    runs, count = [], 1
    for a, b in zip(dark[first:last], dark[first + 1 : last + 1], strict=True):
        if a == b:
            count += 1
        else:
            runs.append(count)
            count = 1
    runs.append(count)
    return runs


def _pattern(widths: list[int], modules: int) -> str:
    unit = sum(widths) / modules
    out, bar = "", True
    for width in widths:
        out += ("1" if bar else "0") * max(1, round(width / unit))
        bar = not bar
    return out


def decode_row(row: list[int]) -> str | None:
    runs = _runs(row)
    if len(runs) < 6 * 3 + 7 or (len(runs) - 7) % 6:
        return None
    values = []
    for i in range(0, len(runs) - 7, 6):
        value = PATTERNS.get(_pattern(runs[i : i + 6], 11))
        if value is None:
            return None
        values.append(value)
    if _pattern(runs[-7:], 13) != STOP or values[0] not in (START_B, START_C):
        return None
    *data, check = values
    if (data[0] + sum(i * v for i, v in enumerate(data[1:], start=1))) % 103 != check:
        return None
    text, code_set = "", "B" if data[0] == START_B else "C"
    for value in data[1:]:
        if value == CODE_C:
            code_set = "C"
        elif value == CODE_B:
            code_set = "B"
        elif code_set == "C":
            text += f"{value:02d}"
        else:
            text += chr(value + 32)
    return text


def decode_image(image) -> str | None:
    """The first Code 128 barcode found reading the image's rows (bars upright), bottom half first."""
    gray = image.convert("L")
    width, height = gray.size
    pixels = gray.load()
    for y in [*range(height // 2, height, 3), *range(0, height // 2, 3)]:
        found = decode_row([pixels[x, y] for x in range(width)])
        if found:
            return found
    return None
