// The optimizer explorer's view: controls, SVG plots and the (lr, beta) map, drawn in the browser
// so that every control works with no kernel (the static website) and with one (JupyterLab).
//
// gdlab/widgets.py builds the widget's ES module from explorer_core.js followed by this file with
// the import below removed (an anywidget module is a single file); opened directly as a module
// next to explorer_core.js, this file works as is.
import {
  BETA_MAX,
  DAMPING_RANGE,
  DEFAULTS,
  METHOD_NAMES,
  METHODS,
  NEWTON_LR_MAX,
  START_RANGE,
  STEPS_RANGE,
  announcement,
  decodeSettings,
  directionRates,
  encodeSettings,
  heavyBallRate,
  lrMax,
  makeProblem,
  readHash,
  sanitize,
  simulate,
  spoken,
  toEigenbasis,
  tuned,
  value,
  writeHash,
} from "./explorer_core.js";

const SVG_NS = "http://www.w3.org/2000/svg";
// Okabe-Ito colours (gdlab.plotting.PALETTE), distinguishable with colour-vision deficiencies;
// each method also has its own marker shape, so no series is told apart by colour alone.
const COLORS = { gd: "#0072B2", heavy_ball: "#D55E00", nesterov: "#009E73", newton: "#CC79A7" };
const SHAPES = { gd: "circle", heavy_ball: "square", nesterov: "triangle", newton: "diamond" };
const USER_COLOR = "#E69F00";
const TABLE_ROWS = 10; // iterates per method in the table shown on request
const SETTING_KEYS = ["method", "kappa", "angle", "lr", "beta", "damping", "newton_lr", "start", "steps", "t"];
const PLAY_INTERVAL_MS = 60;
const CONTROL_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown", " ", "Enter"]);
const HASH_DELAY_MS = 200;
const LOG_FLOOR = -32; // decades below which a plotted quantity counts as zero
const HEADROOM = 4; // decades shown above the start (a diverging run leaves through the top)
// Element ids must be unique on the page, and each explorer loads its own copy of this module.
const INSTANCE = Math.random().toString(36).slice(2, 8);
let uid = 0;
const nextId = (prefix) => `${prefix}-${INSTANCE}-${++uid}`;

// -- small helpers ----------------------------------------------------------------------------

function el(tag, attrs = {}, parent = null, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function svg(tag, attrs = {}, parent = null, text = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

/** A method's marker (circle, square, triangle, diamond) centred at (x, y), `r` its half-size. */
function marker(parent, method, x, y, r, attrs = {}) {
  const shape = SHAPES[method] || "circle";
  const a = { fill: COLORS[method] || USER_COLOR, ...attrs, class: ["gdx-marker", attrs.class].filter(Boolean).join(" ") };
  if (shape === "circle") return svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r, ...a }, parent);
  const pts = {
    square: [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([u, v]) => [u * 0.85, v * 0.85]),
    triangle: [[0, -1.2], [1.1, 0.8], [-1.1, 0.8]],
    diamond: [[0, -1.25], [1.25, 0], [0, 1.25], [-1.25, 0]],
  }[shape];
  const points = pts.map(([u, v]) => `${(x + u * r).toFixed(1)},${(y + v * r).toFixed(1)}`).join(" ");
  return svg("polygon", { points, ...a }, parent);
}

/** The legend key of a method: its marker in its colour, as a small inline SVG (decorative). */
function swatch(parent, method) {
  const icon = svg("svg", { class: "gdx-swatch", viewBox: "0 0 12 12", width: 12, height: 12, "aria-hidden": "true", focusable: "false" }, parent);
  marker(icon, method, 6, 6, 4.6);
  return icon;
}

const SUPERSCRIPT = { "-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074", 5: "\u2075", 6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079" };
const decade = (k) => `10${String(k).replace(/./g, (c) => SUPERSCRIPT[c] || c)}`;

/** A number for a label: 4 significant digits, exponent form when tiny or huge. */
function fmt(v, digits = 4) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(digits)));
  return v.toExponential(digits - 2).replace("e+", "e");
}

const log10 = (v) => (v > 0 ? Math.log10(v) : -Infinity);

/**
 * Clip the segment (x0, y0)-(x1, y1) to the box (Liang-Barsky); returns [x0, y0, x1, y1] or null.
 * Keeps far-away iterates from reaching the SVG renderer as enormous coordinates.
 */
