/**
 * What a release id (and a baseline's, `<id>.baseline`) may be: letters, digits, `.`, `_`, `-`, at most 128, and
 * never only dots — it names a folder, a cookie value and a header value.
 */
export const RELEASE_ID = /^(?!\.+$)[A-Za-z0-9._-]{1,128}$/;
