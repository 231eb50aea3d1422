/**
 * No Bicep compiler runs offline here, so these checks read deploy/infra/main.bicep as text: the
 * seed's SKUs and settings, and the values the manifests depend on, must be there.
 */
import { ALL_APP_IDS } from '@strata/contracts';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../src/kustomize.js';
import { AZURE_OPENAI_KEY_SECRET, CONVERSATION_COMPONENT } from '../src/azure-only.js';
import { postgresParameters } from '../src/budget-inputs.js';
import { DEPLOY_DIR, REPO_ROOT } from '../src/versions.js';
import { RENDER_TIMEOUT, named, renderAks } from './render.js';

const bicep = readFileSync(join(DEPLOY_DIR, 'infra/main.bicep'), 'utf8');
const azureEnv = readFileSync(join(DEPLOY_DIR, 'k8s/overlays/aks/azure.env'), 'utf8');
const variable = (name: string) => new RegExp(`^var ${name} = '([^']+)'`, 'm').exec(bicep)?.[1];

let aks: Manifest[];
beforeAll(() => {
  aks = renderAks();
}, RENDER_TIMEOUT);

describe('infrastructure as code (deploy/infra/main.bicep)', () => {
  it.each([
    ['AKS nodes are D4s_v3: system 3, user 3-10, spot 0-5', /name: 'system'[\s\S]*?vmSize: 'Standard_D4s_v3'[\s\S]*?count: 3[\s\S]*?name: 'user'[\s\S]*?minCount: 3\s+maxCount: 10[\s\S]*?name: 'spot'[\s\S]*?minCount: 0\s+maxCount: 5/],
    ['AKS has workload identity and its OIDC issuer', /oidcIssuerProfile: \{ enabled: true \}[\s\S]*workloadIdentity: \{ enabled: true \}/],
    ['PostgreSQL 15, General Purpose D4s_v3', /sku: \{ name: 'Standard_D4s_v3', tier: 'GeneralPurpose' \}[\s\S]*?version: '15'/],
    ['PostgreSQL 128 GB auto-grow, 7-day geo-redundant backups, zone-redundant HA', /storageSizeGB: 128, autoGrow: 'Enabled'[\s\S]*backupRetentionDays: 7, geoRedundantBackup: 'Enabled'[\s\S]*mode: 'ZoneRedundant'/],
    ['Redis Premium P1, 2 shards, a replica each, TLS only', /name: 'Premium', family: 'P', capacity: 1 \}\s+shardCount: 2\s+replicasPerPrimary: 1\s+enableNonSslPort: false\s+minimumTlsVersion: '1\.2'/],
    ['Storage GRS, no shared keys, versioning, 7-day soft delete, change feed', /Standard_GRS[\s\S]*allowSharedKeyAccess: false[\s\S]*isVersioningEnabled: true\s+changeFeed: \{ enabled: true \}\s+deleteRetentionPolicy: \{ enabled: true, days: 7 \}/],
    ['ACR Premium', /Microsoft\.ContainerRegistry\/registries[\s\S]*?sku: \{ name: 'Premium' \}/],
    ['Application Gateway WAF_v2, 2-10 instances, OWASP 3.2, TLS 1.2+ policy', /WAF_v2[\s\S]*minCapacity: 2, maxCapacity: 10[\s\S]*AppGwSslPolicy20220101S/],
    ['Key Vault with RBAC and purge protection', /enableRbacAuthorization: true[\s\S]*enablePurgeProtection: true/],
    ['Log Analytics and Application Insights', /Microsoft\.OperationalInsights\/workspaces[\s\S]*Microsoft\.Insights\/components/],
  ])('%s', (_what, pattern) => {
    expect(bicep).toMatch(pattern);
  });

  it('PostgreSQL allows 200 connections, TLS 1.2 at least, and its parameters are set one at a time', () => {
    const parameters = postgresParameters(bicep);
    expect([parameters.get('max_connections'), parameters.get('ssl_min_protocol_version')]).toEqual(['200', 'TLSv1.2']);
    expect(bicep).toMatch(/@batchSize\(1\)\nresource postgresConfiguration '[^']+' = \[\n\s+for p in postgresParameters:/);
  });

  it('the OWASP rule set is 3.2', () => {
    expect(bicep).toContain("ruleSetType: 'OWASP', ruleSetVersion: '3.2'");
  });

  it('every app service account is federated with the secrets identity, files also with the files identity', () => {
    const apps = /^var apps = \[([^\]]*)\]$/m.exec(bicep)?.[1]?.split(',').map((a) => a.trim().replace(/^'|'$/g, ''));
    expect(apps?.sort()).toEqual([...ALL_APP_IDS].sort());
    expect(bicep).toContain("subject: 'system:serviceaccount:${namespace}:${app}'");
    expect(bicep).toContain("subject: 'system:serviceaccount:${namespace}:files'");
    expect(bicep).toMatch(/param namespace string = '([^']+)'/);
    expect(/param namespace string = '([^']+)'/.exec(bicep)?.[1]).toBe(named(aks, 'Namespace', 'strata').metadata?.name);
  });

  it("PostgreSQL allows exactly the extensions the services' migrations create (insights: pg_trgm, btree_gin)", () => {
    const created = new Set<string>();
    for (const service of readdirSync(join(REPO_ROOT, 'services'))) {
      const dir = join(REPO_ROOT, 'services', service, 'src/db/migrations');
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir)) {
        for (const [, name] of readFileSync(join(dir, file), 'utf8').matchAll(/create extension (?:if not exists )?"?([a-z0-9_]+)/gi)) created.add(name!.toUpperCase());
      }
    }
    expect(created).toContain('PG_TRGM');
    expect(created).toContain('BTREE_GIN');
    expect(postgresParameters(bicep).get('azure.extensions')?.split(',').sort()).toEqual([...created].sort());
  });

  it('Azure OpenAI: a private account with a model deployment, its key written into Key Vault as the secret the llm component reads', () => {
    expect(bicep).toMatch(/resource openAi 'Microsoft\.CognitiveServices\/accounts@[^']+' = \{[\s\S]*?kind: 'OpenAI'[\s\S]*?customSubDomainName: [\s\S]*?publicNetworkAccess: 'Disabled'\s+networkAcls: \{ defaultAction: 'Deny' \}/);
    expect(bicep).toMatch(/resource openAiDeployment 'Microsoft\.CognitiveServices\/accounts\/deployments@[^']+' = \{\s+parent: openAi\s+name: openAiModelName/);
    // reached from the cluster through the data subnet (allow-azure-services admits 443 there)
    expect(bicep).toMatch(/serviceId: openAi\.id\s+groupId: 'account'\s+dnsZoneName: 'privatelink\.openai\.azure\.com'/);
    // the key goes from the account into the vault, under the name the component reads
    const llm = named<Manifest & { spec: { metadata: { name: string; secretKeyRef?: { name: string } }[] } }>(aks, 'Component', CONVERSATION_COMPONENT);
    expect(llm.spec.metadata.find((m) => m.name === 'key')?.secretKeyRef?.name).toBe(AZURE_OPENAI_KEY_SECRET);
    expect(variable('openAiKeySecretName')).toBe(AZURE_OPENAI_KEY_SECRET);
    expect(bicep).toMatch(/resource openAiKeySecret 'Microsoft\.KeyVault\/vaults\/secrets@[^']+' = \{\s+parent: vault\s+name: openAiKeySecretName\s+properties: \{\s+value: openAi\.listKeys\(\)\[openAiKeyName\]/);
    // the overlay's model is the deployment's name, its API version the Bicep's
    expect(bicep).toMatch(/^output AZURE_OPENAI_DEPLOYMENT string = openAiDeployment\.name$/m);
    expect(azureEnv).toContain(`AZURE_OPENAI_API_VERSION=${variable('openAiApiVersion')!}\n`);
    expect(azureEnv).toContain(`AZURE_OPENAI_DEPLOYMENT=${/^param openAiModelName string = '([^']+)'/m.exec(bicep)?.[1]}\n`);
  });

  it('outputs every key of azure.env', () => {
    const keys = azureEnv.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]!);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys.filter((k) => k !== 'STRATA_HOST')) expect(bicep).toMatch(new RegExp(`^output ${key} string`, 'm'));
  });

  it('the Application Gateway subnet is one value: the Bicep output, azure.env, the trusted proxy, the NetworkPolicy', () => {
    const subnet = variable('appGatewaySubnetPrefix')!;
    expect(bicep).toMatch(/^output APP_GATEWAY_SUBNET string = appGatewaySubnetPrefix$/m);
    expect(azureEnv).toMatch(new RegExp(`^APP_GATEWAY_SUBNET=${subnet.replace(/[./]/g, '\\$&')}$`, 'm'));
    const gateway = named<Manifest & { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>(aks, 'Deployment', 'gateway');
    expect(gateway.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'TRUSTED_PROXIES', value: subnet });
    const policy = named<Manifest & { spec: { ingress: { from: { ipBlock?: { cidr: string } }[] }[] } }>(aks, 'NetworkPolicy', 'gateway');
    expect(policy.spec.ingress.flatMap((r) => r.from).flatMap((f) => (f.ipBlock ? [f.ipBlock.cidr] : []))).toEqual([subnet]);
  });

  it('downloads by valet key: the account stays private, nothing serves /blob over http, and redirects are off until the HTTPS path is checked', () => {
    // the account stays private: no public network access, no shared keys (user-delegation SAS only)
    const storage = /resource storage 'Microsoft\.Storage\/storageAccounts@[^']+' = \{[\s\S]*?\n\}/.exec(bicep)![0];
    expect(storage).toContain("publicNetworkAccess: 'Disabled'");
    expect(storage).toContain('allowSharedKeyAccess: false');
    expect(bicep).toMatch(/groupId: 'blob'\s+dnsZoneName: 'privatelink\.blob\.\$\{environment\(\)\.suffixes\.storage\}'/);
    // the Bicep's only listener is port 80 (AGIC writes the HTTPS one): no /blob path, no Blob backend on it
    const gateway = /resource appGateway 'Microsoft\.Network\/applicationGateways@[^']+' = \{[\s\S]*?\n\}/.exec(bicep)![0];
    expect(gateway).toContain("frontendPorts: [{ name: 'http', properties: { port: 80 } }]");
    expect(gateway).not.toContain('/blob');
    expect(gateway).not.toContain('urlPathMaps');
    expect(gateway).not.toContain('blobHost');
    expect(gateway).toMatch(/ruleType: 'Basic'[\s\S]*?backendAddressPools', '\$\{prefix\}-agw', 'bootstrap'\)/);
    // the rewrite set an Ingress names: no bearer token or cookie reaches Blob; what a SAS cannot force is added
    const rewrite = /name: 'blob-edge'[\s\S]*?\n {6}\}/.exec(bicep)![0];
    expect(rewrite).toContain("{ headerName: 'Authorization', headerValue: '' }");
    expect(rewrite).toContain("{ headerName: 'Cookie', headerValue: '' }");
    expect(rewrite).toContain("{ headerName: 'X-Content-Type-Options', headerValue: 'nosniff' }");
    expect(rewrite).toContain('sandbox');
    // the WAF exclusions for the SAS query belong to the /blob policy only; the gateway's policy has none
    const policy = (name: string) => new RegExp(`resource ${name} 'Microsoft\\.Network\\/ApplicationGatewayWebApplicationFirewallPolicies@[^']+' = \\{[\\s\\S]*?\\n\\}`).exec(bicep)![0];
    expect(policy('wafPolicy')).not.toContain('exclusions');
    expect(policy('wafPolicy')).toContain("ruleSetType: 'OWASP', ruleSetVersion: '3.2'");
    expect(gateway).toContain('firewallPolicy: { id: wafPolicy.id }');
    expect(policy('blobWafPolicy')).toContain("name: '${prefix}-waf-blob'");
    expect(policy('blobWafPolicy')).toContain("{ matchVariable: 'RequestArgNames', selectorMatchOperator: 'Equals', selector: 'rscd' }");
    expect(policy('blobWafPolicy')).toContain("{ matchVariable: 'RequestArgNames', selectorMatchOperator: 'Equals', selector: 'sig' }");
    expect(policy('blobWafPolicy')).toContain("ruleSetType: 'OWASP', ruleSetVersion: '3.2'");
    expect(bicep).toMatch(/^output blobWafPolicyId string = blobWafPolicy\.id$/m);
    expect(bicep).toMatch(/^output blobBackendHostname string = blobHost$/m);
    // files signs for the public path on the host the Ingress serves, but redirects ship off: the
    // proxied path serves every download until /blob answers on the HTTPS listener
    const files = named<Manifest & { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>(aks, 'Deployment', 'files');
    const env = Object.fromEntries(files.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    const host = /^STRATA_HOST=(.+)$/m.exec(azureEnv)![1]!;
    expect(env).toMatchObject({ BLOB_PUBLIC_URL: `https://${host}/blob`, DOWNLOAD_REDIRECT: 'false', DOWNLOAD_SAS_TTL_SECONDS: '300' });
    expect(named<Manifest & { spec: { rules: { host: string }[] } }>(aks, 'Ingress', 'strata').spec.rules[0]!.host).toBe(host);
    // no manifest serves /blob yet (the README's Ingress is applied after the cluster check)
    for (const m of aks) if (m.kind === 'Ingress') expect(JSON.stringify(m)).not.toContain('/blob');
  });

  it('the NetworkPolicies name the subnets the Bicep creates', () => {
    const gateway = JSON.stringify(named(aks, 'NetworkPolicy', 'gateway'));
    expect(gateway).toContain(`"cidr":"${variable('appGatewaySubnetPrefix')!}"`);
    const azure = JSON.stringify(named(aks, 'NetworkPolicy', 'allow-azure-services'));
    expect(azure).toContain(`"cidr":"${variable('privateEndpointSubnetPrefix')!}"`);
  });
});

