// digitpred page: draw a digit, write a number or upload an image, ask /api/predict, show the answer.
// No inline code anywhere (the page is meant to run under a strict CSP), so all wiring lives here.
// Box overlays are positioned through the CSSOM (element.style), which a strict style-src allows.

const config = JSON.parse(document.getElementById("config").textContent);
const $ = (id) => document.getElementById(id);

/* ---------- result panel (shared by every mode) ---------- */

const resultRegion = $("result");
const ui = {
  status: $("result-status"),
  placeholder: $("result-placeholder"),
  error: $("result-error"),
  body: $("result-body"),
  digit: $("result-digit"),
  confidence: $("result-confidence"),
  uncertain: $("result-uncertain"),
  input: $("result-input"),
  bars: [...document.querySelectorAll("#result-bars .bar")],
  numberBody: $("number-body"),
  number: $("number-value"),
  numberConfidence: $("number-confidence"),
  numberUncertain: $("number-uncertain"),
  numberDigits: $("number-digits"),
};

const pct = (p) => `${(p * 100).toFixed(1)}%`;
// Only accept a data: image, never an arbitrary URL from the response.
const isDataImage = (s) => typeof s === "string" && s.startsWith("data:image/");

function show(which) {
  ui.placeholder.hidden = which !== "placeholder";
  ui.error.hidden = which !== "error";
  ui.body.hidden = which !== "result";
  ui.numberBody.hidden = which !== "number";
}

function showResult(data) {
  ui.digit.textContent = String(data.digit);
  ui.confidence.textContent = pct(data.confidence);
  ui.uncertain.hidden = !data.uncertain;
  if (isDataImage(data.input)) ui.input.src = data.input;
  ui.bars.forEach((li, i) => {
    const p = Number(data.probabilities?.[i]) || 0;
    li.querySelector("progress").value = p;
    li.querySelector(".bar-pct").textContent = pct(p);
    li.classList.toggle("winner", i === data.digit);
  });
  show("result");
}

const isNumberAnswer = (data) =>
  data && typeof data.number === "string" && Array.isArray(data.digits) && data.digits.length > 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function showNumber(data) {
  ui.number.textContent = data.number;
  ui.numberConfidence.textContent = pct(Number(data.confidence) || 0);
  const doubtful = data.digits.filter((d) => d.uncertain).length;
  ui.numberUncertain.hidden = doubtful === 0;
  ui.numberUncertain.textContent =
    doubtful === 1 ? "One digit is doubtful (marked below)." : `${doubtful} digits are doubtful (marked below).`;
  const items = data.digits.map((d, i) => {
    const li = el("li", d.uncertain ? "digit-card doubtful" : "digit-card");
    const img = el("img");
    img.width = img.height = 56;
    img.alt = `The 28 × 28 image the model saw for digit ${i + 1}`;
    if (isDataImage(d.input)) img.src = d.input;
    li.append(img, el("span", "digit-value", String(d.digit)), el("span", "digit-conf", pct(Number(d.confidence) || 0)));
    if (d.uncertain) li.append(el("span", "digit-flag", "Doubtful"));
    return li;
  });
  ui.numberDigits.replaceChildren(...items);
  show("number");
}

function showError(message) {
  ui.error.textContent = message;
  show("error");
}

function setBusy(busy) {
  resultRegion.setAttribute("aria-busy", String(busy));
  resultRegion.classList.toggle("busy", busy);
  ui.status.hidden = !busy;
}

/* ---------- boxes over a canvas or an image (one per digit read) ---------- */

