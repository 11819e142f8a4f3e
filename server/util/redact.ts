// Removes credentials from URLs before text leaves the process (logs, errors, API).

/** "rtsp://user:secret@host/x" -> "rtsp://***@host/x"; other text unchanged. */
export function redactCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}

/** Redacts userinfo in any URL, and also the literal password of `url` wherever it appears. */
export function redactUrl(text: string, url: string): string {
  let out = redactCredentials(text);
  try {
    const u = new URL(url);
    for (const secret of [u.password, decodeURIComponent(u.password)]) {
      if (secret.length >= 3) out = out.split(secret).join('***');
    }
  } catch {
    // not a URL: nothing more to remove
  }
  return out;
}

/** The URL with its userinfo removed, for display. */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return redactCredentials(url);
  }
}
