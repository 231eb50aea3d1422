import { Components } from '@strata/contracts';

/**
 * Names only deploy/ uses, because only Azure has what they name. The conversation component's
 * name is contracts' (locally it is Dapr's echo; the production-like profile has none: no Azure
 * OpenAI); insights learns it from its Deployment's CONVERSATION_COMPONENT. The secret is what the
 * component reads from Key Vault.
 */

/** The Dapr conversation component (Azure OpenAI) behind insights' answers: deploy/dapr/components/llm.yaml. */
export const CONVERSATION_COMPONENT = Components.conversation;

/** The Key Vault secret holding the Azure OpenAI key, written by deploy/infra/main.bicep. */
export const AZURE_OPENAI_KEY_SECRET = 'azure-openai-key';

/** The Key Vault secrets of the SMTP relay's credentials (deploy/dapr/components/mail.yaml), written by the operator. */
export const SMTP_SECRETS = ['smtp-username', 'smtp-password'] as const;