function clipSegment(x0, y0, x1, y1, box) {
  let t0 = 0;
  let t1 = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const edges = [
    [-dx, x0 - box[0]],
    [dx, box[2] - x0],
    [-dy, y0 - box[1]],
    [dy, box[3] - y0],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
    } else {
      const r = q / p;
      if (p < 0) {
        if (r > t1) return null;
        if (r > t0) t0 = r;
      } else {
        if (r < t0) return null;
        if (r < t1) t1 = r;
      }
    }
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

/** SVG path data through points i = from ... to-1 of (px(i), py(i)), clipped to `box`. */
function polyline(px, py, from, to, box) {
  if (to - from < 2) return "";
  const parts = [];
  let penX = NaN;
  let penY = NaN;
  let x0 = px(from);
  let y0 = py(from);
  for (let i = from + 1; i < to; i++) {
    const x1 = px(i);
    const y1 = py(i);
    const seg = clipSegment(x0, y0, x1, y1, box);
    if (seg) {
      const [ax, ay, bx, by] = seg;
      if (ax !== penX || ay !== penY) parts.push(`M${ax.toFixed(1)} ${ay.toFixed(1)}`);
      parts.push(`L${bx.toFixed(1)} ${by.toFixed(1)}`);
      penX = bx;
      penY = by;
    }
    x0 = x1;
    y0 = y1;
  }
  return parts.join("");
}

/**
 * A plot frame: SVG with a clipped plot area, axes, ticks and labels. The drawing is one image
 * (role "img") whose label is a text summary (`describe`); with `control`, the SVG itself is a
 * control or group and the image a group inside it, so that a control drawn over the plot (the
 * start point) is never inside the image (an image's children are hidden from screen readers).
 */
class Frame {
  constructor(parent, { width, height, margin, xlabel, ylabel, label, control = false }) {
    this.width = width;
    this.height = height;
    this.margin = margin;
    this.svg = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "gdx-svg" }, parent);
    const drawing = control ? svg("g", {}, this.svg) : this.svg;
    drawing.setAttribute("role", "img");
    this.drawing = drawing;
    this.describe(label);
    const id = nextId("gdx-clip");
    const defs = svg("defs", {}, this.svg);
    const clip = svg("clipPath", { id }, defs);
    this.x0 = margin[3];
    this.x1 = width - margin[1];
    this.y0 = margin[0];
    this.y1 = height - margin[2];
    svg("rect", { x: this.x0, y: this.y0, width: this.x1 - this.x0, height: this.y1 - this.y0 }, clip);
    this.box = [this.x0 - 20, this.y0 - 20, this.x1 + 20, this.y1 + 20];
    svg("rect", { x: this.x0, y: this.y0, width: this.x1 - this.x0, height: this.y1 - this.y0, class: "gdx-area" }, drawing);
    this.grid = svg("g", { class: "gdx-grid" }, drawing);
    this.ticks = svg("g", { class: "gdx-ticks" }, drawing);
    this.plot = svg("g", { "clip-path": `url(#${id})` }, drawing);
    if (xlabel) svg("text", { x: (this.x0 + this.x1) / 2, y: height - 4, class: "gdx-label", "text-anchor": "middle" }, drawing, xlabel);
    if (ylabel) {
      svg("text", { x: 0, y: 0, class: "gdx-label", "text-anchor": "middle", transform: `translate(11 ${(this.y0 + this.y1) / 2}) rotate(-90)` }, drawing, ylabel);
    }
    this.over = svg("g", {}, this.svg);
    this.range = null;
  }

  /** The image's text alternative: what the plot shows now. */
  describe(text) {
    if (this.drawing.getAttribute("aria-label") !== text) this.drawing.setAttribute("aria-label", text);
  }

  setRange(xa, xb, ya, yb, xticks, yticks) {
    const key = [xa, xb, ya, yb].join();
    this.xa = xa;
    this.xb = xb;
    this.ya = ya;
    this.yb = yb;
    this.sx = (this.x1 - this.x0) / (xb - xa || 1);
    this.sy = (this.y1 - this.y0) / (yb - ya || 1);
    if (key === this.range) return;
    this.range = key;
    this.grid.replaceChildren();
    this.ticks.replaceChildren();
    for (const [v, text] of xticks) {
      const x = this.px(v);
      svg("line", { x1: x, x2: x, y1: this.y0, y2: this.y1 }, this.grid);
      svg("text", { x, y: this.y1 + 12, "text-anchor": "middle" }, this.ticks, text);
    }
    for (const [v, text] of yticks) {
      const y = this.py(v);
      svg("line", { x1: this.x0, x2: this.x1, y1: y, y2: y }, this.grid);
      svg("text", { x: this.x0 - 3, y: y + 3, "text-anchor": "end" }, this.ticks, text);
    }
  }

  px(x) {
    return this.x0 + (x - this.xa) * this.sx;
  }

  py(y) {
    return this.y1 - (y - this.ya) * this.sy;
  }
}

/** Ticks for the time axis 0..n. */
function timeTicks(n) {
  const raw = n / 5;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((m) => m >= raw) || mag * 10;
  const ticks = [];
  for (let v = 0; v <= n + 1e-9; v += step) ticks.push([v, String(Math.round(v))]);
  return ticks;
}

/** Decade ticks on a log10 axis from lo to hi, at most about 6 labels. */
function decadeTicks(lo, hi) {
  const span = Math.max(1, Math.ceil(hi) - Math.floor(lo));
  const stride = [1, 2, 5, 10, 20].find((s) => span / s <= 6) || 50;
  const ticks = [];
  for (let k = Math.ceil(lo / stride) * stride; k <= hi + 1e-9; k += stride) ticks.push([k, decade(k)]);
  return ticks;
}

// -- the view ---------------------------------------------------------------------------------

class ExplorerView {
  constructor(model, root) {
    this.model = model;
    this.root = root;
    this.cleanups = [];
    this.playing = null;
    this.batch = 0;
    this.simKey = null;
    this.problemKey = null;
    this.mapKey = null;
    this.live = isLive(model);
    this.hashKey = model.get("hash_key") || "";
    this.lastHash = null;
    this.build();
    const onChange = () => {
      if (!this.batch) this.redraw();
    };
    model.on("change", onChange);
    this.cleanups.push(() => model.off("change", onChange));
    if (!this.live && this.hashKey) {
      this.applyHash();
      const onHash = () => this.applyHash();
      window.addEventListener("hashchange", onHash);
      this.cleanups.push(() => window.removeEventListener("hashchange", onHash));
    }
    this.redraw();
  }

  // -- settings -------------------------------------------------------------------------------

  settings() {
    const s = {};
    for (const key of SETTING_KEYS) {
      const v = this.model.get(key);
      s[key] = v === undefined || v === null ? DEFAULTS[key] : v;
    }
    s.start = [Number(s.start[0]), Number(s.start[1])];
    s.t = Math.min(Math.max(0, s.t), s.steps);
    return s;
  }

  /** Write settings to the model (and to Python, when a kernel is connected), then redraw once. */
  update(partial) {
    const clean = sanitize(partial);
    if (clean.steps !== undefined || clean.t !== undefined) {
      const steps = clean.steps ?? this.model.get("steps");
      if (clean.t !== undefined) clean.t = Math.min(clean.t, steps);
      else if (this.model.get("t") > steps) clean.t = steps;
    }
    this.batch++;
    try {
      this.model.set(clean);
      this.model.save_changes();
    } finally {
      this.batch--;
    }
    this.redraw();
    this.scheduleHash();
  }

  applyHash() {
    const text = readHash(window.location.hash, this.hashKey);
    if (text === null || text === this.lastHash) return;
    this.lastHash = text;
    const partial = decodeSettings(text);
    if (Object.keys(partial).length) this.update(partial);
  }

  scheduleHash() {
    if (this.live || !this.hashKey) return;
    clearTimeout(this.hashTimer);
    this.hashTimer = setTimeout(() => this.writeHashNow(), HASH_DELAY_MS);
  }

  writeHashNow() {
    const text = encodeSettings(this.settings());
    if (text === readHash(window.location.hash, this.hashKey)) return;
    this.lastHash = text;
    const hash = writeHash(window.location.hash, this.hashKey, text);
    window.history.replaceState(window.history.state, "", hash);
  }

  // -- building the DOM -----------------------------------------------------------------------

