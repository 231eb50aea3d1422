// Package strata is the Go SDK of the Strata API.
//
// The types and the low-level client (api.gen.go) are generated from the gateway's OpenAPI
// document by oapi-codegen (`npm run generate-client`); this package adds a thin hand-written
// layer: tokens by the OAuth 2.0 client-credentials grant, retries of 429 and 503 answers that
// honour Retry-After, paging over cursors, problem details as errors, resumable uploads (tus
// 1.0), downloads and the live event stream (Server-Sent Events).
//
//	sdk, err := strata.New(strata.Options{BaseURL: url, Tokens: &strata.ClientCredentials{BaseURL: url, ClientID: id, ClientSecret: secret}})
//	for file, err := range strata.All(ctx, sdk.ListFiles(100)) { ... }
package strata

//go:generate echo "run npm run generate-client at the repository's root: it builds oapi-codegen and writes api.gen.go"