// overlay: an absolutely positioned, aria-hidden element in the same position:relative wrapper as target.
// fit: "fill" when the target's content box shows the whole image stretched (the canvas),
//      "contain" for an <img> with object-fit: contain (the upload preview).
function makeOverlay(overlay, target, fit) {
  let last = null; // { digits, size } with size() the image's own pixel size, read when placing

  function place() {
    overlay.replaceChildren();
    if (!last || !target.clientWidth) return;
    const { digits } = last;
    const [width, height] = last.size();
    if (!(width > 0 && height > 0)) return; // e.g. the preview has not loaded yet: placed on its resize
    const cw = target.clientWidth;
    const ch = target.clientHeight;
    let sx = cw / width;
    let sy = ch / height;
    let ox = 0;
    let oy = 0;
    if (fit === "contain") {
      sx = sy = Math.min(sx, sy);
      ox = (cw - width * sx) / 2;
      oy = (ch - height * sy) / 2;
    }
    // target's content box, relative to the wrapper (its offsetParent)
    const left = target.offsetLeft + target.clientLeft + ox;
    const top = target.offsetTop + target.clientTop + oy;
    for (const d of digits) {
      const [x, y, w, h] = (Array.isArray(d.box) ? d.box : []).map(Number);
      if (![x, y, w, h].every(Number.isFinite)) continue;
      const box = el("div", d.uncertain ? "box doubtful" : "box");
      box.style.left = `${left + x * sx}px`;
      box.style.top = `${top + y * sy}px`;
      box.style.width = `${Math.max(2, w * sx)}px`;
      box.style.height = `${Math.max(2, h * sy)}px`;
      const label = el("span", "box-label", d.uncertain ? `${d.digit}?` : String(d.digit));
      if (y * sy < 20) label.classList.add("below"); // no room above the box: put the label under it
      box.append(label);
      overlay.append(box);
    }
  }

  new ResizeObserver(place).observe(target);
  return {
    show(digits, size) {
      last = { digits, size };
      place();
    },
    clear() {
      last = null;
      overlay.replaceChildren();
    },
  };
}

/* ---------- sending ---------- */

// Every request gets a ticket; only the newest ticket may touch the panel (stale answers are dropped).
let latestTicket = 0;

// size(): the image's own pixel size, for mapping the boxes of a number onto the overlay.
async function send(blob, filename, { mode = "digit", stillWanted = () => true, overlay = null, size = null } = {}) {
  const ticket = ++latestTicket;
  const current = () => ticket === latestTicket && stillWanted();
  setBusy(true);
  try {
    const body = new FormData();
    body.append("image", blob, filename);
    body.append("mode", mode);
    const res = await fetch(config.predictUrl, { method: "POST", body, headers: { Accept: "application/json" } });
    const data = await res.json().catch(() => null);
    if (!current()) return;
    if (res.ok && mode === "number" && isNumberAnswer(data)) {
      showNumber(data);
      if (size) overlay?.show(data.digits, size);
    } else if (res.ok && mode === "digit" && data && typeof data.digit === "number") {
      showResult(data);
    } else {
      overlay?.clear();
      showError(data?.error?.message || `The server answered ${res.status} ${res.statusText}.`.trim());
    }
  } catch {
    if (current()) showError("Could not reach the server. Check your connection and try again.");
  } finally {
    if (ticket === latestTicket) setBusy(false);
  }
}

function resetResult() {
  latestTicket++; // drop anything still in flight
  setBusy(false);
  show("placeholder");
}

/* ---------- drawing pads (one digit, or a number on a wide canvas) ---------- */

const LINE_WIDTH = 18; // in logical pixels, the same on both pads

