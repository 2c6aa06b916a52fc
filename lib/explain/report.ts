import { Count, Explanation, Hop } from './tally';
import { HttpRequest } from './request';

/** What the report's header names: the lab, its scenarios and the requests sent. */
export interface ReportContext {
  /** The lab; undefined when the manifests were read from files. */
  readonly lab?: string;
  /** The files or folders read (PATH mode). */
  readonly files?: readonly string[];
  readonly scenarios: readonly string[];
  /** Scenario parameters given with --set or in the flags file (`canary.weights` -> `v1:75,v2:25`). */
  readonly set?: Readonly<Record<string, string>>;
  readonly from: string;
  readonly seed: number;
  readonly request: HttpRequest;
  /** Only hops into this service are shown. */
  readonly to?: string;
}

/** Said at the top of every report, text and JSON. */
export const PREVIEW_NOTICE = "A preview of Istio's routing rules, computed offline from the generated manifests: it is not Istio and sends no request.";

const percent = (count: number, of: number) => `${of === 0 ? '0.0' : ((count * 100) / of).toFixed(1)}%`;

function headersText(request: HttpRequest): string {
  if (request.headers.size === 0) return 'no headers';
  return `headers ${[...request.headers.entries()].map(([k, v]) => `${k}=${v}`).join(', ')}`;
}

function shown(e: Explanation, ctx: ReportContext): readonly Hop[] {
  return ctx.to === undefined ? e.hops : e.hops.filter((h) => h.to === ctx.to);
}

/** The hop line: who calls whom, how many requests, where they went and what ended them. */
function hopLine(h: Hop, edgeWidth: number, countWidth: number): string {
  const parts = [
    h.versions.map((v) => `${v.name} ${percent(v.count, h.reached)}`).join('  '),
    ...h.outcomes.map((o) => `${o.name}: ${percent(o.count, h.reached)}`),
    ...h.delayed.map((d) => `delayed ${d.name}: ${percent(d.count, h.reached)}`),
    ...h.mirrored.map((m) => `mirrored to ${m.name}: ${percent(m.count, h.reached)}`),
  ].filter((p) => p !== '');
  return [`${`${h.from} -> ${h.to}`.padEnd(edgeWidth)}  ${String(h.reached).padStart(countWidth)} reached`, ...parts].join('   ');
}

/**
 * The report for a reader: a header, the notice that this is a preview, one line per hop in
 * walk order with its notes indented, and the statuses end to end.
 */
export function formatText(e: Explanation, ctx: ReportContext): string {
  const hops = shown(e, ctx);
  const set = Object.entries(ctx.set ?? {}).map(([k, v]) => `${k}=${v}`);
  const scenarios = ctx.scenarios.length > 0 ? `scenarios ${ctx.scenarios.join(', ')}${set.length > 0 ? ` with ${set.join(' ')}` : ''}` : 'no scenarios';
  const lines = [
    `meshlab explain: ${ctx.lab !== undefined ? `lab ${ctx.lab} (${scenarios})` : `files ${(ctx.files ?? []).join(', ')}`}, ${e.requests} requests ${ctx.request.method} ${ctx.request.path} with ${headersText(ctx.request)}, from ${ctx.from}, seed ${ctx.seed}`,
    PREVIEW_NOTICE,
    'On each hop line, every percentage is of the requests that reached that hop; a version counts those that reached its pods.',
    '',
  ];
  const edgeWidth = Math.max(0, ...hops.map((h) => `${h.from} -> ${h.to}`.length));
  const countWidth = Math.max(0, ...hops.map((h) => String(h.reached).length));
  for (const h of hops) {
    lines.push(hopLine(h, edgeWidth, countWidth));
    if (h.pods.length > 0) lines.push(`  pods: ${h.pods.map((p) => `${p.name} ${percent(p.count, h.reached)}`).join(', ')}`);
    for (const n of h.notes) lines.push(`  ${n.text}${n.count === undefined ? '' : `: ${percent(n.count, h.reached)}`}`);
  }
  if (hops.length === 0) lines.push(ctx.to === undefined ? 'no hop was taken' : `no request reached ${ctx.to}`);
  lines.push('', `end to end (of ${e.requests} requests): ${e.endToEnd.map((s) => `${s.name} ${percent(s.count, e.requests)}`).join('  ')}`);
  return lines.join('\n');
}

const counts = (list: readonly Count[], of: number) => list.map((c) => ({ name: c.name, count: c.count, percent: Number(((c.count * 100) / Math.max(of, 1)).toFixed(1)) }));

/** The same report as JSON: counts with their percentages, notes with theirs where they hold for a share. */
export function formatJson(e: Explanation, ctx: ReportContext): string {
  return JSON.stringify({
    lab: ctx.lab ?? null,
    files: ctx.files ?? [],
    scenarios: ctx.scenarios,
    set: ctx.set ?? {},
    requests: e.requests,
    request: { method: ctx.request.method, path: ctx.request.path, headers: Object.fromEntries(ctx.request.headers) },
    from: ctx.from,
    to: ctx.to ?? null,
    seed: ctx.seed,
    notice: PREVIEW_NOTICE,
    hops: shown(e, ctx).map((h) => ({
      from: h.from,
      to: h.to,
      reached: h.reached,
      versions: counts(h.versions, h.reached),
      pods: counts(h.pods, h.reached),
      outcomes: counts(h.outcomes, h.reached),
      delayed: counts(h.delayed, h.reached),
      mirrored: counts(h.mirrored, h.reached),
      notes: h.notes.map((n) => (n.count === undefined ? { text: n.text } : { text: n.text, count: n.count, percent: Number(((n.count * 100) / Math.max(h.reached, 1)).toFixed(1)) })),
    })),
    endToEnd: counts(e.endToEnd, e.requests).map((s) => ({ status: s.name, count: s.count, percent: s.percent })),
  }, null, 2);
}
