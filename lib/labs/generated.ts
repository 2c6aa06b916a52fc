import { Construct } from 'constructs';
import { MeshLab } from '../mesh/lab';
import { SecurityProfile } from '../mesh/security';

/**
 * A synthetic lab of `services` HTTP services with v1 and v2 each, for measuring how
 * synthesis cost grows with the mesh (npm run bench). Not one of the tutorials' labs.
 */
export function generatedMesh(scope: Construct, services: number): MeshLab {
  const lab = new MeshLab(scope, 'generated', { namespace: 'generated' });
  for (let i = 0; i < services; i++) {
    const service = lab.addService(`svc-${String(i).padStart(4, '0')}`, {
      port: 80,
      targetPort: 8080,
      container: { resources: { cpu: 10, memory: 16, memoryLimit: 32 }, security: SecurityProfile.nonRoot(65534) },
    });
    for (const version of ['v1', 'v2']) service.addVersion(version, { image: `example.local/svc:${version}` });
  }
  return lab;
}
