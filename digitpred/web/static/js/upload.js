// The Upload tab: the file input and its preview (with boxes over a number), the camera input on phones, an
// image dropped anywhere on the page while the tab is open, and an image pasted anywhere (which opens the tab).
// Without JavaScript the same form posts to the page; here it goes to the JSON API instead.

import { byId, isTextField } from "./dom.js";
import { createOverlay } from "./overlay.js";

const IMAGE_NAME = /\.(png|jpe?g|gif|bmp|webp)$/i;
const isImageFile = (file) => Boolean(file) && (file.type.startsWith("image/") || IMAGE_NAME.test(file.name || ""));
const carriesFiles = (e) => Array.from(e.dataTransfer?.types ?? []).includes("Files");

// sender: from sending.js; tabs: from tabs.js (which tab is open, and opening Upload).
export function createUpload({ sender, tabs }) {
  const form = byId("upload-form");
  const fileInput = form.querySelector('input[name="image"]');
  const preview = byId("preview");
  const previewWrap = byId("preview-wrap");
  const boxes = createOverlay(byId("boxes-upload"), preview, "contain");
  let previewUrl = "";
  // The image to send: picked in the file input, dropped on the page or pasted. Kept here as well as in the
  // input because a browser that cannot put a dropped file into the input still sends it.
  let chosenFile = null;

  const uploadMode = () => form.querySelector('input[name="mode"]:checked')?.value || "digit";

  function setPreview(file) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    boxes.clear();
    previewUrl = file ? URL.createObjectURL(file) : "";
    previewWrap.hidden = !file;
    if (file) preview.src = previewUrl;
    else preview.removeAttribute("src");
  }

  fileInput.addEventListener("change", () => {
    chosenFile = fileInput.files[0] || null;
    setPreview(chosenFile);
  });

  for (const radio of form.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", () => boxes.clear());

  function predict() {
    const file = chosenFile ?? fileInput.files[0]; // the input's own file too: a browser may restore it on Back
    if (!file) {
      sender.fail("Choose an image file.");
      fileInput.focus();
      return;
    }
    boxes.clear();
    sender.send(file, file.name || "image.png", {
      mode: uploadMode(),
      overlay: boxes,
      size: () => [preview.naturalWidth, preview.naturalHeight],
    });
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault(); // with JS we use the JSON API; without JS the form posts to the page
    predict();
  });

  // A dropped or pasted image: show it on the Upload tab, as if it had been chosen there, and read it.
  function useFile(file) {
    if (tabs.mode !== "upload") tabs.select("upload");
    if (!isImageFile(file)) {
      sender.fail("That is not an image: use a PNG, JPEG, GIF, BMP or WebP file.");
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
    predict();
  }

  // The camera input (phones): a photo taken goes the same way as a dropped one.
  const cameraInput = byId("camera");
  if (cameraInput) {
    byId("camera-label").hidden = false;
    cameraInput.addEventListener("change", () => {
      if (cameraInput.files?.[0]) useFile(cameraInput.files[0]);
      cameraInput.value = "";
    });
  }

  /* Drag and drop: onto the whole page, on the Upload tab. */

  let dragDepth = 0; // dragenter/dragleave fire for every element crossed: count them to know when the drag left

  function setDragging(on) {
    document.body.classList.toggle("dragging-file", on && tabs.mode === "upload");
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
    e.dataTransfer.dropEffect = tabs.mode === "upload" ? "copy" : "none";
  });

  document.addEventListener("drop", (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    setDragging(false);
    if (tabs.mode !== "upload") return;
    const file = e.dataTransfer.files[0];
    if (file) useFile(file);
  });

  /* Paste: anywhere but in a text field. */

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

  // Dropping and pasting work now: say so under the file input.
  byId("drop-hint").hidden = false;
  fileInput.setAttribute("aria-describedby", "upload-hint drop-hint");

  return { predict };
}
