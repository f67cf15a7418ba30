// Lets the Jupyter widgets HTML manager render saved widget state with no network.
//
// myst-nb loads this only on pages that carry widget state (`nb_ipywidgets_js` in _config.yml),
// after require.js and before the manager's embed-amd.js. Three things would otherwise leave the
// site (or 404):
// - widget modules that are not built into the manager (here "anywidget", named by the saved
//   state) are loaded with require.js, with a CDN as the fallback: the name is mapped to the
//   vendored copy of anywidget's AMD bundle, so the fallback is never taken;
// - the manager's own webpack public path (fonts of its CSS) is `__jupyter_widgets_assets_path__`;
// - its other bundles (controls, base, ...) take their public path from their AMD module URI,
//   which require.js derives from the module name: each name is mapped into the vendored folder.
// Paths are computed from this script's own URL, so every page finds them wherever it sits.
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  if (!here) return;
  var root = here.replace(/js\/[^/?#]*([?#].*)?$/, ""); // the published assets folder, with "/"
  var manager = root + "vendor/html-manager/";
  window.__jupyter_widgets_assets_path__ = manager;
  if (!window.requirejs) {
    console.error("widgets-offline.js: require.js must be loaded first");
    return;
  }
  var paths = { anywidget: root + "vendor/anywidget/index" };
  // The modules embed-amd.js defines by name; only their URIs matter (nothing is fetched).
  [
    "@jupyter-widgets/base",
    "@jupyter-widgets/base7",
    "@jupyter-widgets/controls",
    "@jupyter-widgets/controls7",
    "@jupyter-widgets/html-manager",
    "@jupyter-widgets/html-manager/dist/libembed-amd",
  ].forEach(function (name) {
    paths[name] = manager + name.split("/").pop();
  });
  window.requirejs.config({ paths: paths });
})();
