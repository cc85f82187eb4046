"""A stand-in for ffmpeg in the timelapse tests: writes SIZE bytes to OUTPUT and exits 0.

OctoPrint renders a timelapse by running `webcam.ffmpegCommandline`; the tests point that at
`{python} tools/fake_ffmpeg.py SIZE "{output}"`, so a real OctoPrint captures frames, "renders",
fires MovieDone with a real file of a chosen size, and no video encoder is needed on the machine.
"""

import sys


def main(argv) -> int:
    size, output = int(argv[1]), argv[-1]
    pattern = bytes(range(256)) * 4096  # 1 MiB, so a receiver can check the bytes arrived intact
    with open(output, "wb") as handle:
        while size > 0:
            handle.write(pattern[:size])
            size -= len(pattern)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
