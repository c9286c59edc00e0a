import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadAll, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { loadConfig as loadWorkerConfig } from '../../feed-worker/src/config.js';

const base = fileURLToPath(new URL('../base/', import.meta.url));

/** The model that validates each kind against the Kubernetes (or KEDA) schema. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

const kustomization = load(readFileSync(`${base}kustomization.yaml`, 'utf8')) as {
  resources: string[];
};
const manifests: Manifest[] = kustomization.resources.flatMap(
  (file) => loadAll(readFileSync(`${base}${file}`, 'utf8')) as Manifest[],
);
const find = (kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found as Manifest & { spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifests are read as plain YAML
};
const container = (name: string) => find('Deployment', name).spec.template.spec.containers[0];

describe('deploy/base', () => {
  it('lists every manifest of the folder in its kustomization', () => {
    const files = readdirSync(base).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it.each(manifests.map((m) => [`${m.kind} ${m.metadata.name}`, m] as const))(
    '%s validates against its schema',
    (_, manifest) => {
      const Model = models[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `a model for ${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(() => new Model!(manifest as never).validate()).not.toThrow();
    },
  );

  it('the validation catches a broken manifest (so the test above can fail)', () => {
    const broken = structuredClone(find('Deployment', 'feed-worker'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
    const noTrigger = structuredClone(find('ScaledObject', 'feed-worker'));
    delete noTrigger.spec.scaleTargetRef;
    expect(() => new ScaledObject(noTrigger as never).validate()).toThrow(/scaleTargetRef/);
  });

  it('probes /healthz and /readyz on the port each process listens on', () => {
    for (const [name, port] of [
      ['feed-worker', 9464],
      ['feed-service', 3000],
    ] as const) {
      const c = container(name);
      expect(c.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    }
    const config = find('ConfigMap', 'feed-config').data!;
    expect([config.WORKER_HTTP_PORT, config.PORT]).toEqual(['9464', '3000']);
  });

  it('gives each pod a termination grace above its shutdown deadline', () => {
    const config = find('ConfigMap', 'feed-config').data!;
    // The worker's deadline as the worker reads it from this ConfigMap.
    const worker = loadWorkerConfig({
      ...config,
      AMQP_URL: 'amqp://x',
      DATABASE_URL: 'postgres://x/y',
    });
    const workerPod = find('Deployment', 'feed-worker').spec.template.spec;
    expect(workerPod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      worker.shutdownTimeoutMs,
    );
    // The service's deadline is 10 s (feed-service/src/main.ts), after its preStop pause.
    const servicePod = find('Deployment', 'feed-service').spec.template.spec;
    const preStopS = container('feed-service').lifecycle.preStop.sleep.seconds;
    const serviceMain = readFileSync(
      new URL('../../feed-service/src/main.ts', import.meta.url),
      'utf8',
    );
    const serviceDeadlineMs = Number(
      /const shutdownTimeoutMs = ([\d_]+);/.exec(serviceMain)![1]!.replace(/_/g, ''),
    );
    expect(servicePod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      preStopS * 1000 + serviceDeadlineMs,
    );
  });

  it('requests memory, caps it, and keeps a replica through a drain', () => {
    for (const name of ['feed-worker', 'feed-service']) {
      const { requests, limits } = container(name).resources;
      expect(requests.memory).toMatch(/^\d+Mi$/);
      expect(requests.cpu).toMatch(/^\d+m$/);
      expect(parseInt(limits.memory, 10)).toBeGreaterThan(parseInt(requests.memory, 10));
      const pdb = find('PodDisruptionBudget', name);
      expect(pdb.spec.minAvailable).toBe(1);
      expect(pdb.spec.selector.matchLabels).toEqual(
        find('Deployment', name).spec.template.metadata.labels,
      );
    }
  });

  it('scales the workers on the depth of feed.events with the RabbitMQ scaler', () => {
    const scaled = find('ScaledObject', 'feed-worker');
    expect(scaled.spec.scaleTargetRef).toEqual({ name: 'feed-worker' });
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(
      find('PodDisruptionBudget', 'feed-worker').spec.minAvailable + 1,
    );
    const [trigger] = scaled.spec.triggers;
    expect(trigger).toMatchObject({
      type: 'rabbitmq',
      metadata: { queueName: 'feed.events', mode: 'QueueLength', protocol: 'amqp' },
      authenticationRef: { name: 'feed-rabbitmq' },
    });
    expect(find('TriggerAuthentication', 'feed-rabbitmq').spec.secretTargetRef).toEqual([
      { parameter: 'host', name: 'feed-secrets', key: 'KEDA_AMQP_URL' },
    ]);
  });

  it('runs the migration as a Job with the command npm run migrate runs', () => {
    const job = find('Job', 'feed-migrate');
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      scripts: Record<string, string>;
    };
    const command = job.spec.template.spec.containers[0].command.join(' ');
    expect(pkg.scripts.migrate).toContain(command);
  });
});
