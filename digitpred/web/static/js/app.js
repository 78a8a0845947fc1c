// digitpred page: draw a digit, write a number or upload an image, ask /api/predict, show the answer.
// This is the entry module: it reads the URLs the template passes in #config (JSON, not code: the page runs
// under a strict CSP with no inline script) and wires the other modules together. Each module owns its own
// state; the browser loads them as they are, with no build step.

import { createCamera } from "./camera.js";
import { createCorrections } from "./corrections.js";
import { byId } from "./dom.js";
import { installKeys } from "./keys.js";
import { createOverlay } from "./overlay.js";
import { createPad } from "./pads.js";
import { createResultPanel } from "./result.js";
import { createSender } from "./sending.js";
import { createTabs } from "./tabs.js";
import { createUpload } from "./upload.js";

const config = JSON.parse(byId("config").textContent);

const result = createResultPanel();
const corrections = createCorrections({ url: config.correctionsUrl });
const sender = createSender({ url: config.predictUrl, result, corrections });

// Keyed by the tab each pad sits on.
const pads = {
  draw: createPad({
    canvas: byId("pad"), width: 280, height: 280,
    undo: byId("undo"), clear: byId("clear"), predict: byId("predict"), auto: byId("auto"),
    mode: "digit", filename: "drawing.png", empty: "Draw a digit first.", sender,
  }),
  number: createPad({
    canvas: byId("pad-number"), width: 840, height: 280,
    undo: byId("undo-number"), clear: byId("clear-number"), predict: byId("predict-number"), auto: byId("auto-number"),
    mode: "number", filename: "number.png", empty: "Write a number first.", sender,
    overlay: createOverlay(byId("boxes-number"), byId("pad-number"), "fill"),
  }),
};

let camera = null;
const tabs = createTabs({
  tablist: document.querySelector('[role="tablist"]'),
  layout: byId("layout"),
  onSelect(mode) {
    for (const pad of Object.values(pads)) pad.cancelAuto();
    // An answer still on its way belongs to the other mode: drop it, keep whatever is shown.
    sender.dropInFlight();
    camera?.update(mode); // the camera runs only while its tab is open
  },
});
camera = createCamera({ sender, tabs });

const upload = createUpload({ sender, tabs });
installKeys({ pads, tabs, predictUpload: upload.predict });
tabs.start();
