const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page the email links to: what will happen, the support program for
 * Windows and for Linux (the visitor's system first, Windows when unknown:
 * most users run it) and the commands with the deployment token. It does not
 * look the token up, so it says nothing about whether a guessed token exists.
 */
export function deploymentPage(publicUrl: string, token: string | null, userAgent = ''): string {
  if (!token) {
    return `<!doctype html><meta charset="utf-8"><title>Relay Rescue</title><p>This link is not valid. Ask your technician for a new one.</p>`;
  }
  const windows = windowsSection(publicUrl, token);
  const linux = linuxSection(publicUrl, token);
  const sections = /linux|x11/i.test(userAgent) && !/android/i.test(userAgent) ? [linux, windows] : [windows, linux];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Relay Rescue: connect your computer</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
pre{background:#f3f3f3;padding:.8rem;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere}
li{margin-bottom:.8rem}a.download{display:inline-block;background:#0b5cad;color:#fff;padding:.55rem 1rem;border-radius:.4rem;font-weight:600;text-decoration:none}
section{border-top:1px solid #ddd;margin-top:1.5rem}</style>
</head><body>
<h1>Connect your computer for remote support</h1>
<p>Your technician can then reach this computer for 24 hours, also while you are away, with a password only the technician knows.
After 24 hours, or when the technician ends it, the support program deletes its files and stops.</p>
${sections.join('\n')}
<p>On a Mac there is no support program yet: ask your technician for a support session in the browser instead.</p>
</body></html>`;
}

function windowsSection(publicUrl: string, token: string): string {
  const file = 'relay-rescue-support.exe';
  const download = `${publicUrl}/download/windows?adhoc=${encodeURIComponent(token)}`;
  return `<section aria-labelledby="on-windows"><h2 id="on-windows">On Windows</h2>
<ol>
<li><a class="download" data-testid="adhoc-download-windows" href="${esc(download)}" download="${file}">Download the support program for Windows</a> (${file}; it carries this link's key, so keep it to yourself).</li>
<li>Open the file you downloaded. If Windows asks, choose &ldquo;Run&rdquo; (or &ldquo;More info&rdquo;, then &ldquo;Run anyway&rdquo;).</li>
<li>A window opens and asks for the security code: type the code your technician tells you and press Enter.</li>
<li>Leave that window open (you may minimise it): support works while it runs. If you close it or restart the computer, open the same file again.</li>
</ol></section>`;
}

function linuxSection(publicUrl: string, token: string): string {
  const file = 'relay-rescue-support-linux-x64';
  const download = `${publicUrl}/download/linux?adhoc=${encodeURIComponent(token)}`;
  const oneFile = `curl -fsSLo ${file} '${download}' && chmod +x ${file} && ./${file}`;
  // The token goes in the environment, not on the command line, where `ps` shows it to every user.
  const command = `curl -fsSL ${publicUrl}/download/agent.sh | RELAY_RESCUE_ADHOC_TOKEN=${token} bash -s -- --server ${publicUrl}`;
  return `<section aria-labelledby="on-linux"><h2 id="on-linux">On Linux</h2>
<ol>
<li><a class="download" data-testid="adhoc-download" href="${esc(download)}" download="${file}">Download the support program for Linux</a> (${file}; it carries this link's key, so keep it to yourself).</li>
<li>In your Downloads folder, right-click the file, choose Properties, and tick &ldquo;Allow executing file as program&rdquo; (or &ldquo;Executable&rdquo;). Then double-click it.</li>
<li>Type the security code your technician tells you.</li>
</ol>
<p>If you prefer a terminal, this one command downloads it and starts it:</p>
<pre data-testid="adhoc-download-command">${esc(oneFile)}</pre>
<p>On a computer with Node.js 20 or newer, this command works too:</p>
<pre data-testid="adhoc-command">${esc(command)}</pre>
<p>To keep support working after you log out, run it as a service (see the technician's instructions, docs/adhoc.md).</p>
</section>`;
}
