// Bring your data: what the page sends to `POST /api/import` (docs/protocol.md) and how it words the answer.
// No DOM: views/importer.js takes the file from the user, the controller shows the words.

import { grouped } from "./format.js";

/** The server's bounds on a body (app/uploads.py LIMITS: csvdata's MAX_BYTES, importing's MAX_JSON_BYTES). */
export const LIMITS = { csv: 1 << 20, json: 4 << 20 };

// Extensions that say what a file holds; anything else is told apart by its first character.
const CSV_EXT = /\.(csv|tsv|txt)$/i;
const JSON_EXT = /\.json$/i;

/**
 * What a file holds: "csv" (points) or "json" (an exported network).
 * @param {string} name the file's name @param {string} head its first characters
 */
export function kindOf(name, head) {
  if (JSON_EXT.test(name)) return "json";
  if (CSV_EXT.test(name)) return "csv";
  // an export is one JSON object; a CSV starts with a number or a header name
  return head.replace(/^\ufeff/, "").trimStart().startsWith("{") ? "json" : "csv";
}

/**
 * Why a file of `size` bytes cannot be sent as `kind`, in the server's own words; null when it fits.
 * Checked before sending: a 50 MB file would be read and uploaded only to be refused.
 */
export function tooLarge(kind, size) {
  const limit = LIMITS[kind];
  if (size <= limit) return null;
  // app/uploads.py's words for a body over the limit, so that the page and the server say one thing
  return `the file is over the limit of ${grouped(limit)} bytes (${limit >> 20} MiB) for a ${kind.toUpperCase()} import`;
}

/** Where a CSV fault is, as the server reports it: "row 17, column 2", or "" when not in one place. */
export function where(body) {
  if (!body || body.row === null || body.row === undefined) return "";
  return body.column === null || body.column === undefined ? `row ${body.row}` : `row ${body.row}, column ${body.column}`;
}

/**
 * The notice for a refused file. The server's message already names the row and column of a CSV fault; one
 * that does not gets them in front, so the user always learns where to look.
 * @param {string} name the file's name @param {object|null} body the error answer @param {number} status
 */
export function describeError(name, body, status) {
  // (the sentence ends here, whether or not the server's message had its own full stop)
  let why = body && typeof body.message === "string" ? body.message.replace(/\.\s*$/, "")
    : `the server answered HTTP ${status}`;
  const at = where(body);
  if (at && !why.startsWith(at)) why = `${at}: ${why}`;
  return `Could not load ${name}: ${why}. Nothing was changed.`;
}

/**
 * The notice for a loaded file: what it brought ("412 points, 3 classes", "regression, 200 points",
 * "network at step 1,200 restored") and the server's notes.
 * @param {string} name @param {{kind: string, rows?: number, regression?: boolean, classes?: number,
 *   step?: number, notes?: string[]}} answer
 */
export function describeSuccess(name, answer) {
  let what;
  if (answer.kind === "json") {
    what = `network at step ${grouped(answer.step || 0)} restored`;
  } else if (answer.regression) {
    what = `regression, ${grouped(answer.rows)} points`;
  } else {
    what = `${grouped(answer.rows)} points, ${answer.classes} classes`;
  }
  const notes = (answer.notes || []).filter(Boolean);
  const more = notes.length ? ` Note: ${notes.join("; ")}.` : "";
  return `Loaded ${name}: ${what}.${more}`;
}

/**
 * Send a file's bytes to the session of `token`.
 * @param {Blob} body @param {string} kind "csv" | "json" @param {string} token the socket's resume token
 * @returns {Promise<{ok: true, answer: object} | {ok: false, body: object|null, status: number}>}
 */
export async function sendImport(body, kind, token) {
  let r;
  try {
    r = await fetch(`/api/import?kind=${kind}`, {
      method: "POST",
      headers: {
        "X-Session-Token": token,
        "Content-Type": kind === "json" ? "application/json" : "text/csv",
        Accept: "application/json",
      },
      body,
    });
  } catch (err) {
    return { ok: false, body: { message: `the server could not be reached (${err.message})` }, status: 0 };
  }
  let answer = null;
  try {
    answer = await r.json();
  } catch {
    answer = null; // a proxy's HTML page (413, 502): the status says it
  }
  if (r.ok && answer && answer.ok) return { ok: true, answer };
  return { ok: false, body: answer, status: r.status };
}

/**
 * The points of an uploaded set as the CSV the import route reads (exact numbers), for a session the
 * server lost: a hello cannot carry thousands of points, an import can.
 * @param {number[][]} points [x1, x2, label or y] @param {boolean} regression
 */
export function pointsCsv(points, regression) {
  const head = regression ? "x1,x2,y" : "x1,x2,label";
  return [head, ...points.map((p) => p.map(String).join(","))].join("\n") + "\n";
}
