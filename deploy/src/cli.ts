/**
 * npm run render | validate | kustomize -w @strata/deploy
 *   render    prints the aks overlay (what `kubectl apply -k deploy/k8s/overlays/aks` applies)
 *   validate  renders it and checks every manifest against the Kubernetes and Dapr schemas
 *   kustomize builds the pinned kustomize into the user cache and prints its path
 *   budget    prints the Postgres connection budget of the overlay (deploy/README.md, "Connection budget")
 *   dashboards  writes grafana/<app>.json (one Grafana dashboard per app) from src/dashboards.ts
 *   alert-rules writes infra/alert-rules.json (the Azure rule groups) from k8s/monitoring/alerts.yaml
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AZURE_RULES_FILE, azureRulesJson } from './alert-rules.js';
import { DASHBOARD_APPS, DASHBOARD_DIR, dashboardJson } from './dashboards.js';
import { budgetTable, computeBudget } from './budget.js';
import { appDemands, poolerLimits, postgresParameters, readBicep, readRunbook, runbookConnectionStrings, serverLimits } from './budget-inputs.js';
import { ensureKustomize, kustomizeBuild } from './kustomize.js';
import { ManifestValidator } from './schema-validator.js';
import { DEPLOY_DIR } from './versions.js';

const overlay = process.argv[3] ?? join(DEPLOY_DIR, 'k8s/overlays/aks');
switch (process.argv[2]) {
  case 'render':
    process.stdout.write(execFileSync(ensureKustomize(), ['build', overlay], { encoding: 'utf8' }));
    break;
  case 'validate': {
    const manifests = kustomizeBuild(overlay);
    const problems = new ManifestValidator().validateAll(manifests);
    for (const p of problems) console.error(`${p.manifest}: ${p.message}`);
    console.log(`${manifests.length} manifests, ${problems.length} problems`);
    process.exitCode = problems.length > 0 ? 1 : 0;
    break;
  }
  case 'kustomize':
    console.log(ensureKustomize());
    break;
  case 'budget': {
    const parameters = postgresParameters(readBicep());
    const budget = computeBudget(appDemands(kustomizeBuild(overlay)), poolerLimits(parameters, runbookConnectionStrings(readRunbook())), serverLimits(parameters));
    console.log(budgetTable(budget));
    for (const p of budget.problems) console.error(`does not fit: ${p}`);
    process.exitCode = budget.problems.length > 0 ? 1 : 0;
    break;
  }
  case 'alert-rules':
    writeFileSync(AZURE_RULES_FILE, azureRulesJson());
    console.log(`wrote ${AZURE_RULES_FILE}`);
    break;
  case 'dashboards':
    mkdirSync(DASHBOARD_DIR, { recursive: true });
    for (const app of DASHBOARD_APPS) writeFileSync(join(DASHBOARD_DIR, `${app}.json`), dashboardJson(app));
    console.log(`wrote ${DASHBOARD_APPS.length} dashboards in ${DASHBOARD_DIR}`);
    break;
  default:
    console.error('usage: cli.ts render|validate|kustomize|budget|alert-rules|dashboards [overlay]');
    process.exitCode = 2;
}
