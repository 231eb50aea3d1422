// Managed Prometheus for the cluster and Strata's alert rules (deploy/README.md, "Alerts and
// runbooks"): an Azure Monitor workspace that the cluster's metrics add-on writes to (through a
// data collection endpoint and rule, associated with the cluster), the rule groups that evaluate
// k8s/monitoring/alerts.yaml there (infra/alert-rules.json is written from it: npm run alert-rules
// -w @strata/deploy), an action group that mails the operators, and Azure Managed Grafana over the
// workspace for the dashboards in deploy/grafana.
param prefix string
param location string
param clusterName string
param alertEmail string

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: clusterName
}

resource workspace 'Microsoft.Monitor/accounts@2023-04-03' = {
  name: '${prefix}-prometheus'
  location: location
}

resource endpoint 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = {
  name: '${prefix}-prometheus-dce'
  location: location
  kind: 'Linux'
  properties: {}
}

resource collection 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: '${prefix}-prometheus-dcr'
  location: location
  kind: 'Linux'
  properties: {
    dataCollectionEndpointId: endpoint.id
    dataSources: {
      prometheusForwarder: [{ name: 'PrometheusDataSource', streams: ['Microsoft-PrometheusMetrics'], labelIncludeFilter: {} }]
    }
    destinations: {
      monitoringAccounts: [{ accountResourceId: workspace.id, name: 'MonitoringAccount1' }]
    }
    dataFlows: [{ destinations: ['MonitoringAccount1'], streams: ['Microsoft-PrometheusMetrics'] }]
  }
}

resource association 'Microsoft.Insights/dataCollectionRuleAssociations@2023-03-11' = {
  name: '${prefix}-prometheus-dcra'
  scope: aks
  properties: {
    dataCollectionRuleId: collection.id
    description: 'Managed Prometheus: the cluster metrics add-on writes to the Azure Monitor workspace'
  }
}

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${prefix}-operators'
  location: 'global'
  properties: {
    groupShortName: 'strata-ops'
    enabled: true
    emailReceivers: [{ name: 'operators', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

var groups = loadJsonContent('../alert-rules.json', 'groups')

resource ruleGroups 'Microsoft.AlertsManagement/prometheusRuleGroups@2023-03-01' = [
  for group in groups: {
    name: '${prefix}-${group.name}'
    location: location
    properties: {
      description: 'Strata alert rules (deploy/k8s/monitoring/alerts.yaml, group ${group.name})'
      scopes: [workspace.id, aks.id]
      clusterName: clusterName
      enabled: true
      interval: group.interval
      rules: [
        for rule in group.rules: union(rule, { actions: [{ actionGroupId: operators.id }] })
      ]
    }
  }
]

resource grafana 'Microsoft.Dashboard/grafana@2023-09-01' = {
  name: '${prefix}-grafana'
  location: location
  sku: { name: 'Standard' }
  identity: { type: 'SystemAssigned' }
  properties: {
    grafanaIntegrations: {
      azureMonitorWorkspaceIntegrations: [{ azureMonitorWorkspaceResourceId: workspace.id }]
    }
  }
}

// Grafana reads the workspace with its own identity
resource grafanaReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, grafana.id, 'monitoring-data-reader')
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b0d8363b-8ddd-447d-831f-62ca05bff136')
    principalId: grafana.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output workspaceId string = workspace.id
output grafanaName string = grafana.name
output grafanaEndpoint string = grafana.properties.endpoint