describe('the data tier: the Bicep gives what deploy/README.md, "Data tier: recovery and rotation", promises', () => {
  const readme = readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8');
  const section = /^## Data tier: recovery and rotation\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1] ?? '';
  const number = (pattern: RegExp) => {
    const found = pattern.exec(bicep)?.[1];
    expect(found, String(pattern)).toBeDefined();
    return Number(found);
  };

  it('has the section, with the seed\'s RPO/RTO table', () => {
    expect(section.length).toBeGreaterThan(0);
    // the seed's "Recovery Time Objective (RTO) / Recovery Point Objective (RPO)" figures
    for (const [component, rpo, rto] of [
      ['AKS cluster', '0 (stateless)', '15 min'],
      ['PostgreSQL', '5 min', '2 h'],
      ['Redis', '15 min', '30 min'],
      ['Blob Storage', '0 (GRS)', '1 h'],
      ['Overall', '5 min', '2 h'],
    ]) {
      expect(section).toContain(`| ${component} | ${rpo} | ${rto} |`);
    }
  });

  it('PostgreSQL: 7-day geo-redundant backups, point-in-time restore over the same 7 days, zone-redundant HA', () => {
    const days = number(/backupRetentionDays: (\d+), geoRedundantBackup: 'Enabled'/);
    expect(days).toBe(7);
    expect(section).toContain(`kept **${days} days**`);
    expect(section).toContain(`(\`backupRetentionDays: ${days}\`)`);
    expect(section).toContain("**geo-redundant** (`geoRedundantBackup: 'Enabled'`");
    expect(section).toContain(`point-in-time restore to any second of the last ${days} days`);
    expect(bicep).toMatch(/highAvailability: \{ mode: 'ZoneRedundant', standbyAvailabilityZone: '2' \}/);
    expect(section).toMatch(/az postgres flexible-server restore -g "\$RG" --name "\$\{PREFIX\}-pg-restored" \\\n\s+--source-server "\$\{PREFIX\}-pg" --restore-time "\$RESTORE_TIME"/);
    expect(section).toContain('az postgres flexible-server geo-restore');
  });

  it('Blob Storage: GRS, versioning, soft delete of blobs and containers as long as the point-in-time restore reaches back', () => {
    expect(bicep).toContain("sku: { name: 'Standard_GRS' }");
    expect(bicep).toContain('isVersioningEnabled: true');
    const blobs = number(/deleteRetentionPolicy: \{ enabled: true, days: (\d+) \}/);
    const containers = number(/containerDeleteRetentionPolicy: \{ enabled: true, days: (\d+) \}/);
    expect([blobs, containers]).toEqual([7, 7]);
    expect(blobs).toBe(number(/backupRetentionDays: (\d+)/));
    expect(section).toContain(`**${blobs}-day** soft delete of blobs and of containers`);
  });

  it('Key Vault: soft delete and purge protection, as the section says', () => {
    const days = number(/softDeleteRetentionInDays: (\d+)/);
    expect(bicep).toContain('enablePurgeProtection: true');
    expect(section).toContain(`soft delete for ${days} days and purge protection`);
  });
});
