import { Components } from '@strata/contracts';
import { randomUUID } from 'node:crypto';

/** One outgoing mail: the address, the subject, and the body as paragraphs of plain text (a link may end one). */
export interface Mail {
  to: string;
  subject: string;
  paragraphs: string[];
  link?: { href: string; text: string };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The body Dapr's SMTP binding sends (it sends the data as text/html), and the file the local sink writes. */
export function renderMail(mail: Mail): string {
  const paragraphs = mail.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`);
  if (mail.link) paragraphs.push(`<p><a href="${escapeHtml(mail.link.href)}">${escapeHtml(mail.link.text)}</a></p>`);
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(mail.subject)}</title></head><body>\n${paragraphs.join('\n')}\n</body></html>\n`;
}

/**
 * Sends mail through the `mail` output binding (`create`). The same call serves both components:
 * bindings.smtp (AKS) reads `emailTo`, `emailFrom` and `subject` and ignores `fileName`;
 * bindings.localstorage (local and test stacks) writes the body to `fileName` under its folder and
 * ignores the rest. The recipient is named in the body too, so a reader of the folder can tell
 * whose mail a file is.
 */
export class Mailer {
  constructor(
    private readonly dapr: { binding(name: string, operation: string, data: unknown, metadata: Record<string, string>): Promise<unknown> },
    private readonly from: string,
  ) {}

  async send(mail: Mail, now: Date): Promise<void> {
    const stamp = now.toISOString().replace(/[-:.]/g, '');
    await this.dapr.binding(Components.mail, 'create', renderMail(mail), {
      emailTo: mail.to,
      emailFrom: this.from,
      subject: mail.subject,
      fileName: `${stamp}-${randomUUID()}.html`,
    });
  }
}
