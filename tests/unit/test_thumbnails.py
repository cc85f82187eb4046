import io

import pytest
from PIL import Image

from octoprint_octorant import thumbnails
from tools.gcode import SLICER_STYLES, sliced_gcode, thumbnail_block, timed_gcode, write_large_gcode


def pixels(attachment):
    image = Image.open(io.BytesIO(attachment.data)).convert("RGB")
    return image.size, image.getpixel((1, 1)), image.getpixel((image.width - 2, image.height - 2))


def close(colour, expected, tolerance=6):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


@pytest.mark.parametrize("style", SLICER_STYLES)
def test_every_slicer_format_gives_its_largest_thumbnail(tmp_path, style):
    path = tmp_path / "part.gcode"
    path.write_text(sliced_gcode(sizes=((16, 16), (300, 200), (48, 48)), style=style))
    found = thumbnails.extract(str(path))
    assert found is not None
    size, corner, far = pixels(found)
    assert size == (300, 200)
    assert close(corner, (255, 0, 0)) and close(far, (128, 128, 128))  # JPEG is lossy
    expected = ("thumbnail.jpg", "image/jpeg") if style == "prusaslicer_jpg" else ("thumbnail.png", "image/png")
    assert (found.filename, found.content_type) == expected
    assert Image.open(io.BytesIO(found.data)).format == ("JPEG" if style == "prusaslicer_jpg" else "PNG")


def test_a_file_without_thumbnails_gives_none(tmp_path):
    path = tmp_path / "plain.gcode"
    path.write_text(timed_gcode(1.0))
    assert thumbnails.extract(str(path)) is None


@pytest.mark.parametrize("path", ["/nonexistent/file.gcode", "", "\0bad"])
def test_missing_or_odd_paths_give_none(path):
    assert thumbnails.extract(path) is None
    assert thumbnails.ThumbnailCache().get(path) is None


def test_a_damaged_large_block_gives_way_to_a_good_smaller_one(tmp_path):
    broken = "; thumbnail begin 640x480 20\n; !!!!not-base64-at-all!!!!\n; thumbnail end\n"
    path = tmp_path / "damaged.gcode"
    path.write_text(broken + thumbnail_block(32, 24) + timed_gcode(1.0))
    found = thumbnails.extract(str(path))
    assert found is not None and pixels(found)[0] == (32, 24)


def test_a_block_cut_by_a_command_is_ignored(tmp_path):
    block = thumbnail_block(64, 64).splitlines()
    cut = "\n".join(block[:3] + ["G28"] + block[3:]) + "\n"
    path = tmp_path / "cut.gcode"
    path.write_text(cut + thumbnail_block(20, 20) + timed_gcode(1.0))
    assert pixels(thumbnails.extract(str(path)))[0] == (20, 20)


def test_thumbnails_after_the_gcode_started_are_not_looked_for(tmp_path):
    path = tmp_path / "late.gcode"
    path.write_text(thumbnail_block(20, 20) + "G28\nG1 X1\n" + thumbnail_block(200, 200))
    assert pixels(thumbnails.extract(str(path)))[0] == (20, 20)


def test_reading_stops_at_the_byte_bound(tmp_path):
    path = tmp_path / "far.gcode"
    path.write_text(";\n" * 10_000 + thumbnail_block(20, 20))  # 20 kB of comments first
    assert thumbnails.extract(str(path), limit=4096) is None
    assert thumbnails.extract(str(path)) is not None


class CountingFile(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_a_big_file_is_read_only_up_to_just_after_its_thumbnails(tmp_path):
    path = tmp_path / "big.gcode"
    write_large_gcode(path, 20, sliced_gcode(sizes=((300, 300),), body="G28\n"))
    with open(path, "rb") as handle:
        counting = CountingFile(handle.read())
    found = thumbnails.best(thumbnails.scan(thumbnails._head_lines(counting, thumbnails.HEAD_LIMIT)))
    assert pixels(found)[0] == (300, 300)
    assert counting.bytes_read <= 2 * thumbnails.CHUNK + len(sliced_gcode(sizes=((300, 300),), body=""))


def test_without_thumbnails_a_big_file_stops_after_the_first_commands(tmp_path):
    path = tmp_path / "big-plain.gcode"
    write_large_gcode(path, 20, ";FLAVOR:Marlin\n")
    with open(path, "rb") as handle:
        counting = CountingFile(handle.read())
    assert thumbnails.scan(thumbnails._head_lines(counting, thumbnails.HEAD_LIMIT)) == []
    assert counting.bytes_read <= 2 * thumbnails.CHUNK


def test_cache_reads_a_file_once_per_version(tmp_path, monkeypatch):
    path = tmp_path / "cached.gcode"
    path.write_text(sliced_gcode(sizes=((40, 30),)))
    calls = []
    real = thumbnails.extract
    monkeypatch.setattr(thumbnails, "extract", lambda p, limit=thumbnails.HEAD_LIMIT: calls.append(p) or real(p))
    cache = thumbnails.ThumbnailCache(size=2)
    first = cache.get(str(path))
    assert cache.get(str(path)) is first and len(calls) == 1
    path.write_text(sliced_gcode(sizes=((80, 60),)))  # re-sliced: a new size, so a new entry
    assert pixels(cache.get(str(path)))[0] == (80, 60) and len(calls) == 2


def test_cache_is_bounded(tmp_path):
    cache = thumbnails.ThumbnailCache(size=2)
    for n in range(5):
        path = tmp_path / f"f{n}.gcode"
        path.write_text(sliced_gcode(sizes=((8 + n, 8),)))
        cache.get(str(path))
    assert len(cache._entries) == 2
