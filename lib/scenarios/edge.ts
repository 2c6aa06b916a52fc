import { Duration } from 'cdk8s';
import { DestinationRule, EnvoyFilter, Gateway, ServiceEntry, VirtualService } from '../../imports/istio';
import { MeshlabError } from '../errors';
import { istioDuration } from '../istio/duration';
import type { IngressGateway } from '../mesh/gateway';
import type { MeshLab } from '../mesh/lab';
import { renderDestination } from '../mesh/routing';
import type { MeshService, ServiceVersion } from '../mesh/service';
import { newService } from '../mesh/workload';
import { Scenario } from './scenario';

/** An external host the mesh may call. */
export interface ExternalHost {
  readonly host: string;
  readonly port: number;
  /** HTTP for plain requests, TLS for HTTPS the application encrypts itself. */
  readonly protocol: 'HTTP' | 'TLS';
}

/** The demo profile's egress gateway Service. */
export const EGRESS_GATEWAY_HOST = 'istio-egressgateway.istio-system.svc.cluster.local';

export interface EgressProps {
  readonly hosts: readonly ExternalHost[];
  /** Timeout of HTTP calls to the hosts. @default none */
  readonly timeout?: Duration;
  /** Send HTTP calls through the egress gateway (istio: egressgateway) instead of straight out. @default false */
  readonly viaGateway?: boolean;
}

/**
 * Registers external hosts with the mesh (ServiceEntry, MESH_EXTERNAL, DNS), so they stay
 * reachable with `outboundTrafficPolicy: REGISTRY_ONLY`, gives HTTP ones a timeout, and can
 * route HTTP ones through the egress gateway.
 * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/
 * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/
 */
export class Egress extends Scenario {
  public constructor(lab: MeshLab, props: EgressProps) {
    super(lab, 'egress');
    if (props.hosts.length === 0) throw new MeshlabError('egress needs at least one host:port');
    for (const h of props.hosts) {
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(h.host)) throw new MeshlabError(`egress: ${h.host} is not a DNS host name`);
      if (!Number.isInteger(h.port) || h.port < 1 || h.port > 65535) throw new MeshlabError(`egress: port ${h.port} of ${h.host} must be from 1 to 65535`);
      const name = h.host.replace(/\./g, '-');
      new ServiceEntry(this, name, {
        metadata: { name },
        spec: {
          hosts: [h.host],
          ports: [{ number: h.port, name: `${h.protocol.toLowerCase()}-${h.port}`, protocol: h.protocol }],
          resolution: 'DNS',
          location: 'MESH_EXTERNAL',
        },
      });
      if (h.protocol !== 'HTTP') continue;
      const timeout = props.timeout && istioDuration(props.timeout);
      const direct = { timeout, route: [{ destination: { host: h.host, port: { number: h.port } } }] };
      if (!props.viaGateway) {
        if (timeout) new VirtualService(this, `${name}-vs`, { metadata: { name }, spec: { hosts: [h.host], http: [direct] } });
        continue;
      }
      // Sidecars send the host to the egress gateway, which sends it out.
      const gateway = `${name}-egress`;
      new Gateway(this, `${name}-gateway`, {
        metadata: { name: gateway },
        spec: { selector: { istio: 'egressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [h.host] }] },
      });
      new DestinationRule(this, `${name}-dr`, { metadata: { name: gateway }, spec: { host: EGRESS_GATEWAY_HOST, subsets: [{ name }] } });
      new VirtualService(this, `${name}-vs`, {
        metadata: { name },
        spec: {
          hosts: [h.host],
          gateways: [gateway, 'mesh'],
          http: [
            { match: [{ gateways: ['mesh'], port: h.port }], route: [{ destination: { host: EGRESS_GATEWAY_HOST, subset: name, port: { number: 80 } } }] },
            { match: [{ gateways: [gateway], port: 80 }], ...direct },
          ],
        },
      });
    }
  }
}

/**
 * Serves a lab's gateway over HTTPS too (port 443, TLS terminated at the ingress gateway
 * with the certificate in an istio-system secret).
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/secure-ingress/
 */
export class IngressTls extends Scenario {
  public constructor(lab: MeshLab, props: { readonly gateway: IngressGateway; readonly credentialName: string }) {
    super(lab, 'ingress-tls');
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.credentialName)) {
      throw new MeshlabError(`ingress-tls: ${props.credentialName} is not a valid secret name`);
    }
    props.gateway.enableTls(props.credentialName);
  }
}

