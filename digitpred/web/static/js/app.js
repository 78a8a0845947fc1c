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
  uncertainDigit: $("result-uncertain-digit"),
  announce: $("result-announce"),
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

// One sentence per answer in a polite status region: screen readers hear the digit and, above all, when the
// model is unsure (the visible note alone would not be read out if it was already showing for the last answer).
let announceTimer = 0;
function announce(text) {
  clearTimeout(announceTimer);
  ui.announce.textContent = "";
  // Emptied first and refilled a moment later, so the same sentence twice in a row is read out twice.
  announceTimer = setTimeout(() => { ui.announce.textContent = text; }, 50);
}

function show(which) {
  ui.placeholder.hidden = which !== "placeholder";
  ui.error.hidden = which !== "error";
  ui.body.hidden = which !== "result";
  ui.numberBody.hidden = which !== "number";
}

function showResult(data) {
  const uncertain = Boolean(data.uncertain);
  ui.digit.textContent = String(data.digit);
  ui.confidence.textContent = pct(data.confidence);
  ui.uncertain.hidden = !uncertain;
  ui.uncertainDigit.textContent = String(data.digit);
  ui.body.classList.toggle("is-uncertain", uncertain);
  if (isDataImage(data.input)) ui.input.src = data.input;
  ui.bars.forEach((li, i) => {
    const p = Number(data.probabilities?.[i]) || 0;
    li.querySelector("progress").value = p;
    li.querySelector(".bar-pct").textContent = pct(p);
    li.classList.toggle("winner", i === data.digit);
  });
  show("result");
  announce(
    uncertain
      ? `Digit ${data.digit}, low confidence: this may not be a ${data.digit} (only ${pct(data.confidence)} sure). ` +
          "Try writing it larger and clearer, or use a sharper image."
      : `Digit ${data.digit}, ${pct(data.confidence)} confident.`,
  );
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
  announce(
    `Number ${data.number}, ${pct(Number(data.confidence) || 0)} confident.` +
      (doubtful ? ` Low confidence: ${ui.numberUncertain.textContent}` : ""),
  );
}

function showError(message) {
  hideFeedback();
  ui.error.textContent = message;
  show("error");
  announce(message);
}

function setBusy(busy) {
  resultRegion.setAttribute("aria-busy", String(busy));
  resultRegion.classList.toggle("busy", busy);
  ui.status.hidden = !busy;
}

/* ---------- corrections: "That's right", or the true digit or number, sent with the same image ---------- */

const fb = {
  box: $("feedback"),
  right: $("feedback-right"),
  digits: $("feedback-digits"),
  numberForm: $("feedback-number"),
  numberInput: $("feedback-number-input"),
  status: $("feedback-status"),
};
const fbButtons = () => [...fb.box.querySelectorAll("button, input")];
let feedbackFor = null; // { blob, filename, mode, predicted } for the answer on show

function feedbackStatus(text, isError = false) {
  fb.status.textContent = text;
  fb.status.classList.toggle("is-error", isError);
}

function offerFeedback(answer) {
  feedbackFor = answer;
  const number = answer.mode === "number";
  fb.digits.hidden = number;
  fb.numberForm.hidden = !number;
  fb.numberInput.value = "";
  for (const node of fbButtons()) node.disabled = false;
  for (const b of fb.digits.querySelectorAll("[data-label]")) b.hidden = b.dataset.label === answer.predicted;
  feedbackStatus("");
  fb.box.hidden = false;
}

function hideFeedback() {
  feedbackFor = null;
  fb.box.hidden = true;
}

async function sendFeedback(truth) {
  const answer = feedbackFor;
  if (!answer) return;
  const body = new FormData();
  body.append("image", answer.blob, answer.filename);
  body.append("mode", answer.mode);
  body.append(answer.mode === "number" ? "number" : "label", truth);
  for (const node of fbButtons()) node.disabled = true;
  feedbackStatus("Sending…");
  let message = "";
  let ok = false;
  try {
    const res = await fetch(config.feedbackUrl, { method: "POST", body, headers: { Accept: "application/json" } });
    const data = await res.json().catch(() => null);
    ok = res.ok;
    message = ok
      ? truth === answer.predicted
        ? "Thank you for confirming."
        : `Thank you: saved as ${truth}. Corrections help train the next model.`
      : data?.error?.message || `The server answered ${res.status} ${res.statusText}.`.trim();
  } catch {
    message = "Could not reach the server. Check your connection and try again.";
  }
  if (feedbackFor !== answer) return; // a newer answer is on show
  feedbackStatus(message, !ok);
  if (!ok) for (const node of fbButtons()) node.disabled = false; // let them try again
}

