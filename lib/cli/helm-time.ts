/** Dates the way helm's tables print them (Go time formats, local time). */

/** Go's time.ANSIC ("Mon Jan  2 15:04:05 2006"), as `helm history` and `helm status` print dates. */
export function helmTime(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  const [weekday, month] = [d.toLocaleString('en-US', { weekday: 'short' }), d.toLocaleString('en-US', { month: 'short' })];
  return `${weekday} ${month} ${String(d.getDate()).padStart(2)} ${clock(d)} ${d.getFullYear()}`;
}

/** Go's Time.String() ("2006-01-02 15:04:05.999999999 -0700 MST"), as `helm list` prints dates. */
export function goTimeString(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  const fraction = (/\.(\d+)/.exec(rfc3339)?.[1] ?? '').replace(/0+$/, '');
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  const name = d.toLocaleString('en-US', { timeZoneName: 'short' }).split(' ').pop();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(d)}${fraction ? `.${fraction}` : ''} ${zone} ${name}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