/**
 * Routes TCP: a Service without pods (`redis-proxy`) whose connections the sidecars send
 * to another service's port.
 * @see https://istio.io/latest/docs/tasks/traffic-management/tcp-traffic-shifting/
 */
export class TcpRoute extends Scenario {
  public constructor(lab: MeshLab, props: { readonly name: string; readonly port: number; readonly to: MeshService }) {
    super(lab, 'tcp-route');
    if (!Number.isInteger(props.port) || props.port < 1 || props.port > 65535) throw new MeshlabError(`tcp-route: port must be from 1 to 65535, got ${props.port}`);
    newService(this, 'Service', props.name, [{ name: 'tcp', port: props.port }]);
    new VirtualService(this, 'Routes', {
      metadata: { name: props.name },
      spec: () => ({
        hosts: [props.name],
        tcp: [{ match: [{ port: props.port }], route: [{ destination: renderDestination(props.to.defaultDestination, lab.namespace) }] }],
      }),
    });
  }
}

/** Envoy wants protobuf durations in seconds: `5s`, `0.5s`. */
const envoySeconds = (d: Duration) => `${d.toMilliseconds() / 1000}s`;

/**
 * Limits the requests a service accepts, with Envoy's local rate limit in its sidecar
 * (the modern form of the Mixer quotas the book used); the excess gets 429.
 * @see https://istio.io/latest/docs/tasks/policy-enforcement/rate-limit/
 */
export class RateLimit extends Scenario {
  public constructor(lab: MeshLab, props: { readonly service: MeshService; readonly requests: number; readonly per: Duration; readonly version?: ServiceVersion }) {
    super(lab, 'rate-limit');
    if (!Number.isInteger(props.requests) || props.requests < 1) throw new MeshlabError(`rate-limit: requests must be a whole number 1 or more, got ${props.requests}`);
    if (props.per.toMilliseconds() < 1) throw new MeshlabError('rate-limit: per must be a positive duration');
    const enabled = { runtime_key: 'local_rate_limit_enabled', default_value: { numerator: 100, denominator: 'HUNDRED' } };
    new EnvoyFilter(this, 'Filter', {
      metadata: { name: `${props.version ? `${props.service.name}-${props.version.name}` : props.service.name}-local-ratelimit` },
      spec: {
        workloadSelector: { labels: props.version ? { ...props.version.labels } : { app: props.service.app } },
        configPatches: [{
          applyTo: 'HTTP_FILTER',
          match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
          patch: {
            // First in the chain. Istio's task writes INSERT_BEFORE without a subFilter, which
            // istiod applies as INSERT_FIRST (istio/istio pilot/pkg/networking/core/envoyfilter/
            // listener_patch.go), but a relative operation without a priority is IST0151 for
            // istioctl analyze (pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go).
            operation: 'INSERT_FIRST',
            value: {
              name: 'envoy.filters.http.local_ratelimit',
              typed_config: {
                '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
                type_url: 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
                value: {
                  stat_prefix: 'http_local_rate_limiter',
                  token_bucket: { max_tokens: props.requests, tokens_per_fill: props.requests, fill_interval: envoySeconds(props.per) },
                  filter_enabled: { ...enabled, runtime_key: 'local_rate_limit_enabled' },
                  filter_enforced: { ...enabled, runtime_key: 'local_rate_limit_enforced' },
                  response_headers_to_add: [{ append: false, header: { key: 'x-local-rate-limit', value: 'true' } }],
                },
              },
            },
          },
        }],
      },
    });
  }
}
