// Parameters of the production deployment. The Postgres password comes from the environment of
// the shell that deploys (deploy/README.md generates it and stores it in Key Vault afterwards).
using './main.bicep'

param prefix = 'strataprod'
param kubernetesVersion = '1.34'
param aksAdminGroupObjectId = readEnvironmentVariable('STRATA_AKS_ADMIN_GROUP')
param postgresAdminPassword = readEnvironmentVariable('STRATA_PG_PASSWORD')
param operatorIpRanges = [readEnvironmentVariable('STRATA_OPERATOR_IP', '203.0.113.10/32')]
param tlsCertificateSecretId = readEnvironmentVariable('STRATA_TLS_SECRET_ID', '')
// The Azure OpenAI key the azure-openai-key secret holds: key1 or key2, flipped by a rotation
// (deploy/README.md, "Rotate secrets"), so that a later deployment writes the key in use.
param openAiKeyName = 'key1'
// the operators' mailing list that alerts go to (deploy/README.md, "Alerts and runbooks")
param alertEmail = readEnvironmentVariable('STRATA_ALERT_EMAIL')
