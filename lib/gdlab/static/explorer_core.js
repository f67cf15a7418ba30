// The optimizer explorer's mathematics, as pure functions (no DOM): importable in Node, and the
// first half of the widget's ES module (gdlab/widgets.py prepends it to explorer.js).
//
// The problem is Section 4.4's quadratic f(w) = 1/2 w^T A w in two variables, with
// A = U diag(1, kappa) U^T and U the rotation by `angle` (radians): exactly
// gdlab.problems.Quadratic([1, kappa], angle=angle). Each update below mirrors the `_step` of the
// same class in gdlab/optim.py, operation for operation; tests/test_widgets.py holds the two to
// 1e-9 relative on a grid of settings.

export const METHODS = ["gd", "heavy_ball", "nesterov", "newton"];
export const METHOD_NAMES = {
  gd: "GD",
  heavy_ball: "Heavy ball",
  nesterov: "Nesterov",
  newton: "Newton",
};
// An iterate this far from the minimiser (the plot spans |w| <= 2) counts as diverged.
export const HUGE = 1e6;
export const KAPPA_RANGE = [1, 1000];
export const BETA_MAX = 0.999;
export const STEPS_RANGE = [1, 1000];
export const START_RANGE = 2;
export const NEWTON_LR_MAX = 2.5;
export const DAMPING_RANGE = [0.01, 1000];

export const DEFAULTS = Object.freeze({
  method: "gd",
  kappa: 10,
  angle: Math.PI / 6,
  lr: 0.15,
  beta: 0.5,
  damping: 0,
  newton_lr: 1,
  start: [-1.6, 1.1],
  steps: 100,
  t: 0,
});

/** The quadratic of Section 4.4: A = U diag(1, kappa) U^T, U the rotation by `angle`. */
export function makeProblem(kappa, angle) {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const l1 = 1;
  const l2 = kappa;
  // (U diag(lambda)) U^T, then symmetrised, in gdlab.problems.Quadratic's order.
  const m11 = c * l1 * c + -s * l2 * -s;
  const m12 = c * l1 * s + -s * l2 * c;
  const m21 = s * l1 * c + c * l2 * -s;
  const m22 = s * l1 * s + c * l2 * c;
  return {
    kappa,
    angle,
    cos: c,
    sin: s,
    eigenvalues: [l1, l2],
    L: Math.max(Math.abs(l1), Math.abs(l2)),
    mu: Math.min(l1, l2),
    a11: (m11 + m11) / 2,
    a12: (m12 + m21) / 2,
    a22: (m22 + m22) / 2,
  };
}

/** grad f(w) = A w, written into out[0], out[1]. */
function gradInto(p, x, y, out) {
  out[0] = p.a11 * x + p.a12 * y;
  out[1] = p.a12 * x + p.a22 * y;
}

/** f(w) = 1/2 w^T (A w). */
export function value(p, x, y) {
  const ax = p.a11 * x + p.a12 * y;
  const ay = p.a12 * x + p.a22 * y;
  return 0.5 * (x * ax + y * ay);
}

/** hat-w = U^T w: the eigen-coordinates (flat direction first, as in Quadratic.to_eigenbasis). */
export function toEigenbasis(p, x, y) {
  return [p.cos * x + p.sin * y, -p.sin * x + p.cos * y];
}

/** Solve [[h11, h12], [h12, h22]] [u, v] = [g1, g2] by LU with partial pivoting (as LAPACK). */
function solve2(h11, h12, h21, h22, g1, g2) {
  if (Math.abs(h21) > Math.abs(h11)) {
    // swap the rows
    [h11, h12, h21, h22] = [h21, h22, h11, h12];
    [g1, g2] = [g2, g1];
  }
  const l = h21 / h11;
  const u22 = h22 - l * h12;
  const z2 = g2 - l * g1;
  const v = z2 / u22;
  const u = (g1 - h12 * v) / h11;
  return [u, v];
}

/**
 * Run one method from `settings.start` for `settings.steps` steps.
 *
 * Returns typed arrays x, y (the iterates w_0 ... w_{count-1}) and f (their values), `count`,
 * and `diverged`: the index of the first iterate that is not finite or farther than HUGE from
 * the minimiser (it is not stored), or null.
 */