  build() {
    const root = el("div", { class: "gdx" });
    // In JupyterLab the notebook's command-mode shortcuts listen on the document and match a
    // focused range input (not editable text), cancelling the arrow keys' default action. Keys
    // the controls use stop at the explorer; their default actions (move a slider, press a
    // button) still happen. Keys with Ctrl, Alt or Meta, Tab and Escape go on to JupyterLab.
    root.addEventListener("keydown", (event) => {
      if (CONTROL_KEYS.has(event.key) && !event.ctrlKey && !event.altKey && !event.metaKey) event.stopPropagation();
    });
    this.root.replaceChildren(root);
    this.dom = root;
    const controls = el("div", { class: "gdx-controls" }, root);

    // method
    const methods = el("fieldset", { class: "gdx-methods" }, controls);
    el("legend", {}, methods, "Method");
    const name = nextId("gdx-method");
    this.methodInputs = {};
    for (const method of [...METHODS, "all"]) {
      const label = el("label", { class: "gdx-radio" }, methods);
      const input = el("input", { type: "radio", name, value: method }, label);
      if (method !== "all") swatch(label, method);
      label.append(method === "all" ? "All four" : METHOD_NAMES[method]);
      input.addEventListener("change", () => input.checked && this.update({ method }));
      this.methodInputs[method] = input;
    }

    const sliders = el("div", { class: "gdx-sliders" }, controls);
    this.kappaCtl = this.slider(sliders, {
      label: "\u03ba (condition number)",
      key: "kappa",
      min: 0,
      max: 3000,
      toValue: (k) => 10 ** (k / 1000),
      toPosition: (v) => Math.round(Math.log10(v) * 1000),
      text: (v) => fmt(v),
    });
    this.angleCtl = this.slider(sliders, {
      label: "rotation of the valley (degrees)",
      key: "angle",
      min: 0,
      max: 180,
      toValue: (k) => (k * Math.PI) / 180,
      toPosition: (v) => Math.round((v * 180) / Math.PI),
      text: (v) => fmt((v * 180) / Math.PI),
      numberToValue: (n) => (n * Math.PI) / 180,
      valueToNumber: (v) => Number(((v * 180) / Math.PI).toPrecision(10)),
    });
    this.lrCtl = this.slider(sliders, {
      label: "\u03b7 (learning rate)",
      key: "lr",
      min: 1,
      max: 1000,
      toValue: (k) => (k / 1000) * lrMax(this.model.get("kappa")),
      toPosition: (v) => Math.round((v / lrMax(this.model.get("kappa"))) * 1000),
      text: (v) => fmt(v),
      marks: true,
    });
    this.betaCtl = this.slider(sliders, {
      label: "\u03b2 (momentum)",
      key: "beta",
      min: 0,
      max: Math.round(BETA_MAX * 1000),
      toValue: (k) => k / 1000,
      toPosition: (v) => Math.round(v * 1000),
      text: (v) => fmt(v),
    });
    this.newtonLrCtl = this.slider(sliders, {
      label: "Newton step size",
      key: "newton_lr",
      min: 1,
      max: Math.round(NEWTON_LR_MAX * 100),
      toValue: (k) => k / 100,
      toPosition: (v) => Math.round(v * 100),
      text: (v) => fmt(v),
    });
    const [dLo, dHi] = DAMPING_RANGE.map(Math.log10);
    this.dampingCtl = this.slider(sliders, {
      label: "Newton damping",
      key: "damping",
      min: 0,
      max: 500,
      toValue: (k) => (k === 0 ? 0 : 10 ** (dLo + ((dHi - dLo) * k) / 500)),
      toPosition: (v) => (v <= 0 ? 0 : Math.max(1, Math.round(((Math.log10(v) - dLo) / (dHi - dLo)) * 500))),
      text: (v) => fmt(v),
    });

    const startRow = el("div", { class: "gdx-row" }, controls);
    // Accessible names contain the visible text (WCAG 2.5.3): "start w₀, first coordinate".
    el("span", { class: "gdx-name", "aria-hidden": "true" }, startRow, "start w\u2080");
    this.x0Input = el("input", { type: "number", step: "0.05", min: -START_RANGE, max: START_RANGE, "aria-label": "start w\u2080, first coordinate", class: "gdx-number" }, startRow);
    this.y0Input = el("input", { type: "number", step: "0.05", min: -START_RANGE, max: START_RANGE, "aria-label": "start w\u2080, second coordinate", class: "gdx-number" }, startRow);
    const stepsId = nextId("gdx-steps");
    el("label", { class: "gdx-name", for: stepsId }, startRow, "steps");
    this.stepsInput = el("input", { id: stepsId, type: "number", step: "1", min: STEPS_RANGE[0], max: STEPS_RANGE[1], title: "number of steps simulated", class: "gdx-number" }, startRow);
    const startChange = () => {
      const x = Number(this.x0Input.value);
      const y = Number(this.y0Input.value);
      if (Number.isFinite(x) && Number.isFinite(y)) this.update({ start: [x, y] });
    };
    this.x0Input.addEventListener("change", startChange);
    this.y0Input.addEventListener("change", startChange);
    this.stepsInput.addEventListener("change", () => {
      const n = Number(this.stepsInput.value);
      if (Number.isFinite(n)) this.update({ steps: n });
    });

    const buttons = el("div", { class: "gdx-row gdx-buttons" }, controls);
    const button = (text, title, action) => {
      const b = el("button", { type: "button", title }, buttons, text);
      b.addEventListener("click", action);
      return b;
    };
    this.backButton = button("\u25c0 Back", "one step back", () => this.stepBy(-1));
    this.stepButton = button("Step \u25b6", "one step forward", () => this.stepBy(1));
    this.playButton = button("Play", "play / pause", () => this.togglePlay());
    this.playButton.setAttribute("aria-pressed", "false");
    this.resetButton = button("Reset", "back to t = 0", () => {
      this.stopPlay();
      this.update({ t: 0 });
    });
    this.tuneButton = button("Tuned \u03b7, \u03b2", "set the tuned step size (and momentum) of the method", () => this.tune());
    this.tableButton = button("Table of iterates", "show the last iterates as a table", () => this.toggleTable());
    this.tableButton.setAttribute("aria-expanded", "false");
    this.counter = el("span", { class: "gdx-counter" }, buttons);

    // What is on screen, visible; the live region below says the same to a screen reader, once
    // per step or change (not at every frame of Play), politely.
    this.status = el("div", { class: "gdx-status" }, controls);
    this.announcer = el("div", { class: "gdx-sr-only gdx-announcer", role: "status", "aria-live": "polite", "aria-atomic": "true" }, root);

    // plots
    const plots = el("div", { class: "gdx-plots" }, root);
    const fig = (caption) => {
      const f = el("figure", { class: "gdx-figure" }, plots);
      const holder = el("div", { class: "gdx-holder" }, f);
      el("figcaption", {}, f, caption);
      return holder;
    };
    this.contour = new Frame(fig("Contours of f and the iterates; drag the start point (or focus it and use the arrow keys)."), {
      width: 320,
      height: 320,
      margin: [8, 8, 30, 30],
      xlabel: "w\u2081",
      ylabel: "w\u2082",
      label: "contour plot with the trajectories",
      control: true,
    });
    this.contour.svg.setAttribute("role", "group");
    this.contour.svg.setAttribute("aria-label", "contour plot and start point");
    this.contour.setRange(-START_RANGE, START_RANGE, -START_RANGE, START_RANGE, [-2, -1, 0, 1, 2].map((v) => [v, String(v)]), [-2, -1, 0, 1, 2].map((v) => [v, String(v)]));
    this.ellipses = svg("g", { class: "gdx-contours" }, this.contour.plot);
    this.paths = svg("g", {}, this.contour.plot);
    svg("path", { d: "M-5 0L5 0M0 -5L0 5", class: "gdx-minimizer", transform: `translate(${this.contour.px(0)} ${this.contour.py(0)})` }, this.contour.plot);
    this.startHandle = svg("circle", { r: 7, class: "gdx-start", tabindex: "0", role: "slider", "aria-label": "start point: arrow keys move it" }, this.contour.over);
    this.bindStartDrag();

    this.fplot = new Frame(fig("f(w\u209c) \u2212 f* against t (log scale); dashed: the predicted rate \u03c1\u00b2\u1d57."), {
      width: 360,
      height: 230,
      margin: [8, 10, 30, 44],
      xlabel: "iteration t",
      ylabel: "f(w\u209c) \u2212 f*",
      label: "objective gap against iteration",
    });
    this.eplot = new Frame(fig("Eigen-coordinates |\u0175\u1d62(t)|: solid the flat direction (\u03bb = 1), dotted the steep one (\u03bb = \u03ba); dashed: \u03c1\u1d62\u1d57."), {
      width: 360,
      height: 230,
      margin: [8, 10, 30, 44],
      xlabel: "iteration t",
      ylabel: "|\u0175\u1d62(t)|",
      label: "eigen-coordinates against iteration",
    });

    const mapHolder = fig("Heavy ball's spectral radius over (\u03b7, \u03b2): bright converges fast, dark 1000\u00d7 slower than the best, grey diverges; \u2605 Polyak's optimum. Click to set \u03b7 and \u03b2, or focus and use the arrow keys.");
    mapHolder.classList.add("gdx-map");
    this.map = new Frame(mapHolder, {
      width: 360,
      height: 230,
      margin: [8, 10, 30, 44],
      xlabel: "\u03b7 (\u00d7 L)",
      ylabel: "\u03b2",
      label: "heavy-ball rate map",
      control: true,
    });
    this.canvas = el("canvas", { class: "gdx-canvas", width: 120, height: 80, "aria-hidden": "true" }, mapHolder);
    const m = this.map;
    Object.assign(this.canvas.style, {
      left: `${(100 * m.x0) / m.width}%`,
      top: `${(100 * m.y0) / m.height}%`,
      width: `${(100 * (m.x1 - m.x0)) / m.width}%`,
      height: `${(100 * (m.y1 - m.y0)) / m.height}%`,
    });
    this.map.svg.setAttribute("tabindex", "0");
    this.map.svg.setAttribute("role", "slider");
    this.map.svg.setAttribute("aria-label", "heavy-ball rate map: arrow keys change \u03b7 and \u03b2");
    this.map.svg.classList.add("gdx-mapsvg");
    this.map.setRange(0, 4, 0, 1, [0, 1, 2, 3, 4].map((v) => [v, String(v)]), [0, 0.25, 0.5, 0.75, 1].map((v) => [v, String(v)]));
    this.mapOptimum = svg("text", { class: "gdx-star", "text-anchor": "middle", dy: "0.35em" }, this.map.over, "\u2605");
    this.mapCursor = svg("path", { class: "gdx-cursor" }, this.map.over);
    this.bindMap();

    // The last iterates as a table, on request (the Table of iterates button).
    this.tableWrap = el("div", { class: "gdx-table", id: nextId("gdx-table"), hidden: "" }, root);
    this.tableButton.setAttribute("aria-controls", this.tableWrap.id);

    this.legend = el("div", { class: "gdx-legend" }, root);
    this.userInfo = el("div", { class: "gdx-user" }, root);
  }

