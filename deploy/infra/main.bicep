// Strata on Azure: everything the AKS manifests (deploy/k8s) and the Dapr components (deploy/dapr)
// point at, sized as in the architecture seed. Deploy into an existing resource group:
//   az deployment group create -g $RG -f deploy/infra/main.bicep -p deploy/infra/main.bicepparam
// The outputs named like azure.env's keys are written into deploy/k8s/overlays/aks/azure.env.
targetScope = 'resourceGroup'

@description('Short lowercase prefix of every resource name, e.g. strataprod.')
@minLength(3)
@maxLength(12)
param prefix string
param location string = resourceGroup().location
@description('AKS minor version; the manifests are validated against the Kubernetes 1.34 API.')
param kubernetesVersion string = '1.34'
@description('Object id of the Entra ID group whose members administer the cluster.')
param aksAdminGroupObjectId string
@description('PostgreSQL administrator login; its password goes to Key Vault, never to git.')
param postgresAdminLogin string = 'strata_admin'
@secure()
param postgresAdminPassword string
@description('Public IP ranges (CIDR) of the operators who write secrets into Key Vault.')
param operatorIpRanges array = []
@description('Key Vault secret id of the TLS certificate (PFX) the Application Gateway serves; empty on the first run.')
param tlsCertificateSecretId string = ''
@description('Namespace of the Strata service accounts (deploy/k8s/base/namespace.yaml).')
param namespace string = 'strata'
@description('Region of the Azure OpenAI account: the resource group\'s unless the model is not offered there.')
param openAiLocation string = location
@description('The model insights asks (its deployment is named after it: the llm component\'s model).')
param openAiModelName string = 'gpt-4o-mini'
param openAiModelVersion string = '2024-07-18'
@description('Thousands of tokens a minute the model deployment may use.')
param openAiCapacity int = 30
@description('Which of the account\'s two keys the azure-openai-key secret holds; rotation flips it (deploy/README.md).')
@allowed(['key1', 'key2'])
param openAiKeyName string = 'key1'
@description('Where the alerts of deploy/k8s/monitoring/alerts.yaml are mailed (the operators\' list)')
param alertEmail string
@description('The SMTP relay sessions mails password resets through (the mail component); its credentials are the Key Vault secrets smtp-username and smtp-password, which the operator writes.')
param smtpHost string = 'smtp.azurecomm.net'
param smtpPort int = 587
@description('The sender address of that mail (a domain the relay may send for).')
param smtpFrom string = 'no-reply@strata.example.com'

// --- addresses (seed: VNet 10.0.0.0/16; AKS nodes, private endpoints, Application Gateway) ---
var vnetPrefix = '10.0.0.0/16'
var aksNodeSubnetPrefix = '10.0.1.0/24'
// the NetworkPolicy allow-azure-services (deploy/k8s/base/network) names this range
var privateEndpointSubnetPrefix = '10.0.2.0/24'
// the gateway admits client traffic from this range only, and believes its X-Forwarded-* headers
// (output APP_GATEWAY_SUBNET, written into the aks overlay's azure.env)
var appGatewaySubnetPrefix = '10.0.3.0/24'
// pods take addresses from their own subnet (Azure CNI, dynamic allocation): AGIC reaches pod IPs directly
var aksPodSubnetPrefix = '10.0.16.0/20'

var apps = ['gateway', 'files', 'sessions', 'ratelimit', 'ui', 'insights', 'webhooks']
// the storage account's blob endpoint; inside the VNet it resolves to the private endpoint
// (privatelink zone below), which is how the Application Gateway's /blob path reaches it
var blobHost = '${prefix}files.blob.${environment().suffixes.storage}'
var roles = {
  acrPull: '7f951dca-4fd5-4b9b-a4d4-a94c1e5f1a0a'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  networkContributor: '4d97b98b-1d4f-4787-a291-c67834d212e7'
}

// --- observability ---
resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${prefix}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 90
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${prefix}-appi'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