fb.right.addEventListener("click", () => feedbackFor && sendFeedback(feedbackFor.predicted));
fb.digits.addEventListener("click", (e) => {
  const button = e.target.closest("[data-label]");
  if (button) sendFeedback(button.dataset.label);
});
fb.numberForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const value = fb.numberInput.value.trim();
  if (!/^[0-9]{1,12}$/.test(value)) {
    feedbackStatus("Type the number as digits only, up to 12.", true);
    fb.numberInput.focus();
    return;
  }
  sendFeedback(value);
});

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
      offerFeedback({ blob, filename, mode, predicted: data.number });
    } else if (res.ok && mode === "digit" && data && typeof data.digit === "number") {
      showResult(data);
      offerFeedback({ blob, filename, mode, predicted: String(data.digit) });
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
  hideFeedback();
  show("placeholder");
  announce("");
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

  function undoLast() {
    if (active || !strokes.length) return;
    strokes.pop();
    changed();
    render();
    if (strokes.length) scheduleAuto();
    else reset();
  }

  function clearAll() {
    if (active) return; // not in the middle of a stroke
    strokes.length = 0;
    changed();
    render();
    reset();
  }

  undo.addEventListener("click", undoLast);
  clear.addEventListener("click", clearAll);

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

  function predictNow() {
    clearTimeout(autoTimer);
    predictDrawing();
  }

  predict.addEventListener("click", predictNow);

  undo.disabled = true;
  setup();
  // Re-scale when the page moves to a screen with another pixel ratio (or the user zooms).
  window.addEventListener("resize", () => {
    const dpr = Math.max(1, window.devicePixelRatio || 1);
    if (canvas.width !== Math.round(width * dpr)) setup();
  });
  return { cancelAuto: () => clearTimeout(autoTimer), undo: undoLast, clear: clearAll, predict: predictNow };
}

const pads = {
  draw: createPad({
    canvas: $("pad"), width: 280, height: 280,
    undo: $("undo"), clear: $("clear"), predict: $("predict"), auto: $("auto"),
    mode: "digit", filename: "drawing.png", empty: "Draw a digit first.",
  }),
  number: createPad({
    canvas: $("pad-number"), width: 840, height: 280,
    undo: $("undo-number"), clear: $("clear-number"), predict: $("predict-number"), auto: $("auto-number"),
    mode: "number", filename: "number.png", empty: "Write a number first.",
    overlay: makeOverlay($("boxes-number"), $("pad-number"), "fill"),
  }),
};

/* ---------- upload ---------- */

const form = $("upload-form");
const fileInput = form.querySelector('input[name="image"]');
const preview = $("preview");
const previewWrap = $("preview-wrap");
const uploadBoxes = makeOverlay($("boxes-upload"), preview, "contain");
let previewUrl = "";
// The image to send: picked in the file input, dropped on the page or pasted. Kept here as well as in the
// input because a browser that cannot put a dropped file into the input still sends it.
let chosenFile = null;

const uploadMode = () => (form.querySelector('input[name="mode"]:checked')?.value === "number" ? "number" : "digit");

function setPreview(file) {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  uploadBoxes.clear();
  previewUrl = file ? URL.createObjectURL(file) : "";
  previewWrap.hidden = !file;
  if (file) preview.src = previewUrl;
  else preview.removeAttribute("src");
}

fileInput.addEventListener("change", () => {
  chosenFile = fileInput.files[0] || null;
  setPreview(chosenFile);
});

