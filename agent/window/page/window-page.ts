/**
 * The support window's placeholder page (plain DOM): enough to use every
 * message of protocol/window.ts by hand until the Lit customer components
 * take its place. Text is always set with textContent, never as HTML.
 */
import type { PermissionMap } from '../../../protocol/permissions.ts';
import type { WindowClientMessage, WindowServerMessage, WindowSnapshot } from '../../../protocol/window.ts';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const socket = new WebSocket(new URL('ws', location.href).href.replace(/^http/, 'ws'));
const send = (message: WindowClientMessage): void => socket.send(JSON.stringify(message));
let state: WindowSnapshot | null = null;

function item(list: HTMLElement, text: string, max = 300): HTMLLIElement {
  const li = document.createElement('li');
  li.textContent = text;
  list.append(li);
  while (list.children.length > max) list.firstElementChild?.remove();
  return li;
}

function renderPermissions(map: PermissionMap): void {
  const list = $('permissions');
  list.replaceChildren();
  for (const [permission, value] of Object.entries(map) as [keyof PermissionMap, string][]) {
    const li = item(list, `${permission}: ${value} `);
    if (value === 'granted') {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `Revoke ${permission}`;
      button.onclick = () => send({ type: 'permission.revoke', permission });
      li.append(button);
    }
  }
}

function renderPrompt(prompt: WindowSnapshot['prompt']): void {
  $('prompt').hidden = prompt === null;
  if (!prompt) return;
  $('prompt-text').textContent = `${state?.technician?.name ?? 'The technician'} asks: ${prompt.label}. Allow?`;
  $('prompt-yes').onclick = () => send({ type: 'prompt.answer', promptId: prompt.promptId, permission: prompt.permission, allow: true });
  $('prompt-no').onclick = () => send({ type: 'prompt.answer', promptId: prompt.promptId, permission: prompt.permission, allow: false });
}

function renderFile(file: WindowSnapshot['files'][number]): void {
  const id = `file-${file.transferId}`;
  const li = document.getElementById(id) ?? item($('files'), '');
  li.id = id;
  li.textContent = `${file.direction === 'send' ? 'Sending' : 'Received'} ${file.name}: ${file.state} (${file.bytes} of ${file.total} bytes)${file.problem ? `: ${file.problem}` : ''} `;
  if (file.savedAs) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `Show ${file.name} in folder`;
    button.onclick = () => send({ type: 'file.show', transferId: file.transferId });
    li.append(button);
  }
}

function technicianLine(t: WindowSnapshot['technician']): string {
  return t ? `Your technician: ${t.name}${t.account ? ` (${t.account})` : ''}, verified by the support server.` : '';
}

function apply(message: WindowServerMessage): void {
  switch (message.type) {
    case 'window.snapshot':
      state = message;
      $('status').textContent = message.ended ? `The session has ended (${message.ended.reason}).` : 'Connected to the support app.';
      $('technician').textContent = technicianLine(message.technician);
      $('connection').textContent = message.connection ? `Connection: ${message.connection.path}` : '';
      renderPermissions(message.permissions);
      renderPrompt(message.prompt);
      $('chat').replaceChildren();
      for (const line of message.chat) item($('chat'), `${line.from === 'technician' ? 'Technician' : 'You'}: ${line.text}`);
      $('log').replaceChildren();
      for (const entry of message.log) item($('log'), `${new Date(entry.at).toLocaleTimeString()} ${entry.text}`);
      $('files').replaceChildren();
      for (const file of message.files) renderFile(file);
      return;
    case 'technician':
      if (state) state.technician = message.technician;
      $('technician').textContent = technicianLine(message.technician);
      return;
    case 'prompt.open':
      return renderPrompt(message.prompt);
    case 'prompt.closed':
      return renderPrompt(null);
    case 'permission.state':
      return renderPermissions(message.permissions);
    case 'chat':
      item($('chat'), `${message.line.from === 'technician' ? 'Technician' : 'You'}: ${message.line.text}`);
      return;
    case 'log.entry':
      item($('log'), `${new Date(message.entry.at).toLocaleTimeString()} ${message.entry.text}`);
      return;
    case 'file':
      return renderFile(message.file);
    case 'connection':
      $('connection').textContent = `Connection: ${message.connection.path}`;
      return;
    case 'session.ended':
      $('status').textContent = `The session has ended (${message.reason}). You can close this window.`;
      renderPrompt(null);
      return;
    case 'error':
      $('status').textContent = message.message;
      return;
  }
}

socket.onmessage = (event) => apply(JSON.parse(String(event.data)) as WindowServerMessage);
socket.onclose = () => {
  if (!$('status').textContent?.startsWith('The session has ended')) $('status').textContent = 'The support app is not reachable: it may have stopped.';
};
$('chat-form').onsubmit = (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('chat-text');
  if (input.value.trim()) send({ type: 'chat.send', text: input.value });
  input.value = '';
};
$('file-pick').onclick = () => send({ type: 'file.pick' });
$('stop-all').onclick = () => send({ type: 'access.stop' });
$('end').onclick = () => send({ type: 'session.end' });
// The font size is this page's own setting: it never crosses the socket.
const setFont = (percent: number): void => {
  const clamped = Math.min(200, Math.max(75, percent));
  document.documentElement.style.fontSize = `${clamped}%`;
  localStorage.setItem('rr-font-size', String(clamped));
};
setFont(Number(localStorage.getItem('rr-font-size') ?? 100) || 100);
$('font-up').onclick = () => setFont(parseFloat(document.documentElement.style.fontSize) + 12.5);
$('font-down').onclick = () => setFont(parseFloat(document.documentElement.style.fontSize) - 12.5);
