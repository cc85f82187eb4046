/* OctoRant settings: one view model over OctoPrint's own settings observables. */
$(function () {
    function OctoRantViewModel(parameters) {
        var self = this;
        self.settingsViewModel = parameters[0];
        self.settings = undefined;
        self.testing = ko.observable(false);
        self.testResults = ko.observable({});
        self.channelTypes = ko.observableArray([]);
        self.webcams = ko.observableArray([{name: "", label: gettext("OctoPrint's snapshot webcam")}]);
        var overrideCache = {};
        var overridesOpen = {};

        self.onBeforeBinding = function () {
            self.settings = self.settingsViewModel.settings.plugins.octorant;
            self.normaliseChannels();
        };

        self.onSettingsShown = function () {
            self.normaliseChannels();
            OctoPrint.simpleApiGet("octorant").done(function (data) {
                var cams = [{name: "", label: gettext("OctoPrint's snapshot webcam")}];
                _.each(data.webcams || [], function (cam) {
                    cams.push({name: cam.name, label: cam.displayName || cam.name});
                });
                self.webcams(cams);
                self.channelTypes(data.channel_types || []);
                self.status(data.channels || {});
            });
        };

        // Delivery status per saved channel (GET /api/plugin/octorant), for the badge and history.
        self.status = ko.observable({});

        self.health = function (id) {
            var s = self.status()[id];
            if (!s) return {text: "", css: "", title: ""};
            if (s.gone) return {text: gettext("Stopped"), css: "label-important", title: s.last_error, stopped: true};
            if (s.pending > 1) {
                return {text: _.sprintf(gettext("%(count)d waiting"), {count: s.pending}), css: "label-warning",
                        title: s.last_error};
            }
            if (s.last_status === "ok") return {text: gettext("Delivering"), css: "label-success", title: ""};
            if (s.last_status) return {text: gettext("Last message failed"), css: "label-important", title: s.last_error};
            return {text: "", css: "", title: ""};
        };

        self.historyOf = function (id) {
            var s = self.status()[id];
            return s && s.history ? s.history.slice().reverse() : [];
        };

        self.historyCss = function (status) {
            return {ok: "success", retry: "warning", superseded: "info"}[status] || "error";
        };

        self.eventTitle = function (key) {
            return (window.OCTORANT_EVENT_TITLES || {})[key] || key;
        };

        self.formatTime = function (seconds) {
            return new Date(seconds * 1000).toLocaleString();
        };

        self.onSettingsBeforeSave = function () {
            self.normaliseChannels();
        };

        // Saved channels come from the backend as plain values: give every one the observables
        // the form binds to (the type's fields, events, media, own texts).
        self.normaliseChannels = function () {
            if (!self.settings || !self.settings.channels) return;
            _.each(self.settings.channels(), self.normaliseChannel);
        };

        self.normaliseChannel = function (channel) {
            var type = ko.unwrap(channel.type);
            var fields = self.fieldsOf(type);
            _.each(fields, function (field) {
                if (!ko.isObservable(channel[field.key])) {
                    channel[field.key] = ko.observable(field["default"] || "");
                }
            });
            if (!ko.isObservable(channel.media)) channel.media = ko.observable(channel.media !== false);
            var events = ko.unwrap(channel.events);
            if (!ko.isObservable(channel.events) || !_.isFunction(channel.events.push)) {
                channel.events = ko.observableArray(_.isArray(events) ? events.slice() : []);
            }
            if (!ko.isObservable(channel.messages)) {
                channel.messages = ko.observable(ko.toJS(channel.messages) || {});
            }
            return channel;
        };

        self.fieldsOf = function (type) {
            var found = _.findWhere(self.channelTypes(), {type: type}) ||
                _.findWhere(window.OCTORANT_CHANNEL_TYPES || [], {type: type});
            return found ? found.fields : [];
        };

        self.typeLabel = function (type) {
            var found = _.findWhere(window.OCTORANT_CHANNEL_TYPES || [], {type: type});
            return found ? found.label : type;
        };

        self.addChannel = function (type) {
            var channel = {
                id: ko.observable(type + "-" + Date.now().toString(36)),
                type: ko.observable(type),
                name: ko.observable(self.typeLabel(type).split(" ")[0]),
                enabled: ko.observable(true)
            };
            // Complete before it is shown: the form binds to every field of its type.
            self.settings.channels.push(self.normaliseChannel(channel));
        };

        self.removeChannel = function (channel) {
            self.settings.channels.remove(channel);
        };

        // One writable value per channel and event over the channel's `messages` object.
        self.override = function (channel, key) {
            var cacheKey = ko.unwrap(channel.id) + "/" + key;
            if (!overrideCache[cacheKey]) {
                overrideCache[cacheKey] = ko.pureComputed({
                    read: function () { return (channel.messages() || {})[key] || ""; },
                    write: function (value) {
                        var all = _.clone(channel.messages() || {});
                        if (value && value.trim()) { all[key] = value; } else { delete all[key]; }
                        channel.messages(all);
                    }
                });
            }
            return overrideCache[cacheKey];
        };

        self.overridesShown = function (channel) {
            var id = ko.unwrap(channel.id);
            if (!overridesOpen[id]) overridesOpen[id] = ko.observable(false);
            return overridesOpen[id];
        };

        self.toggleOverrides = function (channel) {
            var shown = self.overridesShown(channel);
            shown(!shown());
        };

        self.testResultFor = function (id) {
            var result = self.testResults()[id];
            if (!result) return "";
            if (result.pending) return gettext("Sending…");
            return result.ok ? gettext("Sent.") : result.error;
        };

        self.testDetailsFor = function (id) {
            var result = self.testResults()[id];
            return (result && result.details && result.details.length > 1) ? result.details : [];
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
    }

    OCTOPRINT_VIEWMODELS.push({
        construct: OctoRantViewModel,
        dependencies: ["settingsViewModel"],
        elements: ["#settings_plugin_octorant"]
    });
});