function createPad({ canvas, width, height, undo, clear, predict, auto, mode, overlay = null, filename, empty }) {
  const ctx = canvas.getContext("2d");
  const strokes = []; // each stroke: [{x, y}, ...] in logical pixels, kept so Undo can redraw
  let active = null; // { id, points } while a pointer is down
  let version = 0; // bumps on every change so answers for an older drawing can be dropped
  let frame = 0;
  let autoTimer = 0;

  function setup() {
    const dpr = Math.max(1, window.devicePixelRatio || 1);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(canvas.width / width, 0, 0, canvas.height / height, 0, 0);
    render();
  }

  function drawStroke(c, pts) {
    if (pts.length === 1) {
      c.beginPath();
      c.arc(pts[0].x, pts[0].y, LINE_WIDTH / 2, 0, Math.PI * 2);
      c.fill();
      return;
    }
    // Quadratic curves through segment midpoints smooth out the polyline.
    c.beginPath();
    c.moveTo(pts[0].x, pts[0].y);
    for (let i = 1; i < pts.length - 1; i++) {
      const mx = (pts[i].x + pts[i + 1].x) / 2;
      const my = (pts[i].y + pts[i + 1].y) / 2;
      c.quadraticCurveTo(pts[i].x, pts[i].y, mx, my);
    }
    const last = pts[pts.length - 1];
    c.lineTo(last.x, last.y);
    c.stroke();
  }

  function paint(c) {
    // White fill so the exported PNG has a white background, not transparency.
    c.fillStyle = "#fff";
    c.fillRect(0, 0, width, height);
    c.fillStyle = c.strokeStyle = "#000";
    c.lineWidth = LINE_WIDTH;
    c.lineCap = c.lineJoin = "round";
    for (const s of strokes) drawStroke(c, s);
    if (active) drawStroke(c, active.points);
  }

  function render() {
    frame = 0;
    paint(ctx);
  }

  const requestRender = () => { frame ||= requestAnimationFrame(render); };

  function pointFrom(e) {
    // Measure the content box (inside the border); CSS shrinks the canvas on narrow screens.
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left - canvas.clientLeft;
    const y = e.clientY - r.top - canvas.clientTop;
    return { x: (x * width) / canvas.clientWidth, y: (y * height) / canvas.clientHeight };
  }

  canvas.addEventListener("pointerdown", (e) => {
    if (active || (e.pointerType === "mouse" && e.button !== 0)) return; // one finger/pen at a time
    e.preventDefault();
    clearTimeout(autoTimer); // a digit may take several strokes: wait until the user pauses
    canvas.setPointerCapture(e.pointerId);
    active = { id: e.pointerId, points: [pointFrom(e)] };
    requestRender();
  });

  canvas.addEventListener("pointermove", (e) => {
    if (!active || e.pointerId !== active.id) return;
    const events = e.getCoalescedEvents?.() ?? [];
    for (const ev of events.length ? events : [e]) active.points.push(pointFrom(ev));
    requestRender();
  });

  function endStroke(e) {
    if (!active || e.pointerId !== active.id) return;
    strokes.push(active.points);
    active = null;
    changed();
    requestRender();
    scheduleAuto();
  }
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) canvas.addEventListener(type, endStroke);

  function changed() {
    version++;
    overlay?.clear(); // the boxes belong to the previous drawing
    undo.disabled = strokes.length === 0;
  }

  undo.addEventListener("click", () => {
    strokes.pop();
    changed();
    render();
    if (strokes.length) scheduleAuto();
    else reset();
  });

  clear.addEventListener("click", () => {
    strokes.length = 0;
    changed();
    render();
    reset();
  });

  function reset() {
    clearTimeout(autoTimer);
    resetResult();
  }

  // Export at the logical size whatever the devicePixelRatio, so every drawing reaches the server the same size.
  function exportPng() {
    const out = document.createElement("canvas");
    out.width = width;
    out.height = height;
    paint(out.getContext("2d"));
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }

  // At most one request in flight per pad; a request asked for meanwhile runs once it is done.
  let busy = false;
  let queued = false;

  async function predictDrawing() {
    if (!strokes.length) {
      showError(empty);
      return;
    }
    if (busy) {
      queued = true;
      return;
    }
    busy = true;
    try {
      const sent = version;
      const blob = await exportPng();
      if (blob) {
        await send(blob, filename, { mode, overlay, stillWanted: () => version === sent, size: () => [width, height] });
      } else showError("This browser could not export the drawing.");
    } finally {
      busy = false;
      if (queued) {
        queued = false;
        if (strokes.length) predictDrawing();
      }
    }
  }

  function scheduleAuto() {
    clearTimeout(autoTimer);
    if (auto.checked) autoTimer = setTimeout(predictDrawing, 300);
  }

  predict.addEventListener("click", () => {
    clearTimeout(autoTimer);
    predictDrawing();
  });

  undo.disabled = true;
  setup();
  // Re-scale when the page moves to a screen with another pixel ratio (or the user zooms).
  window.addEventListener("resize", () => {
    const dpr = Math.max(1, window.devicePixelRatio || 1);
    if (canvas.width !== Math.round(width * dpr)) setup();
  });
  return { cancelAuto: () => clearTimeout(autoTimer) };
}

