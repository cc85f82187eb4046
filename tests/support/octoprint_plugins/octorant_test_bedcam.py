"""A second webcam for the end-to-end tests: a real OctoPrint webcam provider plugin (the kind a
multi-camera setup installs), taking its snapshots from the local inbox's blue-marked picture.

Copied into the test OctoPrint's `plugins/` folder; never part of OctoRant.
"""

import octoprint.plugin
import requests
from octoprint.schema.webcam import Webcam


class BedCamPlugin(octoprint.plugin.WebcamProviderPlugin, octoprint.plugin.SettingsPlugin):
    def get_settings_defaults(self):
        return {"snapshot": ""}

    def get_webcam_configurations(self):
        return [Webcam(name="bedcam", displayName="Bed camera", canSnapshot=bool(self._settings.get(["snapshot"])),
                       snapshotDisplay=self._settings.get(["snapshot"]), flipH=False, flipV=False, rotate90=False)]

    def take_webcam_snapshot(self, webcam_name):
        response = requests.get(self._settings.get(["snapshot"]), timeout=5, stream=True)
        response.raise_for_status()
        return response.iter_content(chunk_size=8192)


__plugin_name__ = "OctoRant test bed camera"
__plugin_pythoncompat__ = ">=3.9,<4"
__plugin_implementation__ = BedCamPlugin()