// --- network ---
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: '${prefix}-vnet'
  location: location
  properties: {
    addressSpace: { addressPrefixes: [vnetPrefix] }
    subnets: [
      { name: 'aks-nodes', properties: { addressPrefix: aksNodeSubnetPrefix } }
      { name: 'private-endpoints', properties: { addressPrefix: privateEndpointSubnetPrefix } }
      { name: 'app-gateway', properties: { addressPrefix: appGatewaySubnetPrefix } }
      {
        name: 'aks-pods'
        properties: {
          addressPrefix: aksPodSubnetPrefix
          delegations: [{ name: 'aks', properties: { serviceName: 'Microsoft.ContainerService/managedClusters' } }]
        }
      }
    ]
  }
}
var nodeSubnetId = '${vnet.id}/subnets/aks-nodes'
var peSubnetId = '${vnet.id}/subnets/private-endpoints'
var appGatewaySubnetId = '${vnet.id}/subnets/app-gateway'
var podSubnetId = '${vnet.id}/subnets/aks-pods'

// --- container registry (seed: Premium) ---
resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: '${prefix}acr'
  location: location
  sku: { name: 'Premium' }
  properties: {
    adminUserEnabled: false
    zoneRedundancy: 'Enabled'
  }
}

// --- Application Gateway WAF_v2 (seed: autoscale 2-10, OWASP CRS 3.2, TLS 1.2+) ---
resource appGatewayIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: '${prefix}-agw-ip'
  location: location
  sku: { name: 'Standard' }
  zones: ['1', '2', '3']
  properties: { publicIPAllocationMethod: 'Static' }
}

// one set of policy settings for the site and for the /blob path
var wafPolicySettings = {
  state: 'Enabled'
  mode: 'Prevention'
  requestBodyCheck: true
  // tus uploads send raw chunks: inspect the first 2 MB, let larger bodies through
  requestBodyEnforcement: false
  maxRequestBodySizeInKb: 2000
  fileUploadEnforcement: true
  fileUploadLimitInMb: 4000
}

resource wafPolicy 'Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies@2024-05-01' = {
  name: '${prefix}-waf'
  location: location
  properties: {
    policySettings: wafPolicySettings
    managedRules: {
      managedRuleSets: [{ ruleSetType: 'OWASP', ruleSetVersion: '3.2' }]
    }
  }
}

// the /blob path only (a per-path policy: the Ingress of deploy/README.md, "Downloads by valet
// key", names it in appgw.ingress.kubernetes.io/waf-policy-for-path): a download's SAS URL carries
// the forced Content-Disposition (quotes, semicolons, percent-encoding) and a base64 signature in
// its query, signed values, not input to inspect. Every other path keeps the full rule set.
resource blobWafPolicy 'Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies@2024-05-01' = {
  name: '${prefix}-waf-blob'
  location: location
  properties: {
    policySettings: wafPolicySettings
    managedRules: {
      managedRuleSets: [{ ruleSetType: 'OWASP', ruleSetVersion: '3.2' }]
      exclusions: [
        { matchVariable: 'RequestArgNames', selectorMatchOperator: 'Equals', selector: 'rscd' }
        { matchVariable: 'RequestArgNames', selectorMatchOperator: 'Equals', selector: 'sig' }
      ]
    }
  }
}

resource appGatewayIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-agw-id'
  location: location
}

