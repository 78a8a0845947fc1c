// digitpred page: draw or upload a digit, ask /api/predict, show the answer.
// No inline code anywhere (the page is meant to run under a strict CSP), so all wiring lives here.

const config = JSON.parse(document.getElementById("config").textContent);
const $ = (id) => document.getElementById(id);

/* ---------- result panel (shared by both modes) ---------- */

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
};

const pct = (p) => `${(p * 100).toFixed(1)}%`;

function show(which) {
  ui.placeholder.hidden = which !== "placeholder";
  ui.error.hidden = which !== "error";
  ui.body.hidden = which !== "result";
}

function showResult(data) {
  ui.digit.textContent = String(data.digit);
  ui.confidence.textContent = pct(data.confidence);
  ui.uncertain.hidden = !data.uncertain;
  // Only accept a data: image, never an arbitrary URL from the response.
  if (typeof data.input === "string" && data.input.startsWith("data:image/")) ui.input.src = data.input;
  ui.bars.forEach((li, i) => {
    const p = Number(data.probabilities?.[i]) || 0;
    li.querySelector("progress").value = p;
    li.querySelector(".bar-pct").textContent = pct(p);
    li.classList.toggle("winner", i === data.digit);
  });
  show("result");
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

// Every request gets a ticket; only the newest ticket may touch the panel (stale answers are dropped).
let latestTicket = 0;

async function send(blob, filename, stillWanted = () => true) {
  const ticket = ++latestTicket;
  const current = () => ticket === latestTicket && stillWanted();
  setBusy(true);
  try {
    const body = new FormData();
    body.append("image", blob, filename);
    const res = await fetch(config.predictUrl, { method: "POST", body, headers: { Accept: "application/json" } });
    const data = await res.json().catch(() => null);
    if (!current()) return;
    if (res.ok && data && typeof data.digit === "number") showResult(data);
    else showError(data?.error?.message || `The server answered ${res.status} ${res.statusText}.`.trim());
  } catch {
    if (current()) showError("Could not reach the server. Check your connection and try again.");
  } finally {
    if (ticket === latestTicket) setBusy(false);
  }
}

/* ---------- drawing pad ---------- */

const SIZE = 280; // logical size in CSS pixels; the model input is scaled from this
const LINE_WIDTH = 18;
const canvas = $("pad");
const ctx = canvas.getContext("2d");
const strokes = []; // each stroke: [{x, y}, ...] in logical pixels, kept so Undo can redraw
let active = null; // { id, points } while a pointer is down
let version = 0; // bumps on every change so answers for an older drawing can be dropped
let frame = 0;

function setupCanvas() {
  const dpr = Math.max(1, window.devicePixelRatio || 1);
  canvas.width = Math.round(SIZE * dpr);
  canvas.height = Math.round(SIZE * dpr);
  ctx.setTransform(canvas.width / SIZE, 0, 0, canvas.height / SIZE, 0, 0);
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
  c.fillRect(0, 0, SIZE, SIZE);
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
  // Measure the content box (inside the border); CSS may shrink the canvas on narrow screens.
  const r = canvas.getBoundingClientRect();
  const x = e.clientX - r.left - canvas.clientLeft;
  const y = e.clientY - r.top - canvas.clientTop;
  return { x: (x * SIZE) / canvas.clientWidth, y: (y * SIZE) / canvas.clientHeight };
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
  updateButtons();
}

function updateButtons() {
  $("undo").disabled = strokes.length === 0;
}

$("undo").addEventListener("click", () => {
  strokes.pop();
  changed();
  render();
  if (strokes.length) scheduleAuto();
  else resetResult();
});

$("clear").addEventListener("click", () => {
  strokes.length = 0;
  changed();
  render();
  resetResult();
});

function resetResult() {
  clearTimeout(autoTimer);
  latestTicket++; // drop anything still in flight
  setBusy(false);
  show("placeholder");
}

// Export at 280×280 whatever the devicePixelRatio, so every drawing reaches the server the same size.
function exportPng() {
  const out = document.createElement("canvas");
  out.width = out.height = SIZE;
  paint(out.getContext("2d"));
  return new Promise((resolve) => out.toBlob(resolve, "image/png"));
}

// At most one drawing request in flight; a request asked for meanwhile runs once it is done.
let drawBusy = false;
let drawQueued = false;

async function predictDrawing() {
  if (!strokes.length) {
    showError("Draw a digit first.");
    return;
  }
  if (drawBusy) {
    drawQueued = true;
    return;
  }
  drawBusy = true;
  try {
    const sent = version;
    const blob = await exportPng();
    if (blob) await send(blob, "drawing.png", () => version === sent);
    else showError("This browser could not export the drawing.");
  } finally {
    drawBusy = false;
    if (drawQueued) {
      drawQueued = false;
      if (strokes.length) predictDrawing();
    }
  }
}

let autoTimer = 0;
function scheduleAuto() {
  clearTimeout(autoTimer);
  if ($("auto").checked) autoTimer = setTimeout(predictDrawing, 300);
}

$("predict").addEventListener("click", () => {
  clearTimeout(autoTimer);
  predictDrawing();
});

/* ---------- upload ---------- */

const form = $("upload-form");
const fileInput = form.querySelector('input[type="file"]');
const preview = $("preview");
let previewUrl = "";

fileInput.addEventListener("change", () => {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  const file = fileInput.files[0];
  previewUrl = file ? URL.createObjectURL(file) : "";
  preview.hidden = !file;
  if (file) preview.src = previewUrl;
  else preview.removeAttribute("src");
});

form.addEventListener("submit", (e) => {
  e.preventDefault(); // with JS we use the JSON API; without JS the form posts to the page
  const file = fileInput.files[0];
  if (!file) {
    showError("Choose an image file.");
    fileInput.focus();
    return;
  }
  send(file, file.name);
});

/* ---------- tabs (WAI-ARIA tabs pattern: arrows, Home, End) ---------- */

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
setupCanvas();
updateButtons();
// Re-scale when the page moves to a screen with another pixel ratio (or the user zooms).
window.addEventListener("resize", () => {
  const dpr = Math.max(1, window.devicePixelRatio || 1);
  if (canvas.width !== Math.round(SIZE * dpr)) setupCanvas();
});
