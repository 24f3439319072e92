// api.js: the console's only way to the server. Every call goes to the
// admin listener that served the page (relative URLs), and every failure
// becomes an ApiError that the pages show, never swallow.

export class ApiError extends Error {
  constructor(status, message, param) {
    super(message);
    this.status = status; // HTTP status; 0 when the request did not complete
    this.param = param || ''; // the parameter the API named, for 400s
  }
  // title is the one-line heading of the error box.
  get title() {
    if (this.status === 0) return 'The request did not reach Herald';
    if (this.status === 401) return '401: the session has ended; sign in again';
    return `${this.status}: the request was refused`;
  }
}

// getJSON GETs path with params (empty values left out) and returns the
// decoded body. ok lists statuses besides 2xx whose JSON body is an answer
// (e.g. 503 from /readyz).
export async function getJSON(path, params = {}, ok = []) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const url = q.toString() ? `${path}?${q}` : path;
  let resp;
  try {
    resp = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch (e) {
    throw new ApiError(0, `GET ${path}: ${e.message}`);
  }
  const text = await resp.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* reported below */ }
  if (!resp.ok && !ok.includes(resp.status)) {
    const msg = (body && body.error) || text.trim() || resp.statusText;
    throw new ApiError(resp.status, `GET ${path}: ${msg}`, body && body.param);
  }
  if (body === null) throw new ApiError(resp.status, `GET ${path}: the answer is not JSON`);
  return body;
}