export function simulate(settings, method = settings.method) {
  const p = settings.problem || makeProblem(settings.kappa, settings.angle);
  const steps = settings.steps;
  const lr = method === "newton" ? settings.newton_lr : settings.lr;
  const beta = settings.beta;
  const damping = settings.damping;
  const x = new Float64Array(steps + 1);
  const y = new Float64Array(steps + 1);
  const f = new Float64Array(steps + 1);
  let w1 = settings.start[0];
  let w2 = settings.start[1];
  let v1 = 0; // velocity v_{t-1} (heavy ball, Nesterov), v_0 = 0
  let v2 = 0;
  const g = [0, 0];
  x[0] = w1;
  y[0] = w2;
  f[0] = value(p, w1, w2);
  let count = 1;
  let diverged = null;
  for (let t = 1; t <= steps; t++) {
    let n1;
    let n2;
    if (method === "gd") {
      gradInto(p, w1, w2, g); // grad f(w_t)
      n1 = w1 - lr * g[0]; // w_{t+1} = w_t - eta grad f(w_t)
      n2 = w2 - lr * g[1];
    } else if (method === "heavy_ball") {
      gradInto(p, w1, w2, g); // grad f(w_t)
      v1 = beta * v1 + lr * g[0]; // v_t = beta v_{t-1} + eta grad f(w_t)
      v2 = beta * v2 + lr * g[1];
      n1 = w1 - v1; // w_{t+1} = w_t - v_t
      n2 = w2 - v2;
    } else if (method === "nesterov") {
      const look1 = -beta * v1 + w1; // w_t - beta v_{t-1}
      const look2 = -beta * v2 + w2;
      gradInto(p, look1, look2, g); // grad f(w_t - beta v_{t-1})
      v1 = beta * v1 + lr * g[0]; // v_t = beta v_{t-1} + eta grad f(w_t - beta v_{t-1})
      v2 = beta * v2 + lr * g[1];
      n1 = w1 - v1; // w_{t+1} = w_t - v_t
      n2 = w2 - v2;
    } else if (method === "newton") {
      gradInto(p, w1, w2, g); // grad f(w_t)
      // (H_t + damping I)^{-1} grad f(w_t), Eq. (4.6), with H_t = A
      const [d1, d2] = solve2(p.a11 + damping, p.a12, p.a12, p.a22 + damping, g[0], g[1]);
      n1 = w1 - lr * d1; // w_{t+1} = w_t - eta (H_t + damping I)^{-1} grad f(w_t), Eq. (4.7)
      n2 = w2 - lr * d2;
    } else {
      throw new Error(`unknown method ${JSON.stringify(method)}`);
    }
    if (!(Number.isFinite(n1) && Number.isFinite(n2)) || Math.hypot(n1, n2) > HUGE) {
      diverged = t;
      break;
    }
    w1 = n1;
    w2 = n2;
    x[t] = w1;
    y[t] = w2;
    f[t] = value(p, w1, w2);
    count = t + 1;
  }
  return { method, x, y, f, count, diverged };
}

// -- rates (gdlab.rates, for the quadratic's two eigenvalues) ------------------------------------

/** Largest |z| over the roots of z^2 - tr z + det (real coefficients). */
export function largestRootModulus(tr, det) {
  const disc = tr * tr - 4 * det;
  if (disc >= 0) {
    const root = Math.sqrt(disc);
    return Math.max(Math.abs((tr + root) / 2), Math.abs((tr - root) / 2));
  }
  // complex pair: |z|^2 = det
  return Math.sqrt(Math.abs(det));
}

/**
 * Per-eigendirection contraction factors [rho_1, rho_2] of `method`: the error along
 * eigenvector i shrinks like rho_i^t (for heavy ball and Nesterov, up to a factor polynomial in
 * t when the two roots coincide).
 */
export function directionRates(settings, method = settings.method) {
  const lambdas = [1, settings.kappa];
  return lambdas.map((lambda) => {
    if (method === "gd") return Math.abs(1 - settings.lr * lambda);
    if (method === "heavy_ball") {
      return largestRootModulus(1 + settings.beta - settings.lr * lambda, settings.beta);
    }
    if (method === "nesterov") {
      const factor = 1 - settings.lr * lambda;
      return largestRootModulus(factor * (1 + settings.beta), factor * settings.beta);
    }
    if (method === "newton") {
      return Math.abs(1 - (settings.newton_lr * lambda) / (lambda + settings.damping));
    }
    throw new Error(`unknown method ${JSON.stringify(method)}`);
  });
}