const pads = [
  createPad({
    canvas: $("pad"), width: 280, height: 280,
    undo: $("undo"), clear: $("clear"), predict: $("predict"), auto: $("auto"),
    mode: "digit", filename: "drawing.png", empty: "Draw a digit first.",
  }),
  createPad({
    canvas: $("pad-number"), width: 840, height: 280,
    undo: $("undo-number"), clear: $("clear-number"), predict: $("predict-number"), auto: $("auto-number"),
    mode: "number", filename: "number.png", empty: "Write a number first.",
    overlay: makeOverlay($("boxes-number"), $("pad-number"), "fill"),
  }),
];

/* ---------- upload ---------- */

const form = $("upload-form");
const fileInput = form.querySelector('input[type="file"]');
const preview = $("preview");
const previewWrap = $("preview-wrap");
const uploadBoxes = makeOverlay($("boxes-upload"), preview, "contain");
let previewUrl = "";

const uploadMode = () => (form.querySelector('input[name="mode"]:checked')?.value === "number" ? "number" : "digit");

fileInput.addEventListener("change", () => {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  uploadBoxes.clear();
  const file = fileInput.files[0];
  previewUrl = file ? URL.createObjectURL(file) : "";
  previewWrap.hidden = !file;
  if (file) preview.src = previewUrl;
  else preview.removeAttribute("src");
});

for (const radio of form.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", () => uploadBoxes.clear());

form.addEventListener("submit", (e) => {
  e.preventDefault(); // with JS we use the JSON API; without JS the form posts to the page
  const file = fileInput.files[0];
  if (!file) {
    showError("Choose an image file.");
    fileInput.focus();
    return;
  }
  uploadBoxes.clear();
  send(file, file.name, {
    mode: uploadMode(),
    overlay: uploadBoxes,
    size: () => [preview.naturalWidth, preview.naturalHeight],
  });
});

/* ---------- tabs (WAI-ARIA tabs pattern: arrows, Home, End) ---------- */

const layout = $("layout");
const tablist = document.querySelector('[role="tablist"]');
const tabs = [...tablist.querySelectorAll('[role="tab"]')];

function selectMode(mode, focus = false) {
  for (const tab of tabs) {
    const on = tab.dataset.mode === mode;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) tab.focus();
  }
  // The wide number canvas takes the whole row; the result goes below it.
  layout.classList.toggle("wide", mode === "number");
  for (const pad of pads) pad.cancelAuto();
  // An answer still on its way belongs to the other mode: drop it, keep whatever is shown.
  if (resultRegion.classList.contains("busy")) {
    latestTicket++;
    setBusy(false);
  }
}

tablist.addEventListener("click", (e) => {
  const tab = e.target.closest('[role="tab"]');
  if (tab) selectMode(tab.dataset.mode);
});

tablist.addEventListener("keydown", (e) => {
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
  if (next === undefined) return;
  e.preventDefault();
  selectMode(tabs[(next + tabs.length) % tabs.length].dataset.mode, true);
});

/* ---------- start ---------- */

tablist.hidden = false;
selectMode(tablist.dataset.initialMode === "upload" ? "upload" : "draw");
