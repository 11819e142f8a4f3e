// User interface strings: Vietnamese (default) and English, served by i18next (interpolation
// with {{name}}, plurals with _one/_other). Every string shown to a person comes from here;
// the English table must hold every Vietnamese key (the type says so). Dates and numbers are
// formatted for the chosen language with Intl. The choice is remembered in localStorage.
import i18next from 'i18next';

const vi = {
  title: 'Giám sát camera',
  cameras: 'Camera',
  layout: 'Bố cục',
  language: 'English',
  noCameras: 'Chưa có camera nào',
  emptyTile: 'Chọn một camera ở danh sách bên trái',
  'state.idle': 'Chờ',
  'state.connecting': 'Đang kết nối',
  'state.live': 'Trực tiếp',
  'state.stalled': 'Mất hình',
  'state.offline': 'Mất kết nối',
  reconnecting: 'Đang kết nối lại…',
  fps: 'khung/giây',
  decode: 'giải mã',
  buffer: 'đệm',
  latency: 'độ trễ',
  disconnected: 'Mất kết nối tới máy chủ, đang thử lại…',
  error: 'Lỗi',
  transcoding: 'chuyển mã',
  signIn: 'Đăng nhập',
  signOut: 'Đăng xuất',
  username: 'Tên đăng nhập',
  password: 'Mật khẩu',
  signInFailed: 'Đăng nhập không thành công',
  revoked: 'Quyền xem camera này đã bị thu hồi',
  noAccess: 'Không có quyền xem hoặc camera không tồn tại',
  notice: 'Mọi lượt xem đều được ghi nhật ký theo tài khoản.',
  totp: 'Mã xác thực (6 số)',
  totpAsk: 'Nhập mã 6 số từ ứng dụng xác thực.',
  enrollHelp: 'Tài khoản này cần xác thực hai lớp. Thêm khóa sau vào ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…) rồi nhập mã 6 số đầu tiên:',
  'ops.title': 'Vận hành hệ thống',
  'ops.back': 'Màn hình giám sát',
  'ops.noDuty': 'Tài khoản này không có quyền xem bảng vận hành.',
  'ops.cameras': 'Camera trực tuyến',
  'ops.producers': 'Luồng nhận (producer)',
  'ops.consumers': 'Luồng phát (consumer)',
  'ops.bitrateIn': 'Băng thông vào',
  'ops.bitrateOut': 'Băng thông ra',
  'ops.sockets': 'Kết nối',
  'ops.serverCpu': 'CPU máy chủ',
  'ops.chartLoad': 'Tải CPU (% một nhân)',
  'ops.chartMedia': 'Producer / consumer',
  'ops.chartBitrate': 'Băng thông (Mbit/s)',
  'ops.worker': 'Worker',
  'ops.server': 'Máy chủ',
  'ops.in': 'Vào',
  'ops.out': 'Ra',
  'ops.camera': 'Camera',
  'ops.facility': 'Cơ sở',
  'ops.state': 'Trạng thái',
  'ops.uptime24h': 'Hoạt động 24 giờ',
  'ops.lastError': 'Lỗi gần nhất',
  'ops.viewers': 'Người xem',
  'ops.updated': 'Cập nhật',
  'report.title': 'Báo cáo kết nối 24/7',
  'report.from': 'Từ',
  'report.to': 'Đến',
  'report.threshold': 'Ngưỡng (%)',
  'report.run': 'Xem báo cáo',
  'report.csv': 'Xuất CSV',
  'report.province': 'Tỉnh',
  'report.district': 'Huyện',
  'report.cameras': 'Số camera',
  'report.connected': 'Đã kết nối',
  'report.uptime': 'Tỷ lệ hoạt động',
  'report.shortfalls': 'Cơ sở chưa kết nối hoặc dưới ngưỡng',
  'report.none': 'Không có cơ sở nào dưới ngưỡng.',
  'problem.no-camera': 'Chưa có camera',
  'problem.never-connected': 'Chưa từng kết nối trong kỳ',
  'problem.below-threshold': 'Dưới ngưỡng',
  'rec.title': 'Xem lại',
  'rec.camera': 'Camera',
  'rec.search': 'Tìm đoạn ghi',
  'rec.none': 'Không có đoạn ghi nào trong khoảng thời gian này.',
  'rec.unavailable': 'Chức năng ghi hình chưa được bật.',
  'rec.writing': 'đang ghi',
  'nav.recordings': 'Xem lại',
  'nav.ops': 'Vận hành',
  paused: 'Tạm dừng (không hiển thị trên màn hình)',
  search: 'Tìm theo tên…',
  unassigned: 'Chưa gắn cơ sở',
  openAll: 'Mở tất cả camera',
  'tree.count': '{{live}}/{{total}} trực tiếp',
  'wall.saveFailed': 'Không lưu được bố cục: {{message}}',
  'session.ended': 'Phiên làm việc đã kết thúc: tài khoản bị tạm khóa hoặc thu hồi. Vui lòng liên hệ quản trị.',
  'session.expired': 'Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.',
  'spot.title': 'Kiểm tra đột xuất',
  'spot.open': 'Mở',
  'spot.left': 'còn {{time}}',
  'spot.until': 'đến {{time}}',
  'spot.startsAt': 'bắt đầu lúc {{time}}',
  'spot.active': 'Đang kiểm tra {{place}} — {{left}}',
  'spot.ended': 'Đợt kiểm tra {{place}} đã kết thúc; các camera đã được đóng.',
  'spot.cameras_one': '{{count}} camera',
  'spot.cameras_other': '{{count}} camera',
};

type Key = keyof typeof vi;