// AGIC owns listeners, rules, pools, settings and probes once it runs (the AKS add-on has no shared
// mode: what it did not write from an Ingress is removed); this is the minimum the API accepts,
// and the rewrite set blob-edge, which an Ingress names by annotation. The /blob path to Blob
// Storage is therefore not here: it has to be on AGIC's HTTPS listener, written from an Ingress
// (deploy/README.md, "Downloads by valet key"), and never on this port-80 listener.
resource appGateway 'Microsoft.Network/applicationGateways@2024-05-01' = {
  name: '${prefix}-agw'
  location: location
  zones: ['1', '2', '3']
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${appGatewayIdentity.id}': {} }
  }
  properties: {
    sku: { name: 'WAF_v2', tier: 'WAF_v2' }
    autoscaleConfiguration: { minCapacity: 2, maxCapacity: 10 }
    firewallPolicy: { id: wafPolicy.id }
    sslPolicy: {
      policyType: 'Predefined'
      policyName: 'AppGwSslPolicy20220101S'
    }
    sslCertificates: empty(tlsCertificateSecretId) ? [] : [
      { name: 'strata-tls', properties: { keyVaultSecretId: tlsCertificateSecretId } }
    ]
    gatewayIPConfigurations: [{ name: 'gateway', properties: { subnet: { id: appGatewaySubnetId } } }]
    frontendIPConfigurations: [{ name: 'public', properties: { publicIPAddress: { id: appGatewayIp.id } } }]
    frontendPorts: [{ name: 'http', properties: { port: 80 } }]
    backendAddressPools: [{ name: 'bootstrap' }]
    backendHttpSettingsCollection: [{ name: 'bootstrap', properties: { port: 80, protocol: 'Http', requestTimeout: 30 } }]
    rewriteRuleSets: [
      {
        name: 'blob-edge'
        properties: {
          rewriteRules: [
            {
              name: 'valet-key-only'
              ruleSequence: 100
              actionSet: {
                // the SAS in the URL is the only credential Blob sees: the API's bearer token (fetch keeps
                // it on a same-origin redirect) and the UI's cookies are dropped (an empty value removes a header)
                requestHeaderConfigurations: [
                  { headerName: 'Authorization', headerValue: '' }
                  { headerName: 'Cookie', headerValue: '' }
                ]
                // what a SAS cannot force: never sniffed, never rendered active, never a Referer with the URL
                responseHeaderConfigurations: [
                  { headerName: 'X-Content-Type-Options', headerValue: 'nosniff' }
                  { headerName: 'Content-Security-Policy', headerValue: 'default-src \'none\'; sandbox' }
                  { headerName: 'Referrer-Policy', headerValue: 'no-referrer' }
                ]
              }
            }
          ]
        }
      }
    ]
    httpListeners: [
      {
        name: 'bootstrap'
        properties: {
          frontendIPConfiguration: { id: resourceId('Microsoft.Network/applicationGateways/frontendIPConfigurations', '${prefix}-agw', 'public') }
          frontendPort: { id: resourceId('Microsoft.Network/applicationGateways/frontendPorts', '${prefix}-agw', 'http') }
          protocol: 'Http'
        }
      }
    ]
    requestRoutingRules: [
      {
        name: 'bootstrap'
        properties: {
          ruleType: 'Basic'
          priority: 20000
          httpListener: { id: resourceId('Microsoft.Network/applicationGateways/httpListeners', '${prefix}-agw', 'bootstrap') }
          backendAddressPool: { id: resourceId('Microsoft.Network/applicationGateways/backendAddressPools', '${prefix}-agw', 'bootstrap') }
          backendHttpSettings: { id: resourceId('Microsoft.Network/applicationGateways/backendHttpSettingsCollection', '${prefix}-agw', 'bootstrap') }
        }
      }
    ]
  }
}

// --- AKS (seed: system 3 x D4s_v3, user 3-10, spot 0-5, Azure CNI, Calico, Entra ID RBAC) ---
resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: '${prefix}-aks'
  location: location
  identity: { type: 'SystemAssigned' }
  sku: { name: 'Base', tier: 'Standard' }
  properties: {
    kubernetesVersion: kubernetesVersion
    dnsPrefix: prefix
    enableRBAC: true
    disableLocalAccounts: true
    aadProfile: {
      managed: true
      enableAzureRBAC: true
      adminGroupObjectIDs: [aksAdminGroupObjectId]
    }
    oidcIssuerProfile: { enabled: true }
    securityProfile: {
      workloadIdentity: { enabled: true }
      defender: {
        logAnalyticsWorkspaceResourceId: logs.id
        securityMonitoring: { enabled: true }
      }
    }
    autoUpgradeProfile: { upgradeChannel: 'patch', nodeOSUpgradeChannel: 'NodeImage' }
    networkProfile: {
      networkPlugin: 'azure'
      networkPolicy: 'calico'
      loadBalancerSku: 'standard'
      serviceCidr: '172.16.0.0/16'
      dnsServiceIP: '172.16.0.10'
    }
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        vmSize: 'Standard_D4s_v3'
        count: 3
        availabilityZones: ['1', '2', '3']
        vnetSubnetID: nodeSubnetId
        podSubnetID: podSubnetId
        osType: 'Linux'
        osSKU: 'AzureLinux'
        nodeTaints: ['CriticalAddonsOnly=true:NoSchedule']
      }
      {
        name: 'user'
        mode: 'User'
        vmSize: 'Standard_D4s_v3'
        enableAutoScaling: true
        minCount: 3
        maxCount: 10
        count: 3
        availabilityZones: ['1', '2', '3']
        vnetSubnetID: nodeSubnetId
        podSubnetID: podSubnetId
        osType: 'Linux'
        osSKU: 'AzureLinux'
      }
      {
        name: 'spot'
        mode: 'User'
        vmSize: 'Standard_D4s_v3'
        scaleSetPriority: 'Spot'
        scaleSetEvictionPolicy: 'Delete'
        spotMaxPrice: -1
        enableAutoScaling: true
        minCount: 0
        maxCount: 5
        count: 0
        availabilityZones: ['1', '2', '3']
        vnetSubnetID: nodeSubnetId
        podSubnetID: podSubnetId
        osType: 'Linux'
        osSKU: 'AzureLinux'
        // only workloads that tolerate eviction land here; Strata's Deployments do not
        nodeTaints: ['kubernetes.azure.com/scalesetpriority=spot:NoSchedule']
      }
    ]
    addonProfiles: {
      omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: logs.id } }
      ingressApplicationGateway: { enabled: true, config: { applicationGatewayId: appGateway.id } }
      azureKeyvaultSecretsProvider: { enabled: false }
    }
    azureMonitorProfile: { metrics: { enabled: true } }
  }
}