/** The spectral radius of the method's iteration: the slower of the two directions. */
export function rate(settings, method = settings.method) {
  return Math.max(...directionRates(settings, method));
}

/** Heavy ball's spectral radius on eigenvalues {1, kappa} (the (lr, beta) map's colour). */
export function heavyBallRate(kappa, lr, beta) {
  return Math.max(
    largestRootModulus(1 + beta - lr, beta),
    largestRootModulus(1 + beta - lr * kappa, beta),
  );
}

/** The largest lr shown on the lr slider and the map: 4/L, beyond heavy ball's limit 2(1+beta)/L. */
export function lrMax(kappa) {
  return 4 / kappa;
}

/**
 * Tuned settings for each method on eigenvalues [mu, L] = [1, kappa]:
 * GD 2/(L + mu); heavy ball Polyak's (4/(sqrt L + sqrt mu)^2, ((sqrt kappa - 1)/(sqrt kappa + 1))^2);
 * Nesterov the textbook 1/L with beta = (sqrt kappa - 1)/(sqrt kappa + 1); Newton lr 1, no damping.
 */
export function tuned(kappa, method) {
  const L = kappa;
  const mu = 1;
  const rootKappa = Math.sqrt(kappa);
  if (method === "gd") return { lr: 2 / (L + mu) };
  if (method === "heavy_ball") {
    return {
      lr: 4 / (Math.sqrt(L) + Math.sqrt(mu)) ** 2,
      beta: ((rootKappa - 1) / (rootKappa + 1)) ** 2,
    };
  }
  if (method === "nesterov") return { lr: 1 / L, beta: (rootKappa - 1) / (rootKappa + 1) };
  if (method === "newton") return { newton_lr: 1, damping: 0 };
  throw new Error(`unknown method ${JSON.stringify(method)}`);
}

// -- settings: validation and the URL hash -------------------------------------------------------

const clamp = (value, lo, hi) => Math.min(hi, Math.max(lo, value));

/**
 * Validate a partial settings object (e.g. read from a URL): drop what is malformed, clamp
 * numbers into the explorer's ranges. Returns only the keys that were given and usable.
 */
export function sanitize(partial) {
  const out = {};
  const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  if (partial.method !== undefined && (METHODS.includes(partial.method) || partial.method === "all")) {
    out.method = partial.method;
  }
  const kappa = num(partial.kappa);
  if (kappa !== null) out.kappa = clamp(kappa, KAPPA_RANGE[0], KAPPA_RANGE[1]);
  const angle = num(partial.angle);
  if (angle !== null) out.angle = clamp(angle, 0, Math.PI);
  const lr = num(partial.lr);
  if (lr !== null && lr > 0) out.lr = lr;
  const beta = num(partial.beta);
  if (beta !== null) out.beta = clamp(beta, 0, BETA_MAX);
  const damping = num(partial.damping);
  if (damping !== null) out.damping = clamp(damping, 0, DAMPING_RANGE[1]);
  const newtonLr = num(partial.newton_lr);
  if (newtonLr !== null && newtonLr > 0) out.newton_lr = Math.min(newtonLr, NEWTON_LR_MAX);
  if (Array.isArray(partial.start) && partial.start.length === 2) {
    const [sx, sy] = partial.start.map(num);
    if (sx !== null && sy !== null) {
      out.start = [clamp(sx, -START_RANGE, START_RANGE), clamp(sy, -START_RANGE, START_RANGE)];
    }
  }
  const steps = num(partial.steps);
  if (steps !== null) out.steps = clamp(Math.round(steps), STEPS_RANGE[0], STEPS_RANGE[1]);
  const t = num(partial.t);
  if (t !== null) out.t = Math.max(0, Math.round(t));
  return out;
}

// The hash keys, in order; `angle` is written in degrees, everything else as is.
const HASH_KEYS = ["method", "kappa", "angle", "lr", "beta", "damping", "newton_lr", "x0", "y0", "steps", "t"];