const en: Record<Key, string> = {
  title: 'Camera supervision',
  cameras: 'Cameras',
  layout: 'Layout',
  language: 'Tiếng Việt',
  noCameras: 'No cameras yet',
  emptyTile: 'Pick a camera from the list on the left',
  'state.idle': 'Idle',
  'state.connecting': 'Connecting',
  'state.live': 'Live',
  'state.stalled': 'Stalled',
  'state.offline': 'Offline',
  reconnecting: 'Reconnecting…',
  fps: 'fps',
  decode: 'decode',
  buffer: 'buffer',
  latency: 'latency',
  disconnected: 'Lost the server, retrying…',
  error: 'Error',
  transcoding: 'transcoding',
  signIn: 'Sign in',
  signOut: 'Sign out',
  username: 'Username',
  password: 'Password',
  signInFailed: 'Sign-in failed',
  revoked: 'Your access to this camera was withdrawn',
  noAccess: 'No access, or no such camera',
  notice: 'Every view is logged against your account.',
  totp: 'Authentication code (6 digits)',
  totpAsk: 'Enter the 6-digit code from your authenticator app.',
  enrollHelp: 'This account needs two-factor sign-in. Add this key to an authenticator app (Google Authenticator, Microsoft Authenticator…) and enter its first 6-digit code:',
  'ops.title': 'Operations',
  'ops.back': 'Supervision screen',
  'ops.noDuty': 'This account may not see the operations dashboard.',
  'ops.cameras': 'Cameras live',
  'ops.producers': 'Producers',
  'ops.consumers': 'Consumers',
  'ops.bitrateIn': 'Bitrate in',
  'ops.bitrateOut': 'Bitrate out',
  'ops.sockets': 'Connections',
  'ops.serverCpu': 'Server CPU',
  'ops.chartLoad': 'CPU load (% of one core)',
  'ops.chartMedia': 'Producers / consumers',
  'ops.chartBitrate': 'Bitrate (Mbit/s)',
  'ops.worker': 'Worker',
  'ops.server': 'Server',
  'ops.in': 'In',
  'ops.out': 'Out',
  'ops.camera': 'Camera',
  'ops.facility': 'Facility',
  'ops.state': 'State',
  'ops.uptime24h': 'Uptime 24 h',
  'ops.lastError': 'Last error',
  'ops.viewers': 'Viewers',
  'ops.updated': 'Updated',
  'report.title': '24/7 connection report',
  'report.from': 'From',
  'report.to': 'To',
  'report.threshold': 'Threshold (%)',
  'report.run': 'Show report',
  'report.csv': 'Export CSV',
  'report.province': 'Province',
  'report.district': 'District',
  'report.cameras': 'Cameras',
  'report.connected': 'Connected',
  'report.uptime': 'Uptime',
  'report.shortfalls': 'Facilities not connected or below the threshold',
  'report.none': 'No facility is below the threshold.',
  'problem.no-camera': 'No camera yet',
  'problem.never-connected': 'Never connected in the period',
  'problem.below-threshold': 'Below threshold',
  'rec.title': 'Recordings',
  'rec.camera': 'Camera',
  'rec.search': 'Find segments',
  'rec.none': 'No recorded segments in this period.',
  'rec.unavailable': 'Recording is not enabled.',
  'rec.writing': 'recording',
  'nav.recordings': 'Recordings',
  'nav.ops': 'Operations',
  paused: 'Paused (not on screen)',
  search: 'Search by name…',
  unassigned: 'Not assigned to a facility',
  openAll: 'Open all cameras',
  'tree.count': '{{live}}/{{total}} live',
  'wall.saveFailed': 'The layout could not be saved: {{message}}',
  'session.ended': 'Your session has ended: the account was suspended or revoked. Please contact your administrator.',
  'session.expired': 'Your session has expired. Please sign in again.',
  'spot.title': 'Spot checks',
  'spot.open': 'Open',
  'spot.left': '{{time}} left',
  'spot.until': 'until {{time}}',
  'spot.startsAt': 'starts at {{time}}',
  'spot.active': 'Spot check of {{place}} — {{left}}',
  'spot.ended': 'The spot check of {{place}} has ended; its cameras were closed.',
  'spot.cameras_one': '{{count}} camera',
  'spot.cameras_other': '{{count}} cameras',
};

export type Lang = 'vi' | 'en';
/** Keys as callers write them: plural forms (_one, _other) are chosen by i18next from `count`. */
type Base<K> = K extends `${infer B}_${'one' | 'other'}` ? B : K;
type BaseKey = Base<Key>;
export type MessageKey = BaseKey;
const LOCALES: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB' };

let lang: Lang = localStorage.getItem('lang') === 'en' ? 'en' : 'vi';

void i18next.init({
  lng: lang,
  fallbackLng: 'vi',
  resources: { vi: { translation: vi }, en: { translation: en } },
  // Synchronous: the resources are bundled, so t() works as soon as the module is loaded.
  initAsync: false,
  interpolation: { escapeValue: false }, // text goes into textContent, never innerHTML
  keySeparator: false,
  nsSeparator: false,
});

export function t(key: BaseKey, vars?: Record<string, string | number>): string {
  return i18next.t(key, vars);
}

export function currentLang(): Lang {
  return lang;
}

/** The BCP 47 locale of the chosen language (for Intl and toLocale* calls). */
export function locale(): string {
  return LOCALES[lang];
}

/** Date and time as people of the chosen language write it. */
export function formatDateTime(d: Date | string | number): string {
  return new Date(d).toLocaleString(locale());
}

export function formatTime(d: Date | string | number): string {
  return new Date(d).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

/** A remaining time as h:mm:ss or m:ss. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem('lang', next);
  document.documentElement.lang = next;
  void i18next.changeLanguage(next);
}
