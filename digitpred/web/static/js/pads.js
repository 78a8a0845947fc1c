// A drawing pad: a canvas drawn on with a mouse, a finger or a pen, with Undo, Clear, Predict and live
// prediction (after a short pause once a stroke ends). One pad reads a digit, a wide one a number.
// Each pad keeps its own strokes; the drawing is sent at its logical size whatever the screen's pixel ratio.

import { oneInFlight } from "./sending.js";

const LINE_WIDTH = 18; // in logical pixels, the same on both pads

// canvas and the undo, clear, predict buttons and auto checkbox: the pad's elements; width, height: its logical
// size; mode, filename: what is sent; empty: the message for Predict on a blank pad; overlay: boxes for a number
// (overlay.js); sender: from sending.js.
export function createPad({ canvas, width, height, undo, clear, predict, auto, mode, overlay = null, filename, empty, sender }) {
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
    sender.reset();
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
  const sendDrawing = oneInFlight(async () => {
    const sent = version;
    const blob = await exportPng();
    if (blob) {
      await sender.send(blob, filename, { mode, overlay, stillWanted: () => version === sent, size: () => [width, height] });
    } else sender.fail("This browser could not export the drawing.");
  }, () => strokes.length > 0);

  function predictDrawing() {
    if (!strokes.length) {
      sender.fail(empty);
      return;
    }
    sendDrawing();
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
