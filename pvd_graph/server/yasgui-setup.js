// The query page's editor: starts YASGUI (served from its npm package, see assets.py) on /sparql,
// and makes each catalogue form open its query in a new YASGUI tab and run it there, with the
// form's fields sent as parameters to /catalogue/NAME (bound as RDF terms by the server, never
// pasted into the query text). Without this script the same forms show an HTML table.
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  if (!root || typeof Yasgui === "undefined") {
    return;
  }
  var examples = JSON.parse(document.getElementById("pvd-examples").textContent);
  var byName = {};
  examples.forEach(function (e) { byName[e.name] = e; });
  var endpoint = new URL("/sparql", location.href).href;
  // only the variable completer: the others ask prefix.cc and LOV, other sites this page does not call
  if (Yasgui.Yasqe && Yasgui.Yasqe.defaults) {
    Yasgui.Yasqe.defaults.autocompleters = ["variables"];
  }
  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: null,  // every visit starts from the page, not from tabs stored earlier
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: root.getAttribute("data-query") }
  });
  document.body.setAttribute("data-editor", "yasgui");

  function run(form) {
    var example = byName[form.getAttribute("data-example")];
    var args = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.value.trim() !== "") {
        args.push({ name: field.name, value: field.value.trim() });
      }
    });
    yasgui.addTab(true, {
      name: example.title + (args.length ? " (" + args.map(function (a) { return a.name + "=" + a.value; }).join(", ") + ")" : ""),
      yasqe: { value: example.query },
      requestConfig: { endpoint: new URL(form.getAttribute("action"), location.href).href, method: "POST", args: args }
    });
    var tab = yasgui.getTab();
    tab.getYasr().on("drawn", function () {
      document.body.setAttribute("data-drawn", example.name);
    });
    root.scrollIntoView();
    tab.query();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-example]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run(form);
    });
  });
  // #run=NAME&param=value… opens and runs a catalogue example (a link to share, and the browser test)
  var hash = new URLSearchParams(location.hash.slice(1));
  var form = hash.get("run") && document.querySelector('form[data-example="' + CSS.escape(hash.get("run")) + '"]');
  if (form) {
    hash.forEach(function (value, key) {
      if (key !== "run" && form.elements[key]) {
        form.elements[key].value = value;
      }
    });
    run(form);
  }
}());
