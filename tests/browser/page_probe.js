// Functions the browser tests evaluate inside each page (injected before any page script runs).
window.__probe = {
  widgetViews() {
    return Array.from(
      document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
  },
  // A saved widget view is rendered when the manager has put a non-empty view just before it.
  isRendered(tag) {
    const view = tag.previousElementSibling;
    return Boolean(view && view.classList.contains('widget-subarea') && view.children.length > 0
                   && view.getBoundingClientRect().height >= 5);
  },
  allWidgetsRendered() {
    return this.widgetViews().every(tag => this.isRendered(tag));
  },
  emptyWidgets() {
    return this.widgetViews().filter(tag => !this.isRendered(tag)).length;
  },
  mathDone() {
    if (!document.querySelector('script[src*="mathjax"]')) return true;
    const startup = window.MathJax && MathJax.startup;
    if (!startup || !startup.promise) return false;
    if (!this._mathWatched) {
      this._mathWatched = true;
      startup.promise.then(() => { this._mathTypeset = true; });
    }
    return Boolean(this._mathTypeset);
  },
  math() {
    const nodes = Array.from(document.querySelectorAll('.math'));
    return {
      total: nodes.length,
      untypeset: nodes.filter(n => !n.querySelector('mjx-container'))
                      .map(n => n.textContent.slice(0, 80)),
      errors: Array.from(document.querySelectorAll('mjx-merror'))
                   .map(n => n.getAttribute('data-mjx-error') || n.textContent),
    };
  },
  // The page's prose with code, math and scripts removed: where raw TeX would show.
  prose() {
    const article = document.querySelector('article') || document.body;
    const copy = article.cloneNode(true);
    copy.querySelectorAll('pre, code, .math, script, style, mjx-container')
        .forEach(n => n.remove());
    return copy.textContent;
  },
  brokenImages() {
    return Array.from(document.images)
      .filter(img => !(img.complete && img.naturalWidth > 0))
      .map(img => img.getAttribute('src'));
  },
};