/** Shortest decimal that reads back to the same double. */
const exact = (v) => String(v);

/** "method:gd,kappa:100,angle:30,..." for a full settings object. */
export function encodeSettings(s) {
  const values = {
    method: s.method,
    kappa: exact(s.kappa),
    angle: exact(Number(((s.angle * 180) / Math.PI).toPrecision(12))),
    lr: exact(s.lr),
    beta: exact(s.beta),
    damping: exact(s.damping),
    newton_lr: exact(s.newton_lr),
    x0: exact(s.start[0]),
    y0: exact(s.start[1]),
    steps: exact(s.steps),
    t: exact(s.t),
  };
  return HASH_KEYS.map((key) => `${key}:${values[key]}`).join(",");
}

/** The inverse of encodeSettings, sanitised; unknown or malformed entries are ignored. */
export function decodeSettings(text) {
  const raw = {};
  for (const entry of String(text).split(",")) {
    const colon = entry.indexOf(":");
    if (colon < 0) continue;
    const key = entry.slice(0, colon).trim();
    const value = entry.slice(colon + 1).trim();
    if (!HASH_KEYS.includes(key)) continue;
    raw[key] = key === "method" ? value : value === "" ? NaN : Number(value);
  }
  const partial = { ...raw };
  delete partial.x0;
  delete partial.y0;
  if (raw.angle !== undefined) partial.angle = (raw.angle * Math.PI) / 180;
  if (raw.x0 !== undefined && raw.y0 !== undefined) partial.start = [raw.x0, raw.y0];
  return sanitize(partial);
}

/** The value stored under `key` in a hash like "#explorer=...&other=...", or null. */
export function readHash(hash, key) {
  const body = String(hash || "").replace(/^#/, "");
  for (const part of body.split("&")) {
    const eq = part.indexOf("=");
    if (eq > 0 && decodeURIComponent(part.slice(0, eq)) === key) {
      return decodeURIComponent(part.slice(eq + 1));
    }
  }
  return null;
}

/** The hash with `key` set to `value` (other entries kept, in place), starting with "#". */
export function writeHash(hash, key, value) {
  const body = String(hash || "").replace(/^#/, "");
  const parts = body ? body.split("&") : [];
  // Commas and colons stay readable in the address bar; everything else is escaped.
  const encoded = `${encodeURIComponent(key)}=${encodeURIComponent(value).replace(/%2C/g, ",").replace(/%3A/g, ":")}`;
  let found = false;
  const next = parts.map((part) => {
    const eq = part.indexOf("=");
    if (eq > 0 && decodeURIComponent(part.slice(0, eq)) === key) {
      found = true;
      return encoded;
    }
    return part;
  });
  if (!found) next.push(encoded);
  return `#${next.join("&")}`;
}

// -- what a screen reader hears ------------------------------------------------------------------

/** A number as a listener hears it: 2 significant digits (3 for a rate), "3.2e-4" when tiny. */
export function spoken(v, digits = 2) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return v > 0 ? "infinity" : String(v);
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(digits)));
  return v.toExponential(digits - 1).replace("e+", "e");
}

/**
 * The state after a step or a change, in one sentence for the explorer's polite live region:
 * "GD, step 12 of 100, f − f* = 3.2e-4, rate 0.985" (with all four methods, one clause each).
 * `runs` are simulate()'s results for the methods shown, `rates` directionRates() per method.
 */
export function announcement(settings, runs, rates) {
  const clause = (run) => {
    const rho = Math.max(...rates[run.method]);
    const at = Math.min(settings.t, run.count - 1);
    const state =
      run.diverged !== null ? `diverged at step ${run.diverged}` : `f \u2212 f* = ${spoken(run.f[at])}`;
    return `${state}, rate ${spoken(rho, 3)}${rho > 1 && run.diverged === null ? ", the error grows" : ""}`;
  };
  const step = `step ${settings.t} of ${settings.steps}`;
  if (runs.length === 1) return `${METHOD_NAMES[runs[0].method]}, ${step}, ${clause(runs[0])}`;
  return `All four, ${step}: ${runs.map((run) => `${METHOD_NAMES[run.method]}, ${clause(run)}`).join("; ")}`;
}
