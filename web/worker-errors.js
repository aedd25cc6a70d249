// worker-errors.js: an error across the line between the worker and the
// page, both halves in one place: the worker sends errorOf(e), a plain
// object that postMessage clones, and the page rebuilds it with errorFrom.
// What crosses is the error's name, message and every plain field it
// carries (a package error's code, status, where and reason, an HTTP
// error's status, statusText and url, a DataError's code and url, the file
// a data set error concerns, the field 'layers' of a stack C refused), so
// that the page words its sentence from the fields, never from the message.

/** The error e as data for postMessage. */
export function errorOf(e) {
  const out = { name: e?.name || 'Error', message: e?.message || String(e) };
  if (e && typeof e === 'object')
    for (const [k, v] of Object.entries(e)) if (['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

/** The Error that errorOf described, with its name and fields. */
export const errorFrom = (data) => Object.assign(new Error(data.message), data);
