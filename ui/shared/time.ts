// Dates and times as the project's people read them: in the project's time
// zone (an IANA name the server sends with the project, its reports and the
// contractor's page), never the browser's. Printed times carry the zone's
// offset, as the server's PDFs and messages do (core::time::format_local):
// "2026-11-01 01:00 (UTC+08:00)".

/** The zone a project has unless the CS center set another (core::time::DEFAULT_ZONE). */
export const DEFAULT_ZONE = 'Asia/Shanghai';

type Instant = number | string | Date;

function parts(t: Instant, zone: string): Record<string, string> {
  // `longOffset` ("GMT+08:00") is newer than the TypeScript lib this builds with.
  const options = {
    timeZone: zone || DEFAULT_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset',
  } as unknown as Intl.DateTimeFormatOptions;
  const fmt = new Intl.DateTimeFormat('en-CA', options);
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(new Date(t))) out[p.type] = p.value;
  return out;
}

/** The zone's offset at `t`: "UTC+08:00", "UTC-04:00", or "UTC" itself. */
export function utcOffset(t: Instant, zone: string): string {
  const name = parts(t, zone).timeZoneName ?? 'GMT';
  return name === 'GMT' || name === 'GMT+00:00' ? 'UTC' : name.replace('GMT', 'UTC');
}

/** The local day of `t` in `zone`: "2026-11-01". */
export function localDate(t: Instant, zone: string): string {
  const p = parts(t, zone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Local date and time to the minute, without the zone: "2026-11-01 01:00". */
export function localDateTime(t: Instant, zone: string): string {
  const p = parts(t, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** Local date and time with the zone's offset: "2026-11-01 01:00 (UTC+08:00)". */
export function formatLocal(t: Instant, zone: string): string {
  return `${localDateTime(t, zone)} (${utcOffset(t, zone)})`;
}

/** Today in `zone`, as YYYY-MM-DD. */
export function todayIn(zone: string, now: Instant = Date.now()): string {
  return localDate(now, zone);
}
