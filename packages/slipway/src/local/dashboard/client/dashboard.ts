// The release dashboard's script: it asks for the page's regions every two seconds and swaps in those that changed;
// the Promote and Abort buttons post the decision and say what became of it. Built by its own tsconfig (DOM types).

interface PageUpdate {
  at: string;
  headline: string;
  regions: Record<string, string>;
}

const POLL_MS = 2_000;
const updated = document.getElementById('updated');
const headline = document.getElementById('headline');
const actionStatus = document.getElementById('action-status');
/** The HTML each region shows, as the server sent it (the browser's innerHTML is a re-serialisation). */
const shown = new Map<string, string>();
/** Releases a decision was sent for: their buttons stay disabled until the deploy has taken it. */
const decided = new Set<string>();
let timer: number | undefined;

function clock(iso: string): string {
  return `${new Date(iso).toISOString().slice(11, 19)} UTC`;
}

function say(message: string): void {
  if (actionStatus) actionStatus.textContent = message;
}

function decisionButtons(root: ParentNode = document): HTMLButtonElement[] {
  return [...root.querySelectorAll<HTMLButtonElement>('button[data-action]')];
}

function swapRegion(region: HTMLElement, html: string): void {
  // Keep the keyboard where it was: a focused button is focused again in the new markup.
  const active = document.activeElement instanceof HTMLElement && region.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = active?.dataset.action ? `${active.dataset.action} ${active.dataset.release}` : null;
  region.innerHTML = html;
  for (const button of decisionButtons(region)) {
    if (decided.has(button.dataset.release ?? '')) button.disabled = true;
    if (focusKey === `${button.dataset.action} ${button.dataset.release}`) button.focus();
  }
}

function apply(update: PageUpdate): void {
  for (const [name, html] of Object.entries(update.regions)) {
    const region = document.querySelector<HTMLElement>(`[data-region="${name}"]`);
    if (!region || shown.get(name) === html) continue;
    shown.set(name, html);
    swapRegion(region, html);
  }
  // A decision the deploy has taken removes its buttons; a later pause of the same release gets working ones.
  for (const release of decided) if (!decisionButtons().some((b) => b.dataset.release === release)) decided.delete(release);
  if (headline && headline.textContent !== update.headline) headline.textContent = update.headline;
  if (updated) {
    updated.textContent = clock(update.at);
    updated.setAttribute('datetime', update.at);
  }
}

async function refresh(): Promise<void> {
  window.clearTimeout(timer);
  try {
    const res = await fetch('/api/view', { headers: { accept: 'application/json' }, cache: 'no-store' });
    // Signed out (slipway up restarted, or the session expired): the page itself says how to sign in again.
    if (res.status === 401) return window.location.reload();
    if (!res.ok) throw new Error(`status ${res.status}`);
    apply((await res.json()) as PageUpdate);
  } catch {
    if (updated) updated.textContent = `${updated.textContent?.replace(/ \(.*$/, '') ?? ''} (lost contact with slipway up; retrying)`;
  } finally {
    timer = window.setTimeout(() => void refresh(), POLL_MS);
  }
}

async function decide(button: HTMLButtonElement): Promise<void> {
  const { action, release } = button.dataset;
  if (!action || !release) return;
  for (const b of decisionButtons()) b.disabled = true;
  say(`${action === 'promote' ? 'Promoting' : 'Aborting'} release ${release}…`);
  try {
    const res = await fetch(`/api/releases/${encodeURIComponent(release)}/${action}`, {
      method: 'POST',
      headers: { accept: 'application/json' },
    });
    const body = (await res.json()) as { message?: string; error?: { message?: string } };
    if (res.ok) decided.add(release);
    say(res.ok ? (body.message ?? 'Done.') : `Not done: ${body.error?.message ?? `status ${res.status}`}`);
  } catch {
    say('Not sent: lost contact with slipway up. Try again.');
  }
  if (!decided.has(release)) for (const b of decisionButtons()) b.disabled = false;
  await refresh();
}

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button[data-action]') : null;
  if (button && !button.disabled) void decide(button);
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refresh();
});
timer = window.setTimeout(() => void refresh(), POLL_MS);