resource kubeletAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acr.id, aks.id, roles.acrPull)
  scope: acr
  properties: {
    principalId: aks.properties.identityProfile.kubeletidentity.objectId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

// the AGIC add-on's identity manages the Application Gateway and reads the resource group
var agicPrincipalId = aks.properties.addonProfiles.ingressApplicationGateway.identity.objectId
resource agicContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appGateway.id, 'agic', roles.contributor)
  scope: appGateway
  properties: {
    principalId: agicPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.contributor)
  }
}
resource agicReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, 'agic', roles.reader)
  properties: {
    principalId: agicPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.reader)
  }
}
resource agicNetwork 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vnet.id, 'agic', roles.networkContributor)
  scope: vnet
  properties: {
    principalId: agicPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.networkContributor)
  }
}

// --- PostgreSQL Flexible Server (seed: GP D4s_v3, 128 GB auto-grow, v15, 7-day geo backups, zone-redundant HA) ---
resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: '${prefix}-pg'
  location: location
  sku: { name: 'Standard_D4s_v3', tier: 'GeneralPurpose' }
  properties: {
    version: '15'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: { storageSizeGB: 128, autoGrow: 'Enabled' }
    backup: { backupRetentionDays: 7, geoRedundantBackup: 'Enabled' }
    highAvailability: { mode: 'ZoneRedundant', standbyAvailabilityZone: '2' }
    availabilityZone: '1'
    network: { publicNetworkAccess: 'Disabled' }
    authConfig: { passwordAuth: 'Enabled', activeDirectoryAuth: 'Disabled' }
  }
}

resource postgresDatabase 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: 'strata'
  properties: { charset: 'UTF8', collation: 'en_US.utf8' }
}

// Server parameters. The connection budget (deploy/src/budget.ts, deploy/README.md "Connection
// budget") reads max_connections and the PgBouncer values from here. PgBouncer is the Flexible
// Server's own (port 6432, transaction pooling): the apps and the sessions sidecars reach the
// server through it; the connections that hold session state (the event store's relay: a session
// advisory lock and LISTEN) use the server's port 5432. max_prepared_statements stays 0, as in the
// production-like profile's PgBouncer 1.18: the code must not rely on named prepared statements
// surviving a transaction, and both poolers then behave alike.
var postgresParameters = [
  { name: 'max_connections', value: '200' }
  // the extensions the apps' migrations may create: insights' trigram matching of names
  { name: 'azure.extensions', value: 'BTREE_GIN,PG_TRGM' }
  { name: 'ssl_min_protocol_version', value: 'TLSv1.2' }
  { name: 'pgbouncer.enabled', value: 'true' }
  { name: 'pgbouncer.pool_mode', value: 'TRANSACTION' }
  { name: 'pgbouncer.default_pool_size', value: '50' }
  { name: 'pgbouncer.max_client_conn', value: '1000' }
  { name: 'pgbouncer.max_prepared_statements', value: '0' }
]
// the server takes one parameter change at a time
@batchSize(1)
resource postgresConfiguration 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = [
  for p in postgresParameters: {
    parent: postgres
    name: p.name
    properties: { value: p.value, source: 'user-override' }
  }
]

// --- Azure Cache for Redis Premium P1, 2 shards, 1 replica each, TLS only ---
// No RDB persistence: Redis holds rate-limit counters, the response cache and pub/sub streams;
// the event log in Postgres is the source of truth and the relay republishes after a loss.
resource redis 'Microsoft.Cache/redis@2024-03-01' = {
  name: '${prefix}-redis'
  location: location
  zones: ['1', '2', '3']
  properties: {
    sku: { name: 'Premium', family: 'P', capacity: 1 }
    shardCount: 2
    replicasPerPrimary: 1
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Disabled'
    redisVersion: '6'
  }
}

