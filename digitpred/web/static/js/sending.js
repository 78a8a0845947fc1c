// Sending an image to /api/predict and putting the answer on the page (result panel, boxes, corrections).
// Every request gets a ticket and only the newest ticket may touch the panel, so stale answers are dropped;
// oneInFlight keeps a caller (a drawing pad) to one request at a time.

import { UNREACHABLE, postForm, serverError } from "./api.js";

const isNumberAnswer = (data) =>
  data && typeof data.number === "string" && Array.isArray(data.digits) && data.digits.length > 0;

// A page's numbers (mode=lines) shown as one number: the lines apart by " / ", every digit in the strip, every
// mark over the picture.
function asNumber(data) {
  const lines = Array.isArray(data?.lines) ? data.lines.filter(isNumberAnswer) : [];
  if (!lines.length) return null;
  const texts = [];
  for (const entry of lines) {
    const at = Number(entry.line) || 0;
    texts[at] = texts[at] ? `${texts[at]} ${entry.number}` : entry.number;
  }
  return {
    number: texts.filter(Boolean).join(" / "),
    confidence: data.confidence,
    digits: lines.flatMap((entry) => entry.digits),
    marks: lines.flatMap((entry) => (Array.isArray(entry.marks) ? entry.marks : entry.digits)),
    left_out: lines.flatMap((entry) => entry.left_out || []),
    single: lines.length === 1 ? lines[0].number : null,
  };
}

// result: the panel from result.js; corrections: from corrections.js.
export function createSender({ url, result, corrections }) {
  let latestTicket = 0;

  // An error in place of an answer: nothing left to correct.
  function fail(message, closest = null) {
    corrections.hide();
    result.showError(message, closest);
  }

  // overlay: boxes for the digits of a number (overlay.js); size(): the image's own pixel size, to map them.
  // stillWanted(): false once the answer would be about something the user has changed since. held: a camera
  // frame kept on screen, which may then be corrected (when it holds one number).
  async function send(
    blob,
    filename,
    { mode = "digit", stillWanted = () => true, overlay = null, size = null, held = false } = {},
  ) {
    const ticket = ++latestTicket;
    const current = () => ticket === latestTicket && stillWanted();
    result.setBusy(true);
    try {
      const body = new FormData();
      body.append("image", blob, filename);
      body.append("mode", mode);
      const { res, data } = await postForm(url, body);
      if (!current()) return;
      const page = res.ok && mode === "lines" ? asNumber(data) : null;
      if (page) {
        result.showNumber(page);
        if (size) overlay?.show(page.marks, size);
        // A correction is one number's truth: offered for a held frame that holds one number.
        if (held && page.single !== null) corrections.offer({ blob, filename, mode: "number", predicted: page.single });
        else corrections.hide();
      } else if (res.ok && mode === "number" && isNumberAnswer(data)) {
        result.showNumber(data);
        if (size) overlay?.show(Array.isArray(data.marks) ? data.marks : data.digits, size);
        corrections.offer({ blob, filename, mode, predicted: data.number });
      } else if (res.ok && mode === "digit" && data && typeof data.digit === "number") {
        result.showDigit(data);
        corrections.offer({ blob, filename, mode, predicted: String(data.digit) });
      } else {
        overlay?.clear();
        fail(serverError(res, data), data?.error?.closest);
      }
    } catch {
      if (current()) fail(UNREACHABLE);
    } finally {
      if (ticket === latestTicket) result.setBusy(false);
    }
  }

  // Back to the placeholder, dropping anything still in flight.
  function reset() {
    latestTicket++;
    result.setBusy(false);
    corrections.hide();
    result.clear();
  }

  // Drops an answer still on its way (it belongs to another tab), keeping whatever is shown.
  function dropInFlight() {
    if (!result.isBusy()) return;
    latestTicket++;
    result.setBusy(false);
  }

  return { send, fail, reset, dropInFlight };
}

// Wraps an async task so that at most one runs at a time: a call made meanwhile runs once the current one is
// done (several such calls, once), if wanted() still says so then.
export function oneInFlight(task, wanted = () => true) {
  let busy = false;
  let queued = false;
  async function run() {
    if (busy) {
      queued = true;
      return;
    }
    busy = true;
    try {
      await task();
    } finally {
      busy = false;
      if (queued) {
        queued = false;
        if (wanted()) run();
      }
    }
  }
  return run;
}
