import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../config.ts';

/** The SMTP settings: the server config's `smtp` section (SMTP_* and OUTBOX_DIR). */
export type MailConfig = SmtpConfig;

export interface DeploymentEmail {
  to: string;
  technicianName: string;
  deploymentUrl: string;
  serverUrl: string;
  deploymentToken: string;
  adhocId: string;
}

export type Delivery = 'smtp' | 'outbox';

/** The email the user receives: what will happen, the link, and the command. */
export function composeDeploymentEmail(mail: DeploymentEmail): { subject: string; text: string; html: string } {
  const subject = `${mail.technicianName} has prepared remote support for your computer`;
  const text = [
    `Hello,`,
    ``,
    `${mail.technicianName} has prepared a remote support session for your computer.`,
    `Once you connect it, ${mail.technicianName} can reach your computer for 24 hours, also while you are away,`,
    `using a password that only the technician knows. After 24 hours (or earlier, if the technician ends it)`,
    `the support program removes itself.`,
    ``,
    `1. Open this link on the computer that needs support:`,
    `   ${mail.deploymentUrl}`,
    `2. On that page, download the support program and open it (the page shows each step).`,
    `3. When it asks for a security code, type the code ${mail.technicianName} gives you (by phone or chat).`,
    ``,
    `If you did not expect this email, ignore it: nothing happens until you run the program and enter the code.`,
  ].join('\n');
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = text
    .split('\n')
    .map((line) => (line.includes(mail.deploymentUrl) ? `<a href="${esc(mail.deploymentUrl)}">${esc(line.trim())}</a>` : esc(line)))
    .join('<br>\n');
  return { subject, text, html };
}

/**
 * Sends through SMTP when SMTP_HOST is set; otherwise writes an .eml file to
 * the outbox folder (0600) for the administrator, and the console shows the
 * link to pass on by hand. Throws on failure (the caller maps it to EMAIL_FAILED).
 */
export async function sendDeploymentEmail(config: Readonly<MailConfig>, mail: DeploymentEmail): Promise<Delivery> {
  const { subject, text, html } = composeDeploymentEmail(mail);
  const from = config.from ?? `Relay Rescue <no-reply@${new URL(mail.serverUrl).hostname}>`;
  const message = { from, to: mail.to, subject, text, html };
  const { host, port, secure, user, pass } = config;
  if (host) {
    const transport = nodemailer.createTransport({
      host,
      port,
      secure,
      auth: user !== undefined && pass !== undefined ? { user, pass } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    try {
      await transport.sendMail(message);
    } finally {
      transport.close();
    }
    return 'smtp';
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await transport.sendMail(message);
  await mkdir(config.outboxDir, { recursive: true, mode: 0o700 });
  const file = join(config.outboxDir, `${Date.now()}-${mail.adhocId}.eml`);
  await writeFile(file, info.message as Buffer, { mode: 0o600 });
  return 'outbox';
}