// --- Blob Storage (seed: Standard GRS, versioning, 7-day soft delete, change feed, cool after 30 days) ---
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: '${prefix}files'
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_GRS' }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // workload identity only: no account key, no SAS signed with one
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    publicNetworkAccess: 'Disabled'
    networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    changeFeed: { enabled: true }
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource filesContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'strata-files'
  properties: { publicAccess: 'None' }
}

// Files are the users' documents: they cool after 30 days but are never archived (downloads would
// need hours of rehydration) nor deleted by age (the files service purges them from its events).
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'cool-after-30-days'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['strata-files/'] }
            actions: {
              baseBlob: { tierToCool: { daysAfterModificationGreaterThan: 30 } }
              version: { delete: { daysAfterCreationGreaterThan: 7 } }
            }
          }
        }
      ]
    }
  }
}

// --- Key Vault (RBAC, purge protection; reachable from the VNet and the operators' addresses) ---
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${prefix}-kv'
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      ipRules: [for range in operatorIpRanges: { value: range }]
    }
  }
}

// --- Azure OpenAI: the model behind insights' answers (Dapr's conversation component llm) ---
// The Azure OpenAI REST API version the llm component calls (its apiVersion, from azure.env).
var openAiApiVersion = '2024-10-21'
// The secret the llm component reads (deploy/dapr/components/llm.yaml: key.secretKeyRef).
var openAiKeySecretName = 'azure-openai-key'
resource openAi 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: '${prefix}-openai'
  location: openAiLocation
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: {
    // the private endpoint and the endpoint's host name need the account's own subdomain
    customSubDomainName: '${prefix}-openai'
    publicNetworkAccess: 'Disabled'
    networkAcls: { defaultAction: 'Deny' }
    // Dapr's conversation.openai signs in with a key only (no Entra ID token)
    disableLocalAuth: false
  }
}
// Prompts carry passages of users' documents: DataZoneStandard keeps their processing inside the
// account's data zone (the EU for westeurope), where GlobalStandard may send it to any region.
resource openAiDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: openAi
  name: openAiModelName
  sku: { name: 'DataZoneStandard', capacity: openAiCapacity }
  properties: {
    model: { format: 'OpenAI', name: openAiModelName, version: openAiModelVersion }
    // a new model version changes the answers: it is chosen here, not by Azure
    versionUpgradeOption: 'NoAutoUpgrade'
  }
}
// The key goes straight from the account into Key Vault: no person or pipeline log sees it.
resource openAiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: openAiKeySecretName
  properties: {
    value: openAi.listKeys()[openAiKeyName]
    contentType: 'Azure OpenAI ${openAiKeyName} of ${openAi.name}, read by the llm Dapr component'
  }
}

// --- workload identities ---
// secrets: every app's sidecar reads Key Vault through the secretstore component as this identity
resource secretsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-secrets-id'
  location: location
}
@batchSize(1) // Entra ID refuses concurrent writes of federated credentials on one identity
resource secretsFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [
  for app in apps: {
    parent: secretsIdentity
    name: 'aks-${app}'
    properties: {
      issuer: aks.properties.oidcIssuerProfile.issuerURL
      subject: 'system:serviceaccount:${namespace}:${app}'
      audiences: ['api://AzureADTokenExchange']
    }
  }
]
resource secretsVaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, secretsIdentity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: secretsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

// files: the blobstore component and the files app itself reach Blob Storage as this identity
resource filesIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-files-id'
  location: location
}
resource filesFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {
  parent: filesIdentity
  name: 'aks-files'
  properties: {
    issuer: aks.properties.oidcIssuerProfile.issuerURL
    subject: 'system:serviceaccount:${namespace}:files'
    audiences: ['api://AzureADTokenExchange']
  }
  dependsOn: [secretsFederation]
}
resource filesBlobAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, filesIdentity.id, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    principalId: filesIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

// Dapr's Key Vault secret store in the files pod signs in with the pod's AZURE_CLIENT_ID, which the
// webhook sets from the files service account: the files identity (components-contrib 1.18 reads
// no component azureClientId for workload identity; deploy/README.md, "Production-like profile").
// So the files identity reads Key Vault too; the files Configuration's secret scope keeps it to
// postgres-connection-string and redis-url.
resource filesVaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, filesIdentity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: filesIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

