// The JSON API, as both the predictions and the corrections talk to it: post a form, read the JSON answer
// (null when the body is not JSON), and word a failure the same way everywhere.

export const UNREACHABLE = "Could not reach the server. Check your connection and try again.";

// Rejects only when the server cannot be reached; an HTTP error comes back as { res, data } like a success.
export async function postForm(url, body) {
  const res = await fetch(url, { method: "POST", body, headers: { Accept: "application/json" } });
  const data = await res.json().catch(() => null);
  return { res, data };
}

// The API's own message when it sent one, else the HTTP status.
export const serverError = (res, data) =>
  data?.error?.message || `The server answered ${res.status} ${res.statusText}.`.trim();
