/* OctoRant settings: one view model over OctoPrint's own settings observables. */
$(function () {
    function OctoRantViewModel(parameters) {
        var self = this;
        self.settingsViewModel = parameters[0];
        self.settings = undefined;
        self.testing = ko.observable(false);
        self.testResults = ko.observable({});
        self.webcams = ko.observableArray([{name: "", label: gettext("OctoPrint's snapshot webcam")}]);

        self.onBeforeBinding = function () {
            self.settings = self.settingsViewModel.settings.plugins.octorant;
        };

        self.onSettingsShown = function () {
            OctoPrint.simpleApiGet("octorant").done(function (data) {
                var cams = [{name: "", label: gettext("OctoPrint's snapshot webcam")}];
                _.each(data.webcams || [], function (cam) {
                    cams.push({name: cam.name, label: cam.displayName || cam.name});
                });
                self.webcams(cams);
            });
        };

        // Settings the backend refused on save (it keeps the previous values) are shown here.
        self.onDataUpdaterPluginMessage = function (plugin, data) {
            if (plugin !== "octorant" || !data || data.type !== "settings_problems") return;
            new PNotify({
                title: gettext("OctoRant: some settings were not saved"),
                text: _.map(data.problems || [], _.escape).join("<br>"),
                type: "error",
                hide: false
            });
        };

        self.addDiscordChannel = function () {
            self.settings.channels.push({
                id: ko.observable("discord-" + Date.now().toString(36)),
                type: ko.observable("discord"),
                name: ko.observable("Discord"),
                enabled: ko.observable(true),
                url: ko.observable(""),
                username: ko.observable(""),
                avatar_url: ko.observable(""),
                thread_id: ko.observable("")
            });
        };

        self.removeChannel = function (channel) {
            self.settings.channels.remove(channel);
        };

        self.testResultFor = function (id) {
            var result = self.testResults()[id];
            if (!result) return "";
            if (result.pending) return gettext("Sending…");
            return result.ok ? gettext("Sent.") : result.error;
        };

        self.testCssFor = function (id) {
            var result = self.testResults()[id];
            if (!result || result.pending) return "";
            return result.ok ? "ok" : "error";
        };

        self.setResult = function (id, result) {
            var all = _.clone(self.testResults());
            all[id] = result;
            self.testResults(all);
        };

        self.testChannel = function (channel) {
            var id = ko.unwrap(channel.id);
            self.testing(true);
            self.setResult(id, {pending: true});
            OctoPrint.simpleApiCommand("octorant", "test", {channel: id})
                .done(function (result) { self.setResult(id, result); })
                .fail(function (xhr) {
                    var error = (xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText;
                    self.setResult(id, {ok: false, error: error});
                })
                .always(function () { self.testing(false); });
        };
    }

    OCTOPRINT_VIEWMODELS.push({
        construct: OctoRantViewModel,
        dependencies: ["settingsViewModel"],
        elements: ["#settings_plugin_octorant"]
    });
});
