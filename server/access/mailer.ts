// The activation email: an approved person's one-time link, sent through the deployment's
// SMTP server (nodemailer). Without one configured nothing is sent and the focal point prints
// the activation sheet instead. The text is in Vietnamese, then English.
import nodemailer from 'nodemailer';

export interface ActivationMail {
  to: string;
  fullName: string;
  username: string;
  organization: string;
  link: string;
  expiresAt: Date;
}

export interface Mailer {
  sendActivation(mail: ActivationMail): Promise<void>;
  close(): void;
}

/** How long one send may take before the approval answers with the sheet instead. */
const SEND_TIMEOUT_MS = 15_000;

export class SmtpMailer implements Mailer {
  readonly #transport: nodemailer.Transporter;
  readonly #from: string;

  constructor(smtpUrl: string, from: string) {
    this.#transport = nodemailer.createTransport(smtpUrl, {
      connectionTimeout: SEND_TIMEOUT_MS, greetingTimeout: SEND_TIMEOUT_MS, socketTimeout: SEND_TIMEOUT_MS,
    } as nodemailer.TransportOptions);
    this.#from = from;
  }

  async sendActivation(m: ActivationMail): Promise<void> {
    const until = m.expiresAt.toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' });
    const untilEn = m.expiresAt.toLocaleString('en-GB', { timeZone: 'Asia/Ho_Chi_Minh' });
    const text = [
      `Kính gửi ${m.fullName},`,
      '',
      `Tài khoản giám sát camera "${m.username}" (${m.organization}) đã được phê duyệt.`,
      `Mở đường dẫn sau để đặt mật khẩu và kích hoạt tài khoản (dùng một lần, hết hạn lúc ${until}):`,
      m.link,
      '',
      'Không chuyển tiếp thư này: ai có đường dẫn đều có thể kích hoạt tài khoản của bạn.',
      '',
      '---',
      `Dear ${m.fullName},`,
      '',
      `Your camera supervision account "${m.username}" (${m.organization}) has been approved.`,
      `Open this link to set your password and activate it (works once, expires ${untilEn}):`,
      m.link,
      '',
      'Do not forward this email: anyone holding the link can activate your account.',
    ].join('\n');
    await this.#transport.sendMail({
      from: this.#from, to: { name: m.fullName, address: m.to },
      subject: 'Kích hoạt tài khoản giám sát camera / Activate your camera supervision account',
      text,
    });
  }

  close(): void {
    this.#transport.close();
  }
}
