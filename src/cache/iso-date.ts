/**
 * Whether `text` is a date exactly as `Date.prototype.toISOString` writes it (`YYYY-MM-DDTHH:mm:ss.sssZ`,
 * a real calendar day), i.e. whether `new Date(text).toISOString() === text`, without building the Date.
 */
export function isCanonicalIsoDate(text: string): boolean {
  if (text.length !== 24 || !CANONICAL_SHAPE.test(text)) return false;
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  if (digits(text, 11, 2) > 23 || digits(text, 14, 2) > 59 || digits(text, 17, 2) > 59) return false;
  return day <= daysIn(digits(text, 0, 4), month);
}

const CANONICAL_SHAPE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
