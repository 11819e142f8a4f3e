// User interface strings: Vietnamese (default) and English. Every string shown to a person
// comes from here; the choice is remembered in localStorage.

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
};

export type Lang = 'vi' | 'en';
const dictionaries: Record<Lang, Record<Key, string>> = { vi, en };

let lang: Lang = (localStorage.getItem('lang') as Lang | null) ?? 'vi';
if (!(lang in dictionaries)) lang = 'vi';

export function t(key: Key): string {
  return dictionaries[lang][key];
}

export function currentLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem('lang', next);
  document.documentElement.lang = next;
}
