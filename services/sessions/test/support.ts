// The shared test client (cookie jar, token, JSON, FormData and bytes bodies).
export { Client, eventually } from '@strata/testing/client';
