// The Camera tab: the rear camera's video, a downscaled frame sent a few times a second (mode=lines, at most one
// request in flight, stale answers dropped by the sender), and the numbers read drawn over the video. Hold
// freezes the reading (and the picture) so that it can be kept or corrected; no frame is kept otherwise.

import { byId } from "./dom.js";
import { createOverlay } from "./overlay.js";
import { oneInFlight } from "./sending.js";

const EVERY_MS = 300; // a few frames a second: the server reads a page in well under that
const LONGEST_SIDE = 640; // frames are sent this size at most: enough for digits a finger tall on paper
const READING = "Reading… hold the paper steady and well lit.";

// sender: from sending.js; tabs: from tabs.js (the camera runs only while its tab is open).
export function createCamera({ sender, tabs }) {
  const video = byId("video");
  const hold = byId("camera-hold");
  const status = byId("camera-status");
  const boxes = createOverlay(byId("boxes-camera"), video, "contain");
  const frame = document.createElement("canvas");
  let stream = null;
  let timer = 0;
  let held = false;

  const frameSize = () => [frame.width, frame.height];
  const wanted = () => tabs.mode === "camera" && !held && stream !== null;

  function grab() {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return null;
    const scale = Math.min(1, LONGEST_SIDE / Math.max(w, h));
    frame.width = Math.round(w * scale);
    frame.height = Math.round(h * scale);
    frame.getContext("2d").drawImage(video, 0, 0, frame.width, frame.height);
    return new Promise((resolve) => frame.toBlob(resolve, "image/jpeg", 0.85));
  }

  // The frame on screen, read as lines. A live frame is dropped once the camera is held or closed; a held one is
  // the reading kept, which may then be corrected.
  async function readFrame(held = false) {
    const stillWanted = held ? () => true : wanted;
    if (!stillWanted()) return;
    const blob = await grab();
    if (!blob || !stillWanted()) return;
    await sender.send(blob, "frame.jpg", { mode: "lines", overlay: boxes, size: frameSize, stillWanted, held });
  }

  const sendFrame = oneInFlight(() => readFrame(), wanted);

  async function start() {
    if (stream) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      status.textContent = "This browser cannot open a camera here: cameras need HTTPS or localhost.";
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      status.textContent = e?.name === "NotAllowedError"
        ? "The camera was not allowed. Allow it in the browser's site settings to read numbers live."
        : "No camera could be opened (cameras need HTTPS or localhost).";
      return;
    }
    if (tabs.mode !== "camera") return stop(); // the tab was left while the browser asked
    video.srcObject = stream;
    await video.play().catch(() => {});
    hold.disabled = false;
    status.textContent = READING;
    timer = setInterval(sendFrame, EVERY_MS);
  }

  function stop() {
    clearInterval(timer);
    timer = 0;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    setHeld(false);
    hold.disabled = true;
    boxes.clear();
  }

  function setHeld(on) {
    held = on;
    hold.setAttribute("aria-pressed", String(on));
    hold.textContent = on ? "Resume" : "Hold";
    if (on) video.pause();
    else if (stream) video.play().catch(() => {});
    if (stream) status.textContent = on ? "Held: this reading stays until you resume." : READING;
  }

  hold.addEventListener("click", () => {
    if (!held) {
      setHeld(true);
      // The frame on screen is the one read last: read it once more, held, so that it can be corrected.
      readFrame(true);
    } else {
      setHeld(false);
    }
  });

  return {
    // Called on every tab change.
    update(mode) {
      if (mode === "camera") start();
      else stop();
    },
  };
}
