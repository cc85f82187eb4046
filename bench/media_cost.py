"""What media costs: thumbnail extraction on a small vs a 200 MB G-code file, and the snapshot
pipeline (check, transforms, fitting) with and without OctoPrint's flips and rotation.

The goal for thumbnails is "the file's size does not matter": only the head is read, so the two
figures should be equal within noise. Both run uncached (`extract`, not the cache).
"""

from __future__ import annotations

import os
import tempfile
import time

from bench.common import describe
from octoprint_octorant import media, thumbnails
from octoprint_octorant.model import Attachment
from tools.gcode import marker_image, sliced_gcode, write_large_gcode

ROUNDS = 40
BIG_MB = 200


def timed(function, rounds=ROUNDS):
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def thumbnail_figures(folder: str) -> None:
    head = sliced_gcode(sizes=((16, 16), (300, 300)), body="")
    small = os.path.join(folder, "small.gcode")
    big = os.path.join(folder, "big.gcode")
    plain_small = os.path.join(folder, "plain-small.gcode")
    plain_big = os.path.join(folder, "plain-big.gcode")
    write_large_gcode(small, 1, head)
    write_large_gcode(big, BIG_MB, head)
    write_large_gcode(plain_small, 1, ";FLAVOR:Marlin\n")
    write_large_gcode(plain_big, BIG_MB, ";FLAVOR:Marlin\n")
    for label, path in (("1 MB file with thumbnails", small), (f"{BIG_MB} MB file with thumbnails", big),
                        ("1 MB file without", plain_small), (f"{BIG_MB} MB file without", plain_big)):
        thumbnails.extract(path)  # warm the page cache and Pillow's import
        print(f"thumbnail extraction, {label}: {describe(timed(lambda p=path: thumbnails.extract(p)), 'ms', 1000)}")
    cache = thumbnails.ThumbnailCache()
    cache.get(big)
    print(f"thumbnail from the cache, {BIG_MB} MB file: "
          f"{describe(timed(lambda: cache.get(big), 1000), 'µs', 1e6)}")


def snapshot_figures() -> None:
    data = marker_image(1280, 720, "JPEG")
    plain = media.Transform()
    flipped = media.Transform(True, True, True)
    untouched = timed(lambda: media.prepare(data, plain))
    print(f"snapshot check, no transform (bytes passed on): {describe(untouched, 'ms', 1000)}")
    print(f"snapshot with flips and rotation: {describe(timed(lambda: media.prepare(data, flipped)), 'ms', 1000)}")
    attachment = Attachment("snapshot.jpg", "image/jpeg", data)
    print(f"fitting to 640 px longest side: "
          f"{describe(timed(lambda: media.fit_image(attachment, 10 << 20, 640, 85)), 'ms', 1000)}")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        thumbnail_figures(folder)
    snapshot_figures()


if __name__ == "__main__":
    main()