for (const radio of form.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", () => uploadBoxes.clear());

function predictUpload() {
  const file = chosenFile ?? fileInput.files[0]; // the input's own file too: a browser may restore it on Back
  if (!file) {
    showError("Choose an image file.");
    fileInput.focus();
    return;
  }
  uploadBoxes.clear();
  send(file, file.name || "image.png", {
    mode: uploadMode(),
    overlay: uploadBoxes,
    size: () => [preview.naturalWidth, preview.naturalHeight],
  });
}

form.addEventListener("submit", (e) => {
  e.preventDefault(); // with JS we use the JSON API; without JS the form posts to the page
  predictUpload();
});

const IMAGE_NAME = /\.(png|jpe?g|gif|bmp|webp)$/i;
const isImageFile = (file) => Boolean(file) && (file.type.startsWith("image/") || IMAGE_NAME.test(file.name || ""));

// A dropped or pasted image: show it on the Upload tab, as if it had been chosen there, and read it.
function useFile(file) {
  if (currentMode !== "upload") selectMode("upload");
  if (!isImageFile(file)) {
    showError("That is not an image: use a PNG, JPEG, GIF, BMP or WebP file.");
    return;
  }
  if (!file.name) file = new File([file], `pasted.${file.type.split("/")[1] || "png"}`, { type: file.type });
  try {
    // Put it in the input too, so the form shows its name and Predict sends it again.
    const transfer = new DataTransfer();
    transfer.items.add(file);
    fileInput.files = transfer.files;
  } catch {
    // An older browser: the input keeps its old value; chosenFile is what gets sent.
  }
  chosenFile = file;
  setPreview(file);
  predictUpload();
}

// The camera input (phones): a photo taken goes the same way as a dropped one.
const cameraInput = document.getElementById("camera");
if (cameraInput) {
  document.getElementById("camera-label").hidden = false;
  cameraInput.addEventListener("change", () => {
    if (cameraInput.files?.[0]) useFile(cameraInput.files[0]);
    cameraInput.value = "";
  });
}

/* ---------- drag and drop (onto the whole page, on the Upload tab) and paste (anywhere) ---------- */

const carriesFiles = (e) => Array.from(e.dataTransfer?.types ?? []).includes("Files");
let dragDepth = 0; // dragenter/dragleave fire for every element crossed: count them to know when the drag left

function setDragging(on) {
  document.body.classList.toggle("dragging-file", on && currentMode === "upload");
}

document.addEventListener("dragenter", (e) => {
  if (!carriesFiles(e)) return;
  dragDepth++;
  setDragging(true);
});

document.addEventListener("dragleave", (e) => {
  if (!carriesFiles(e)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) setDragging(false);
});

document.addEventListener("dragover", (e) => {
  if (!carriesFiles(e)) return;
  // Always cancelled, so a file dropped on another tab is refused instead of the browser opening it.
  e.preventDefault();
  e.dataTransfer.dropEffect = currentMode === "upload" ? "copy" : "none";
});

document.addEventListener("drop", (e) => {
  if (!carriesFiles(e)) return;
  e.preventDefault();
  dragDepth = 0;
  setDragging(false);
  if (currentMode !== "upload") return;
  const file = e.dataTransfer.files[0];
  if (file) useFile(file);
});

const TEXT_INPUT = 'textarea, [contenteditable]:not([contenteditable="false"]), ' +
  'input:not([type="button"], [type="checkbox"], [type="file"], [type="radio"], [type="reset"], [type="submit"])';
const isTextField = (node) => node instanceof Element && Boolean(node.closest(TEXT_INPUT));

document.addEventListener("paste", (e) => {
  if (isTextField(e.target)) return; // pasting text into a field stays what it is
  const data = e.clipboardData;
  if (!data) return;
  const item = Array.from(data.items ?? []).find((i) => i.kind === "file" && i.type.startsWith("image/"));
  const file = item?.getAsFile() ?? Array.from(data.files ?? []).find(isImageFile);
  if (!file) return;
  e.preventDefault();
  useFile(file);
});

/* ---------- tabs (WAI-ARIA tabs pattern: arrows, Home, End) ---------- */

const layout = $("layout");
let currentMode = "draw";
const tablist = document.querySelector('[role="tablist"]');
const tabs = [...tablist.querySelectorAll('[role="tab"]')];

function selectMode(mode, focus = false) {
  currentMode = mode;
  for (const tab of tabs) {
    const on = tab.dataset.mode === mode;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) tab.focus();
  }
  // The wide number canvas takes the whole row; the result goes below it.
  layout.classList.toggle("wide", mode === "number");
  for (const pad of Object.values(pads)) pad.cancelAuto();
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

/* ---------- keyboard: Enter predicts, Escape clears, Ctrl/Cmd+Z undoes ---------- */

// Where Enter already means something (press a button, follow a link, tick a box in the form, submit it),
// it keeps that meaning.
const USES_ENTER = "a[href], button, input, select, textarea, summary, [contenteditable]:not([contenteditable='false']), " +
  "[role='button'], [role='tab'], [role='link'], [role='checkbox'], form";
const usesEnter = (node) => node instanceof Element && Boolean(node.closest(USES_ENTER));

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.isComposing || e.altKey) return;
  const pad = pads[currentMode]; // undefined on the Upload tab
  const mod = e.ctrlKey || e.metaKey;
  if (e.key === "Enter" && !mod && !e.shiftKey && !e.repeat && !usesEnter(e.target)) {
    e.preventDefault();
    if (pad) pad.predict();
    else predictUpload();
  } else if (e.key === "Escape" && !mod && !e.shiftKey && pad) {
    e.preventDefault();
    pad.clear();
  } else if (mod && !e.shiftKey && e.key.toLowerCase() === "z" && pad && !isTextField(e.target)) {
    e.preventDefault();
    pad.undo();
  }
});

/* ---------- start ---------- */

// Apple keyboards say Cmd for what others call Ctrl.
const platform = navigator.userAgentData?.platform || navigator.platform || "";
if (/mac|iphone|ipad|ipod/i.test(platform)) {
  for (const key of document.querySelectorAll(".mod-key")) key.textContent = "⌘";
}
$("kbd-hint").hidden = false;
$("drop-hint").hidden = false;
fileInput.setAttribute("aria-describedby", "upload-hint drop-hint");

tablist.hidden = false;
selectMode(tablist.dataset.initialMode === "upload" ? "upload" : "draw");