// the Application Gateway reads its TLS certificate from Key Vault
resource appGatewayVaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appGatewayIdentity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: appGatewayIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

// --- private endpoints (seed: PostgreSQL, Redis, Blob, Key Vault on private addresses; and Azure OpenAI) ---
module postgresEndpoint 'modules/private-endpoint.bicep' = {
  name: 'pe-postgres'
  params: {
    name: '${prefix}-pg-pe'
    location: location
    subnetId: peSubnetId
    vnetId: vnet.id
    serviceId: postgres.id
    groupId: 'postgresqlServer'
    dnsZoneName: 'privatelink.postgres.database.azure.com'
  }
}
module redisEndpoint 'modules/private-endpoint.bicep' = {
  name: 'pe-redis'
  params: {
    name: '${prefix}-redis-pe'
    location: location
    subnetId: peSubnetId
    vnetId: vnet.id
    serviceId: redis.id
    groupId: 'redisCache'
    dnsZoneName: 'privatelink.redis.cache.windows.net'
  }
}
module blobEndpoint 'modules/private-endpoint.bicep' = {
  name: 'pe-blob'
  params: {
    name: '${prefix}-blob-pe'
    location: location
    subnetId: peSubnetId
    vnetId: vnet.id
    serviceId: storage.id
    groupId: 'blob'
    dnsZoneName: 'privatelink.blob.${environment().suffixes.storage}'
  }
}
module openAiEndpoint 'modules/private-endpoint.bicep' = {
  name: 'pe-openai'
  params: {
    name: '${prefix}-openai-pe'
    location: location
    subnetId: peSubnetId
    vnetId: vnet.id
    serviceId: openAi.id
    groupId: 'account'
    dnsZoneName: 'privatelink.openai.azure.com'
  }
}
module vaultEndpoint 'modules/private-endpoint.bicep' = {
  name: 'pe-vault'
  params: {
    name: '${prefix}-kv-pe'
    location: location
    subnetId: peSubnetId
    vnetId: vnet.id
    serviceId: vault.id
    groupId: 'vault'
    dnsZoneName: 'privatelink.vaultcore.azure.net'
  }
}

// --- managed Prometheus, alert rules and Grafana (modules/monitoring.bicep) ---
module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    prefix: prefix
    location: location
    clusterName: aks.name
    alertEmail: alertEmail
  }
}

// --- outputs: the keys of deploy/k8s/overlays/aks/azure.env, then what the runbook needs ---
output REDIS_HOST string = redis.properties.hostName
output STORAGE_ACCOUNT string = storage.name
output STORAGE_BLOB_URL string = storage.properties.primaryEndpoints.blob
output KEY_VAULT_NAME string = vault.name
// the gateway's trusted proxy and the only source of client traffic in its NetworkPolicy
output APP_GATEWAY_SUBNET string = appGatewaySubnetPrefix
output FILES_CLIENT_ID string = filesIdentity.properties.clientId
output SECRETS_CLIENT_ID string = secretsIdentity.properties.clientId
// the llm component's endpoint, API version and model (Azure addresses the deployment by name)
output AZURE_OPENAI_ENDPOINT string = openAi.properties.endpoint
output AZURE_OPENAI_API_VERSION string = openAiApiVersion
output AZURE_OPENAI_DEPLOYMENT string = openAiDeployment.name
// the mail component's relay and sender (passed through: the relay is not a resource of this file)
output SMTP_HOST string = smtpHost
output SMTP_PORT string = string(smtpPort)
output SMTP_FROM string = smtpFrom
output acrLoginServer string = acr.properties.loginServer
output aksName string = aks.name
output postgresHost string = postgres.properties.fullyQualifiedDomainName
output postgresServerName string = postgres.name
output redisName string = redis.name
output openAiName string = openAi.name
output appGatewayName string = appGateway.name
// for the /blob Ingress's appgw.ingress.kubernetes.io/waf-policy-for-path
output blobWafPolicyId string = blobWafPolicy.id
// for the /blob Ingress's appgw.ingress.kubernetes.io/backend-hostname
output blobBackendHostname string = blobHost
output appGatewayPublicIp string = appGatewayIp.properties.ipAddress
output appInsightsConnectionString string = appInsights.properties.ConnectionString
// the Grafana the dashboards of deploy/grafana are imported into (deploy/README.md, "Dashboards")
output grafanaName string = monitoring.outputs.grafanaName