  /** A range input with a number input beside it, both bound to model key `key`. */
  slider(parent, spec) {
    const row = el("div", { class: "gdx-slider" }, parent);
    const id = nextId("gdx-input");
    const head = el("div", { class: "gdx-head" }, row);
    el("label", { for: id, class: "gdx-name" }, head, spec.label);
    // "not used by GD": said in words (and read with the slider), not by greying out alone
    const note = el("span", { class: "gdx-note", id: nextId("gdx-note") }, head);
    const track = el("div", { class: "gdx-track" }, row);
    const range = el("input", { id, type: "range", min: spec.min, max: spec.max, step: 1, "aria-describedby": note.id }, track);
    let marks = null;
    if (spec.marks) {
      track.classList.add("gdx-has-marks");
      marks = el("div", { class: "gdx-marks", "aria-hidden": "true" }, track);
    }
    const number = el("input", { type: "number", step: "any", class: "gdx-number", "aria-label": `${spec.label}, exact value`, "aria-describedby": note.id }, row);
    const numberToValue = spec.numberToValue || ((n) => n);
    const valueToNumber = spec.valueToNumber || ((v) => v);
    range.addEventListener("input", () => this.update({ [spec.key]: spec.toValue(Number(range.value)) }));
    number.addEventListener("change", () => {
      const n = Number(number.value);
      if (number.value !== "" && Number.isFinite(n)) this.update({ [spec.key]: numberToValue(n) });
    });
    return {
      range,
      number,
      marks,
      row,
      unused: (by) => {
        row.classList.toggle("gdx-unused", Boolean(by));
        const text = by ? `not used by ${by}` : "";
        if (note.textContent !== text) note.textContent = text;
      },
      set: (v) => {
        const pos = Math.min(spec.max, Math.max(spec.min, spec.toPosition(v)));
        if (Number(range.value) !== pos) range.value = String(pos);
        range.setAttribute("aria-valuetext", spec.text(v));
        if (document.activeElement !== number) number.value = String(valueToNumber(v));
      },
    };
  }

