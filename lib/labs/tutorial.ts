import { Construct } from 'constructs';
import { MeshLab } from '../mesh/lab';
import { MeshService } from '../mesh/service';
import { Match } from '../mesh/routing';
import { SecurityProfile } from '../mesh/security';
import { LabContext, LabOptions } from './options';

/**
 * The seed's Java images (Spring Boot / Vert.x on fabric8's OpenJDK image, which runs as
 * the jboss user, uid 185). The heap is capped at 256 MiB, so 512 MiB holds the JVM.
 */
function javaService(lab: MeshLab, name: string): MeshService {
  return lab.addService(name, {
    port: 8080,
    extraPorts: [{ number: 8778, name: 'jolokia' }, { number: 9779, name: 'prometheus' }],
    container: {
      env: { JAVA_OPTIONS: '-Xmx256m' },
      resources: { cpu: 50, memory: 256, memoryLimit: 512 },
      security: SecurityProfile.nonRoot(185),
      healthCommand: ['curl', 'localhost:8080/health'],
      // The JVM takes tens of seconds to serve on a 2 GiB lab VM: no restarts before a minute.
      startupSeconds: 60,
    },
  });
}

const image = (name: string, version: string) => `jimmysong/istio-tutorial-${name}:${version}`;

/**
 * Jimmy Song's Istio tutorial: customer -> preference -> recommendation (v1, v2), the
 * customer behind the ingress gateway at `/customer`, and the egress test services.
 */
export function tutorial(scope: Construct, options?: LabOptions): MeshLab {
  const ctx = new LabContext('tutorial', options);
  const lab = new MeshLab(scope, 'tutorial', { namespace: ctx.namespace('istio-tutorial') });

  for (const name of ['customer', 'preference', 'egresshttpbin', 'egressgithub']) {
    ctx.addVersion(javaService(lab, name), 'v1', image(name, 'v1'), { deploymentName: name });
  }
  const recommendation = javaService(lab, 'recommendation');
  for (const version of ['v1', 'v2']) ctx.addVersion(recommendation, version, image('recommendation', version));

  lab.addGateway('customer-gateway').addRoutes('customer-gateway', [
    { match: [Match.prefix('/customer')], rewrite: '/', to: [{ destination: lab.service('customer') }] },
  ]);

  lab.node.addValidation({ validate: () => ctx.unknownKeys() });
  return lab;
}
