const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page the email links to: what will happen, the agent download, and the
 * command with the deployment token. It does not look the token up, so it says
 * nothing about whether a guessed token exists.
 */
export function deploymentPage(publicUrl: string, token: string | null): string {
  if (!token) {
    return `<!doctype html><meta charset="utf-8"><title>Relay Rescue</title><p>This link is not valid. Ask your technician for a new one.</p>`;
  }
  const command = `curl -fsSL ${publicUrl}/download/agent.sh | bash -s -- --server ${publicUrl} --adhoc ${token}`;
  const manual = `tar -xzf agent.tar.gz && cd relay-rescue-agent && npm install --omit=dev && node main.mjs --server ${publicUrl} --adhoc ${token}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Relay Rescue: connect your computer</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
pre{background:#f3f3f3;padding:.8rem;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere}
li{margin-bottom:.8rem}</style>
</head><body>
<h1>Connect your computer for remote support</h1>
<p>Your technician can then reach this computer for 24 hours, also while you are away, with a password only the technician knows.
After 24 hours, or when the technician ends it, the support program deletes its files and stops.</p>
<ol>
<li>Open a terminal on this computer (Node.js 20 or newer is needed) and paste this one command; it downloads the support program and starts it:
<pre data-testid="adhoc-command">${esc(command)}</pre></li>
<li>Type the security code your technician tells you.</li>
</ol>
<p>Or <a href="${esc(publicUrl)}/download/agent.tar.gz">download the support program</a> and, in the folder you saved it to, run:</p>
<pre>${esc(manual)}</pre>
<p>To keep support working after you log out, run it as a service (see the technician's instructions, docs/adhoc.md).</p>
</body></html>`;
}
