/**
 * Names only deploy/ uses, because only Azure has what they name: there is no local language model,
 * so neither dapr/components nor the production-like profile has the conversation component, and
 * packages/contracts does not name it (yet). insights learns the component's name from its
 * Deployment's CONVERSATION_COMPONENT; the secret is what the component reads from Key Vault.
 */

/** The Dapr conversation component (Azure OpenAI) behind insights' answers: deploy/dapr/components/llm.yaml. */
export const CONVERSATION_COMPONENT = 'llm';

/** The Key Vault secret holding the Azure OpenAI key, written by deploy/infra/main.bicep. */
export const AZURE_OPENAI_KEY_SECRET = 'azure-openai-key';
