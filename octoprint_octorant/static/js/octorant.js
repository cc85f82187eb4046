/* OctoRant settings: one view model over OctoPrint's own settings observables.
 *
 * Everything per event or per channel type is drawn from window.OCTORANT (the event catalogue,
 * the channel registry's field metadata and the settings' limits, written by the backend).
 */
$(function () {
    function OctoRantViewModel(parameters) {
        var self = this;
        var page = window.OCTORANT || {};
        self.settingsViewModel = parameters[0];
        self.settings = undefined;
        self.catalogue = page.events || [];
        self.channelTypes = ko.observableArray(page.channel_types || []);
        self.webcams = ko.observableArray([]);
        self.eventRows = ko.observableArray([]);
        self.progressFields = ko.observableArray([]);
        self.snapshotFields = ko.observableArray([]);
        self.deliveryFields = ko.observableArray([]);
        self.testing = ko.observable(false);
        self.testResults = ko.observable({});
        self.status = ko.observable({});
        self.savedIds = ko.observable([]);
        self.previewing = ko.observable(false);
        // Previews call the backend: only while the settings dialog is open (and the user may edit).
        self.previewActive = ko.observable(false);
        self.snapshotPreview = ko.observable({images: [], notes: [], problems: []});
        var overrideCache = {};
        var overridesOpen = {};
        var editingOpen = {};

        self.docsUrl = function (file) {
            return (page.docs_url || "") + file;
        };

        self.onBeforeBinding = function () {
            self.settings = self.settingsViewModel.settings.plugins.octorant;
            self.normaliseChannels();
            self.eventRows(_.map(self.catalogue, self.makeEventRow));
            self.progressFields(self.numberFields(self.settings.progress, page.progress_limits));
            self.snapshotFields(self.numberFields(self.settings.snapshot, page.snapshot_limits));
            self.deliveryFields(self.numberFields(self.settings.delivery, page.delivery_limits));
        };

        self.onSettingsShown = function () {
            self.normaliseChannels();
            self.rememberSaved();
            self.refreshStatus();
            self.previewActive(true);
        };

        self.onSettingsHidden = function () {
            self.previewActive(false);
        };

        self.onSettingsBeforeSave = function () {
            self.normaliseChannels();
        };

        self.onEventSettingsUpdated = function () {
            self.normaliseChannels();
            self.rememberSaved();
        };

        self.refreshStatus = function () {
            OctoPrint.simpleApiGet("octorant").done(function (data) {
                self.webcams(_.map(data.webcams || [], function (cam) {
                    return {name: cam.name, label: cam.displayName || cam.name, canSnapshot: cam.canSnapshot};
                }));
                if (data.channel_types) self.channelTypes(data.channel_types);
                self.status(data.channels || {});
            });
        };

        // ~ channels

        self.normaliseChannels = function () {
            if (!self.settings || !self.settings.channels) return;
            _.each(self.settings.channels(), self.normaliseChannel);
        };

        // Saved channels come from the backend as plain values: give every one the observables
        // the form binds to (the type's fields, events, media, own texts).
        self.normaliseChannel = function (channel) {
            _.each(["id", "type", "name", "enabled"], function (key) {
                if (!ko.isObservable(channel[key])) channel[key] = ko.observable(channel[key]);
            });
            _.each(self.fieldsOf(ko.unwrap(channel.type)), function (field) {
                if (!ko.isObservable(channel[field.key])) {
                    var value = channel[field.key];
                    channel[field.key] = ko.observable(value === undefined ? (field["default"] || "") : value);
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

        self.rememberSaved = function () {
            if (!self.settings) return;
            self.savedIds(_.map(self.settings.channels(), function (c) { return ko.unwrap(c.id); }));
        };

        self.unsaved = function (channel) {
            return self.savedIds().indexOf(ko.unwrap(channel.id)) < 0;
        };

        self.fieldsOf = function (type) {
            var found = _.findWhere(self.channelTypes(), {type: type});
            return found ? found.fields : [];
        };

        self.typeLabel = function (type) {
            var found = _.findWhere(self.channelTypes(), {type: type});
            return found ? found.label : type;
        };

        self.addChannel = function (type) {
            var channel = self.normaliseChannel({
                id: type + "-" + Date.now().toString(36),
                type: type,
                name: self.typeLabel(type).split(" ")[0],
                enabled: true
            });
            // Complete before it is shown: the form binds to every field of its type.
            self.editing(channel)(true);
            self.settings.channels.push(channel);
        };

        self.removeChannel = function (channel) {
            self.settings.channels.remove(channel);
        };

        self.moveChannel = function (step, channel) {
            var list = self.settings.channels;
            var from = list.indexOf(channel);
            var to = from + step;
            if (from < 0 || to < 0 || to >= list().length) return;
            var items = list().slice();
            items.splice(to, 0, items.splice(from, 1)[0]);
            list(items);
        };

        // An open/closed flag per channel (its form, its own texts), kept across settings reloads.
        function flagFor(flags, channel) {
            var id = ko.unwrap(channel.id);
            if (!flags[id]) flags[id] = ko.observable(false);
            return flags[id];
        }

        function toggle(flag) {
            flag(!flag());
        }

        self.editing = function (channel) { return flagFor(editingOpen, channel); };
        self.toggleEditing = function (channel) { toggle(self.editing(channel)); };

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

        self.overridesShown = function (channel) { return flagFor(overridesOpen, channel); };
        self.toggleOverrides = function (channel) { toggle(self.overridesShown(channel)); };

        // ~ health and history (GET /api/plugin/octorant)

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
            var found = _.findWhere(self.catalogue, {key: key});
            return found ? found.title : key;
        };

        self.formatTime = function (seconds) {
            return new Date(seconds * 1000).toLocaleString();
        };

        // ~ the test button

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
                .always(function () {
                    self.testing(false);
                    self.refreshStatus();
                });
        };

        // ~ messages: chips, live preview from the backend's renderer

        self.mediaLabel = function (choice) {
            return (page.media_labels || {})[choice] || choice;
        };

        self.makeEventRow = function (spec) {
            var stored = self.settings.events[spec.key];
            var row = _.extend({}, spec, {
                enabled: stored.enabled,
                message: stored.message,
                media: stored.media,
                mediaChoices: spec.media_choices,
                preview: ko.observable(""),
                problems: ko.observableArray([])
            });
            row.reset = function () { row.message(spec.default_message); };
            var request = 0;
            // The renderer itself runs in the backend, so the preview is exactly what is sent.
            ko.computed(function () {
                var template = row.message();
                if (!self.previewActive()) return;
                var mine = ++request;
                OctoPrint.simpleApiCommand("octorant", "preview", {event: spec.key, template: template})
                    .done(function (result) {
                        if (mine !== request) return;  // a newer keystroke's answer is on its way
                        row.preview(result.text);
                        row.problems(result.problems || []);
                    });
            }).extend({rateLimit: {timeout: 250, method: "notifyWhenChangesStop"}});
            return row;
        };

        self.insertVariable = function (row, variable, event) {
            var area = document.getElementById("octorant-template-" + row.key);
            var text = row.message() || "";
            var token = "{" + variable.name + "}";
            var start = area ? area.selectionStart : text.length;
            var end = area ? area.selectionEnd : text.length;
            row.message(text.slice(0, start) + token + text.slice(end));
            if (area) {
                area.focus();
                area.setSelectionRange(start + token.length, start + token.length);
            }
        };

        // ~ numbers validated as you type, with the backend's limits

        self.numberFields = function (group, limits) {
            return _.map(limits || [], function (limit) {
                var value = group[limit.key];
                var field = _.extend({}, limit, {value: value});
                field.problem = ko.pureComputed(function () {
                    var raw = value();
                    var number = Number(raw);
                    if (raw === "" || raw === null || raw === undefined || isNaN(number)) {
                        return gettext("Enter a number.");
                    }
                    if (number < limit.minimum || number > limit.maximum) {
                        return _.sprintf(gettext("From %(min)s to %(max)s."), {min: limit.minimum, max: limit.maximum});
                    }
                    return "";
                });
                return field;
            });
        };

        // ~ snapshot preview with the values on the page (saved or not)

        self.previewSnapshot = function () {
            self.previewing(true);
            var snapshot = ko.toJS(self.settings.snapshot);
            OctoPrint.simpleApiCommand("octorant", "snapshot", {snapshot: snapshot})
                .done(function (result) {
                    self.snapshotPreview({images: result.images || [], notes: result.notes || [],
                                          problems: result.problems || []});
                })
                .fail(function (xhr) {
                    self.snapshotPreview({images: [], notes: [xhr.statusText], problems: []});
                })
                .always(function () { self.previewing(false); });
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
