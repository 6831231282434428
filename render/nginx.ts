/**
 * How the stack changes a file in nginx's conf.d (the exporter's stub_status server block, mtail's log_format):
 * the live config must pass `nginx -t` before nginx reloads, going in and going out.
 */

/** After a write: nginx -t checks the whole live config, so the reload only happens when it passes. */
export const nginxConfPostChange = "nginx -t -q && systemctl reload nginx";

/**
 * The delete of a conf.d file (`{}`): moved aside, and removed only when nginx -t passes without it, then a
 * running nginx reloads (so a removed server block stops listening). When nginx -t fails without it (a server
 * block the stack does not manage still uses its log_format, say), it goes back and the delete fails with
 * nginx's own message: removing it would stop nginx at its next reload or boot. Without nginx on the host the
 * file is just removed.
 */
export const nginxConfDelete = [
  "set -eu",
  "f={}",
  `command -v nginx >/dev/null 2>&1 || { rm -f "$f"; exit 0; }`,
  `[ -e "$f" ] || exit 0`,
  `mv -f "$f" "$f.winyx-removed"`,
  `if out=$(nginx -t -q 2>&1); then`,
  `  rm -f "$f.winyx-removed"`,
  "  if systemctl is-active --quiet nginx; then systemctl reload nginx; fi",
  "else",
  `  mv -f "$f.winyx-removed" "$f"`,
  `  printf 'nginx -t fails without %s, so it stays (a server block may still use what it defines):\\n%s\\n' "$f" "$out" >&2`,
  "  exit 1",
  "fi",
].join("\n");