  bindStartDrag() {
    const c = this.contour;
    const toData = (event) => {
      const rect = c.svg.getBoundingClientRect();
      const x = ((event.clientX - rect.left) / rect.width) * c.width;
      const y = ((event.clientY - rect.top) / rect.height) * c.height;
      return [c.xa + (x - c.x0) / c.sx, c.ya + (c.y1 - y) / c.sy];
    };
    let dragging = false;
    const down = (event) => {
      if (event.button !== 0) return;
      dragging = true;
      c.svg.setPointerCapture?.(event.pointerId);
      this.update({ start: toData(event) });
      event.preventDefault();
    };
    const move = (event) => {
      if (dragging) this.update({ start: toData(event) });
    };
    const up = () => {
      dragging = false;
    };
    c.svg.addEventListener("pointerdown", down);
    c.svg.addEventListener("pointermove", move);
    c.svg.addEventListener("pointerup", up);
    c.svg.addEventListener("pointercancel", up);
    c.svg.classList.add("gdx-draggable");
    this.startHandle.addEventListener("keydown", (event) => {
      const d = event.shiftKey ? 0.25 : 0.05;
      const moves = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, d], ArrowDown: [0, -d] };
      const m = moves[event.key];
      if (!m) return;
      event.preventDefault();
      const [x, y] = this.settings().start;
      this.update({ start: [x + m[0], y + m[1]] });
    });
  }

  bindMap() {
    const m = this.map;
    const pick = (event) => {
      const rect = m.svg.getBoundingClientRect();
      const x = ((event.clientX - rect.left) / rect.width) * m.width;
      const y = ((event.clientY - rect.top) / rect.height) * m.height;
      const u = (x - m.x0) / m.sx + m.xa; // lr * L
      const beta = (m.y1 - y) / m.sy + m.ya;
      if (u <= 0 || u > m.xb || beta < 0 || beta > 1) return;
      this.update({ lr: u / this.model.get("kappa"), beta: Math.min(beta, BETA_MAX) });
    };
    m.svg.addEventListener("click", pick);
    m.svg.addEventListener("keydown", (event) => {
      const s = this.settings();
      const dl = (event.shiftKey ? 0.1 : 0.01) * lrMax(s.kappa);
      const db = event.shiftKey ? 0.1 : 0.01;
      const moves = {
        ArrowLeft: { lr: Math.max(lrMax(s.kappa) / 1000, s.lr - dl) },
        ArrowRight: { lr: Math.min(lrMax(s.kappa), s.lr + dl) },
        ArrowUp: { beta: Math.min(BETA_MAX, s.beta + db) },
        ArrowDown: { beta: Math.max(0, s.beta - db) },
      };
      if (!moves[event.key]) return;
      event.preventDefault();
      this.update(moves[event.key]);
    });
  }

  // -- actions --------------------------------------------------------------------------------

  stepBy(k) {
    const s = this.settings();
    this.update({ t: Math.min(s.steps, Math.max(0, s.t + k)) });
  }

  togglePlay() {
    if (this.playing) {
      this.stopPlay();
      return;
    }
    const s = this.settings();
    // prefers-reduced-motion: no animation; Play shows the last step at once.
    if (reducedMotion()) {
      this.update({ t: s.steps });
      return;
    }
    if (s.t >= s.steps) this.update({ t: 0 });
    this.playing = setInterval(() => {
      const now = this.settings();
      if (now.t >= now.steps) this.stopPlay();
      else this.update({ t: now.t + 1 });
    }, PLAY_INTERVAL_MS);
    this.playButton.textContent = "Pause";
    this.playButton.setAttribute("aria-pressed", "true");
  }

  stopPlay() {
    const was = this.playing;
    if (this.playing) clearInterval(this.playing);
    this.playing = null;
    this.playButton.textContent = "Play";
    this.playButton.setAttribute("aria-pressed", "false");
    if (was) this.announce(); // where Play stopped (nothing is announced while it runs)
  }

  /** Say the state in the live region (politely; a screen reader reads it when idle). */
  announce() {
    if (this.playing || !this.runs) return;
    const text = announcement(this.settings(), this.runs, this.rates);
    if (this.announcer.textContent !== text) this.announcer.textContent = text;
  }

  toggleTable() {
    const open = this.tableWrap.hidden;
    this.tableWrap.hidden = !open;
    this.tableButton.setAttribute("aria-expanded", String(open));
    if (open) this.drawTable(this.settings());
  }

  /** The last TABLE_ROWS iterates up to t of each method shown: t, w, f(w_t) - f*. */
  drawTable(s) {
    if (this.tableWrap.hidden) return;
    const table = el("table");
    const shownAt = (run) => Math.min(s.t, run.count - 1);
    el("caption", {}, table, `The last iterates up to t = ${s.t} (of ${s.steps})`);
    const head = el("tr", {}, el("thead", {}, table));
    for (const text of ["method", "t", "w\u2081", "w\u2082", "f(w\u209c) \u2212 f*"]) el("th", { scope: "col" }, head, text);
    const body = el("tbody", {}, table);
    for (const run of this.runs) {
      const last = shownAt(run);
      for (let i = Math.max(0, last - TABLE_ROWS + 1); i <= last; i++) {
        const row = el("tr", {}, body);
        el("th", { scope: "row" }, row, METHOD_NAMES[run.method]);
        for (const v of [String(i), fmt(run.x[i], 6), fmt(run.y[i], 6), fmt(run.f[i], 4)]) el("td", {}, row, v);
      }
    }
    this.tableWrap.replaceChildren(table);
  }

  tune() {
    const s = this.settings();
    // With all four shown: Nesterov's textbook parameters, where GD and heavy ball converge too.
    const method = s.method === "all" ? "nesterov" : s.method;
    const values = tuned(s.kappa, method);
    if (s.method === "all") Object.assign(values, tuned(s.kappa, "newton"));
    this.update(values);
  }

  // -- drawing --------------------------------------------------------------------------------

  redraw() {
    const s = this.settings();
    const shown = s.method === "all" ? METHODS : [s.method];
    const problemKey = `${s.kappa},${s.angle}`;
    const problem = makeProblem(s.kappa, s.angle);
    const simKey = JSON.stringify([s.method, s.kappa, s.angle, s.lr, s.beta, s.damping, s.newton_lr, s.start, s.steps]);
    if (simKey !== this.simKey) {
      this.runs = shown.map((method) => simulate({ ...s, problem }, method));
      this.simKey = simKey;
      this.rates = Object.fromEntries(shown.map((method) => [method, directionRates(s, method)]));
    }
    if (problemKey !== this.problemKey) {
      this.drawContours(s);
      this.problemKey = problemKey;
    }
    if (String(s.kappa) !== this.mapKey) {
      this.drawMap(s.kappa);
      this.mapKey = String(s.kappa);
    }
    this.syncControls(s, shown);
    this.drawTrajectories(s);
    this.drawCurves(s, problem);
    this.drawMapCursor(s);
    this.drawReadout(s, problem);
    this.describePlots(s);
    this.drawTable(s);
    this.announce();
  }

  /** The plots' text alternatives: what each shows for the current settings and t. */
  describePlots(s) {
    const deg = fmt((s.angle * 180) / Math.PI, 3);
    const at = (run) => Math.min(s.t, run.count - 1);
    const where = (run) => `${METHOD_NAMES[run.method]} at (${fmt(run.x[at(run)], 3)}, ${fmt(run.y[at(run)], 3)})`;
    const diverged = (run) => (run.diverged !== null ? `, diverged at step ${run.diverged}` : "");
    this.contour.describe(
      `Contour plot: elliptical level sets of f around the minimiser w* = (0, 0), axis ratio ${fmt(Math.sqrt(s.kappa), 3)}, ` +
        `valley rotated ${deg} degrees; start (${fmt(s.start[0], 3)}, ${fmt(s.start[1], 3)}); after ${s.t} steps ` +
        this.runs.map((run) => where(run) + diverged(run)).join("; "),
    );
    const gap = (run) => `${METHOD_NAMES[run.method]} from ${spoken(run.f[0])} at t = 0 to ${spoken(run.f[at(run)])} at t = ${at(run)}${diverged(run)}`;
    this.fplot.describe(`f(w\u209c) \u2212 f* against t on a log scale: ${this.runs.map(gap).join("; ")}`);
    const eig = this.runs.map((run) => {
      const problem = makeProblem(s.kappa, s.angle);
      const [a0, b0] = toEigenbasis(problem, run.x[0], run.y[0]);
      const [a, b] = toEigenbasis(problem, run.x[at(run)], run.y[at(run)]);
      return `${METHOD_NAMES[run.method]}: flat direction ${spoken(Math.abs(a0))} to ${spoken(Math.abs(a))}, steep direction ${spoken(Math.abs(b0))} to ${spoken(Math.abs(b))}`;
    });
    this.eplot.describe(`Eigen-coordinates against t on a log scale, from t = 0 to t = ${s.t}: ${eig.join("; ")}`);
  }

  syncControls(s, shown) {
    for (const [method, input] of Object.entries(this.methodInputs)) input.checked = method === s.method;
    this.kappaCtl.set(s.kappa);
    this.angleCtl.set(s.angle);
    this.lrCtl.set(s.lr);
    this.betaCtl.set(s.beta);
    this.newtonLrCtl.set(s.newton_lr);
    this.dampingCtl.set(s.damping);
    if (document.activeElement !== this.x0Input) this.x0Input.value = String(Number(s.start[0].toPrecision(6)));
    if (document.activeElement !== this.y0Input) this.y0Input.value = String(Number(s.start[1].toPrecision(6)));
    if (document.activeElement !== this.stepsInput) this.stepsInput.value = String(s.steps);
    const uses = (m) => shown.includes(m);
    const by = METHOD_NAMES[s.method] || "";
    this.lrCtl.unused(!(uses("gd") || uses("heavy_ball") || uses("nesterov")) && by);
    this.betaCtl.unused(!(uses("heavy_ball") || uses("nesterov")) && by);
    this.newtonLrCtl.unused(!uses("newton") && by);
    this.dampingCtl.unused(!uses("newton") && by);
    // marks on the lr slider: the stability limit 2/L and the tuned steps
    const key = `${s.kappa},${s.method}`;
    if (key !== this.marksKey) {
      this.marksKey = key;
      const max = lrMax(s.kappa);
      const marks = [[2 / s.kappa, "2/L", "gdx-mark-limit"]];
      if (uses("gd")) marks.push([tuned(s.kappa, "gd").lr, "GD opt", "gdx-mark-opt"]);
      if (uses("heavy_ball")) marks.push([tuned(s.kappa, "heavy_ball").lr, "HB opt", "gdx-mark-opt"]);
      if (uses("nesterov") && !uses("gd") && !uses("heavy_ball")) marks.push([tuned(s.kappa, "nesterov").lr, "1/L", "gdx-mark-opt"]);
      this.lrCtl.marks.replaceChildren();
      marks.sort((a, b) => a[0] - b[0]);
      let previous = -1;
      let row = 0;
      for (const [at, text, cls] of marks) {
        const frac = at / max;
        // labels closer than 15% of the track share no row
        row = frac - previous < 0.15 ? 1 - row : 0;
        previous = frac;
        const mark = el("span", { class: `gdx-mark ${cls}`, title: `${text} = ${fmt(at)}` }, this.lrCtl.marks, text);
        // the thumb's centre travels from 8px to (width - 8px)
        mark.style.left = `calc(8px + ${frac.toFixed(4)} * (100% - 16px))`;
        mark.style.top = row ? "0.8rem" : "0";
      }
    }
    this.playButton.disabled = false;
    this.backButton.disabled = s.t <= 0;
    this.stepButton.disabled = s.t >= s.steps;
  }

  drawContours(s) {
    const c = this.contour;
    const degrees = (s.angle * 180) / Math.PI;
    this.ellipses.replaceChildren();
    const g = svg("g", { transform: `translate(${c.px(0)} ${c.py(0)}) rotate(${-degrees})` }, this.ellipses);
    const scale = c.sx;
    const root = Math.sqrt(s.kappa);
    for (let k = 0; k < 12; k++) {
      const r = 3.2 * 0.7 ** k; // semi-axis along the flat direction; f = r^2 / 2 on the ellipse
      svg("ellipse", { rx: (r * scale).toFixed(2), ry: ((r / root) * scale).toFixed(3) }, g);
    }
  }

  drawTrajectories(s) {
    const c = this.contour;
    const t = s.t;
    this.paths.replaceChildren();
    const draw = (xs, ys, count, color, cls, method) => {
      const px = (i) => c.px(xs[i]);
      const py = (i) => c.py(ys[i]);
      const upto = Math.min(t + 1, count);
      const future = polyline(px, py, upto - 1, count, c.box);
      if (future) svg("path", { d: future, stroke: color, class: `gdx-future ${cls}` }, this.paths);
      const past = polyline(px, py, 0, upto, c.box);
      if (past) svg("path", { d: past, stroke: color, class: `gdx-past ${cls}` }, this.paths);
      const i = upto - 1;
      const [x, y] = [px(i), py(i)];
      if (x > c.box[0] && x < c.box[2] && y > c.box[1] && y < c.box[3]) {
        marker(this.paths, method, x, y, 4, { fill: color, class: `gdx-current ${cls}`, cx: x.toFixed(1), cy: y.toFixed(1) });
      }
    };
    for (const run of this.runs) draw(run.x, run.y, run.count, COLORS[run.method], `gdx-m-${run.method}`, run.method);
    const user = this.userRun(s); // stale: computed for other settings, the kernel is rerunning it
    if (user && !user.stale) draw(user.x, user.y, user.count, USER_COLOR, "gdx-user-path", "user");
    this.startHandle.setAttribute("cx", c.px(s.start[0]).toFixed(1));
    this.startHandle.setAttribute("cy", c.py(s.start[1]).toFixed(1));
    this.startHandle.setAttribute("aria-valuetext", `start (${fmt(s.start[0])}, ${fmt(s.start[1])})`);
  }

  /** Your step's trajectory (from Python, live only) if it was computed for these settings. */
  userRun(s) {
    const path = this.model.get("user_path");
    const at = this.model.get("user_settings");
    if (!this.live || !path || !path.length || !at) return null;
    const same = ["kappa", "angle", "lr", "beta", "damping", "newton_lr", "steps"].every((k) => at[k] === s[k]) && at.start && at.start[0] === s.start[0] && at.start[1] === s.start[1];
    if (!same) return { stale: true };
    const n = path.length;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    path.forEach((w, i) => {
      x[i] = w[0];
      y[i] = w[1];
    });
    return { x, y, count: n };
  }

  drawCurves(s, problem) {
    const t = s.t;
    const single = this.runs.length === 1;
    // f - f* on a log axis
    const f = this.fplot;
    let hi = -Infinity;
    let lo = Infinity;
    for (const run of this.runs) {
      for (let i = 0; i < run.count; i++) {
        const v = log10(run.f[i]);
        if (v > hi) hi = v;
        if (v < lo) lo = v;
      }
    }
    if (!Number.isFinite(hi)) hi = 0;
    const top0 = Math.max(...this.runs.map((run) => log10(run.f[0])));
    if (Number.isFinite(top0)) hi = Math.min(hi, top0 + HEADROOM);
    lo = Math.max(Math.min(lo, hi - 1), hi + LOG_FLOOR);
    hi = Math.ceil(hi + 0.2);
    lo = Math.floor(lo);
    f.setRange(0, s.steps, lo, hi, timeTicks(s.steps), decadeTicks(lo, hi));
    f.plot.replaceChildren();
    const floorAt = (v) => (v === -Infinity ? lo - 1 : v);
    for (const run of this.runs) {
      const color = COLORS[run.method];
      const px = (i) => f.px(i);
      const py = (i) => f.py(floorAt(log10(run.f[i])));
      const upto = Math.min(t + 1, run.count);
      const future = polyline(px, py, upto - 1, run.count, f.box);
      if (future) svg("path", { d: future, stroke: color, class: "gdx-future" }, f.plot);
      const past = polyline(px, py, 0, upto, f.box);
      if (past) svg("path", { d: past, stroke: color, class: "gdx-past" }, f.plot);
      marker(f.plot, run.method, px(upto - 1), Math.min(f.box[3], py(upto - 1)), 3.5, { fill: color });
      // predicted: f_0 rho^(2t), rho the spectral radius
      const rho = Math.max(...this.rates[run.method]);
      const f0 = log10(run.f[0]);
      if (Number.isFinite(f0)) {
        const end = rho > 0 ? f0 + 2 * s.steps * Math.log10(rho) : lo - 1;
        const seg = clipSegment(f.px(0), f.py(f0), rho > 0 ? f.px(s.steps) : f.px(0.5), f.py(end), f.box);
        if (seg) svg("path", { d: `M${seg[0].toFixed(1)} ${seg[1].toFixed(1)}L${seg[2].toFixed(1)} ${seg[3].toFixed(1)}`, stroke: color, class: "gdx-theory" }, f.plot);
      }
    }
    // eigen-coordinates |hat w_i(t)|
    const e = this.eplot;
    const eig = this.runs.map((run) => {
      const a = new Float64Array(run.count);
      const b = new Float64Array(run.count);
      for (let i = 0; i < run.count; i++) {
        const [u, v] = toEigenbasis(problem, run.x[i], run.y[i]);
        a[i] = log10(Math.abs(u));
        b[i] = log10(Math.abs(v));
      }
      return [a, b];
    });
    let ehi = -Infinity;
    let elo = Infinity;
    for (const pair of eig) {
      for (const arr of pair) {
        for (const v of arr) {
          if (v > ehi) ehi = v;
          if (v > -Infinity && v < elo) elo = v;
        }
      }
    }
    if (!Number.isFinite(ehi)) ehi = 0;
    const etop0 = Math.max(...eig.map(([a, b]) => Math.max(a[0], b[0])));
    if (Number.isFinite(etop0)) ehi = Math.min(ehi, etop0 + HEADROOM / 2);
    if (!Number.isFinite(elo)) elo = ehi - 1;
    elo = Math.floor(Math.max(Math.min(elo, ehi - 1), ehi + LOG_FLOOR / 2));
    ehi = Math.ceil(ehi + 0.1);
    e.setRange(0, s.steps, elo, ehi, timeTicks(s.steps), decadeTicks(elo, ehi));
    e.plot.replaceChildren();
    const efloor = (v) => (v === -Infinity ? elo - 1 : v);
    this.runs.forEach((run, r) => {
      const color = COLORS[run.method];
      const upto = Math.min(t + 1, run.count);
      eig[r].forEach((arr, which) => {
        const px = (i) => e.px(i);
        const py = (i) => e.py(efloor(arr[i]));
        const cls = which === 0 ? "gdx-flat" : "gdx-steep";
        const future = polyline(px, py, upto - 1, run.count, e.box);
        if (future) svg("path", { d: future, stroke: color, class: `gdx-future ${cls}` }, e.plot);
        const past = polyline(px, py, 0, upto, e.box);
        if (past) svg("path", { d: past, stroke: color, class: `gdx-past ${cls}` }, e.plot);
        if (single && Number.isFinite(arr[0])) {
          const rho = this.rates[run.method][which];
          const end = rho > 0 ? arr[0] + s.steps * Math.log10(rho) : elo - 1;
          const seg = clipSegment(e.px(0), e.py(arr[0]), rho > 0 ? e.px(s.steps) : e.px(0.5), e.py(end), e.box);
          if (seg) svg("path", { d: `M${seg[0].toFixed(1)} ${seg[1].toFixed(1)}L${seg[2].toFixed(1)} ${seg[3].toFixed(1)}`, stroke: color, class: "gdx-theory" }, e.plot);
        }
      });
    });
    // your step, in both plots
    const user = this.userRun(s);
    if (user && !user.stale) {
      const uf = Array.from({ length: user.count }, (_, i) => log10(value(problem, user.x[i], user.y[i])));
      const d = polyline((i) => f.px(i), (i) => f.py(floorAt(uf[i])), 0, Math.min(t + 1, user.count), f.box);
      if (d) svg("path", { d, stroke: USER_COLOR, class: "gdx-past gdx-user-path" }, f.plot);
    }
  }

  drawMap(kappa) {
    const W = this.canvas.width;
    const H = this.canvas.height;
    const ctx = this.canvas.getContext("2d");
    const image = ctx.createImageData(W, H);
    const best = tuned(kappa, "heavy_ball");
    const bestSpeed = -Math.log(heavyBallRate(kappa, best.lr, best.beta)) || 1e-12;
    const max = lrMax(kappa);
    for (let j = 0; j < H; j++) {
      const beta = (1 - (j + 0.5) / H) * 1; // top row: beta near 1
      for (let i = 0; i < W; i++) {
        const lr = ((i + 0.5) / W) * max;
        const rho = heavyBallRate(kappa, lr, Math.min(beta, BETA_MAX));
        const k = 4 * (j * W + i);
        if (!(rho < 1)) {
          image.data[k] = 200;
          image.data[k + 1] = 200;
          image.data[k + 2] = 200;
        } else {
          // brightness: convergence speed -log(rho), on a log scale from 1000x slower to the best
          const speed = -Math.log(rho);
          const u = Math.min(1, Math.max(0, 1 + Math.log10(speed / bestSpeed) / 3));
          const [r, g, b] = ramp(u);
          image.data[k] = r;
          image.data[k + 1] = g;
          image.data[k + 2] = b;
        }
        image.data[k + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
    const m = this.map;
    this.mapOptimum.setAttribute("x", m.px(best.lr * kappa).toFixed(1));
    this.mapOptimum.setAttribute("y", m.py(best.beta).toFixed(1));
    this.mapOptimum.replaceChildren(document.createTextNode("\u2605"));
    svg("title", {}, this.mapOptimum, `Polyak's optimum: \u03b7 = ${fmt(best.lr)}, \u03b2 = ${fmt(best.beta)}`);
    const bestRate = heavyBallRate(kappa, best.lr, best.beta);
    m.describe(
      `Heavy ball's rate over \u03b7 from 0 to 4/L and \u03b2 from 0 to 1, \u03ba = ${fmt(kappa)}: it converges ` +
        `left of the line \u03b7 L = 2(1 + \u03b2) and diverges right of it; fastest, rate ${spoken(bestRate, 3)}, at ` +
        `Polyak's optimum \u03b7 = ${fmt(best.lr, 3)}, \u03b2 = ${fmt(best.beta, 3)}`,
    );
  }

  drawMapCursor(s) {
    const m = this.map;
    const x = m.px(Math.min(4, s.lr * s.kappa));
    const y = m.py(s.beta);
    this.mapCursor.setAttribute("d", `M${(x - 7).toFixed(1)} ${y.toFixed(1)}h14M${x.toFixed(1)} ${(y - 7).toFixed(1)}v14`);
    const rho = heavyBallRate(s.kappa, s.lr, s.beta);
    this.map.svg.setAttribute("aria-valuetext", `learning rate ${fmt(s.lr)}, beta ${fmt(s.beta)}, heavy-ball rate ${fmt(rho)}`);
  }

  drawReadout(s, problem) {
    this.counter.textContent = `t = ${s.t} of ${s.steps}`;
    const lines = [];
    for (const run of this.runs) {
      const name = METHOD_NAMES[run.method];
      const rho = Math.max(...this.rates[run.method]);
      const shownAt = Math.min(s.t, run.count - 1);
      let text = `${name}: rate \u03c1 = ${fmt(rho)}`;
      if (run.diverged !== null) {
        text += ` \u2014 diverged at step ${run.diverged}`;
      } else {
        text += `, f(w\u209c) \u2212 f* = ${fmt(run.f[shownAt], 3)}`;
        if (rho > 1) text += " \u2014 \u03c1 > 1: the error grows";
      }
      lines.push([run.method, text, run.diverged !== null || rho > 1]);
    }
    this.status.replaceChildren();
    for (const [method, text, bad] of lines) {
      const line = el("div", { class: bad ? "gdx-diverged" : "" }, this.status);
      swatch(line, method);
      line.append(text);
    }
    // your step (JupyterLab / Notebook with a kernel)
    this.userInfo.replaceChildren();
    const label = this.model.get("user_label");
    if (this.live && label) {
      const user = this.userRun(s);
      if (!user) return;
      if (user.stale) {
        this.userInfo.textContent = `${label}: recomputing for the new settings\u2026`;
        return;
      }
      const ref = this.runs[0];
      const upto = Math.min(s.t, user.count - 1, ref.count - 1);
      let gap = 0;
      let worst = 0;
      for (let i = 0; i <= upto; i++) {
        const g = Math.hypot(user.x[i] - ref.x[i], user.y[i] - ref.y[i]);
        if (i === upto) gap = g;
        if (g > worst) worst = g;
      }
      swatch(this.userInfo, "user");
      this.userInfo.append(`${label} (dashed) against ${METHOD_NAMES[ref.method]}: gap \u2016w\u209c \u2212 w\u209c(ref)\u2016 = ${fmt(gap, 3)} at t = ${upto}, largest so far ${fmt(worst, 3)}`);
    }
    void problem;
  }

  destroy() {
    this.stopPlay();
    clearTimeout(this.hashTimer);
    for (const fn of this.cleanups) fn();
  }
}

/** A dark-to-bright colour ramp (viridis-like), u in [0, 1]. */
function ramp(u) {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = u * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
}

/** Whether the reader asked for less motion (their system's or browser's setting). */
function reducedMotion() {
  return Boolean(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
}

/** Whether a kernel is connected (JupyterLab, Notebook 7), as opposed to saved state on a page. */
function isLive(model) {
  const manager = model.widget_manager;
  try {
    return Boolean(manager && manager.kernel);
  } catch {
    return false;
  }
}

function render({ model, el: root }) {
  const view = new ExplorerView(model, root);
  root.__gdlabExplorer = view; // for the browser tests and the benchmark
  return () => view.destroy();
}

export default { render };
