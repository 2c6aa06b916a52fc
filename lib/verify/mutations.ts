/* eslint-disable @typescript-eslint/no-explicit-any */
import { Manifest, objectKey } from '../validate/manifest';
import { destinationRule, service } from '../validate/views';
import type { Case, CaseFile } from './cases';

/**
 * One mistake made on purpose: `apply` changes the first object of a case it applies to (a
 * deep copy of it) and says what it did, or returns false when nothing in the case fits.
 */
export interface Mutation {
  readonly name: string;
  /** Istio's code for the mistake, as a hint for the reader of the report. */
  readonly expects: string;
  readonly apply: (target: any, all: readonly Manifest[], add: (m: Manifest) => void) => boolean;
  /** Kinds `apply` is tried on. */
  readonly kinds: readonly string[];
}

const httpRoutes = (vs: any): any[] => vs.spec?.http ?? [];
const destinations = (vs: any): any[] =>
  [...httpRoutes(vs), ...(vs.spec?.tcp ?? []), ...(vs.spec?.tls ?? [])].flatMap((r: any) => (r.route ?? []).map((d: any) => d.destination));
const isCatchAll = (r: any) => !r.match || r.match.length === 0;
const shortName = (host: string) => host.split('.')[0];

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'drop-subset',
    expects: 'IST0101',
    kinds: ['VirtualService'],
    apply: (vs, all) => {
      const d = destinations(vs).find((x) => x?.subset);
      if (!d) return false;
      // The DestinationRule objects are shared with the rest of the case: drop the subset there.
      const dr: any = all.find((m) => m.kind === 'DestinationRule' && shortName(destinationRule(m).host) === shortName(d.host) &&
        destinationRule(m).subsets.some((s) => s.name === d.subset));
      if (!dr) return false;
      dr.spec.subsets = dr.spec.subsets.filter((s: any) => s.name !== d.subset);
      return true;
    },
  },
  {
    name: 'rename-destination-host',
    expects: 'IST0101',
    kinds: ['VirtualService'],
    apply: (vs) => {
      const d = destinations(vs).find((x) => x?.host);
      if (!d) return false;
      d.host = `${shortName(d.host)}-missing`;
      return true;
    },
  },
  {
    name: 'break-gateway-host',
    expects: 'IST0132',
    kinds: ['Gateway'],
    apply: (gw) => {
      const servers = gw.spec?.servers ?? [];
      if (servers.length === 0) return false;
      for (const s of servers) s.hosts = ['nowhere.example.com'];
      return true;
    },
  },
  {
    name: 'gateway-host-own-namespace',
    expects: '(none: ./host means the Gateway namespace)',
    kinds: ['Gateway'],
    apply: (gw) => {
      const servers = (gw.spec?.servers ?? []).filter((s: any) => (s.hosts ?? []).some((h: string) => !h.includes('/')));
      if (servers.length === 0) return false;
      for (const s of servers) s.hosts = s.hosts.map((h: string) => (h.includes('/') ? h : `./${h}`));
      return true;
    },
  },
  {
    name: 'duplicate-match',
    expects: 'IST0130',
    kinds: ['VirtualService'],
    apply: (vs) => {
      const http = httpRoutes(vs);
      const i = http.findIndex((r) => !isCatchAll(r));
      if (i < 0) return false;
      // A copy that differs only in the match's name: still the same match.
      const copy = JSON.parse(JSON.stringify(http[i]));
      copy.match = copy.match.map((m: any) => ({ ...m, name: 'copy' }));
      delete copy.name;
      http.splice(i + 1, 0, copy);
      return true;
    },
  },
  {
    name: 'catch-all-first',
    expects: 'IST0130',
    kinds: ['VirtualService'],
    apply: (vs) => {
      const http = httpRoutes(vs);
      const last = http.length - 1;
      if (last < 1 || !isCatchAll(http[last])) return false;
      http.unshift(...http.splice(last, 1));
      return true;
    },
  },
  {
    name: 'gateway-selects-nothing',
    expects: 'IST0101',
    kinds: ['Gateway'],
    apply: (gw) => {
      if (!gw.spec?.selector) return false;
      gw.spec.selector = { istio: 'nowhere' };
      return true;
    },
  },
  {
    name: 'gateway-port-not-on-service',
    expects: 'IST0162',
    kinds: ['Gateway'],
    apply: (gw) => {
      const s = (gw.spec?.servers ?? [])[0];
      if (!s?.port) return false;
      s.port.number = 8181;
      return true;
    },
  },
  {
    name: 'namespace-not-labelled',
    expects: 'IST0102',
    kinds: ['Namespace'],
    apply: (ns) => {
      const labels = ns.metadata.labels ?? {};
      if (labels['istio-injection'] === undefined && labels['istio.io/rev'] === undefined) return false;
      const { ['istio-injection']: _injection, ['istio.io/rev']: _rev, ...rest } = labels;
      ns.metadata.labels = rest;
      return true;
    },
  },
  {
    name: 'port-name-without-protocol',
    expects: 'IST0118',
    kinds: ['Service'],
    apply: (svc) => {
      const p = (svc.spec?.ports ?? []).find((x: any) => x.protocol !== 'UDP');
      if (!p || svc.spec.type === 'ExternalName') return false;
      p.name = 'web';
      delete p.appProtocol;
      return true;
    },
  },
  {
    name: 'invalid-regex',
    expects: 'IST0122',
    kinds: ['VirtualService'],
    apply: (vs) => {
      for (const r of httpRoutes(vs)) {
        for (const m of r.match ?? []) {
          for (const field of ['uri', 'authority', 'scheme', 'method']) {
            if (m[field]?.regex !== undefined) return (m[field].regex = '(?<=x)[a-', true);
          }
          for (const group of ['headers', 'queryParams', 'withoutHeaders']) {
            const hit = Object.values(m[group] ?? {}).find((v: any) => v?.regex !== undefined) as any;
            if (hit) return (hit.regex = '(?<=x)[a-', true);
          }
        }
      }
      return false;
    },
  },
  {
    name: 'policy-selects-nothing',
    expects: 'IST0127',
    kinds: ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication', 'Sidecar', 'EnvoyFilter', 'Telemetry'],
    apply: (p) => {
      const selector = p.spec?.selector ?? p.spec?.workloadSelector;
      const labels = selector?.matchLabels ?? selector?.labels;
      if (!labels) return false;
      for (const k of Object.keys(labels)) labels[k] = 'nowhere';
      return true;
    },
  },
  {
    name: 'second-virtualservice',
    expects: 'IST0109',
    kinds: ['VirtualService'],
    apply: (vs, _all, add) => {
      add({ ...JSON.parse(JSON.stringify(vs)), metadata: { ...vs.metadata, name: `${vs.metadata.name}-copy` } });
      return true;
    },
  },
  {
    name: 'destination-without-port',
    expects: 'IST0112',
    kinds: ['VirtualService'],
    apply: (vs, all) => {
      for (const d of destinations(vs)) {
        const svc: any = all.find((m) => m.kind === 'Service' && m.metadata.name === shortName(d?.host ?? '') && service(m).ports.length > 0);
        if (!svc || svc.spec.type === 'ExternalName') continue;
        // A second port on the Service, and no port on the destination.
        const used = new Set(svc.spec.ports.map((p: any) => p.port));
        const port = [9000, 9001, 9002].find((p) => !used.has(p));
        svc.spec.ports.push({ name: 'http-admin', port, targetPort: port });
        delete d.port;
        return true;
      }
      return false;
    },
  },
  {
    name: 'subset-selects-no-pods',
    expects: 'IST0173',
    kinds: ['DestinationRule'],
    apply: (dr) => {
      const s = (dr.spec?.subsets ?? []).find((x: any) => x.labels && Object.keys(x.labels).length > 0);
      if (!s) return false;
      for (const k of Object.keys(s.labels)) s.labels[k] = 'nowhere';
      return true;
    },
  },
  {
    name: 'destinationrule-host-missing',
    expects: 'IST0174',
    kinds: ['DestinationRule'],
    apply: (dr) => {
      if (!dr.spec?.host) return false;
      dr.spec.host = `${shortName(dr.spec.host)}-missing`;
      return true;
    },
  },
];

/**
 * The case with one mutation made to the first object it fits, among the case's focus (a
 * step's own objects) or, without one, all its objects. `undefined` when nothing fits.
 */
export function mutate(c: Case, mutation: Mutation): Case | undefined {
  const files: CaseFile[] = JSON.parse(JSON.stringify(c.files));
  const all = files.flatMap((f) => f.objects) as Manifest[];
  const inFocus = (m: Manifest) => !c.focus || c.focus.has(objectKey(m));
  const name = `${c.name}/mutation/${mutation.name}`;
  for (const f of files) {
    for (const m of f.objects) {
      const add = (extra: Manifest) => (f.objects as Manifest[]).push(extra);
      if (mutation.kinds.includes(m.kind) && inFocus(m) && mutation.apply(m, all, add)) return { name, files, generated: false };
    }
  }
  return undefined;
}

/** Every mutation of every case that has something it fits. */
export function mutations(cases: readonly Case[]): Case[] {
  return cases.filter((c) => !c.verbatim).flatMap((c) => MUTATIONS.map((m) => mutate(c, m)).filter((x): x is Case => x !== undefined));
}
