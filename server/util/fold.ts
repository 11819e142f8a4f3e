// Text compared the way people type Vietnamese names in a search box: without diacritics
// ("Tran Thi Binh" finds "Trần Thị Bình"), đ as d, and case-insensitive. Shared by the
// server's searches and the page's filters (bundled into the client), so both match alike.

export function foldText(s: string): string {
  return s.normalize('NFD').replace(/\p{Diacritic}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase();
}
