import { fields, num, text } from './read';

/**
 * The protocol Istio reads from a Service port, or undefined when it cannot read one (then
 * Istio sniffs the traffic, and `istioctl analyze` reports IST0118).
 * @see istio/istio pkg/config/kube/conversion.go ConvertProtocol and pkg/config/protocol/instance.go Parse
 */
export function portProtocol(value: unknown): string | undefined {
  const port = fields(value);
  if (port.protocol === 'UDP') return 'UDP';
  const appProtocol = text(port.appProtocol);
  let name: string = appProtocol ?? text(port.name) ?? '';
  // Kubernetes' standard appProtocol names (only as appProtocol).
  const standard: Record<string, string> = { 'kubernetes.io/h2c': 'HTTP2', 'kubernetes.io/ws': 'HTTP', 'kubernetes.io/wss': 'HTTPS' };
  if (appProtocol !== undefined && standard[name]) return standard[name];
  if (name.toLowerCase().startsWith('grpc-web')) return 'GRPC-Web';
  const dash = name.indexOf('-');
  if (dash >= 0) name = name.slice(0, dash);
  const known = ['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql'];
  if (known.includes(name.toLowerCase())) return name.toUpperCase();
  // Well-known ports (SMTP, DNS, MySQL, MongoDB) default to TCP.
  if ([25, 53, 3306, 27017].includes(num(port.port) ?? -1)) return 'TCP';
  return undefined;
}
